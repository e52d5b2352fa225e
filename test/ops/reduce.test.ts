import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, intConst, randn } from '../helpers/gradcheck';
import { assertResult, f32, i32, run1, spreadOut } from './runOp';
import { kernelFor } from '../../src/ops/registry';

const x23 = (): tf.Tensor => f32([1, 2, 3, 4, 5, 6], [2, 3]);

describe('reduce kernels: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  test('ReduceSum: axes input, negative axes, keepdims, default and empty axes', () => {
    assertResult(run1('ReduceSum', [x23(), i32([1])]), [2, 1], [6, 15]);
    assertResult(run1('ReduceSum', [x23(), i32([1])], { keepdims: 0 }), [2], [6, 15]);
    assertResult(run1('ReduceSum', [x23(), i32([-2])]), [1, 3], [5, 7, 9]);
    assertResult(run1('ReduceSum', [x23()]), [1, 1], [21]);
    assertResult(run1('ReduceSum', [x23(), i32([], [0])], { keepdims: 0 }), [], [21]);
    assertResult(run1('ReduceSum', [x23(), i32([], [0])], { noop_with_empty_axes: 1 }), [2, 3], [1, 2, 3, 4, 5, 6]);
    assertResult(run1('ReduceSum', [i32([1, 2, 3, 4], [2, 2]), i32([0])]), [1, 2], [4, 6], 'int32');
  });

  test('ReduceMean, ReduceMax, ReduceMin, ReduceProd', () => {
    assertResult(run1('ReduceMean', [x23()], { keepdims: 0 }), [], [3.5]);
    assertResult(run1('ReduceMean', [x23(), i32([0])]), [1, 3], [2.5, 3.5, 4.5]);
    assertResult(run1('ReduceMax', [x23(), i32([1])], { keepdims: 0 }), [2], [3, 6]);
    assertResult(run1('ReduceMin', [x23(), i32([0])], { keepdims: 0 }), [3], [1, 2, 3]);
    assertResult(run1('ReduceProd', [x23(), i32([-1])]), [2, 1], [6, 120]);
  });

  test('ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp', () => {
    const x = f32([-1, 2, 3, -4], [2, 2]);
    assertResult(run1('ReduceL1', [x, i32([1])], { keepdims: 0 }), [2], [3, 7]);
    assertResult(run1('ReduceL2', [x, i32([1])], { keepdims: 0 }), [2], [Math.sqrt(5), 5]);
    assertResult(run1('ReduceSumSquare', [x, i32([1])], { keepdims: 0 }), [2], [5, 25]);
    assertResult(run1('ReduceLogSum', [x23(), i32([1])], { keepdims: 0 }), [2], [Math.log(6), Math.log(15)]);
    // log(e + e^2 + e^3) = 3.40760596444438; the second row is shifted by 3.
    assertResult(run1('ReduceLogSumExp', [x23(), i32([1])], { keepdims: 0 }), [2], [3.40760596444438, 6.40760596444438]);
  });

  test('ArgMax/ArgMin: keepdims, negative axis, ties first or last', () => {
    const x = f32([1, 3, 3, 5, 0, 5], [2, 3]);
    assertResult(run1('ArgMax', [x], { axis: 1 }), [2, 1], [1, 0], 'int32');
    assertResult(run1('ArgMax', [x], { axis: -1, select_last_index: 1 }), [2, 1], [2, 2], 'int32');
    assertResult(run1('ArgMax', [x], { axis: 1, keepdims: 0 }), [2], [1, 0], 'int32');
    assertResult(run1('ArgMax', [x]), [1, 3], [1, 0, 1], 'int32');
    assertResult(run1('ArgMin', [x], { axis: 0, keepdims: 0 }), [3], [0, 1, 0], 'int32');
    assertResult(run1('ArgMin', [f32([2, 1, 1, 4])], { keepdims: 0 }), [], [1], 'int32');
    assertResult(run1('ArgMin', [f32([2, 1, 1, 4])], { keepdims: 0, select_last_index: 1 }), [], [2], 'int32');
  });

  test('metadata', () => {
    assert.equal(kernelFor('ReduceMean').affine, true);
    assert.equal(kernelFor('ReduceSum').affine, true);
    assert.notEqual(kernelFor('ReduceMax').affine, true);
    assert.deepEqual(kernelFor('ArgMax').dataInputs, []);
    assert.equal(kernelFor('ArgMax').vjp, undefined);
  });
});

