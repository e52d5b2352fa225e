/**
 * The error layer as reference: GSC(k -> loss) of a tiny MLP against a float64 hand
 * computation with finite-difference gradients, for cross-entropy and squared error.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeGraph } from '../../src/engine/analyze';
import { encodeNpy } from '../../src/data/npy';
import { LOSS_TENSOR } from '../../src/data/errorLayer';
import { useTestBackend } from '../helpers/backend';
import { GraphBuilder, gaussianMatrix } from '../helpers/graphs';

before(async () => {
  await useTestBackend();
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-err-'));
const N = 5;
const D = 3;
const H = 4;
const C = 3;
const W1 = gaussianMatrix(D, H, 11, 0.9);
const W2 = gaussianMatrix(H, C, 12, 1.1);
const X = gaussianMatrix(N, D, 13, 1);
const CLASSES = [0, 2, 1, 1, 0];

function tinyMlp(): { model: ReturnType<GraphBuilder['build']>; logits: string } {
  const b = new GraphBuilder('x', ['batch', D]);
  const h = b.node('Tanh', [b.node('MatMul', ['x', b.constant(W1, [D, H])])]);
  const logits = b.node('MatMul', [h, b.constant(W2, [H, C])]);
  return { model: b.build(logits), logits };
}

// Float64 forward of the same model, from the input or from the hidden layer.
const hidden = (x: readonly number[]): number[] => Array.from({ length: H }, (_, j) => Math.tanh(x.reduce((s, xi, i) => s + xi * W1[i * H + j], 0)));
const logitsOf = (h: readonly number[]): number[] => Array.from({ length: C }, (_, c) => h.reduce((s, hj, j) => s + hj * W2[j * C + c], 0));
const crossEntropy = (z: readonly number[], y: number): number => {
  const m = Math.max(...z);
  return m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) - z[y];
};
const squaredError = (z: readonly number[], t: readonly number[]): number => z.reduce((s, v, c) => s + (v - t[c]) ** 2, 0);

/** Central differences of f at v. */
function gradient(f: (v: number[]) => number, v: readonly number[]): number[] {
  const eps = 1e-6;
  return v.map((_, i) => {
    const up = [...v];
    const down = [...v];
    up[i] += eps;
    down[i] -= eps;
    return (f(up) - f(down)) / (2 * eps);
  });
}

const norm = (v: readonly number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const qMean = (vs: readonly number[]): number => Math.sqrt(vs.reduce((s, x) => s + x * x, 0) / vs.length);

/** GSC(layer -> loss) over the batch (metrics.md): Q||J||_qm * Q||f_k|| / Q|loss|, and per sample. */
function handGsc(layers: number[][], lossFrom: (v: number[], i: number) => number): { batch: number; perSample: number[] } {
  const d = layers[0].length;
  const jqm = layers.map((v, i) => norm(gradient((u) => lossFrom(u, i), v)) / Math.sqrt(d));
  const losses = layers.map((v, i) => Math.abs(lossFrom(v, i)));
  return {
    batch: (qMean(jqm) * qMean(layers.map(norm))) / qMean(losses),
    perSample: jqm.map((j, i) => (j * norm(layers[i])) / losses[i]),
  };
}

function close(actual: number, expected: number, what: string, rel = 2e-3): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
}

const xs = Array.from({ length: N }, (_, i) => Array.from(X.subarray(i * D, (i + 1) * D)));
const dataFile = path.join(dir, 'x.npy');
writeFileSync(dataFile, encodeNpy(X, [N, D], 'f4'));

