/** CSV export: RFC 4180 records that read back to the report's numbers exactly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSV_COLUMNS, reportToCsv } from '../../src/report/export/csv';
import { HOSTILE_NAMES, mutableCopy, parseCsv, savedReport, withNames } from './helpers';

/** A numeric cell: the exact number, or null for an empty cell. */
function num(cell: string): number | null {
  if (cell === '') return null;
  const n = Number(cell);
  assert.ok(!Number.isNaN(n), `"${cell}" is a number`);
  return n;
}

test('one record per block with the header row; numbers in full precision', () => {
  const report = savedReport();
  const records = parseCsv(reportToCsv(report));
  assert.deepEqual(records[0], [...CSV_COLUMNS]);
  assert.equal(records.length, report.blocks.length + 1);
  const col = (name: (typeof CSV_COLUMNS)[number]): number => CSV_COLUMNS.indexOf(name);
  records.slice(1).forEach((r, i) => {
    const b = report.blocks[i];
    assert.equal(r.length, CSV_COLUMNS.length);
    assert.equal(num(r[col('index')]), b.index);
    assert.equal(r[col('name')], b.name);
    assert.equal(r[col('kind')], b.kind);
    assert.equal(r[col('skip_kind')], b.residual?.skipKind ?? '');
    assert.equal(num(r[col('d_in')]), b.dIn);
    assert.equal(num(r[col('d_out')]), b.dOut);
    assert.equal(num(r[col('gsc_to_output')]), b.gscToOutput.value);
    assert.equal(num(r[col('gsc_to_output_ci_low')]), b.gscToOutput.ci99[0]);
    assert.equal(num(r[col('gsc_to_output_ci_high')]), b.gscToOutput.ci99[1]);
    assert.equal(r[col('gsc_to_output_method')], b.gscToOutput.method);
    assert.equal(num(r[col('gsc_block')]), b.gscBlock.value);
    assert.equal(num(r[col('gsc_block_ci_low')]), b.gscBlock.ci99[0]);
    assert.equal(num(r[col('gsc_block_ci_high')]), b.gscBlock.ci99[1]);
    assert.equal(num(r[col('k_skip')]), b.residual?.kSkip ?? null);
    assert.equal(num(r[col('k_lin')]), b.linearisation.kLin);
    assert.equal(num(r[col('k_lin_ci_low')]), b.linearisation.kLinCi99?.[0] ?? null);
    assert.equal(num(r[col('k_lin_ci_high')]), b.linearisation.kLinCi99?.[1] ?? null);
    assert.equal(r[col('linear')], String(b.linearisation.linear));
    assert.equal(r[col('exploding')], String(b.gscToOutput.value > report.thresholds.gsc));
    const own = report.nonlinearities.filter((q) => q.block === b.index);
    assert.equal(num(r[col('pseudo_linear_nonlinearities')]), own.filter((q) => q.pseudoLinear).length);
    assert.equal(num(r[col('collapsed_nonlinearities')]), own.filter((q) => q.collapsed).length);
  });
  // A value that 4-digit formatting would change survives exactly.
  assert.ok(report.blocks.some((b) => b.gscToOutput.value !== Number(b.gscToOutput.value.toPrecision(4))));
});

test('null k (a linear block) is an empty cell and linear is true', () => {
  const report = mutableCopy(savedReport());
  report.blocks[2].linearisation.kLin = null;
  report.blocks[2].linearisation.kLinCi99 = null;
  report.blocks[2].linearisation.linear = true;
  const r = parseCsv(reportToCsv(report))[3];
  assert.equal(r[CSV_COLUMNS.indexOf('k_lin')], '');
  assert.equal(r[CSV_COLUMNS.indexOf('k_lin_ci_low')], '');
  assert.equal(r[CSV_COLUMNS.indexOf('linear')], 'true');
});

test('names with commas, quotes and line breaks are quoted; formula-like names are defused', () => {
  const report = withNames(savedReport());
  const text = reportToCsv(report);
  const records = parseCsv(text);
  assert.equal(records.length, report.blocks.length + 1);
  records.slice(1).forEach((r, i) => {
    assert.equal(r.length, CSV_COLUMNS.length, `record ${i + 1} keeps its columns`);
    const name = report.blocks[i].name;
    // A spreadsheet would run "=..." as a formula; the export prefixes an apostrophe.
    assert.equal(r[1], /^[=+\-@]/.test(name) ? `'${name}` : name);
  });
  assert.ok(HOSTILE_NAMES.some((n) => n.startsWith('=')));
  assert.ok(text.includes('"comma, ""quoted"""'));
  assert.ok(text.includes('"line\nbreak"'));
});
