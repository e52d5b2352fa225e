/**
 * The convolution primitive on ONNX Runtime computes what TensorFlow.js computes, within
 * float32 rounding, over the configurations the kernels produce (and reuses its sessions);
 * by default depthwise convolutions stay on TensorFlow.js.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend';
import { convValid, setConvExecutor, tfjsConvExecutor, type SpatialPads } from '../../src/ops/convCore';
import { ortConvExecutor, type OrtConvExecutor } from '../../src/runtime/ortConv';
import { loadOnnxRuntime } from '../../src/runtime/ortSession';
import { SeededRandom } from '../../src/runtime/random';
import { maxRelDiff } from '../helpers/maxRelDiff';

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly w: number[];
  readonly strides: number[];
  readonly dilations: number[];
  readonly pads?: SpatialPads;
}

const cases: Case[] = [
  { name: '2-D 3x3, padded', x: [2, 7, 6, 5], w: [3, 3, 5, 4], strides: [1, 1], dilations: [1, 1], pads: { begin: [1, 1], end: [1, 1] } },
  { name: '2-D stride 2, asymmetric pads', x: [2, 8, 7, 3], w: [3, 2, 3, 6], strides: [2, 2], dilations: [1, 1], pads: { begin: [1, 0], end: [2, 1] } },
  { name: '2-D stride and dilation together', x: [1, 11, 9, 2], w: [3, 3, 2, 3], strides: [2, 1], dilations: [2, 2] },
  { name: '2-D depthwise, multiplier 2', x: [2, 6, 6, 4], w: [3, 3, 1, 8], strides: [1, 1], dilations: [1, 1], pads: { begin: [1, 1], end: [1, 1] } },
  { name: '2-D grouped (2 groups)', x: [1, 5, 5, 6], w: [3, 3, 3, 4], strides: [1, 1], dilations: [1, 1] },
  { name: '2-D one output per group (adjoint of depthwise)', x: [1, 5, 5, 8], w: [3, 3, 2, 4], strides: [1, 1], dilations: [1, 1] },
  { name: '1-D', x: [3, 9, 4], w: [3, 4, 5], strides: [2], dilations: [1], pads: { begin: [1], end: [0] } },
  { name: '3-D, padded', x: [1, 4, 5, 4, 2], w: [2, 3, 2, 2, 3], strides: [1, 2, 1], dilations: [1, 1, 1], pads: { begin: [1, 0, 1], end: [0, 1, 1] } },
  // 83 KB of kernel: as an initializer it travels as in-memory external data (ortModel.ts).
  { name: '2-D 3x3, 48 -> 48 channels', x: [2, 6, 5, 48], w: [3, 3, 48, 48], strides: [1, 1], dilations: [1, 1], pads: { begin: [1, 1], end: [1, 1] } },
];

/** Every convolution on ORT (the numbers); `ruled` leaves depthwise ones to TensorFlow.js (the default). */
let ort: OrtConvExecutor;
let ruled: OrtConvExecutor;
const rng = new SeededRandom(5);

before(async () => {
  await initBackend('wasm');
  ort = ortConvExecutor(loadOnnxRuntime(), 2, { depthwiseOnTfjs: false });
  ruled = ortConvExecutor(loadOnnxRuntime(), 2);
});

function run(executor: typeof tfjsConvExecutor, c: Case, x: tf.Tensor, w: tf.Tensor): Float32Array {
  const previous = setConvExecutor(executor);
  try {
    return convValid(x, w, c.strides, c.dilations, c.pads).dataSync() as Float32Array;
  } finally {
    setConvExecutor(previous);
  }
}

