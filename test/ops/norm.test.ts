import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, randn } from '../helpers/gradcheck';
import { assertResult, f32, run1, runOp } from './runOp';

function lastOf(t: tf.Tensor): tf.Tensor {
  return tf.transpose(t, [0, ...Array.from({ length: t.rank - 2 }, (_, i) => i + 2), 1]);
}

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Mean and population variance of a list. */
function moments(v: number[]): [number, number] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length];
}

describe('norm kernels: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  test('BatchNormalization (inference) by hand, both layouts; training mode refused', () => {
    // x [1, 2, 1, 2]: channel 0 holds 1, 3; channel 1 holds 2, 6.
    const x = f32([1, 3, 2, 6], [1, 2, 1, 2]);
    const scale = f32([2, 0.5]);
    const bias = f32([1, -1]);
    const mean = f32([2, 4]);
    const variance = f32([4, 16]);
    const eps = 1e-5;
    const want = [
      1 + (2 * (1 - 2)) / Math.sqrt(4 + eps),
      1 + (2 * (3 - 2)) / Math.sqrt(4 + eps),
      -1 + (0.5 * (2 - 4)) / Math.sqrt(16 + eps),
      -1 + (0.5 * (6 - 4)) / Math.sqrt(16 + eps),
    ];
    assertResult(run1('BatchNormalization', [x, scale, bias, mean, variance]), [1, 2, 1, 2], want);
    const last = run1('BatchNormalization', [lastOf(x), scale, bias, mean, variance], { channelsLast: true });
    assertResult(last, [1, 1, 2, 2], values(lastOf(tf.tensor(want, [1, 2, 1, 2]))));
    assertResult(run1('BatchNormalization', [f32([1, 2], [1, 2]), scale, bias, mean, variance], { epsilon: 0 }), [1, 2], [0, -1.25]);
    assert.throws(() => run1('BatchNormalization', [x, scale, bias, mean, variance], { training_mode: 1 }), /training mode not supported/);
  });

  test('LayerNormalization: axis, scale/bias, Mean and InvStdDev outputs', () => {
    const xv = [1, 2, 4, -1, 0, 7];
    const x = f32(xv, [2, 3]);
    const eps = 1e-5;
    const [y, mean, inv] = runOp('LayerNormalization', [x, f32([1, 2, 3]), f32([0, 1, 0])], {}, 3);
    const rows = [xv.slice(0, 3), xv.slice(3)].map(moments);
    const want = xv.map((v, i) => {
      const [m, s2] = rows[Math.floor(i / 3)];
      return ((v - m) / Math.sqrt(s2 + eps)) * [1, 2, 3][i % 3] + [0, 1, 0][i % 3];
    });
    assertResult(y, [2, 3], want, 'float32', 1e-4);
    assertResult(
      mean,
      [2, 1],
      rows.map((r) => r[0]),
    );
    assertResult(
      inv,
      [2, 1],
      rows.map((r) => 1 / Math.sqrt(r[1] + eps)),
      'float32',
      1e-4,
    );
    // axis 0 normalises over everything.
    const [m0, s0] = moments(xv);
    assertResult(
      run1('LayerNormalization', [x, tf.ones([2, 3])], { axis: 0, epsilon: 0 }),
      [2, 3],
      xv.map((v) => (v - m0) / Math.sqrt(s0)),
      'float32',
      1e-4,
    );
  });

  test('InstanceNormalization by hand, both layouts', () => {
    const xv = [1, 2, 3, 5, 0, 0, 4, 8];
    const x = f32(xv, [1, 2, 2, 2]);
    const eps = 1e-5;
    const want = xv.map((v, i) => {
      const c = Math.floor(i / 4);
      const [m, s2] = moments(xv.slice(c * 4, c * 4 + 4));
      return ((v - m) / Math.sqrt(s2 + eps)) * [2, -1][c] + [0.5, 1][c];
    });
    assertResult(run1('InstanceNormalization', [x, f32([2, -1]), f32([0.5, 1])]), [1, 2, 2, 2], want, 'float32', 1e-4);
    const last = run1('InstanceNormalization', [lastOf(x), f32([2, -1]), f32([0.5, 1])], { channelsLast: true });
    assertResult(last, [1, 2, 2, 2], values(lastOf(tf.tensor(want, [1, 2, 2, 2]))), 'float32', 1e-4);
  });

  test('LpNormalization p = 1, 2 and LRN by hand', () => {
    assertResult(run1('LpNormalization', [f32([3, 4, 1, -1], [2, 2])]), [2, 2], [0.6, 0.8, Math.SQRT1_2, -Math.SQRT1_2]);
    assertResult(run1('LpNormalization', [f32([3, 1, 4, -1], [2, 2])], { axis: 0, p: 1 }), [2, 2], [3 / 7, 0.5, 4 / 7, -0.5]);
    // size 2: channel c sees channels c and c + 1 (floor / ceil of (size - 1) / 2).
    const x = f32([1, 2, 3], [1, 3, 1, 1]);
    const sq = [1 + 4, 4 + 9, 9];
    const want = [1, 2, 3].map((v, c) => v / (1 + (0.5 / 2) * sq[c]) ** 0.75);
    assertResult(run1('LRN', [x], { size: 2, alpha: 0.5, beta: 0.75, bias: 1 }), [1, 3, 1, 1], want);
    assertResult(run1('LRN', [f32([1, 2, 3], [1, 1, 1, 3])], { size: 2, alpha: 0.5, beta: 0.75, bias: 1, channelsLast: true }), [1, 1, 1, 3], want);
  });
});

