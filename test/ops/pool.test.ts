import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../../src/graph/ir';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, randn } from '../helpers/gradcheck';
import { assertResult, f32, run1, runOp, spreadOut } from './runOp';
import { naivePool, type NdArray, type PoolParams } from './naive';

function nd(t: tf.Tensor): NdArray {
  return { shape: t.shape, data: Array.from(t.dataSync()) };
}

function lastOf(t: tf.Tensor): tf.Tensor {
  return tf.transpose(t, [0, ...Array.from({ length: t.rank - 2 }, (_, i) => i + 2), 1]);
}

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly attrs: Attributes;
  /** The reference's parameters: auto_pad and ceil_mode resolved by hand. */
  readonly ref: PoolParams;
}

const maxCases: Case[] = [
  { name: '2-D 3x3 stride 1', x: [2, 3, 5, 5], attrs: { kernel_shape: [3, 3] }, ref: { kernel: [3, 3] } },
  {
    name: '2-D stride 2, asymmetric pads',
    x: [1, 2, 6, 5],
    attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 2, 1] },
    ref: { kernel: [3, 2], strides: [2, 2], pads: [1, 0, 2, 1] },
  },
  // 5 with k 2, s 2: floor gives 2 windows, ceil 3 (the last one overhangs by 1).
  {
    name: '2-D ceil_mode',
    x: [1, 2, 5, 5],
    attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 },
    ref: { kernel: [2, 2], strides: [2, 2], out: [3, 3] },
  },
  {
    name: '2-D dilation 2, stride 2, pads',
    x: [1, 2, 7, 7],
    attrs: { kernel_shape: [2, 2], dilations: [2, 2], strides: [2, 1], pads: [1, 0, 0, 1] },
    ref: { kernel: [2, 2], dilations: [2, 2], strides: [2, 1], pads: [1, 0, 0, 1] },
  },
  // SAME on 5 with k 3, s 2: 3 outputs, total padding 2 (1 + 1); on 6: total 1.
  {
    name: '2-D SAME_UPPER',
    x: [1, 1, 6, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
    ref: { kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1] },
  },
  {
    name: '2-D SAME_LOWER',
    x: [1, 1, 6, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' },
    ref: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0] },
  },
  { name: '1-D', x: [2, 2, 7], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] }, ref: { kernel: [3], strides: [2], pads: [1, 1] } },
  { name: '3-D', x: [1, 2, 4, 4, 3], attrs: { kernel_shape: [2, 2, 2], pads: [0, 1, 0, 0, 0, 1] }, ref: { kernel: [2, 2, 2], pads: [0, 1, 0, 0, 0, 1] } },
];

const avgCases: Case[] = [
  { name: '2-D 3x3 stride 1', x: [2, 3, 5, 5], attrs: { kernel_shape: [3, 3] }, ref: { kernel: [3, 3] } },
  {
    name: '2-D pads, stride 2, excluding pads',
    x: [1, 2, 6, 5],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 2, 2, 0] },
    ref: { kernel: [3, 3], strides: [2, 2], pads: [1, 2, 2, 0] },
  },
  {
    name: '2-D pads, count_include_pad',
    x: [1, 2, 6, 5],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 2, 2, 0], count_include_pad: 1 },
    ref: { kernel: [3, 3], strides: [2, 2], pads: [1, 2, 2, 0], countIncludePad: true },
  },
  {
    name: '2-D ceil_mode with pads and count_include_pad',
    x: [1, 1, 5, 6],
    attrs: { kernel_shape: [2, 3], strides: [2, 2], pads: [1, 1, 0, 0], ceil_mode: 1, count_include_pad: 1 },
    ref: { kernel: [2, 3], strides: [2, 2], pads: [1, 1, 0, 0], out: [3, 3], countIncludePad: true },
  },
  {
    name: '2-D SAME_LOWER',
    x: [1, 1, 6, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' },
    ref: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0] },
  },
  { name: '1-D', x: [2, 2, 7], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] }, ref: { kernel: [3], strides: [2], pads: [1, 1] } },
  {
    name: '3-D',
    x: [1, 2, 4, 4, 3],
    attrs: { kernel_shape: [2, 2, 2], strides: [2, 1, 1], pads: [0, 1, 0, 0, 0, 1] },
    ref: { kernel: [2, 2, 2], strides: [2, 1, 1], pads: [0, 1, 0, 0, 0, 1] },
  },
];

function checkForward(op: string, kind: 'max' | 'avg', c: Case): void {
  const x = spreadOut(c.x, 3);
  const ref = naivePool(nd(x), kind, c.ref);
  assertResult(run1(op, [x], c.attrs), ref.shape, ref.data, 'float32', 1e-5);
  const want = lastOf(tf.tensor(ref.data, ref.shape));
  assertResult(run1(op, [lastOf(x)], { ...c.attrs, channelsLast: true }), want.shape, Array.from(want.dataSync()), 'float32', 1e-5);
}

