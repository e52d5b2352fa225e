/**
 * The sub-pixel input cotangent of strided convolutions (convCore.convAdjointSubPixel)
 * against the zero-spread formulation it replaced (convAdjointSpread) on many geometries,
 * and the Conv node's VJP against finite differences on ResNet-style strided layers.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, randn } from '../helpers/gradcheck';
import { adjointKernel, adjointKernelValues, convAdjointSpread, convAdjointSubPixel, convValid, fusePhases, type ConvGeometry } from '../../src/ops/convCore';
import { padOrCrop } from '../../src/ops/spatial';

interface Geometry {
  readonly name: string;
  /** Channels-last input [N, spatial..., Cin]. */
  readonly x: number[];
  /** TF-layout kernel [k..., Cin/groups, Cout]. */
  readonly w: number[];
  readonly groups: number;
  readonly strides: number[];
  readonly begin: number[];
  readonly end: number[];
}

const geometries: Geometry[] = [
  { name: '3x3 stride 2 pad 1 (ResNet downsampling)', x: [2, 8, 8, 3], w: [3, 3, 3, 4], groups: 1, strides: [2, 2], begin: [1, 1], end: [1, 1] },
  { name: '7x7 stride 2 pad 3 (ResNet stem), odd size', x: [1, 9, 11, 3], w: [7, 7, 3, 5], groups: 1, strides: [2, 2], begin: [3, 3], end: [3, 3] },
  { name: '1x1 stride 2 (projection shortcut): phases without taps', x: [2, 7, 6, 4], w: [1, 1, 4, 3], groups: 1, strides: [2, 2], begin: [0, 0], end: [0, 0] },
  { name: '3x3 stride 3, asymmetric pads', x: [1, 10, 9, 2], w: [3, 3, 2, 3], groups: 1, strides: [3, 3], begin: [2, 0], end: [0, 1] },
  { name: 'mixed strides (2, 1), 2x4 kernel', x: [1, 7, 8, 2], w: [2, 4, 2, 3], groups: 1, strides: [2, 1], begin: [0, 1], end: [1, 2] },
  { name: 'stride 4, kernel 2 (several empty phases)', x: [1, 9, 9, 2], w: [2, 2, 2, 2], groups: 1, strides: [4, 4], begin: [0, 0], end: [1, 1] },
  { name: 'depthwise 3x3 stride 2, multiplier 2', x: [2, 8, 7, 3], w: [3, 3, 1, 6], groups: 3, strides: [2, 2], begin: [1, 1], end: [1, 0] },
  { name: 'grouped (2 groups) 3x3 stride 2', x: [1, 6, 6, 4], w: [3, 3, 2, 4], groups: 2, strides: [2, 2], begin: [1, 0], end: [0, 1] },
  { name: 'padding larger than the stride', x: [1, 5, 5, 2], w: [5, 5, 2, 2], groups: 1, strides: [2, 2], begin: [4, 3], end: [4, 3] },
  { name: '1-D stride 2', x: [2, 9, 3], w: [3, 3, 2], groups: 1, strides: [2], begin: [2], end: [1] },
];