for (const c of cases) {
  for (const constant of [true, false]) {
    test(`${c.name}, ${constant ? 'constant kernel (initializer)' : 'kernel as input'}: ONNX Runtime equals TensorFlow.js`, () => {
      const x = tf.tensor(rng.gaussian(c.x.reduce((a, b) => a * b)), c.x);
      const w = tf.tensor(rng.gaussian(c.w.reduce((a, b) => a * b)), c.w);
      if (constant) tf.keep(w);
      const runs = ort.stats.runs;
      const expected = run(tfjsConvExecutor, c, x, w);
      const actual = run(ort, c, x, w);
      assert.equal(ort.stats.runs, runs + 1, 'ONNX Runtime ran');
      assert.equal(actual.length, expected.length);
      assert.ok(maxRelDiff(expected, actual) < 1e-5, `max relative difference ${maxRelDiff(expected, actual)}`);
      tf.dispose([x, w]);
    });
  }
}

test('one session serves every batch size (stacked probes), and a disposed kernel releases its sessions', () => {
  const c = cases[0];
  const w = tf.keep(tf.tensor(rng.gaussian(c.w.reduce((a, b) => a * b)), c.w));
  const sessions = ort.stats.sessions;
  for (const n of [2, 16, 5]) {
    const x = tf.tensor(rng.gaussian(n * 7 * 6 * 5), [n, 7, 6, 5]);
    const actual = run(ort, c, x, w);
    assert.ok(maxRelDiff(run(tfjsConvExecutor, c, x, w), actual) < 1e-5, `batch ${n}`);
    x.dispose();
  }
  assert.equal(ort.stats.sessions, sessions + 1);
  const live = ort.stats.live;
  w.dispose();
  const w2 = tf.keep(tf.tensor(rng.gaussian(c.w.reduce((a, b) => a * b)), c.w));
  run(ort, c, tf.ones([1, 7, 6, 5]), w2);
  assert.equal(ort.stats.sessions, sessions + 2, 'a new kernel, a new session');
  assert.ok(ort.stats.live < live + 1, "the disposed kernel's session was released");
  w2.dispose();
});

test('a depthwise convolution runs on TensorFlow.js (by default), a dense one on ORT', () => {
  const c: Case = { name: 'depthwise', x: [64, 16, 16, 32], w: [3, 3, 1, 32], strides: [1, 1], dilations: [1, 1], pads: { begin: [1, 1], end: [1, 1] } };
  const w = tf.keep(tf.tensor(rng.gaussian(c.w.reduce((a, b) => a * b)), c.w));
  const x = tf.tensor(rng.gaussian(c.x.reduce((a, b) => a * b)), c.x);
  const before = { ...ruled.stats };
  for (let i = 0; i < 3; i++) assert.deepEqual(run(ruled, c, x, w), run(tfjsConvExecutor, c, x, w));
  assert.deepEqual([ruled.stats.sessions, ruled.stats.runs, ruled.stats.eager], [before.sessions, before.runs, before.eager + 3]);
  const dense = cases[0];
  const wd = tf.keep(tf.tensor(rng.gaussian(dense.w.reduce((a, b) => a * b)), dense.w));
  const xd = tf.tensor(rng.gaussian(dense.x.reduce((a, b) => a * b)), dense.x);
  assert.ok(maxRelDiff(run(tfjsConvExecutor, dense, xd, wd), run(ruled, dense, xd, wd)) < 1e-5);
  assert.deepEqual([ruled.stats.sessions, ruled.stats.runs, ruled.stats.eager], [before.sessions + 1, before.runs + 1, before.eager + 3]);
  // A 3-D depthwise convolution stays on ORT: TensorFlow.js would run it group by group.
  const volume: Case = { name: '3-D depthwise', x: [2, 4, 5, 4, 6], w: [2, 2, 2, 1, 6], strides: [1, 1, 1], dilations: [1, 1, 1] };
  const wv = tf.keep(tf.tensor(rng.gaussian(volume.w.reduce((a, b) => a * b)), volume.w));
  const xv = tf.tensor(rng.gaussian(volume.x.reduce((a, b) => a * b)), volume.x);
  assert.ok(maxRelDiff(run(tfjsConvExecutor, volume, xv, wv), run(ruled, volume, xv, wv)) < 1e-5);
  assert.deepEqual([ruled.stats.sessions, ruled.stats.runs, ruled.stats.eager], [before.sessions + 2, before.runs + 2, before.eager + 3]);
  tf.dispose([x, w, xd, wd, xv, wv]);
});
