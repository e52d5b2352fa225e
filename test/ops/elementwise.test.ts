import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, randn } from '../helpers/gradcheck';
import { assertResult, bool, f32, i32, run1, runOp } from './runOp';
import { kernelFor } from '../../src/ops/registry';

/** Seeded values bounded away from zero (|x| in [0.5, 1.5]) for ops with a kink or pole at 0. */
function awayFromZero(shape: number[], seed: number): tf.Tensor {
  const u = tf.randomUniform(shape, 0.5, 1.5, 'float32', seed);
  const s = tf.sign(tf.randomUniform(shape, -1, 1, 'float32', seed + 1));
  return tf.mul(u, tf.where(tf.equal(s, 0), tf.onesLike(s), s));
}

function positive(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, 0.5, 2, 'float32', seed);
}

describe('elementwise kernels: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  test('Add/Sub/Mul/Div broadcast numpy-style', () => {
    const a = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = f32([10, 20, 30], [3]);
    const c = f32([2, 4], [2, 1]);
    assertResult(run1('Add', [a, b]), [2, 3], [11, 22, 33, 14, 25, 36]);
    assertResult(run1('Sub', [a, c]), [2, 3], [-1, 0, 1, 0, 1, 2]);
    assertResult(run1('Mul', [c, b]), [2, 3], [20, 40, 60, 40, 80, 120]);
    assertResult(run1('Div', [a, c]), [2, 3], [0.5, 1, 1.5, 1, 1.25, 1.5]);
  });

  test('integer arithmetic stays int32; Div truncates toward zero', () => {
    const add = run1('Add', [i32([1, 2]), i32([3])]);
    assertResult(add, [2], [4, 5], 'int32');
    assertResult(run1('Mul', [i32([-3, 4]), i32([2, 2])]), [2], [-6, 8], 'int32');
    assertResult(run1('Div', [i32([-7, 7, 7, -7, 6]), i32([2, 2, -2, -2, 3])]), [5], [-3, 3, -3, 3, 2], 'int32');
  });

  test('Pow: float, integer exponent, integer base keeps its type', () => {
    assertResult(run1('Pow', [f32([1, 2, 3]), f32([2])]), [3], [1, 4, 9]);
    assertResult(run1('Pow', [f32([2, 3]), i32([3, 2])]), [2], [8, 9], 'float32');
    assertResult(run1('Pow', [i32([2, 3]), i32([3, 2])]), [2], [8, 9], 'int32');
    assertResult(run1('Pow', [i32([2, 3]), f32([0.5, 2])]), [2], [1, 9], 'int32');
  });

  test('unary math ops', () => {
    assertResult(run1('Sqrt', [f32([4, 9])]), [2], [2, 3]);
    assertResult(run1('Reciprocal', [f32([4, -0.5])]), [2], [0.25, -2]);
    assertResult(run1('Exp', [f32([0, 1])]), [2], [1, Math.E]);
    assertResult(run1('Log', [f32([1, Math.E])]), [2], [0, 1]);
    assertResult(run1('Neg', [f32([1, -2])]), [2], [-1, 2]);
    assertResult(run1('Abs', [f32([-1.5, 2])]), [2], [1.5, 2]);
    assertResult(run1('Abs', [i32([-3, 2])]), [2], [3, 2], 'int32');
    // erf(0.5) = 0.5204998778, erf(-1) = -0.8427007929 (tables); tfjs's approximation is ~1e-7.
    assertResult(run1('Erf', [f32([0.5, -1])]), [2], [0.5204998778, -0.8427007929], undefined, 1e-6);
    assertResult(run1('Sin', [f32([0, Math.PI / 2])]), [2], [0, 1], undefined, 1e-6);
    assertResult(run1('Cos', [f32([0, Math.PI])]), [2], [1, -1], undefined, 1e-6);
    assertResult(run1('Atan', [f32([0, 1])]), [2], [0, Math.PI / 4], undefined, 1e-6);
    // atan2(y, x): the angle of (x, y) in (-pi, pi].
    assertResult(run1('Atan2', [f32([1, 1, -1, 0]), f32([1, -1, -1, 2])]), [4], [Math.PI / 4, (3 * Math.PI) / 4, (-3 * Math.PI) / 4, 0], undefined, 1e-6);
    assertResult(run1('Floor', [f32([-1.5, 1.5, 2])]), [3], [-2, 1, 2]);
    assertResult(run1('Ceil', [f32([-1.5, 1.5, 2])]), [3], [-1, 2, 2]);
    assertResult(run1('Sign', [f32([-1.5, 0, 2])]), [3], [-1, 0, 1]);
    assertResult(run1('Round', [f32([0.5, 1.5, 2.5, -0.5, 1.2])]), [5], [0, 2, 2, -0, 1]);
  });

  test('Identity and Dropout pass the input through; Dropout mask is all true', () => {
    assertResult(run1('Identity', [f32([1, 2])]), [2], [1, 2]);
    const [y, mask] = runOp('Dropout', [f32([1, 2, 3]), f32([0.5], [])], {}, 2);
    assertResult(y, [3], [1, 2, 3]);
    assertResult(mask, [3], [1, 1, 1], 'bool');
  });

  test('Cast: float->int truncates toward zero, to bool is nonzero, bool->float is 0/1', () => {
    assertResult(run1('Cast', [f32([-1.7, 1.7, 2.5, -0.5])], { to: 'int32' }), [4], [-1, 1, 2, 0], 'int32');
    assertResult(run1('Cast', [f32([-1.7, 0, 2.5])], { to: 'bool' }), [3], [1, 0, 1], 'bool');
    assertResult(run1('Cast', [i32([0, 3, -2])], { to: 'bool' }), [3], [0, 1, 1], 'bool');
    assertResult(run1('Cast', [bool([true, false])], { to: 'float32' }), [2], [1, 0], 'float32');
    assertResult(run1('Cast', [i32([3, -2])], { to: 'float32' }), [2], [3, -2], 'float32');
  });

  test('Where broadcasts condition and both branches', () => {
    const r = run1('Where', [bool([true, false]), f32([1, 2, 3, 4], [2, 2]), f32([9], [])]);
    assertResult(r, [2, 2], [1, 9, 3, 9]);
  });

  test('comparisons and Not give bool', () => {
    assertResult(run1('Equal', [i32([1, 2, 3]), i32([2])]), [3], [0, 1, 0], 'bool');
    assertResult(run1('Greater', [f32([1, 2, 3]), f32([2])]), [3], [0, 0, 1], 'bool');
    assertResult(run1('Less', [f32([1, 2, 3], [3, 1]), f32([2, 3])]), [3, 2], [1, 1, 0, 1, 0, 0], 'bool');
    assertResult(run1('Not', [bool([true, false])]), [2], [0, 1], 'bool');
    assertResult(run1('GreaterOrEqual', [f32([1, 2, 3]), f32([2])]), [3], [0, 1, 1], 'bool');
  });

  test('Max/Min/Sum/Mean are variadic with broadcasting', () => {
    const a = f32([1, 5, 3], [3]);
    const b = f32([2, 2, 2, 6, 0, 4], [2, 3]);
    const c = f32([4], [1]);
    assertResult(run1('Max', [a, b, c]), [2, 3], [4, 5, 4, 6, 5, 4]);
    assertResult(run1('Min', [a, b, c]), [2, 3], [1, 2, 2, 1, 0, 3]);
    assertResult(run1('Sum', [a, b, c]), [2, 3], [7, 11, 9, 11, 9, 11]);
    assertResult(run1('Mean', [a, b]), [2, 3], [1.5, 3.5, 2.5, 3.5, 2.5, 3.5]);
    assertResult(run1('Max', [a]), [3], [1, 5, 3]);
    assertResult(run1('Max', [i32([1, 7]), i32([3, 2])]), [2], [3, 7], 'int32');
  });

  test('kernel metadata: data inputs and affinity', () => {
    assert.deepEqual(kernelFor('Where').dataInputs, [1, 2]);
    assert.deepEqual(kernelFor('Equal').dataInputs, []);
    assert.equal(kernelFor('Equal').vjp, undefined);
    assert.equal(kernelFor('Add').affine, true);
    assert.equal(kernelFor('Mul').affine, undefined);
    assert.equal(kernelFor('Erf').elementwiseNonlinearity, undefined);
  });
});

