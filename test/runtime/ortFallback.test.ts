/**
 * --backend ort where the ONNX Runtime binary cannot load: the analysis still runs, on
 * TensorFlow.js wasm, and the report says so (backend, reason, a backend-fallback warning),
 * with the numbers of a plain wasm run. The failure is real: the CLI process is started with a
 * preload that makes opening onnxruntime_binding.node throw (fixtures/brokenOrt.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AnalysisReport } from '../../src/report/schema';
import { fixtureDir } from '../helpers/fixtures';

const useTs = __filename.endsWith('.ts');
const ext = useTs ? '.ts' : '.js';
const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli', `main${ext}`);
const BROKEN = path.join(__dirname, 'fixtures', `brokenOrt${ext}`);

function analyze(json: string, backend: string, preload: boolean): { status: number; stderr: string; report: AnalysisReport } {
  const model = path.join(fixtureDir('resnet_cifar8'), 'model.onnx');
  const argv = [
    ...(useTs ? ['--import', 'tsx'] : []),
    ...(preload ? ['--require', BROKEN] : []),
    CLI,
    'analyze',
    model,
    '--backend',
    backend,
    '--batch',
    '2',
    '--probes',
    '2',
    '--threads',
    '1',
    '--json',
    json,
    '--quiet',
  ];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, GRADIENT_LENS_TEST: '1' } });
  return { status: r.status ?? -1, stderr: r.stderr, report: JSON.parse(readFileSync(json, 'utf8')) as AnalysisReport };
}

test('--backend ort with a binary that cannot load: wasm runs the analysis and the report says why', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-ort-fallback-'));
  const fell = analyze(path.join(dir, 'fallback.json'), 'ort', true);
  assert.equal(fell.status, 0, fell.stderr);
  assert.equal(fell.report.backend.name, 'wasm');
  assert.match(fell.report.backend.reason ?? '', /^--backend ort: ort not usable; TensorFlow\.js wasm computes every op/);
  const warning = fell.report.warnings.find((w) => w.code === 'backend-fallback');
  assert.ok(warning, 'a backend-fallback warning');
  assert.match(
    warning.message,
    /^ONNX Runtime could not be loaded \(ort backend did not load: .*onnxruntime_binding\.node: invalid ELF header \(simulated\)\)/,
  );
  const wasm = analyze(path.join(dir, 'wasm.json'), 'wasm', false);
  assert.equal(wasm.status, 0, wasm.stderr);
  assert.deepEqual(
    fell.report.blocks.map((b) => b.gscToOutput.value),
    wasm.report.blocks.map((b) => b.gscToOutput.value),
  );
});
