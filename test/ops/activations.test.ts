import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, floatConst, randn } from '../helpers/gradcheck';
import { assertResult, f32, i32, run1 } from './runOp';
import { kernelFor } from '../../src/ops/registry';

/** Seeded values with |x| in [lo, hi] and random sign: away from kinks at 0. */
function awayFrom0(shape: number[], seed: number, lo = 0.2, hi = 2): tf.Tensor {
  const u = tf.randomUniform(shape, lo, hi, 'float32', seed);
  const s = tf.randomUniform(shape, -1, 1, 'float32', seed + 1);
  return tf.mul(u, tf.where(tf.less(s, 0), tf.fill(shape, -1), tf.onesLike(s)));
}

describe('activation kernels: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  test('Relu, LeakyRelu (default and given alpha)', () => {
    const x = f32([-2, 0, 3]);
    assertResult(run1('Relu', [x]), [3], [0, 0, 3]);
    assertResult(run1('LeakyRelu', [x]), [3], [-0.02, 0, 3]);
    assertResult(run1('LeakyRelu', [x], { alpha: 0.5 }), [3], [-1, 0, 3]);
  });

  test('PRelu slope broadcasts unidirectionally', () => {
    const x = f32([-1, 2, -3, -4, 5, -6], [2, 3]);
    assertResult(run1('PRelu', [x, f32([0.1, 0.2, 0.3])]), [2, 3], [-0.1, 2, -0.9, -0.4, 5, -1.8]);
    assertResult(run1('PRelu', [x, f32([0.5], [1])]), [2, 3], [-0.5, 2, -1.5, -2, 5, -3]);
  });

  test('Elu, Selu with defaults and attributes', () => {
    const x = f32([-1, 2]);
    assertResult(run1('Elu', [x], { alpha: 2 }), [2], [-1.2642411176571153, 2]);
    assertResult(run1('Elu', [x]), [2], [Math.exp(-1) - 1, 2]);
    assertResult(run1('Selu', [x]), [2], [-1.1113307412864784, 2.1014020442962646]);
    assertResult(run1('Selu', [x], { alpha: 2, gamma: 3 }), [2], [3 * 2 * (Math.exp(-1) - 1), 6]);
  });

  test('Sigmoid, Tanh, Softplus, Softsign', () => {
    assertResult(run1('Sigmoid', [f32([-1, 0, 2])]), [3], [0.2689414213699951, 0.5, 0.8807970779778823]);
    assertResult(run1('Tanh', [f32([-1, 0.5])]), [2], [-0.7615941559557649, 0.46211715726000974]);
    assertResult(run1('Softplus', [f32([-1, 0, 2])]), [3], [0.31326168751822286, 0.6931471805599453, 2.1269280110429727]);
    assertResult(run1('Softsign', [f32([-3, 1])]), [2], [-0.75, 0.5]);
  });

  test('HardSigmoid (defaults, attributes) and HardSwish', () => {
    const x = f32([-4, -1, 0, 1, 4]);
    assertResult(run1('HardSigmoid', [x]), [5], [0, 0.3, 0.5, 0.7, 1]);
    assertResult(run1('HardSigmoid', [x], { alpha: 0.5, beta: 0.6 }), [5], [0, 0.1, 0.6, 1, 1]);
    assertResult(run1('HardSwish', [f32([-4, -1, 0, 1.5, 4])]), [5], [0, -1 / 3, 0, 1.5 * 0.75, 4]);
  });

  test('Gelu exact (erf) and tanh approximation', () => {
    const x = f32([-2, -0.5, 1, 2]);
    assertResult(run1('Gelu', [x]), [4], [-0.04550026389635842, -0.15426876936299344, 0.8413447460685429, 1.9544997361036416], undefined, 2e-6);
    assertResult(
      run1('Gelu', [x], { approximate: 'tanh' }),
      [4],
      [-0.04540230591222494, -0.15428599017485606, 0.8411919906082768, 1.954597694087775],
      undefined,
      2e-6,
    );
  });

  test('Clip with min only, max only, both, none, and int input', () => {
    const x = f32([-2, 0.5, 3]);
    assertResult(run1('Clip', [x, f32([0], [])]), [3], [0, 0.5, 3]);
    assertResult(run1('Clip', [x, null, f32([1], [])]), [3], [-2, 0.5, 1]);
    assertResult(run1('Clip', [x, f32([-1], []), f32([1], [])]), [3], [-1, 0.5, 1]);
    assertResult(run1('Clip', [x]), [3], [-2, 0.5, 3]);
    assertResult(run1('Clip', [i32([-5, 2, 9]), i32([0], []), i32([4], [])]), [3], [0, 2, 4], 'int32');
  });

  test('Softmax and LogSoftmax on default and negative/other axes', () => {
    const sm = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219];
    const lsm = [-2.40760596444438, -1.4076059644443801, -0.4076059644443803];
    assertResult(run1('Softmax', [f32([1, 2, 3, 11, 12, 13], [2, 3])]), [2, 3], [...sm, ...sm]);
    // Along axis 0 of a [3, 2] tensor: columns are [1, 2, 3] and [101, 102, 103] (large: stability).
    const col = f32([1, 101, 2, 102, 3, 103], [3, 2]);
    assertResult(run1('Softmax', [col], { axis: 0 }), [3, 2], [sm[0], sm[0], sm[1], sm[1], sm[2], sm[2]]);
    assertResult(run1('LogSoftmax', [col], { axis: -2 }), [3, 2], [lsm[0], lsm[0], lsm[1], lsm[1], lsm[2], lsm[2]], undefined, 1e-5);
    assertResult(run1('LogSoftmax', [f32([1, 2, 3])]), [3], lsm);
  });

  test('elementwise nonlinearity flags', () => {
    for (const op of ['Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Gelu', 'Clip', 'Softplus', 'Softsign']) {
      assert.equal(kernelFor(op).elementwiseNonlinearity, true, op);
    }
    for (const op of ['Softmax', 'LogSoftmax', 'Erf']) assert.notEqual(kernelFor(op).elementwiseNonlinearity, true, op);
    assert.deepEqual(kernelFor('Clip').dataInputs, [0]);
  });
});