describe('pool kernels: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  for (const c of maxCases) test(`MaxPool ${c.name}: naive reference, both layouts`, () => checkForward('MaxPool', 'max', c));
  for (const c of avgCases) test(`AveragePool ${c.name}: naive reference, both layouts`, () => checkForward('AveragePool', 'avg', c));

  test('hand-computed 1-D pools', () => {
    const x = f32([1, 5, 2, 4, 3], [1, 1, 5]);
    assertResult(run1('MaxPool', [x], { kernel_shape: [2], strides: [2], ceil_mode: 1 }), [1, 1, 3], [5, 4, 3]);
    assertResult(run1('AveragePool', [x], { kernel_shape: [2], strides: [2], ceil_mode: 1 }), [1, 1, 3], [3, 3, 3]);
    // pads 1 each side: windows (pad,1,5) (5,2,4) (4,3,pad).
    assertResult(run1('AveragePool', [x], { kernel_shape: [3], strides: [2], pads: [1, 1] }), [1, 1, 3], [3, 11 / 3, 3.5]);
    assertResult(run1('AveragePool', [x], { kernel_shape: [3], strides: [2], pads: [1, 1], count_include_pad: 1 }), [1, 1, 3], [2, 11 / 3, 7 / 3]);
  });

  test('windows of negative values (wasm max-pool kernels start their maxima at FLT_MIN)', () => {
    const x = f32([-4, -3, -9, -1, -2, -8, -7, -6, -5, -10, -12, -11], [1, 1, 3, 4]);
    assertResult(run1('MaxPool', [x], { kernel_shape: [2, 2], strides: [1, 2] }), [1, 1, 2, 2], [-2, -1, -2, -6]);
    checkVjp({ op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [1, 2] }, inputs: [{ value: x }], step: 1e-3 });
  });

  test('GlobalAveragePool and GlobalMaxPool in both layouts', () => {
    const x = f32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [1, 2, 2, 3]);
    assertResult(run1('GlobalAveragePool', [x]), [1, 2, 1, 1], [3.5, 9.5]);
    assertResult(run1('GlobalMaxPool', [x]), [1, 2, 1, 1], [6, 12]);
    // The same numbers read as N, H, W, C: channel c holds x[..., c].
    assertResult(run1('GlobalAveragePool', [x], { channelsLast: true }), [1, 1, 1, 3], [5.5, 6.5, 7.5]);
    assertResult(run1('GlobalMaxPool', [x], { channelsLast: true }), [1, 1, 1, 3], [10, 11, 12]);
  });

  test('MaxPool refuses to produce Indices', () => {
    assert.throws(() => runOp('MaxPool', [randn([1, 1, 4, 4], 1)], { kernel_shape: [2, 2] }, 2), /Indices/);
  });
});

describe('pool kernels: VJP against finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  test('MaxPool with windows wholly in padding: their cotangent reaches no input', () => {
    // 3 + 3 padding with k 2, s 2: the last window of each axis holds padding only.
    checkVjp({ op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 3, 3] }, inputs: [{ value: randn([1, 2, 3, 3], 7) }], step: 1e-3 });
  });

  for (const c of maxCases) {
    test(`MaxPool ${c.name}`, () => {
      checkVjp({ op: 'MaxPool', attrs: c.attrs, inputs: [{ value: spreadOut(c.x, 5) }], step: 1e-3 });
      checkVjp({ op: 'MaxPool', attrs: { ...c.attrs, channelsLast: true }, inputs: [{ value: lastOf(spreadOut(c.x, 6)) }], step: 1e-3 });
    });
  }
  for (const c of avgCases) {
    test(`AveragePool ${c.name}`, () => {
      checkVjp({ op: 'AveragePool', attrs: c.attrs, inputs: [{ value: randn(c.x, 7) }] });
      checkVjp({ op: 'AveragePool', attrs: { ...c.attrs, channelsLast: true }, inputs: [{ value: lastOf(randn(c.x, 8)) }] });
    });
  }
  test('GlobalAveragePool, GlobalMaxPool', () => {
    for (const channelsLast of [false, true]) {
      checkVjp({ op: 'GlobalAveragePool', attrs: { channelsLast }, inputs: [{ value: randn([2, 3, 4, 2], 9) }] });
      checkVjp({ op: 'GlobalMaxPool', attrs: { channelsLast }, inputs: [{ value: spreadOut([2, 3, 4, 2], 10) }], step: 1e-3 });
    }
  });
});
