/** Markdown export: the tables read back to the report's numbers; names from model files cannot break out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportToMarkdown } from '../../src/report/export/markdown';
import { mdCode, mdText } from '../../src/report/export/markdownText';
import { codeSpanText, HOSTILE_NAMES, markdownTable, mutableCopy, sameTo4Digits, savedReport, withNames } from './helpers';

// markdown-it (a CommonMark + GFM-tables renderer) has no bundled types; only render() is used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MarkdownIt = require('markdown-it') as new (options: { html: boolean; linkify: boolean }) => { render(src: string): string };
const renderer = new MarkdownIt({ html: true, linkify: true });

test('the block table reads back to the report: names, kinds, GSC, intervals, k and flags', () => {
  const report = savedReport();
  const md = reportToMarkdown(report);
  const { header, rows } = markdownTable(md, '| # | block |');
  assert.deepEqual(header, ['#', 'block', 'kind', 'GSC to output', '99% CI', 'GSC block', 'k_skip', 'k_lin', 'flags']);
  assert.equal(rows.length, report.blocks.length);
  rows.forEach((row, i) => {
    const b = report.blocks[i];
    assert.equal(row.length, header.length, `row ${i + 1} has ${header.length} cells`);
    assert.equal(Number(row[0]), b.index);
    assert.equal(codeSpanText(row[1]), b.name);
    assert.equal(row[2], b.kind);
    assert.ok(sameTo4Digits(row[3], b.gscToOutput.value), `GSC ${row[3]} vs ${b.gscToOutput.value}`);
    assert.equal(row[4], b.gscToOutput.method === 'identity' ? 'reference layer' : 'exact');
    assert.ok(sameTo4Digits(row[5], b.gscBlock.value));
    assert.equal(row[6], '');
    assert.ok(b.linearisation.kLin !== null && sameTo4Digits(row[7], b.linearisation.kLin));
    // The engine's own per-nonlinearity flags (computed at analysis time) decide the expected labels.
    const pseudo = report.nonlinearities.some((q) => q.block === b.index && q.pseudoLinear);
    const collapsed = report.nonlinearities.some((q) => q.block === b.index && q.collapsed);
    const expected = [b.gscToOutput.value > report.thresholds.gsc ? 'exploding' : '', pseudo ? 'pseudo-linear' : '', collapsed ? 'collapsed' : '']
      .filter((x) => x !== '')
      .join(', ');
    assert.equal(row[8], expected, `flags of block ${b.index}`);
  });
  assert.ok(
    rows.some((r) => r[8].includes('pseudo-linear')),
    'this report has pseudo-linear blocks',
  );
});

test('header, growth line and nonlinearity table carry the report facts', () => {
  const report = savedReport();
  const md = reportToMarkdown(report);
  for (const fact of [
    `probes:** ${report.settings.probes}`,
    `seed:** ${report.settings.seed}`,
    `**Batch:** ${report.settings.batch}`,
    `**Backend:** ${report.backend.name}`,
    report.model.contentHash.slice(0, 12),
  ]) {
    assert.ok(md.includes(fact), `header has ${fact}`);
  }
  const growth = /GSC\(input → output\) = (\S+) · explosion rate per block \(log fit\) = (\S+) · geometric mean = (\S+)/.exec(md);
  assert.ok(growth);
  assert.ok(sameTo4Digits(growth[1], report.growth.gscInputToOutput));
  assert.ok(sameTo4Digits(growth[2], report.growth.logFit.rate));
  assert.ok(sameTo4Digits(growth[3], report.growth.geometricMeanRate));
  const { rows } = markdownTable(md, '| # | op |');
  assert.equal(rows.length, report.nonlinearities.length);
  rows.forEach((row, i) => {
    const q = report.nonlinearities[i];
    assert.equal(codeSpanText(row[2]), q.sourceName);
    assert.equal(Number(row[3]), q.block);
    assert.ok(q.k !== null && sameTo4Digits(row[4], q.k));
    assert.equal(row[8].includes('pseudo-linear'), q.pseudoLinear);
  });
});

test('flags follow the report thresholds: a lower GSC threshold flags blocks as exploding', () => {
  const report = mutableCopy(savedReport());
  report.thresholds.gsc = 2;
  const { rows } = markdownTable(reportToMarkdown(report), '| # | block |');
  const exploding = rows.filter((r) => r[8].includes('exploding')).map((r) => Number(r[0]));
  assert.deepEqual(
    exploding,
    report.blocks.filter((b) => b.gscToOutput.value > 2).map((b) => b.index),
  );
  assert.ok(exploding.length > 0 && exploding.length < report.blocks.length);
});

test('hostile layer names stay inside their cell and render as text', () => {
  const report = mutableCopy(withNames(savedReport()));
  report.warnings.push({ code: 'other', message: '1. <script>alert(1)</script> | *x* [y](z)', where: 'w|`<b>`' });
  const md = reportToMarkdown(report);
  const { header, rows } = markdownTable(md, '| # | block |');
  assert.equal(rows.length, report.blocks.length);
  rows.forEach((row, i) => {
    assert.equal(row.length, header.length, `row ${i + 1} keeps ${header.length} cells`);
    assert.equal(codeSpanText(row[1]), report.blocks[i].name.replace(/\n/g, ' '));
  });
  const html = renderer.render(md);
  assert.doesNotMatch(html, /<img|<script|<b>|<a |<em>x/i, 'no element from a name or warning');
  // Each block row renders as one table row with 9 cells.
  const blockTable = html.split('<table>')[1];
  const bodyRows =
    blockTable
      .split('<tbody>')[1]
      .split('</tbody>')[0]
      .match(/<tr>[\s\S]*?<\/tr>/g) ?? [];
  assert.equal(bodyRows.length, report.blocks.length);
  for (const r of bodyRows) assert.equal((r.match(/<td/g) ?? []).length, 9);
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'), 'the name shows as text');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the warning shows as text');
});

test('mdCode and mdText render to exactly the given text', () => {
  for (const name of HOSTILE_NAMES.filter((n) => !n.includes('\n'))) {
    const inline = renderer.render(`x ${mdCode(name)} y`);
    const code = /<code>([\s\S]*)<\/code>/.exec(inline);
    assert.ok(code, `code span for ${name}`);
    const decoded = code[1]
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
    // markdown-it (unlike GFM tables) keeps the backslash before a pipe outside tables.
    assert.equal(decoded.replace(/\\\|/g, '|'), name);
    const prose = renderer.render(mdText(name)).replace(/<\/?p>\n?/g, '');
    assert.equal(
      prose
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&'),
      name,
    );
  }
});

test('no doubled or nested brackets in the model and reference lines of every export (#18)', async () => {
  const { reportToHtml } = await import('../../src/report/export/html');
  const { formatReportTable } = await import('../../src/cli/table');
  const { referenceShortText, referenceText } = await import('../../src/report/referenceText');
  const base = savedReport();
  assert.equal(base.model.formatLabel, 'ONNX (opset 13)', 'the fixture carries the bracketed label the loader writes');
  const withLoss = mutableCopy(base);
  withLoss.reference = { ...withLoss.reference, kind: 'error', loss: 'cross-entropy', modelOutput: 'logits', labels: 'y.npy' };
  for (const text of [reportToMarkdown(withLoss), reportToHtml(withLoss), formatReportTable(withLoss)]) {
    assert.ok(!text.includes('))'), 'no doubled closing bracket');
    assert.ok(text.includes('ONNX (opset 13) ·'), 'the format label stands on its own');
  }
  assert.equal(referenceShortText(withLoss), 'error layer (softmax cross-entropy)');
  assert.equal(referenceText(withLoss), 'error layer: per-sample softmax cross-entropy of logits against labels y.npy');
});