describe('reduce kernels: VJP vs finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  const variants: { axes?: number[]; keepdims?: number; noop?: number }[] = [
    { axes: [1] },
    { axes: [1], keepdims: 0 },
    { axes: [0, 2] },
    { axes: [-1], keepdims: 0 },
    { axes: [2, -3], keepdims: 0 },
    {},
    { keepdims: 0 },
    { axes: [], noop: 1 },
  ];
  const makeX: Record<string, (seed: number) => tf.Tensor> = {
    ReduceSum: (s) => randn([2, 3, 4], s),
    ReduceMean: (s) => randn([2, 3, 4], s),
    ReduceMax: (s) => spreadOut([2, 3, 4], s),
    ReduceMin: (s) => spreadOut([2, 3, 4], s),
    ReduceProd: (s) => tf.randomUniform([2, 3, 4], 0.5, 1.5, 'float32', s),
    ReduceL1: (s) => tf.mul(tf.randomUniform([2, 3, 4], 0.3, 1.5, 'float32', s), tf.sign(randn([2, 3, 4], s + 1))),
    ReduceL2: (s) => randn([2, 3, 4], s),
    ReduceSumSquare: (s) => randn([2, 3, 4], s),
    ReduceLogSum: (s) => tf.randomUniform([2, 3, 4], 0.5, 2, 'float32', s),
    ReduceLogSumExp: (s) => randn([2, 3, 4], s),
  };
  for (const [op, make] of Object.entries(makeX)) {
    for (const v of variants) {
      test(`${op} ${JSON.stringify(v)}`, () => {
        const attrs = { ...(v.keepdims === undefined ? {} : { keepdims: v.keepdims }), ...(v.noop ? { noop_with_empty_axes: v.noop } : {}) };
        const inputs = v.axes === undefined ? [{ value: make(41) }] : [{ value: make(41) }, { constant: intConst(v.axes) }];
        checkVjp({ op, attrs, inputs });
      });
    }
  }

  test('ReduceProd with zeros: one zero and two zeros in a reduced row', () => {
    const x = f32([2, 0, 3, 0.5, 1.5, -2, 0, 0, 4], [3, 3]);
    checkVjp({ op: 'ReduceProd', attrs: { keepdims: 0 }, inputs: [{ value: x }, { constant: intConst([1]) }] });
  });

  test('ReduceMax splits the cotangent between ties', () => {
    const k = kernelFor('ReduceMax');
    const x = f32([1, 3, 3, 2], [1, 4]);
    const grad = tf.tidy(() => {
      const ctx = {
        readNumbers: (t: tf.Tensor) => Array.from(t.dataSync()),
        cached: <T>(_k: string, make: () => T) => make(),
        derivedFromActivation: <T>(_s: tf.Tensor, _k: string, make: () => T) => make(),
        recording: false,
      };
      const node = { name: 'r', op: 'ReduceMax', inputs: ['x', 'a'], outputs: ['y'], attrs: {}, origin: { name: 'r', sourceOp: 'ReduceMax' } };
      const axes = i32([1]);
      const y = k.forward({ inputs: [x, axes], attrs: {}, node, ctx })[0];
      return Array.from(k.vjp!({ inputs: [x, axes], outputs: [y], dys: [f32([2], [1, 1])], attrs: {}, node, ctx })[0]!.dataSync());
    });
    assert.deepEqual(grad, [0, 1, 1, 0]);
  });
});
