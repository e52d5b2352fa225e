import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../../src/graph/ir';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, floatConst, intConst, randn } from '../helpers/gradcheck';
import { assertResult, f32, i32, run1 } from './runOp';

/** An omitted-by-emptiness scales input (sizes follow). */
const empty = (): tf.Tensor => f32([], [0]);

/** Resize with scales (roi omitted). */
function byScales(x: tf.Tensor, scales: number[], attrs: Attributes): ReturnType<typeof run1> {
  return run1('Resize', [x, null, f32(scales)], attrs);
}

describe('Resize: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  test('nearest: every nearest_mode (asymmetric, x2)', () => {
    const x = f32([1, 2, 3], [1, 3]);
    const attrs = { mode: 'nearest', coordinate_transformation_mode: 'asymmetric' };
    // Source coordinates 0, .5, 1, 1.5, 2, 2.5.
    assertResult(byScales(x, [1, 2], attrs), [1, 6], [1, 1, 2, 2, 3, 3]);
    assertResult(byScales(x, [1, 2], { ...attrs, nearest_mode: 'round_prefer_ceil' }), [1, 6], [1, 2, 2, 3, 3, 3]);
    assertResult(byScales(x, [1, 2], { ...attrs, nearest_mode: 'floor' }), [1, 6], [1, 1, 2, 2, 3, 3]);
    assertResult(byScales(x, [1, 2], { ...attrs, nearest_mode: 'ceil' }), [1, 6], [1, 2, 2, 3, 3, 3]);
    // Default half_pixel, downsampling 4 -> 2: coordinates 0.5 and 2.5 round down.
    assertResult(byScales(f32([1, 2, 3, 4], [1, 4]), [1, 0.5], {}), [1, 2], [1, 3]);
  });

  test('linear: half_pixel, align_corners, asymmetric, pytorch_half_pixel; sizes input', () => {
    const x = f32([1, 3], [1, 2]);
    // Coordinates -0.25, 0.25, 0.75, 1.25 (edges clamp).
    assertResult(byScales(x, [1, 2], { mode: 'linear' }), [1, 4], [1, 1.5, 2.5, 3]);
    assertResult(run1('Resize', [x, null, empty(), i32([1, 3])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }), [1, 3], [1, 2, 3]);
    assertResult(byScales(x, [1, 2], { mode: 'linear', coordinate_transformation_mode: 'asymmetric' }), [1, 4], [1, 2, 3, 3]);
    // pytorch_half_pixel with an output of 1 reads coordinate 0.
    assertResult(run1('Resize', [x, null, empty(), i32([1, 1])], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }), [1, 1], [1]);
    // Bilinear = linear along each axis: [[1, 3], [5, 7]] at align_corners to 3x3.
    const x2 = f32([1, 3, 5, 7], [2, 2]);
    assertResult(
      run1('Resize', [x2, null, empty(), i32([3, 3])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }),
      [3, 3],
      [1, 2, 3, 3, 4, 5, 5, 6, 7],
    );
  });

  test('cubic reproduces a linear ramp inside the input; exclude_outside renormalises', () => {
    const x = f32([0, 1, 2, 3], [1, 4]);
    const y = byScales(x, [1, 2], { mode: 'cubic', coordinate_transformation_mode: 'asymmetric' });
    assertResult({ ...y, shape: [3], values: y.values.slice(2, 5) }, [3], [1, 1.5, 2]);
    // At coordinate 0.5 with exclude_outside the taps are -1 (dropped), 0, 1, 2.
    const a = -0.75;
    const near = (t: number): number => ((a + 2) * t - (a + 3)) * t * t + 1;
    const far = (t: number): number => ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
    const w = [near(0.5), near(0.5), far(1.5)];
    const sum = w[0] + w[1] + w[2];
    const want = (w[0] * 0 + w[1] * 1 + w[2] * 2) / sum;
    const z = byScales(x, [1, 2], { mode: 'cubic', coordinate_transformation_mode: 'asymmetric', exclude_outside: 1 });
    assert.ok(Math.abs(z.values[1] - want) < 1e-5, `${z.values[1]} vs ${want}`);
  });

  test('tf_crop_and_resize with roi and extrapolation_value; axes attribute', () => {
    const x = f32([1, 2, 3, 4], [1, 4]);
    // Axis 1 crop [0.5, 1.5] of 3: coordinates 1.5, 3, 4.5 (outside).
    const attrs = { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 10 };
    assertResult(run1('Resize', [x, f32([0, 0.5, 1, 1.5]), empty(), i32([1, 3])], attrs), [1, 3], [2.5, 4, 10]);
    assertResult(run1('Resize', [x, f32([0.5, 1.5]), empty(), i32([3])], { ...attrs, axes: [1] }), [1, 3], [2.5, 4, 10]);
    assertResult(
      run1('Resize', [x, null, f32([2])], { mode: 'nearest', axes: [-1], coordinate_transformation_mode: 'asymmetric' }),
      [1, 8],
      [1, 1, 2, 2, 3, 3, 4, 4],
    );
  });

  test('keep_aspect_ratio_policy not_larger / not_smaller', () => {
    const x = randn([1, 1, 2, 4], 1);
    // Ratios 3/2 and 3/4: not_larger scales both axes by 3/4, not_smaller by 3/2.
    const attrs = { axes: [2, 3], mode: 'linear' };
    assert.deepEqual(run1('Resize', [x, null, empty(), i32([3, 3])], { ...attrs, keep_aspect_ratio_policy: 'not_larger' }).shape, [1, 1, 2, 3]);
    assert.deepEqual(run1('Resize', [x, null, empty(), i32([3, 3])], { ...attrs, keep_aspect_ratio_policy: 'not_smaller' }).shape, [1, 1, 3, 6]);
    // Without axes the batch and channel axes take part (their ratio is 1).
    assert.deepEqual(run1('Resize', [x, null, empty(), i32([1, 1, 4, 4])], { keep_aspect_ratio_policy: 'not_larger' }).shape, [1, 1, 2, 4]);
  });

  test('channelsLast: the same resize of the transposed tensor', () => {
    const x = randn([1, 2, 3, 4], 2);
    const attrs = { mode: 'cubic', channelsLast: true };
    const first = byScales(x, [1, 1, 2, 1.5], { mode: 'cubic' });
    const last = byScales(tf.transpose(x, [0, 2, 3, 1]), [1, 2, 1.5, 1], attrs);
    const want = tf.transpose(tf.tensor(first.values, first.shape), [0, 2, 3, 1]);
    assertResult(last, want.shape, Array.from(want.dataSync()), 'float32', 1e-5);
  });

  test('antialias is refused', () => {
    assert.throws(() => byScales(randn([1, 4], 3), [1, 0.5], { mode: 'linear', antialias: 1 }), /antialias/);
  });
});