function outputOf(c: Geometry, x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  return convValid(
    padOrCrop(x, c.begin, c.end),
    w,
    c.strides,
    c.strides.map(() => 1),
  );
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('strided Conv input cotangent: sub-pixel form', () => {
  before(async () => {
    await useTestBackend();
  });

  geometries.forEach((c, i) => {
    test(`${c.name}: equals the zero-spread adjoint, and <dy, conv(x)> = <adjoint(dy), x>`, () => {
      tf.tidy(() => {
        const x = randn(c.x, 10 + i);
        const w = randn(c.w, 20 + i);
        const y = outputOf(c, x, w);
        const dy = randn(y.shape, 30 + i);
        const r = c.x.length - 2;
        const g: ConvGeometry = { strides: c.strides, dilations: c.strides.map(() => 1), begin: c.begin, end: c.end };
        const flipped = adjointKernel(w, c.groups);
        const kernel = c.w.slice(0, r);
        const inSize = c.x.slice(1, r + 1);
        const fast = convAdjointSubPixel(dy, flipped, kernel, g, inSize);
        const old = convAdjointSpread(dy, flipped, kernel, g, inSize);
        assert.deepEqual(fast.shape, c.x);
        assert.ok(maxAbsDiff(fast, old) <= 1e-4 * (1 + tf.max(tf.abs(old)).dataSync()[0]), `max diff ${maxAbsDiff(fast, old)}`);
        // The defining identity of the adjoint, independent of either implementation.
        const lhs = tf.sum(tf.mul(dy, y)).dataSync()[0];
        const rhs = tf.sum(tf.mul(fast, x)).dataSync()[0];
        assert.ok(Math.abs(lhs - rhs) <= 1e-3 * (1 + Math.abs(lhs)), `<dy, y> = ${lhs}, <dx, x> = ${rhs}`);
      });
    });
  });

  geometries.forEach((c, i) => {
    test(`${c.name}: a kept kernel's phase taps, read in JavaScript, give the same values`, () => {
      const kept = tf.keep(adjointKernel(randn(c.w, 40 + i), c.groups));
      try {
        tf.tidy(() => {
          const r = c.x.length - 2;
          const g: ConvGeometry = { strides: c.strides, dilations: c.strides.map(() => 1), begin: c.begin, end: c.end };
          const dy = randn(outputOf(c, randn(c.x, 50 + i), randn(c.w, 40 + i)).shape, 60 + i);
          const kernel = c.w.slice(0, r);
          const inSize = c.x.slice(1, r + 1);
          const fromValues = convAdjointSubPixel(dy, kept, kernel, g, inSize);
          const fromOps = convAdjointSubPixel(dy, tf.clone(kept), kernel, g, inSize);
          assert.deepEqual(Array.from(fromValues.dataSync()), Array.from(fromOps.dataSync()));
        });
      } finally {
        kept.dispose();
      }
    });
  });

  test('phases run as one convolution where few input channels leave tiles empty', () => {
    // Taps per phase of a 7x7 stride-2 stem, and of a 3x3 stride-2 downsampling.
    const stem = [
      [4, 4],
      [4, 3],
      [3, 4],
      [3, 3],
    ];
    const down = [
      [2, 2],
      [2, 1],
      [1, 2],
      [1, 1],
    ];
    assert.equal(fusePhases(2, [2, 2], 3, stem), true);
    assert.equal(fusePhases(2, [2, 2], 64, stem), false);
    assert.equal(fusePhases(2, [2, 2], 64, down), false);
    assert.equal(fusePhases(1, [2], 3, [[4], [3]]), false);
    assert.equal(
      fusePhases(2, [2, 1], 3, [
        [4, 7],
        [3, 7],
      ]),
      false,
    );
  });

  test('a cached sub-kernel is used for its phase', () => {
    tf.tidy(() => {
      const c = geometries[0];
      const x = randn(c.x, 1);
      const w = randn(c.w, 2);
      const dy = randn(outputOf(c, x, w).shape, 3);
      const g: ConvGeometry = { strides: c.strides, dilations: [1, 1], begin: c.begin, end: c.end };
      const asked: string[] = [];
      convAdjointSubPixel(dy, adjointKernel(w, 1), [3, 3], g, [8, 8], (phase, make) => (asked.push(phase), make()));
      assert.deepEqual([...asked].sort(), ['0,0', '0,1', '1,0', '1,1'], 'each phase once');
    });
  });
});

describe('strided Conv VJP against finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  test('7x7 stride 2 pad 3 stem (ONNX layout)', () => {
    checkVjp({
      op: 'Conv',
      attrs: { strides: [2, 2], pads: [3, 3, 3, 3] },
      inputs: [{ value: randn([1, 2, 9, 8], 1) }, { value: randn([3, 2, 7, 7], 2) }],
      seed: 5,
    });
  });

  test('1x1 stride 2 projection with bias (ONNX layout)', () => {
    checkVjp({
      op: 'Conv',
      attrs: { strides: [2, 2] },
      inputs: [{ value: randn([2, 3, 5, 6], 3) }, { value: randn([4, 3, 1, 1], 4) }, { value: randn([4], 5) }],
      seed: 6,
    });
  });

  test('3x3 stride 2 pad 1, channelsLast', () => {
    checkVjp({
      op: 'Conv',
      attrs: { strides: [2, 2], pads: [1, 1, 1, 1], channelsLast: true },
      inputs: [{ value: randn([1, 7, 6, 2], 6) }, { value: randn([3, 3, 2, 3], 7) }],
      seed: 7,
    });
  });
});

describe('adjoint kernel computed on the values (adjointKernelValues)', () => {
  before(async () => {
    await useTestBackend();
  });

  const kernels: { readonly name: string; readonly w: number[]; readonly groups: number }[] = [
    { name: '2-D dense 3x3', w: [3, 3, 4, 5], groups: 1 },
    { name: '2-D 2x4, non-square', w: [2, 4, 3, 2], groups: 1 },
    { name: '2-D depthwise, multiplier 2', w: [3, 3, 1, 6], groups: 3 },
    { name: '2-D grouped', w: [3, 3, 2, 8], groups: 4 },
    { name: '1-D', w: [5, 3, 2], groups: 1 },
    { name: '3-D grouped', w: [2, 3, 2, 2, 6], groups: 3 },
    { name: '1x1', w: [1, 1, 4, 3], groups: 1 },
  ];
  kernels.forEach((c, i) => {
    test(`${c.name}: the same values and shape as the tensor-op form`, () => {
      tf.tidy(() => {
        const w = randn(c.w, 40 + i);
        const ops = adjointKernel(w, c.groups);
        const values = adjointKernelValues(w, c.groups);
        assert.deepEqual(values.shape, ops.shape);
        assert.deepEqual(Array.from(values.dataSync()), Array.from(ops.dataSync()));
      });
    });
  });
});