describe('elementwise kernels: VJP vs finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  const shapes: [number[], number[]][] = [
    [
      [2, 3],
      [2, 3],
    ],
    [[2, 3], [3]],
    [
      [2, 1, 4],
      [3, 1],
    ],
    [[1], [2, 2]],
  ];
  for (const [sa, sb] of shapes) {
    for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
      test(`${op} [${sa}] x [${sb}]`, () => {
        const b = op === 'Div' ? awayFromZero(sb, 4) : randn(sb, 4);
        checkVjp({ op, inputs: [{ value: randn(sa, 3) }, { value: b }] });
      });
    }
    test(`Pow [${sa}] x [${sb}]`, () => {
      checkVjp({ op: 'Pow', inputs: [{ value: positive(sa, 5) }, { value: randn(sb, 6) }] });
    });
  }

  test('Atan2 [2, 3] x [3], in every quadrant', () => {
    // y and x both away from zero: every sign combination, far from the branch cut at x < 0, y = 0.
    checkVjp({ op: 'Atan2', inputs: [{ value: awayFromZero([2, 3], 31) }, { value: awayFromZero([3], 32) }] });
    checkVjp({ op: 'Atan2', inputs: [{ value: randn([3], 33) }, { value: awayFromZero([2, 3], 34) }] });
  });

  test('Pow with a constant exponent', () => {
    checkVjp({ op: 'Pow', inputs: [{ value: randn([3, 2], 7) }, { constant: { dtype: 'float32', shape: [], data: Float32Array.of(3) } }] });
  });

  const unaryCases: [string, (shape: number[], seed: number) => tf.Tensor][] = [
    ['Sqrt', positive],
    ['Reciprocal', awayFromZero],
    ['Exp', randn],
    ['Log', positive],
    ['Neg', randn],
    ['Abs', awayFromZero],
    ['Erf', randn],
    ['Sin', randn],
    ['Cos', randn],
    ['Atan', randn],
    ['Identity', randn],
  ];
  for (const [op, make] of unaryCases) {
    test(op, () => checkVjp({ op, inputs: [{ value: make([2, 5], 11) }] }));
  }

  test('Floor/Ceil/Sign have zero gradient away from their jumps', () => {
    // Values x.25 are far from integers relative to the FD step.
    const x = f32([0.25, 1.25, -2.25, 3.25]);
    for (const op of ['Floor', 'Ceil']) checkVjp({ op, inputs: [{ value: x }] });
    checkVjp({ op: 'Sign', inputs: [{ value: x }] });
  });

  test('Dropout (both outputs)', () => {
    checkVjp({ op: 'Dropout', inputs: [{ value: randn([3, 4], 12) }], outputs: 2 });
  });

  test('Cast float->float', () => {
    checkVjp({ op: 'Cast', attrs: { to: 'float32' }, inputs: [{ value: randn([3, 4], 13) }] });
  });

  test('Where with broadcast condition and branches', () => {
    const cond = { dtype: 'bool' as const, shape: [2, 1], data: Uint8Array.of(1, 0) };
    checkVjp({ op: 'Where', inputs: [{ constant: cond }, { value: randn([2, 3], 14) }, { value: randn([3], 15) }] });
    const cond2 = { dtype: 'bool' as const, shape: [3], data: Uint8Array.of(1, 0, 1) };
    checkVjp({ op: 'Where', inputs: [{ constant: cond2 }, { value: randn([1], 16) }, { value: randn([2, 3], 17) }] });
  });

  test('Max/Min route the cotangent to the extreme input', () => {
    for (const op of ['Max', 'Min']) {
      checkVjp({ op, inputs: [{ value: randn([2, 3], 21) }, { value: randn([3], 22) }, { value: randn([2, 1], 23) }] });
      checkVjp({ op, inputs: [{ value: randn([4], 24) }] });
    }
  });

  test('Max ties: the first input gets the whole cotangent', () => {
    const x = f32([1, 2]);
    const exec = runOp('Max', [x, x]);
    assertResult(exec[0], [2], [1, 2]);
    const k = kernelFor('Max');
    const grads = tf.tidy(() => {
      const dy = f32([1, 1]);
      const out = tf.maximum(x, x);
      return k.vjp!({
        inputs: [x, x],
        outputs: [out],
        dys: [dy],
        attrs: {},
        node: { name: 'm', op: 'Max', inputs: ['a', 'b'], outputs: ['y'], attrs: {}, origin: { name: 'm', sourceOp: 'Max' } },
        ctx: { readNumbers: (t) => Array.from(t.dataSync()), cached: (_k, make) => make(), derivedFromActivation: (_s, _k, make) => make(), recording: false },
      }).map((g) => Array.from(g!.dataSync()));
    });
    assert.deepEqual(grads, [
      [1, 1],
      [0, 0],
    ]);
  });

  test('Sum and Mean (variadic, broadcast)', () => {
    for (const op of ['Sum', 'Mean']) {
      checkVjp({ op, inputs: [{ value: randn([2, 3], 31) }, { value: randn([3], 32) }, { value: randn([2, 1], 33) }] });
    }
  });
});
