/**
 * Trilu, GatherND, ScatterND, Mod and DivNoNan: forward values (expected values computed with
 * numpy: np.triu/np.tril, np.mod/np.fmod, fancy indexing) and VJPs by finite differences.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, floatConst, intConst, randn } from '../helpers/gradcheck';
import { assertResult, f32, i32, run1 } from './runOp';
import { kernelFor } from '../../src/ops/registry';
import type { KernelContext } from '../../src/ops/kernel';
import type { GraphNode } from '../../src/graph/ir';

const x34 = (): tf.Tensor =>
  f32(
    Array.from({ length: 12 }, (_, i) => i + 1),
    [3, 4],
  );

describe('indexing kernels: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  test('Trilu: upper with k = 1 and lower with k = -1 (np.triu, np.tril), over the last two axes', () => {
    assertResult(run1('Trilu', [x34(), i32([1], [])]), [3, 4], [0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12]);
    assertResult(run1('Trilu', [x34(), i32([-1], [])], { upper: 0 }), [3, 4], [0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0]);
    // Batched, default k = 0: every matrix masked alike.
    const batched = run1('Trilu', [f32([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])]);
    assertResult(batched, [2, 2, 2], [1, 2, 0, 4, 5, 6, 0, 8]);
  });

  test('Trilu keeps an infinite element outside the mask out of the result (no NaN)', () => {
    // assertResult compares by difference, which is NaN for two infinities: compare values.
    assert.deepEqual(run1('Trilu', [f32([1, -Infinity, -Infinity, 1], [2, 2])], { upper: 0 }).values, [1, 0, -Infinity, 1]);
  });

  test('Mod: fmod 0 takes the divisor sign (np.mod), fmod 1 the dividend sign (np.fmod), ints stay int', () => {
    const a = f32([-7, 7, -7, 7, 5.5, -5.5]);
    const b = f32([3, 3, -3, -3, 2, 2]);
    assertResult(run1('Mod', [a, b]), [6], [2, 1, -1, -2, 1.5, 0.5]);
    assertResult(run1('Mod', [a, b], { fmod: 1 }), [6], [-1, 1, -1, 1, 1.5, -1.5]);
    assertResult(run1('Mod', [i32([-7, 7, -7, 7]), i32([3, 3, -3, -3])]), [4], [2, 1, -1, -2], 'int32');
    assertResult(run1('Mod', [i32([-7, 7, -7, 7]), i32([3, 3, -3, -3])], { fmod: 1 }), [4], [-1, 1, -1, 1], 'int32');
  });

  test('DivNoNan: a / b, and 0 where b is 0 (0/0 and x/0 alike)', () => {
    assertResult(run1('DivNoNan', [f32([1, 0, -3, 6]), f32([2, 0, 0, -3])]), [4], [0.5, 0, 0, -2]);
  });

  test('GatherND: tuples addressing rows, a negative index, a repeated tuple', () => {
    const d = f32(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    const r = run1('GatherND', [d, i32([1, 2, 0, -1, 1, 2], [3, 2])]);
    assertResult(r, [3, 4], [20, 21, 22, 23, 8, 9, 10, 11, 20, 21, 22, 23]);
    // Full tuples give scalars.
    assertResult(run1('GatherND', [d, i32([0, 1, 2, 1, 0, 3], [2, 3])]), [2], [6, 15]);
  });

  test('GatherND with batch_dims 1 (ONNX example)', () => {
    const d = f32([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2]);
    assertResult(run1('GatherND', [d, i32([1, 0], [2, 1])], { batch_dims: 1 }), [2, 2], [2, 3, 4, 5]);
  });

  test('ScatterND: replaces addressed rows; reduction add adds them', () => {
    const data = f32([1, 1, 1, 1, 1, 1, 1, 1], [4, 2]);
    const upd = f32([5, 6, 7, 8], [2, 2]);
    assertResult(run1('ScatterND', [data, i32([1, 3], [2, 1]), upd]), [4, 2], [1, 1, 5, 6, 1, 1, 7, 8]);
    assertResult(run1('ScatterND', [data, i32([1, 3], [2, 1]), upd], { reduction: 'add' }), [4, 2], [1, 1, 6, 7, 1, 1, 8, 9]);
    assert.throws(() => run1('ScatterND', [data, i32([1, 3], [2, 1]), upd], { reduction: 'mul' }), /reduction "mul"/);
  });

  test('GatherND bound: the tuples leading shape times the addressed slice', () => {
    const ctx = { readNumbers: () => [] } as unknown as KernelContext;
    const node = { op: 'GatherND', attrs: {} } as unknown as GraphNode;
    const b = kernelFor('GatherND').outputBound([tf.zeros([5, 6, 7]), tf.zeros([10, 3, 1], 'int32')], node, ctx);
    assert.equal(b?.elements, 10 * 3 * 6 * 7);
  });
});

describe('indexing kernels: VJP', () => {
  before(async () => {
    await useTestBackend();
  });

  test('Trilu upper and lower', () => {
    checkVjp({ op: 'Trilu', inputs: [{ value: randn([2, 3, 4], 1) }, { constant: intConst([1], []) }] });
    checkVjp({ op: 'Trilu', attrs: { upper: 0 }, inputs: [{ value: randn([4, 3], 2) }] });
  });

  test('Mod in both modes, both operands (away from the jumps)', () => {
    const a = (): tf.Tensor => f32([0.7, 2.3, -1.2, 3.4, -2.9, 1.1]);
    const b = (): tf.Tensor => f32([1.5, -1.0, 0.9, 2.0, 1.3, -0.8]);
    checkVjp({ op: 'Mod', inputs: [{ value: a() }, { value: b() }], step: 1e-3 });
    checkVjp({ op: 'Mod', attrs: { fmod: 1 }, inputs: [{ value: a() }, { value: b() }], step: 1e-3 });
  });

  test('DivNoNan: like Div where b is nonzero, zero gradient where b is 0', () => {
    checkVjp({ op: 'DivNoNan', inputs: [{ value: randn([2, 3], 3) }, { value: tf.add(tf.abs(randn([2, 3], 4)), 0.5) }] });
    checkVjp({ op: 'DivNoNan', inputs: [{ value: randn([4], 5) }, { constant: floatConst([2, 0, -1, 0], [4]) }] });
  });

  test('GatherND: scatter-add back, repeated tuples summed; batch_dims 1', () => {
    checkVjp({ op: 'GatherND', inputs: [{ value: randn([2, 3, 4], 6) }, { constant: intConst([1, 2, 0, -1, 1, 2], [3, 2]) }] });
    checkVjp({ op: 'GatherND', attrs: { batch_dims: 1 }, inputs: [{ value: randn([2, 3, 2], 7) }, { constant: intConst([2, 0, 0, 1], [2, 2, 1]) }] });
  });

  test('ScatterND: data outside the addressed rows, updates at them; and with reduction add', () => {
    const inputs = (): Parameters<typeof checkVjp>[0]['inputs'] => [
      { value: randn([4, 3], 8) },
      { constant: intConst([2, 0], [2, 1]) },
      { value: randn([2, 3], 9) },
    ];
    checkVjp({ op: 'ScatterND', inputs: inputs() });
    checkVjp({ op: 'ScatterND', attrs: { reduction: 'add' }, inputs: inputs() });
  });
});

describe('CumSum, GatherElements, IsNaN, IsInf, CastLike', () => {
  before(async () => {
    await useTestBackend();
  });

  test('CumSum: inclusive, exclusive, reverse (np.cumsum), along a negative axis', () => {
    const x = (): tf.Tensor => f32([1, 2, 3, 4]);
    assertResult(run1('CumSum', [x(), i32([0], [])]), [4], [1, 3, 6, 10]);
    assertResult(run1('CumSum', [x(), i32([0], [])], { exclusive: 1 }), [4], [0, 1, 3, 6]);
    assertResult(run1('CumSum', [x(), i32([0], [])], { reverse: 1 }), [4], [10, 9, 7, 4]);
    assertResult(run1('CumSum', [x(), i32([0], [])], { reverse: 1, exclusive: 1 }), [4], [9, 7, 4, 0]);
    assertResult(run1('CumSum', [f32([1, 2, 3, 4, 5, 6], [2, 3]), i32([-1], [])]), [2, 3], [1, 3, 6, 4, 9, 15]);
  });

  test('GatherElements along axis 1 and axis 0 (ONNX examples), a negative index', () => {
    assertResult(run1('GatherElements', [f32([1, 2, 3, 4], [2, 2]), i32([0, 0, 1, 0], [2, 2])], { axis: 1 }), [2, 2], [1, 1, 4, 3]);
    const d = f32([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]);
    assertResult(run1('GatherElements', [d, i32([1, 2, 0, 2, 0, -3], [2, 3])], { axis: 0 }), [2, 3], [4, 8, 3, 7, 2, 3]);
  });

  test('IsNaN, IsInf (both signs, or one), CastLike to the second input type', () => {
    const x = (): tf.Tensor => f32([1, NaN, Infinity, -Infinity]);
    assert.deepEqual(run1('IsNaN', [x()]).values, [0, 1, 0, 0]);
    assert.deepEqual(run1('IsInf', [x()]).values, [0, 0, 1, 1]);
    assert.deepEqual(run1('IsInf', [x()], { detect_negative: 0 }).values, [0, 0, 1, 0]);
    assertResult(run1('CastLike', [i32([3, -2]), f32([0])]), [2], [3, -2], 'float32');
    assertResult(run1('CastLike', [f32([2.7, -2.7]), i32([0])]), [2], [2, -2], 'int32');
  });

  test('VJPs: CumSum both ways, GatherElements with a repeated index', () => {
    checkVjp({ op: 'CumSum', inputs: [{ value: randn([3, 4], 10) }, { constant: intConst([1], []) }] });
    checkVjp({ op: 'CumSum', attrs: { reverse: 1, exclusive: 1 }, inputs: [{ value: randn([3, 4], 11) }, { constant: intConst([0], []) }] });
    checkVjp({ op: 'GatherElements', attrs: { axis: 1 }, inputs: [{ value: randn([2, 3], 12) }, { constant: intConst([0, 0, 2, 1, 1, 0], [2, 3]) }] });
  });
});