describe('norm kernels: VJP against finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  test('BatchNormalization: x, scale, B, mean, var; both layouts', () => {
    const variance = f32([0.5, 1.5, 2.5]);
    for (const channelsLast of [false, true]) {
      const x = channelsLast ? lastOf(randn([2, 3, 2, 2], 1)) : randn([2, 3, 2, 2], 1);
      checkVjp({
        op: 'BatchNormalization',
        attrs: { channelsLast, epsilon: 1e-3 },
        inputs: [{ value: x }, { value: randn([3], 2) }, { value: randn([3], 3) }, { value: randn([3], 4) }, { value: variance }],
      });
    }
  });

  test('LayerNormalization: axis -1 and 1, with all three outputs', () => {
    checkVjp({ op: 'LayerNormalization', inputs: [{ value: randn([2, 3, 4], 5) }, { value: randn([4], 6) }, { value: randn([4], 7) }], outputs: 3 });
    checkVjp({ op: 'LayerNormalization', attrs: { axis: 1 }, inputs: [{ value: randn([2, 3, 4], 8) }, { value: randn([3, 4], 9) }], outputs: 3 });
    checkVjp({
      op: 'LayerNormalization',
      attrs: { axis: -2 },
      inputs: [{ value: randn([2, 3, 4], 10) }, { value: randn([3, 4], 11) }, { value: randn([3, 4], 12) }],
    });
  });

  test('InstanceNormalization both layouts', () => {
    for (const channelsLast of [false, true]) {
      const x = channelsLast ? lastOf(randn([2, 3, 3, 2], 13)) : randn([2, 3, 3, 2], 13);
      checkVjp({ op: 'InstanceNormalization', attrs: { channelsLast }, inputs: [{ value: x }, { value: randn([3], 14) }, { value: randn([3], 15) }] });
    }
  });

  test('LpNormalization and LRN', () => {
    checkVjp({ op: 'LpNormalization', inputs: [{ value: randn([3, 4], 16) }] });
    checkVjp({ op: 'LpNormalization', attrs: { axis: 0, p: 1 }, inputs: [{ value: randn([3, 4], 17) }] });
    checkVjp({ op: 'LRN', attrs: { size: 3, alpha: 0.3, beta: 0.75, bias: 1 }, inputs: [{ value: randn([2, 5, 2, 2], 18) }] });
    checkVjp({ op: 'LRN', attrs: { size: 4, alpha: 0.3, beta: 0.6, bias: 2, channelsLast: true }, inputs: [{ value: randn([2, 2, 2, 5], 19) }] });
  });
});