describe('Resize: VJP against finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  const variants: Attributes[] = [
    { mode: 'nearest' },
    { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
    { mode: 'linear' },
    { mode: 'linear', coordinate_transformation_mode: 'align_corners' },
    { mode: 'cubic' },
    { mode: 'cubic', exclude_outside: 1, cubic_coeff_a: -0.5 },
    { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' },
  ];
  for (const attrs of variants) {
    test(`${JSON.stringify(attrs)}: up and down`, () => {
      checkVjp({ op: 'Resize', attrs, inputs: [{ value: randn([1, 2, 3, 4], 5) }, { omitted: true }, { constant: floatConst([1, 1, 2, 1.5], [4]) }] });
      checkVjp({
        op: 'Resize',
        attrs,
        inputs: [{ value: randn([1, 2, 5, 6], 6) }, { omitted: true }, { constant: floatConst([], [0]) }, { constant: intConst([1, 2, 3, 4]) }],
      });
    });
  }
  test('tf_crop_and_resize with extrapolation', () => {
    checkVjp({
      op: 'Resize',
      attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 2, axes: [2, 3] },
      inputs: [
        { value: randn([1, 2, 4, 4], 7) },
        { constant: floatConst([0.2, -0.3, 0.9, 1.2], [4]) },
        { constant: floatConst([], [0]) },
        { constant: intConst([3, 5]) },
      ],
    });
  });
});
