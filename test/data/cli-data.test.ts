/**
 * --data / --labels / --reference end to end: the CLI on fixture models, the same numbers as
 * the raw --input path for the same values, and the same GSC to the loss for the ONNX (NCHW)
 * and TF.js (NHWC) twins of one model fed the same images.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { cli } from '../helpers/cli';
import { fixtureDir } from '../helpers/fixtures';
import { useTestBackend } from '../helpers/backend';
import { encodeNpy } from '../../src/data/npy';
import { REPORT_SCHEMA_VERSION } from '../../src/report/schema';
import { analyzeModel } from '../../src/engine/analyze';
import { parseArgs } from '../../src/cli/args';
import type { AnalysisReport } from '../../src/report/schema';

before(async () => {
  await useTestBackend();
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-cli-data-'));
const mlp = path.join(fixtureDir('mlp_relu'), 'model.onnx');
const inputBin = path.join(fixtureDir('mlp_relu'), 'input.bin');
const readJson = (p: string): AnalysisReport => JSON.parse(readFileSync(p, 'utf8')) as AnalysisReport;
const gscs = (r: AnalysisReport): number[] => r.boundaries.map((b) => b.gscToOutput.value);

test('--data x.npy gives exactly the numbers of --input for the same float32 values', () => {
  const bytes = readFileSync(inputBin);
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const n = values.length / 100;
  const npy = path.join(dir, 'x.npy');
  writeFileSync(npy, encodeNpy(values, [n, 100], 'f4'));
  const viaInput = cli(['analyze', mlp, '--input', inputBin, '--backend', 'wasm', '--quiet', '--no-block-matrix', '--json', path.join(dir, 'a.json')]);
  assert.equal(viaInput.status, 0, viaInput.stderr);
  const viaData = cli([
    'analyze',
    mlp,
    '--data',
    npy,
    '--batch',
    String(n),
    '--backend',
    'wasm',
    '--quiet',
    '--no-block-matrix',
    '--json',
    path.join(dir, 'b.json'),
  ]);
  assert.equal(viaData.status, 0, viaData.stderr);
  const a = readJson(path.join(dir, 'a.json'));
  const b = readJson(path.join(dir, 'b.json'));
  assert.deepEqual(gscs(b), gscs(a));
  assert.deepEqual(a.input, { kind: 'float32', path: inputBin, samples: n });
  assert.deepEqual(b.input, { kind: 'npy', path: npy, samples: n, available: n, sample: 'first' });
  assert.match(viaData.stdout, new RegExp(`input: npy ${npy.replace(/[.]/g, '\\.')}: ${n} of ${n} samples \\(first\\)`));
});

test('--labels with --reference error: the error layer in the table and the JSON report, GSC to a 1-dim loss', () => {
  const bytes = readFileSync(inputBin);
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const json = path.join(dir, 'xy.json');
  // JSON {"inputs", "labels"} with the first 6 samples and classes 0..5.
  const inputs = Array.from({ length: 6 }, (_, i) => Array.from(values.subarray(i * 100, (i + 1) * 100)));
  writeFileSync(json, JSON.stringify({ inputs, labels: [0, 1, 2, 3, 4, 5] }));
  const out = path.join(dir, 'err.json');
  const r = cli(['analyze', mlp, '--data', json, '--reference', 'error', '--backend', 'wasm', '--quiet', '--no-block-matrix', '--json', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /GSC to: error layer: per-sample softmax cross-entropy of logits against labels .*xy\.json:labels/);
  assert.match(r.stdout, /#\s+block\s+kind\s+GSC to loss \[99% CI\]/);
  const report = readJson(out);
  assert.equal(report.version, REPORT_SCHEMA_VERSION);
  assert.equal(report.reference.kind, 'error');
  assert.equal(report.reference.loss, 'cross-entropy');
  assert.equal(report.input?.samples, 6);
  const last = report.boundaries[report.boundaries.length - 1];
  assert.equal(last.dim, 1);
  assert.equal(report.model.outputDim, 10, 'the model output is still described as the logits');
  // GSC to the loss differs from GSC to the logits on the same data.
  const plainOut = path.join(dir, 'plain.json');
  assert.equal(cli(['analyze', mlp, '--data', json, '--backend', 'wasm', '--quiet', '--no-block-matrix', '--json', plainOut]).status, 0);
  const plain = readJson(plainOut);
  assert.equal(plain.reference.kind, 'output');
  assert.notEqual(plain.boundaries[0].gscToOutput.value, report.boundaries[0].gscToOutput.value);

  // A CSV with a label column gives the same numbers as the JSON with labels.
  const csv = path.join(dir, 'xy.csv');
  const header = [...Array.from({ length: 100 }, (_, j) => `f${j}`), 'y'].join(',');
  writeFileSync(csv, [header, ...inputs.map((row, i) => [...row.map((v) => v.toPrecision(9)), i].join(','))].join('\n'));
  const csvOut = path.join(dir, 'csv.json');
  const c = cli([
    'analyze',
    mlp,
    '--data',
    csv,
    '--label-column',
    'y',
    '--reference',
    'error',
    '--backend',
    'wasm',
    '--quiet',
    '--no-block-matrix',
    '--json',
    csvOut,
  ]);
  assert.equal(c.status, 0, c.stderr);
  assert.deepEqual(gscs(readJson(csvOut)), gscs(report));
});

test('data errors exit 1 naming the file; option misuse exits 2', () => {
  const wrong = path.join(dir, 'wrong.npy');
  writeFileSync(wrong, encodeNpy(new Array(6 * 7).fill(0), [6, 7], 'f4'));
  const r = cli(['analyze', mlp, '--data', wrong, '--backend', 'wasm', '--quiet']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /wrong\.npy: the model input "input" expects samples .*\[100\], found \[7\]/);
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--labels', 'y.npy']), /--labels needs --data/);
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--reference', 'loss']), /--reference takes output, error/);
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--data', 'd', '--mean', '0.5,x']), /--mean takes comma-separated numbers/);
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--data', 'd', '--input', 'i.bin']), /--data and --input both/);
  const ok = parseArgs(['analyze', 'm.onnx', '--data', 'imgs', '--sample', 'random', '--mean', '0.5,0.4,0.3', '--std', '0.25', '--reference', 'error']);
  assert.ok(ok.command === 'analyze');
  assert.deepEqual([ok.sample, ok.mean, ok.std, ok.reference], ['random', [0.5, 0.4, 0.3], [0.25], 'error']);
});

test('the same images through the ONNX (NCHW) and TF.js (NHWC) twins give the same GSC to the loss', async () => {
  const root = path.join(dir, 'images');
  for (const [cls, k] of [
    ['airplane', 0],
    ['cat', 1],
  ] as const) {
    mkdirSync(path.join(root, cls), { recursive: true });
    const png = new PNG({ width: 20, height: 24 });
    for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 7 + k * 50) % 256;
    writeFileSync(path.join(root, cls, `${k}.png`), PNG.sync.write(png));
  }
  const run = (model: string): Promise<AnalysisReport> =>
    analyzeModel({
      modelPath: path.join(fixtureDir('resnet_cifar8'), model),
      settings: { backend: 'wasm', batch: 2, probes: 2, blockMatrix: false },
      data: { path: root, mean: [0.5, 0.4, 0.3], std: [0.25] },
      reference: 'error',
    });
  const onnx = await run('model.onnx');
  const tfjs = await run('tfjs/model.json');
  assert.equal(onnx.input?.layout, 'CHW');
  assert.equal(tfjs.input?.layout, 'HWC');
  assert.deepEqual(onnx.reference.classes, ['airplane', 'cat']);
  assert.equal(onnx.boundaries.length, tfjs.boundaries.length);
  onnx.boundaries.forEach((b, k) => {
    const t = tfjs.boundaries[k].gscToOutput.value;
    assert.ok(Math.abs(b.gscToOutput.value - t) <= 1e-3 * t, `boundary ${k}: ONNX ${b.gscToOutput.value} vs TF.js ${t}`);
  });
});
