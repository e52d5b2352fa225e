/** The report, compare and CI-gate parts of the CLI, run as a user runs them (child processes). */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { fixtureDir } from '../helpers/fixtures';
import type { AnalysisReport } from '../../src/report/schema';
import { compareReports, type ComparisonResult } from '../../src/report/compare';
import { exportReport } from '../../src/report/export';
import { parseArgs, UsageError } from '../../src/cli/args';
import { formatNumber } from '../../src/report/format';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-cli-report-'));
const resmlp = path.join(fixtureDir('resmlp_relu'), 'model.onnx');
const FAST = ['--backend', 'wasm', '--probes', '4', '--exact', 'off', '--no-block-matrix', '--quiet'];
const reportA = path.join(dir, 'a.json');
const reportB = path.join(dir, 'b.json');

before(() => {
  for (const [file, seed] of [
    [reportA, '0'],
    [reportB, '1'],
  ]) {
    const r = cli(['analyze', resmlp, ...FAST, '--seed', seed, '--json', file]);
    assert.equal(r.status, 0, r.stderr);
  }
});

const read = (file: string): AnalysisReport => JSON.parse(readFileSync(file, 'utf8')) as AnalysisReport;

test('report/compare arguments parse, bad ones are usage errors', () => {
  assert.deepEqual(parseArgs(['report', 'r.json']), { command: 'report', report: 'r.json', format: 'md' });
  assert.deepEqual(parseArgs(['report', 'r.json', '--out', 'x.HTML']), { command: 'report', report: 'r.json', format: 'html', out: 'x.HTML' });
  assert.deepEqual(parseArgs(['report', 'r.json', '--format', 'csv', '--out', 'x.txt']), { command: 'report', report: 'r.json', format: 'csv', out: 'x.txt' });
  assert.deepEqual(parseArgs(['compare', 'a.json', 'b.json', '--format', 'json']), { command: 'compare', a: 'a.json', b: 'b.json', format: 'json' });
  assert.throws(() => parseArgs(['report', 'r.json', '--format', 'pdf']), /--format takes md, html, json, csv/);
  assert.throws(() => parseArgs(['compare', 'a.json']), /compare needs two report files/);
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--fail-on-gsc', '-1']), UsageError);
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--pseudo-linear-k', 'x']), /--pseudo-linear-k needs a positive number/);
  const a = parseArgs(['analyze', 'm.onnx', '--fail-on-gsc', '1e2', '--fail-on-pseudo-linear', '--pseudo-linear-k', '2.5']);
  assert.ok(a.command === 'analyze');
  assert.equal(a.failOnGsc, 100);
  assert.equal(a.failOnPseudoLinear, true);
  assert.equal(a.pseudoLinearK, 2.5);
  assert.deepEqual(parseArgs(['compare', '--help']), { command: 'help' });
});

test('report exports every format to stdout or a file, byte-identical to exportReport', () => {
  const report = read(reportA);
  for (const format of ['md', 'csv', 'json', 'html'] as const) {
    const r = cli(['report', reportA, '--format', format]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, exportReport(report, format));
  }
  const out = path.join(dir, 'a.html');
  const r = cli(['report', reportA, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /html written to/);
  assert.equal(readFileSync(out, 'utf8'), exportReport(report, 'html'));
  // JSON export is the report unchanged.
  assert.deepEqual(JSON.parse(cli(['report', reportA, '--format', 'json']).stdout), report);
  // Probe estimates show their interval in the Markdown table.
  const firstRow =
    cli(['report', reportA])
      .stdout.split('\n')
      .find((l) => l.startsWith('| 1 |')) ?? '';
  const ci = report.blocks[0].gscToOutput.ci99;
  assert.ok(firstRow.includes(`\\[${formatNumber(ci[0])}, ${formatNumber(ci[1])}\\]`), firstRow);
});

test('report refuses a file that is not a report, or of another major version, with exit 1', () => {
  const notJson = path.join(dir, 'not.json');
  writeFileSync(notJson, 'hello');
  const other = path.join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ name: 'x' }));
  const future = path.join(dir, 'future.json');
  writeFileSync(future, JSON.stringify({ ...read(reportA), version: '2.0' }));
  const cases: [string, RegExp][] = [
    [notJson, /not\.json: not a JSON file/],
    [other, /other\.json: not a Gradient Lens report/],
    [future, /future\.json: report version 2\.0 is not readable by this version \(1\.\d+\)/],
    [path.join(dir, 'missing.json'), /missing\.json: not found/],
  ];
  for (const [file, message] of cases) {
    const r = cli(['report', file, '--format', 'md']);
    assert.equal(r.status, 1, file);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
  const c = cli(['compare', reportA, future]);
  assert.equal(c.status, 1);
  assert.match(c.stderr, /future\.json: report version 2\.0/);
});