describe('activation kernels: VJP vs finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  const plain: [string, Record<string, number | string>][] = [
    ['Relu', {}],
    ['LeakyRelu', {}],
    ['LeakyRelu', { alpha: 0.3 }],
    ['Elu', {}],
    ['Elu', { alpha: 0.7 }],
    ['Selu', {}],
    ['Selu', { alpha: 1.2, gamma: 0.9 }],
    ['Sigmoid', {}],
    ['Tanh', {}],
    ['Gelu', {}],
    ['Gelu', { approximate: 'tanh' }],
    ['Softplus', {}],
    ['Softsign', {}],
  ];
  for (const [op, attrs] of plain) {
    test(`${op} ${JSON.stringify(attrs)}`, () => checkVjp({ op, attrs, inputs: [{ value: awayFrom0([3, 4], 3) }] }));
  }

  test('HardSigmoid and HardSwish: values in and out of the linear part, away from the corners', () => {
    // HardSigmoid corners at -2.5 and 2.5; HardSwish corners at -3 and 3.
    const x = f32([-4, -1.2, -0.3, 0.7, 1.9, 4.5]);
    checkVjp({ op: 'HardSigmoid', inputs: [{ value: x }] });
    checkVjp({ op: 'HardSigmoid', attrs: { alpha: 0.5, beta: 0.1 }, inputs: [{ value: x }] });
    checkVjp({ op: 'HardSwish', inputs: [{ value: x }] });
  });

  test('PRelu: input and slope (per-channel and scalar slope)', () => {
    checkVjp({ op: 'PRelu', inputs: [{ value: awayFrom0([2, 3, 4], 5) }, { value: tf.tensor([0.1, 0.2, 0.3], [3, 1]) }] });
    checkVjp({ op: 'PRelu', inputs: [{ value: awayFrom0([2, 3], 6) }, { value: tf.tensor([0.25], [1]) }] });
    checkVjp({ op: 'PRelu', inputs: [{ value: awayFrom0([2, 3], 7) }, { constant: floatConst([0.1, 0.2, 0.3], [3]) }] });
  });

  test('Clip: gradient only strictly inside the bounds', () => {
    const x = f32([-2, -0.6, 0.2, 0.7, 1.5, 3]);
    checkVjp({ op: 'Clip', inputs: [{ value: x }, { constant: floatConst([-1], []) }, { constant: floatConst([1], []) }] });
    checkVjp({ op: 'Clip', inputs: [{ value: x }, { omitted: true }, { constant: floatConst([0.5], []) }] });
    checkVjp({ op: 'Clip', inputs: [{ value: x }, { constant: floatConst([0], []) }] });
  });

  for (const axis of [undefined, 0, 1, -1, -3]) {
    for (const op of ['Softmax', 'LogSoftmax']) {
      test(`${op} axis=${axis}`, () => {
        checkVjp({ op, attrs: axis === undefined ? {} : { axis }, inputs: [{ value: randn([2, 3, 4], 9) }] });
      });
    }
  }
});
