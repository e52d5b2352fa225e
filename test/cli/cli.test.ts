/** The CLI as a user runs it: exit codes, the table, the JSON report, errors that name the file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { fixtureDir } from '../helpers/fixtures';
import { reportIncompatibility, type AnalysisReport } from '../../src/report/schema';
import { parseArgs, UsageError } from '../../src/cli/args';

test('usage errors exit 2 with a message', () => {
  assert.throws(() => parseArgs(['analyze']), UsageError);
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--batch', 'x']), /--batch needs a whole number/);
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--exact', 'maybe']), /--exact takes auto, on, off \(got "maybe"\)/);
  assert.throws(() => parseArgs(['frobnicate']), /unknown command/);
  const r = cli(['analyze', 'model.onnx', '--backend', 'gpu']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--backend takes/);
});

test('dimension overrides and flags parse', () => {
  const a = parseArgs(['analyze', 'm.onnx', '--dim', 'seq=8', '--dim', 'h=4', '--no-block-matrix', '--probes', '4']);
  assert.ok(a.command === 'analyze');
  assert.deepEqual(a.dims, { seq: 8, h: 4 });
  assert.equal(a.noBlockMatrix, true);
  assert.equal(a.probes, 4);
});

test('a missing model file exits 1 and names the file', () => {
  const r = cli(['analyze', '/nonexistent/model.onnx', '--backend', 'wasm']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\/nonexistent\/model\.onnx/);
  assert.match(r.stderr, /not found/);
});

test('a truncated model exits 1 and names the file and the cause', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-cli-'));
  const bad = path.join(dir, 'truncated.onnx');
  writeFileSync(bad, readFileSync(path.join(fixtureDir('mlp_relu'), 'model.onnx')).subarray(0, 5000));
  const r = cli(['analyze', bad, '--backend', 'wasm']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /truncated\.onnx/);
});

test('analyze prints a table and writes a report that matches the schema', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-cli-'));
  const json = path.join(dir, 'r.json');
  const model = path.join(fixtureDir('resmlp_relu'), 'model.onnx');
  const r = cli(['analyze', model, '--backend', 'wasm', '--probes', '4', '--json', json, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /backend wasm/);
  assert.match(r.stdout, /residual\/identity/);
  const report = JSON.parse(readFileSync(json, 'utf8')) as AnalysisReport;
  assert.equal(reportIncompatibility(report), undefined);
  assert.equal(report.blocks.length, 12);
  assert.equal(report.backend.name, 'wasm');
  assert.equal(report.settings.probes, 4);
  // Each block's row shows its GSC to the output as in the JSON (4 significant digits).
  for (const b of report.blocks) assert.ok(r.stdout.includes(Number(b.gscToOutput.value.toPrecision(4)).toString()), `block ${b.index} GSC in the table`);
});

test('the GSC to the output goes to stderr before the block matrix, stdout keeps only the final table', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-cli-'));
  const json = path.join(dir, 'r.json');
  const model = path.join(fixtureDir('resmlp_relu'), 'model.onnx');
  // Without a terminal: one line per phase, so the order of the phases is in stderr.
  const r = cli(['analyze', model, '--backend', 'wasm', '--probes', '4', '--threads', '1', '--json', json]);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8')) as AnalysisReport;
  const early = r.stderr.indexOf('GSC to the output (the block matrix');
  assert.ok(early >= 0, r.stderr);
  assert.ok(early < r.stderr.indexOf('block matrix row'), `partial table after the block matrix began:\n${r.stderr}`);
  const partialTable = r.stderr.slice(early, r.stderr.indexOf('GSC(input -> output)', early));
  for (const b of report.blocks) assert.ok(partialTable.includes(Number(b.gscToOutput.value.toPrecision(4)).toString()), `block ${b.index} in the early table`);
  assert.ok(!r.stdout.includes('still computing'), 'the early table stays off stdout');
});

test('the same model and settings give the same numbers (seeded)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-cli-'));
  const model = path.join(fixtureDir('mlp_tanh'), 'model.onnx');
  const runs = [1, 2].map((i) => {
    const json = path.join(dir, `r${i}.json`);
    const r = cli(['analyze', model, '--backend', 'wasm', '--seed', '7', '--no-block-matrix', '--json', json, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(readFileSync(json, 'utf8')) as AnalysisReport;
  });
  assert.deepEqual(
    runs[0].blocks.map((b) => [b.gscToOutput.value, b.linearisation.kLin]),
    runs[1].blocks.map((b) => [b.gscToOutput.value, b.linearisation.kLin]),
  );
});

test('bin/gradient-lens.js turns an unhandled rejection into one clear line and exit 1', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-bin-'));
  const preload = path.join(dir, 'reject.js');
  // A rejection no one handles, with a terminal escape in its message.
  writeFileSync(preload, "Promise.reject(new Error('lost promise \\u001b[2J'));\n");
  const root = path.resolve(__dirname, ...(__filename.endsWith('.ts') ? ['..', '..'] : ['..', '..', '..']));
  const bin = path.join(root, 'bin', 'gradient-lens.js');
  // analyze waits for the backend, so the rejection is seen before main() ends.
  // In one process: the relaunch with the allocator settings (cli/relaunch.ts) passes Node's
  // flags on, so the preload would reject in both the CLI and its child.
  const env = { ...process.env, GRADIENT_LENS_ALLOCATOR: 'system' };
  const r = spawnSync(process.execPath, ['--require', preload, bin, 'analyze', path.join(dir, 'missing.onnx'), '--quiet'], { encoding: 'utf8', env });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'gradient-lens: internal error: lost promise \\x1b[2J\n');
});

test('--output and --from name the tensors the analysis is cut at', () => {
  const a = parseArgs(['analyze', 'm.onnx', '--output', '/head/Gemm_output_0', '--from', 'stem']);
  assert.ok(a.command === 'analyze');
  assert.equal(a.output, '/head/Gemm_output_0');
  assert.equal(a.from, 'stem');
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--output']), UsageError);
});