test('compare: JSON equals compareReports on the two files; text shows every block and the summary', () => {
  const json = cli(['compare', reportA, reportB, '--format', 'json']);
  assert.equal(json.status, 0, json.stderr);
  const result = JSON.parse(json.stdout) as ComparisonResult;
  assert.deepEqual(result, JSON.parse(JSON.stringify(compareReports(read(reportA), read(reportB), { a: reportA, b: reportB }))));
  assert.equal(result.matchedBy, 'index');
  assert.equal(result.blocks.length, 12);

  const text = cli(['compare', reportA, reportB]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /blocks matched by index; a change counts only when the 99% intervals/);
  assert.match(text.stdout, /note: settings differ: seed 0 vs 1/);
  const s = result.summary;
  assert.ok(text.stdout.includes(`summary: ${s.better} better, ${s.worse} worse, ${s.unchanged} unchanged within noise, of 12 compared blocks`));
  const rows = text.stdout.split('\n').filter((l) => /^\s*\d+\s/.test(l));
  assert.equal(rows.length, 12);
  rows.forEach((row, i) => {
    assert.ok(row.includes(result.blocks[i].a.name));
    assert.ok(row.trimEnd().endsWith(result.blocks[i].verdict));
  });

  const md = cli(['compare', reportA, reportB, '--format', 'md']);
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, /^## Gradient Lens: comparison/);
});

test('CI gate --fail-on-gsc: exit 3 with the worst block named, after the report is written; exit 0 under the limit', () => {
  const model = path.join(fixtureDir('mlp_relu'), 'model.onnx');
  const json = path.join(dir, 'gate.json');
  const failed = cli(['analyze', model, ...FAST, '--fail-on-gsc', '1.5', '--json', json]);
  assert.equal(failed.status, 3, failed.stderr);
  const report = read(json);
  const worst = [...report.blocks].sort((x, y) => y.gscToOutput.value - x.gscToOutput.value)[0];
  assert.ok(worst.gscToOutput.value > 1.5);
  const over = report.blocks.filter((b) => b.gscToOutput.value > 1.5).length;
  const line = `gradient-lens: GSC to the output of block ${worst.index} (${worst.name}) is ${Number(worst.gscToOutput.value.toPrecision(4))} > 1.5`;
  assert.ok(failed.stderr.includes(line), failed.stderr);
  assert.ok(failed.stderr.includes(over > 1 ? `(and ${over - 1} more block` : line));
  assert.match(failed.stdout, /GSC\(input -> output\)/, 'the table is printed before the gate');

  const max = worst.gscToOutput.value;
  const passed = cli(['analyze', model, ...FAST, '--fail-on-gsc', String(Math.ceil(max * 2))]);
  assert.equal(passed.status, 0, passed.stderr);
  assert.doesNotMatch(passed.stderr, /GSC to the output of block/);
});

test('CI gate --fail-on-pseudo-linear: exit 3 when a nonlinearity is flagged, 0 with a higher --pseudo-linear-k', () => {
  const json = path.join(dir, 'pl.json');
  const failed = cli(['analyze', resmlp, ...FAST, '--fail-on-pseudo-linear', '--json', json]);
  const report = read(json);
  const flagged = report.nonlinearities.filter((q) => q.pseudoLinear);
  assert.ok(flagged.length > 0, 'resmlp_relu has pseudo-linear ReLUs at k > 3');
  assert.equal(failed.status, 3);
  assert.match(failed.stderr, /gradient-lens: nonlinearity \d+ \(Relu .+\) in block \d+ \(.+\) is pseudo-linear: k [\d.]+ > 3/);

  const maxK = Math.max(...report.nonlinearities.map((q) => q.k ?? Infinity));
  const json2 = path.join(dir, 'pl2.json');
  const passed = cli(['analyze', resmlp, ...FAST, '--fail-on-pseudo-linear', '--pseudo-linear-k', String(Math.ceil(maxK + 1)), '--json', json2]);
  assert.equal(passed.status, 0, passed.stderr);
  const relaxed = read(json2);
  assert.equal(relaxed.thresholds.pseudoLinearK, Math.ceil(maxK + 1));
  assert.ok(relaxed.nonlinearities.every((q) => !q.pseudoLinear));
  assert.doesNotMatch(passed.stdout, /pseudo-linear/, 'the table uses the given threshold');

  // Without the flag, flagged nonlinearities do not change the exit code.
  const plain = cli(['analyze', resmlp, ...FAST]);
  assert.equal(plain.status, 0);
  assert.match(plain.stdout, /pseudo-linear/);
});

test('gate reasons: one line each, control characters in names made visible', async () => {
  const { gateFailures } = await import('../../src/cli/gate');
  const report = read(reportA);
  const hostile: AnalysisReport = { ...report, blocks: report.blocks.map((b) => ({ ...b, name: `x\x1b[2J\ny` })) };
  const reasons = gateFailures(hostile, { failOnGsc: 1e-6, failOnPseudoLinear: true, pseudoLinearK: 1e-6 });
  assert.equal(reasons.length, 2);
  for (const r of reasons) assert.doesNotMatch(r, /[\x00-\x1f]/);
  // Every block but the reference layer's own (GSC 1 by definition, never a gate failure).
  assert.match(reasons[0], new RegExp(`\\(x\\\\x1b\\[2J\\\\x0ay\\) is .* > 1×10⁻⁶ \\(and ${report.blocks.length - 2} more blocks\\)$`));
  assert.match(reasons[1], /is pseudo-linear: k .* > 1×10⁻⁶ \(and \d+ more nonlinearities\)$/);
  assert.deepEqual(gateFailures(report, { failOnGsc: 1e9, failOnPseudoLinear: false }), []);
});