test('cross-entropy error layer: GSC(input -> loss) and GSC(hidden -> loss) match a float64 finite-difference computation', async () => {
  const labelsFile = path.join(dir, 'y.json');
  writeFileSync(labelsFile, JSON.stringify(CLASSES));
  const { model, logits } = tinyMlp();
  const report = await analyzeGraph(model, {
    modelPath: 'tiny-mlp',
    settings: { backend: 'wasm', batch: N, exact: 'on' },
    data: { path: dataFile, labels: labelsFile },
    reference: 'error',
  });
  assert.deepEqual(report.reference, { kind: 'error', tensor: LOSS_TENSOR, loss: 'cross-entropy', modelOutput: logits, labels: labelsFile });
  assert.equal(report.input?.kind, 'npy');
  assert.equal(report.input?.samples, N);
  assert.equal(report.model.outputName, logits);
  assert.equal(report.model.outputDim, C);
  assert.equal(report.blocks.length, 2, 'the loss ops join the readout block');
  assert.equal(report.boundaries[2].tensor, LOSS_TENSOR);
  assert.equal(report.boundaries[2].dim, 1);

  const fromInput = handGsc(xs, (x, i) => crossEntropy(logitsOf(hidden(x)), CLASSES[i]));
  close(report.boundaries[0].gscToOutput.value, fromInput.batch, 'GSC(x -> loss)');
  report.boundaries[0].gscToOutputPerSample.values.forEach((v, i) => close(v, fromInput.perSample[i], `GSC(x_${i} -> loss_${i})`));
  const hs = xs.map(hidden);
  const fromHidden = handGsc(hs, (h, i) => crossEntropy(logitsOf(h), CLASSES[i]));
  close(report.boundaries[1].gscToOutput.value, fromHidden.batch, 'GSC(h -> loss)');
  assert.equal(report.boundaries[1].gscToOutput.method, 'exact', 'a scalar loss needs one exact cotangent');

  // The default reference on the same data stays the logits, and gives different numbers.
  const plain = await analyzeGraph(model, { modelPath: 'tiny-mlp', settings: { backend: 'wasm', batch: N, exact: 'on' }, data: { path: dataFile } });
  assert.deepEqual(plain.reference, { kind: 'output', tensor: logits });
  assert.notEqual(plain.boundaries[0].gscToOutput.value, report.boundaries[0].gscToOutput.value);
});

test('squared-error error layer for labels shaped like the output', async () => {
  const targets = gaussianMatrix(N, C, 21, 1);
  const labelsFile = path.join(dir, 't.npy');
  writeFileSync(labelsFile, encodeNpy(targets, [N, C], 'f8'));
  const { model } = tinyMlp();
  const report = await analyzeGraph(model, {
    modelPath: 'tiny-mlp',
    settings: { backend: 'wasm', batch: N, exact: 'on' },
    data: { path: dataFile, labels: labelsFile },
    reference: 'error',
  });
  assert.equal(report.reference.loss, 'squared-error');
  const t = (i: number): number[] => Array.from(targets.subarray(i * C, (i + 1) * C));
  const hand = handGsc(xs, (x, i) => squaredError(logitsOf(hidden(x)), t(i)));
  close(report.boundaries[0].gscToOutput.value, hand.batch, 'GSC(x -> squared error)');
});

test('the error layer without labels, or with out-of-range classes, is refused clearly', async () => {
  const { model } = tinyMlp();
  await assert.rejects(
    analyzeGraph(model, { modelPath: 'tiny-mlp', settings: { backend: 'wasm', batch: N }, data: { path: dataFile }, reference: 'error' }),
    /the error layer \(reference "error"\) needs labels/,
  );
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify([0, 1, 3, 0, 1]));
  await assert.rejects(
    analyzeGraph(model, { modelPath: 'tiny-mlp', settings: { backend: 'wasm', batch: N }, data: { path: dataFile, labels: bad }, reference: 'error' }),
    /bad\.json: label 2 is 3; class indices for an output of 3 classes must be whole numbers 0\.\.2/,
  );
});

test('a loss of exactly 0 in float32 (confidently right predictions) is reported as a warning', async () => {
  // Logits scaled so that every margin is in the thousands: log-softmax of the top class is 0.
  const b = new GraphBuilder('x', ['batch', D]);
  const h = b.node('Tanh', [b.node('MatMul', ['x', b.constant(W1, [D, H])])]);
  const big = Float32Array.from(W2, (v) => v * 1e4);
  const logits = b.node('MatMul', [h, b.constant(big, [H, C])]);
  const predicted = xs.map((x) => {
    const hx = hidden(x);
    const z = Array.from({ length: C }, (_, c) => hx.reduce((s, hj, j) => s + hj * big[j * C + c], 0));
    return z.indexOf(Math.max(...z));
  });
  const labels = predicted.map((p, i) => (i === 0 ? (p + 1) % C : p)); // sample 0 is wrong: its loss is large
  const labelsFile = path.join(dir, 'confident.json');
  writeFileSync(labelsFile, JSON.stringify(labels));
  const report = await analyzeGraph(b.build(logits), {
    modelPath: 'tiny-mlp',
    settings: { backend: 'wasm', batch: N, exact: 'on' },
    data: { path: dataFile, labels: labelsFile },
    reference: 'error',
  });
  const w = report.warnings.find((x) => x.where === LOSS_TENSOR);
  assert.ok(w, `warnings: ${JSON.stringify(report.warnings)}`);
  assert.match(w.message, new RegExp(`exactly 0 in float32 for ${N - 1} of ${N} samples`));
});
