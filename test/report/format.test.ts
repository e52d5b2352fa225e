/** The one number formatter, and every surface printing the same value the same way. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmt, fmtEstimate, formatComparison, formatInterval, formatK, formatNumber, formatPrecise, formatUnitGsc } from '../../src/report/format';
import * as webviewFormat from '../../webview-ui/src/format';
import * as annotationFormat from '../../src/extension/annotations/format';
import { formatReportTable } from '../../src/cli/table';
import { reportToMarkdown } from '../../src/report/export/markdown';
import { reportToHtml } from '../../src/report/export/html';
import { markdownTable, mutableCopy, savedReport } from './helpers';

test('formatNumber over typical values', () => {
  const table: [number | null | undefined, string][] = [
    [12345.6, '1.235×10⁴'],
    [0.4376073332285338, '0.4376'],
    [1, '1'],
    [1e-7, '1×10⁻⁷'],
    [-0.00025, '−2.5×10⁻⁴'],
    [9999.6, '1×10⁴'],
    [0.001, '0.001'],
    [0, '0'],
    [Infinity, '∞'],
    [-Infinity, '−∞'],
    [NaN, 'NaN'],
    [null, 'n/a'],
    [undefined, 'n/a'],
  ];
  for (const [v, text] of table) assert.equal(formatNumber(v), text, String(v));
  assert.equal(fmt(null, true), '∞');
  assert.equal(formatK(null, true), '∞');
  assert.equal(formatK(null, false), 'n/a');
  assert.equal(formatPrecise(0.4376073332285338), '0.4376073332');
  assert.equal(formatInterval([1.2346, 2.5]), '[1.235, 2.5]');
  assert.equal(formatInterval([101, 101]), 'exact');
  assert.equal(fmtEstimate({ value: 101, stderr: 0, ci99: [101, 101], method: 'exact' }), '101 (exact)');
});

test('a value beside its threshold gets the digits that make the printed comparison true', () => {
  assert.deepEqual(formatComparison(3.0004, 3), { value: '3.0004', threshold: '3' });
  assert.deepEqual(formatComparison(2.99996, 3), { value: '2.99996', threshold: '3' });
  assert.deepEqual(formatComparison(3.1416, 3.14159), { value: '3.1416', threshold: '3.14159' });
  assert.deepEqual(formatComparison(12, 3), { value: '12', threshold: '3' });
});

test('the CLI table, the Markdown and HTML exports, the annotations and the webview print a value the same way', () => {
  const report = mutableCopy(savedReport());
  report.blocks[0].gscToOutput.value = 12345.6;
  report.blocks[0].linearisation.kLin = 0.4376073332285338;
  const expected = '1.235×10⁴';
  assert.equal(webviewFormat.formatNumber(12345.6), expected);
  assert.equal(annotationFormat.formatNumber(12345.6), expected);
  // The surfaces share the function, not a copy of it.
  assert.equal(webviewFormat.formatNumber, formatNumber);
  assert.equal(annotationFormat.formatNumber, formatNumber);

  const tableRow =
    formatReportTable(report)
      .split('\n')
      .find((l) => /^\s*1\s/.test(l)) ?? '';
  assert.ok(tableRow.includes(` ${expected} `), tableRow);
  assert.ok(tableRow.includes(' 0.4376 '), tableRow);
  const md = markdownTable(reportToMarkdown(report), '| # | block |').rows[0];
  assert.equal(md[3], expected);
  assert.equal(md[7], '0.4376');
  assert.ok(reportToHtml(report).includes(`<td>${expected}</td>`));
  assert.ok(annotationFormat.siteLabel([report.blocks[0]]).startsWith(`GSC ${expected} · k_lin 0.4376`));
});

test('an infinite k_skip prints ∞ in the table, never "Infinity"', () => {
  const report = mutableCopy(savedReport());
  const b = report.blocks[0];
  report.blocks[0] = { ...b, kind: 'residual', residual: { ...fakeResidual(b), kSkip: Infinity } } as typeof b;
  const table = formatReportTable(report);
  assert.doesNotMatch(table, /Infinity/);
  assert.match(table.split('\n').find((l) => /^\s*1\s/.test(l)) ?? '', / ∞ /);
});

function fakeResidual(b: ReturnType<typeof savedReport>['blocks'][number]) {
  return {
    skipKind: 'identity' as const,
    mergeTensor: 'm',
    skipTensor: 's',
    branchTensor: 'b',
    mergeNode: 'n',
    opsAfterMerge: [],
    qSkip: 1,
    qBranch: 1,
    qMerge: 1,
    kSkip: 1,
    gscMerge: b.gscBlock,
    gscBranch: b.gscBlock,
    gscSkip: b.gscBlock,
    relation: b.linearisation.relation,
  };
}

test('a stream unit GSC prints with its interval, exact, identity or "not measured" (md export and webview alike)', () => {
  const probe = { value: 0.9171, stderr: 0.004, ci99: [0.9064, 0.9278] as const, method: 'probes (8)' };
  assert.equal(formatUnitGsc(probe), `${formatNumber(0.9171)} ${formatInterval([0.9064, 0.9278])}`);
  assert.equal(formatUnitGsc({ value: 1.25, stderr: 0, ci99: [1.25, 1.25], method: 'exact' }), '1.25 (exact)');
  assert.equal(formatUnitGsc({ value: 1, stderr: 0, ci99: [1, 1], method: 'identity' }), '1 (identity)');
  assert.equal(formatUnitGsc(undefined), 'not measured');
});
