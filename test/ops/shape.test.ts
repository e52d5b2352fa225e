import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, floatConst, intConst, randn } from '../helpers/gradcheck';
import { assertResult, f32, i32, run1, runOp } from './runOp';
import { kernelFor } from '../../src/ops/registry';

const iota = (n: number, shape: number[] = [n]): tf.Tensor =>
  f32(
    Array.from({ length: n }, (_, i) => i),
    shape,
  );
const x23 = (): tf.Tensor => f32([1, 2, 3, 4, 5, 6], [2, 3]);

describe('shape kernels: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  test('Reshape: 0 copies a dim, -1 is inferred, allowzero keeps a literal 0', () => {
    assertResult(run1('Reshape', [iota(6, [2, 3]), i32([3, -1])]), [3, 2], [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(run1('Reshape', [iota(24, [2, 3, 4]), i32([0, -1])]).shape, [2, 12]);
    assert.deepEqual(run1('Reshape', [iota(24, [2, 3, 4]), i32([-1, 0, 2])]).shape, [4, 3, 2]);
    assert.deepEqual(run1('Reshape', [f32([], [0, 3, 4]), i32([3, 4, 0])], { allowzero: 1 }).shape, [3, 4, 0]);
  });

  test('Flatten: default, zero, negative and last axis', () => {
    const x = iota(24, [2, 3, 4]);
    assert.deepEqual(run1('Flatten', [x]).shape, [2, 12]);
    assert.deepEqual(run1('Flatten', [x], { axis: 0 }).shape, [1, 24]);
    assert.deepEqual(run1('Flatten', [x], { axis: -1 }).shape, [6, 4]);
    assert.deepEqual(run1('Flatten', [x], { axis: 3 }).shape, [24, 1]);
  });

  test('Transpose: default reverses, given perm', () => {
    assertResult(run1('Transpose', [x23()]), [3, 2], [1, 4, 2, 5, 3, 6]);
    assertResult(run1('Transpose', [iota(6, [1, 2, 3])], { perm: [2, 0, 1] }), [3, 1, 2], [0, 3, 1, 4, 2, 5]);
  });

  test('Squeeze and Unsqueeze: omitted, negative and unsorted axes', () => {
    assert.deepEqual(run1('Squeeze', [iota(3, [1, 3, 1])]).shape, [3]);
    assert.deepEqual(run1('Squeeze', [iota(3, [1, 3, 1]), i32([-1])]).shape, [1, 3]);
    assert.deepEqual(run1('Unsqueeze', [iota(3), i32([0, -1])]).shape, [1, 3, 1]);
    assert.deepEqual(run1('Unsqueeze', [x23(), i32([1])]).shape, [2, 1, 3]);
    assert.deepEqual(run1('Unsqueeze', [x23(), i32([3, 0])]).shape, [1, 2, 3, 1]);
  });

  test('Concat: negative axis, int tensors, empty inputs', () => {
    assertResult(run1('Concat', [f32([1, 2], [2, 1]), f32([3, 4, 5, 6], [2, 2])], { axis: -1 }), [2, 3], [1, 3, 4, 2, 5, 6]);
    assertResult(run1('Concat', [i32([1]), i32([], [0]), i32([2, 3])], { axis: 0 }), [3], [1, 2, 3], 'int32');
  });

  test('Split: equal, given sizes, num_outputs with a short last chunk, zero-size pieces', () => {
    const eq = runOp('Split', [iota(6)], {}, 3);
    eq.forEach((r, k) => assertResult(r, [2], [2 * k, 2 * k + 1]));
    const sized = runOp('Split', [iota(6, [1, 6]), i32([1, 2, 3])], { axis: -1 }, 3);
    assertResult(sized[0], [1, 1], [0]);
    assertResult(sized[1], [1, 2], [1, 2]);
    assertResult(sized[2], [1, 3], [3, 4, 5]);
    const uneven = runOp('Split', [iota(7)], { num_outputs: 4 }, 4);
    assert.deepEqual(
      uneven.map((r) => r.shape[0]),
      [2, 2, 2, 1],
    );
    assertResult(uneven[3], [1], [6]);
    const zero = runOp('Split', [iota(4), i32([0, 4])], {}, 2);
    assert.deepEqual(zero[0].shape, [0]);
    assertResult(zero[1], [4], [0, 1, 2, 3]);
  });

  test('Slice: steps, negative steps, clamping, negative axes, empty results', () => {
    const x = iota(10);
    assertResult(run1('Slice', [x, i32([1]), i32([8]), i32([0]), i32([3])]), [3], [1, 4, 7]);
    assertResult(run1('Slice', [x, i32([-1]), i32([-20]), i32([0]), i32([-3])]), [4], [9, 6, 3, 0]);
    assertResult(run1('Slice', [x, i32([8]), i32([1]), null, i32([-2])]), [4], [8, 6, 4, 2]);
    assertResult(run1('Slice', [x, i32([20]), i32([-20]), null, i32([-4])]), [3], [9, 5, 1]);
    assertResult(run1('Slice', [x, i32([5]), i32([2147483647])]), [5], [5, 6, 7, 8, 9]);
    assertResult(run1('Slice', [x, i32([-3]), i32([-1])]), [2], [7, 8]);
    assert.deepEqual(run1('Slice', [x, i32([5]), i32([2])]).shape, [0]);
    assert.deepEqual(run1('Slice', [x, i32([100]), i32([200])]).shape, [0]);
    const m = iota(12, [3, 4]);
    assertResult(run1('Slice', [m, i32([1]), i32([3]), i32([-1])]), [3, 2], [1, 2, 5, 6, 9, 10]);
    assertResult(run1('Slice', [m, i32([0, 3]), i32([2, 0]), i32([0, 1]), i32([1, -2])]), [2, 2], [3, 1, 7, 5]);
    assertResult(run1('Slice', [i32([4, 5, 6]), i32([1]), i32([3])]), [2], [5, 6], 'int32');
  });

  test('Gather: axis, negative indices, 2-D and scalar indices, int data', () => {
    const x = f32([1, 2, 3, 4, 5, 6], [3, 2]);
    assertResult(run1('Gather', [x, i32([0, -1], [1, 2])]), [1, 2, 2], [1, 2, 5, 6]);
    assertResult(run1('Gather', [x, i32([1])], { axis: -1 }), [3, 1], [2, 4, 6]);
    assertResult(run1('Gather', [x, i32([2], [])]), [2], [5, 6]);
    assertResult(run1('Gather', [i32([7, 8, 9]), i32([2, 0])]), [2], [9, 7], 'int32');
  });

  test('Shape (start/end, clamped), Size', () => {
    const x = iota(24, [2, 3, 4]);
    assertResult(run1('Shape', [x]), [3], [2, 3, 4], 'int32');
    assertResult(run1('Shape', [x], { start: 1 }), [2], [3, 4], 'int32');
    assertResult(run1('Shape', [x], { end: -1 }), [2], [2, 3], 'int32');
    assertResult(run1('Shape', [x], { start: -10, end: 10 }), [3], [2, 3, 4], 'int32');
    assertResult(run1('Shape', [x], { start: 2, end: 1 }), [0], [], 'int32');
    assertResult(run1('Size', [x]), [], [24], 'int32');
  });

  test('ConstantOfShape, Constant', () => {
    assertResult(run1('ConstantOfShape', [i32([2, 2])]), [2, 2], [0, 0, 0, 0], 'float32');
    const seven = { dtype: 'int32' as const, shape: [1], data: Int32Array.of(7) };
    assertResult(run1('ConstantOfShape', [i32([3])], { value: seven }), [3], [7, 7, 7], 'int32');
    assertResult(run1('ConstantOfShape', [i32([0])], { value: seven }), [0], [], 'int32');
    assertResult(run1('ConstantOfShape', [i32([2])], { value: floatConst([1.5], [1]) }), [2], [1.5, 1.5], 'float32');
    assertResult(run1('Constant', [], { value: floatConst([1, 2, 3, 4], [2, 2]) }), [2, 2], [1, 2, 3, 4], 'float32');
    assertResult(run1('Constant', [], { value_ints: [3, 4] }), [2], [3, 4], 'int32');
  });

  test('Expand: bidirectional broadcast', () => {
    assertResult(run1('Expand', [f32([1, 2, 3], [3, 1]), i32([2, 1, 2])]), [2, 3, 2], [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    assertResult(run1('Expand', [f32([1, 2, 3]), i32([2, 1])]), [2, 3], [1, 2, 3, 1, 2, 3]);
  });

  test('Range: float, negative int delta, empty', () => {
    assertResult(run1('Range', [f32([1], []), f32([5], []), f32([1.5], [])]), [3], [1, 2.5, 4], 'float32');
    assertResult(run1('Range', [i32([10], []), i32([4], []), i32([-3], [])]), [2], [10, 7], 'int32');
    assertResult(run1('Range', [i32([5], []), i32([1], []), i32([1], [])]), [0], [], 'int32');
  });

  test('Tile', () => {
    assertResult(run1('Tile', [i32([1, 2]), i32([3])]), [6], [1, 2, 1, 2, 1, 2], 'int32');
    assertResult(run1('Tile', [f32([1, 2], [2, 1]), i32([2, 2])]), [4, 2], [1, 1, 2, 2, 1, 1, 2, 2]);
  });

  test('Pad: constant with value, reflect, edge, wrap, axes input, negative pads', () => {
    const x = x23();
    assertResult(run1('Pad', [x, i32([0, 1, 1, 0]), f32([9], [])]), [3, 4], [9, 1, 2, 3, 9, 4, 5, 6, 9, 9, 9, 9]);
    assertResult(run1('Pad', [x, i32([0, 2, 0, 2])], { mode: 'reflect' }), [2, 7], [3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4]);
    assertResult(run1('Pad', [x, i32([1, 1, 0, 0])], { mode: 'edge' }), [3, 4], [1, 1, 2, 3, 1, 1, 2, 3, 4, 4, 5, 6]);
    assertResult(run1('Pad', [x, i32([0, 1, 0, 2])], { mode: 'wrap' }), [2, 6], [3, 1, 2, 3, 1, 2, 6, 4, 5, 6, 4, 5]);
    assertResult(run1('Pad', [x, i32([1, 1]), null, i32([-1])]), [2, 5], [0, 1, 2, 3, 0, 0, 4, 5, 6, 0]);
    assertResult(run1('Pad', [x, i32([0, -1, 0, 1])]), [2, 3], [2, 3, 0, 5, 6, 0]);
    assertResult(run1('Pad', [x, i32([0, -1, 0, 1])], { mode: 'edge' }), [2, 3], [2, 3, 3, 5, 6, 6]);
  });

  test('DepthToSpace DCR and CRD, NCHW and channelsLast; SpaceToDepth', () => {
    const x = iota(8, [1, 8, 1, 1]);
    assertResult(run1('DepthToSpace', [x], { blocksize: 2 }), [1, 2, 2, 2], [0, 2, 4, 6, 1, 3, 5, 7]);
    assertResult(run1('DepthToSpace', [x], { blocksize: 2, mode: 'CRD' }), [1, 2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
    const xl = iota(8, [1, 1, 1, 8]);
    assertResult(run1('DepthToSpace', [xl], { blocksize: 2, channelsLast: true }), [1, 2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
    assertResult(run1('DepthToSpace', [xl], { blocksize: 2, mode: 'CRD', channelsLast: true }), [1, 2, 2, 2], [0, 4, 1, 5, 2, 6, 3, 7]);
    // SpaceToDepth of a 4x4 plane (values 0..15) into 4 channels of 2x2.
    assertResult(run1('SpaceToDepth', [iota(16, [1, 1, 4, 4])], { blocksize: 2 }), [1, 4, 2, 2], [0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15]);
  });

  test('channelsLast layouts agree with NCHW through transposes', () => {
    const nchw = randn([2, 8, 2, 3], 5);
    const nhwc = tf.transpose(nchw, [0, 2, 3, 1]);
    for (const mode of ['DCR', 'CRD']) {
      const a = run1('DepthToSpace', [nchw], { blocksize: 2, mode });
      const b = run1('DepthToSpace', [nhwc], { blocksize: 2, mode, channelsLast: true });
      const aLast = Array.from(tf.transpose(tf.tensor(a.values, a.shape), [0, 2, 3, 1]).dataSync());
      assert.deepEqual(b.values, aLast, mode);
    }
    const s1 = run1('SpaceToDepth', [nhwc], { blocksize: 1, channelsLast: true });
    assert.deepEqual(s1.values, Array.from(nhwc.dataSync()));
    const img = randn([1, 2, 4, 6], 6);
    const a = run1('SpaceToDepth', [img], { blocksize: 2 });
    const b = run1('SpaceToDepth', [tf.transpose(img, [0, 2, 3, 1])], { blocksize: 2, channelsLast: true });
    assert.deepEqual(b.values, Array.from(tf.transpose(tf.tensor(a.values, a.shape), [0, 2, 3, 1]).dataSync()));
    // SpaceToDepth inverts DCR DepthToSpace.
    const back = run1('SpaceToDepth', [tf.tensor(run1('DepthToSpace', [nchw], { blocksize: 2 }).values, [2, 2, 4, 6])], { blocksize: 2 });
    assert.deepEqual(back.values, Array.from(nchw.dataSync()));
  });

  test('metadata: no data inputs for shape-valued ops; affine data movers', () => {
    for (const op of ['Shape', 'Size', 'Range', 'ConstantOfShape', 'Constant']) {
      assert.deepEqual(kernelFor(op).dataInputs, [], op);
      assert.equal(kernelFor(op).vjp, undefined, op);
    }
    for (const op of ['Reshape', 'Gather', 'Pad']) assert.deepEqual(kernelFor(op).dataInputs, [0], op);
    for (const op of [
      'Reshape',
      'Flatten',
      'Transpose',
      'Squeeze',
      'Unsqueeze',
      'Concat',
      'Split',
      'Slice',
      'Gather',
      'Expand',
      'Tile',
      'Pad',
      'DepthToSpace',
    ]) {
      assert.equal(kernelFor(op).affine, true, op);
    }
  });
});

describe('shape kernels: VJP vs finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  test('Reshape, Flatten, Squeeze, Unsqueeze', () => {
    checkVjp({ op: 'Reshape', inputs: [{ value: randn([2, 3, 4], 1) }, { constant: intConst([0, -1]) }] });
    checkVjp({ op: 'Flatten', attrs: { axis: -1 }, inputs: [{ value: randn([2, 3, 4], 2) }] });
    checkVjp({ op: 'Squeeze', inputs: [{ value: randn([1, 3, 1], 3) }, { constant: intConst([-1]) }] });
    checkVjp({ op: 'Unsqueeze', inputs: [{ value: randn([2, 3], 4) }, { constant: intConst([2, 0]) }] });
  });

  test('Transpose: default and given perm', () => {
    checkVjp({ op: 'Transpose', inputs: [{ value: randn([2, 3, 4], 5) }] });
    checkVjp({ op: 'Transpose', attrs: { perm: [1, 2, 0] }, inputs: [{ value: randn([2, 3, 4], 6) }] });
  });

  test('Concat: three inputs, negative axis', () => {
    checkVjp({ op: 'Concat', attrs: { axis: -1 }, inputs: [{ value: randn([2, 1], 7) }, { value: randn([2, 3], 8) }, { value: randn([2, 2], 9) }] });
    checkVjp({
      op: 'Concat',
      attrs: { axis: 0 },
      inputs: [{ value: randn([1, 3], 10) }, { constant: floatConst([1, 2, 3], [1, 3]) }, { value: randn([2, 3], 11) }],
    });
  });

  test('Split: equal, sized, uneven num_outputs', () => {
    checkVjp({ op: 'Split', attrs: { axis: 1 }, inputs: [{ value: randn([2, 6], 12) }], outputs: 3 });
    checkVjp({ op: 'Split', attrs: { axis: -1 }, inputs: [{ value: randn([2, 6], 13) }, { constant: intConst([1, 2, 3]) }], outputs: 3 });
    checkVjp({ op: 'Split', attrs: { num_outputs: 3 }, inputs: [{ value: randn([5, 2], 14) }], outputs: 3 });
  });

  const sliceCases: [string, number[], number[], number[] | undefined, number[] | undefined][] = [
    ['unit steps', [1, 0], [3, 4], undefined, undefined],
    ['step 2 on the last axis', [0, 1], [4, 5], [0, 1], [1, 2]],
    ['negative step', [-1], [-100], [1], [-1]],
    ['negative step 2 and step 3', [3, 4], [-100, 0], [0, -1], [-2, -3]],
    ['clamped ends', [-100, 2], [100, 100], [0, 1], [3, 1]],
  ];
  for (const [name, starts, ends, axes, steps] of sliceCases) {
    test(`Slice: ${name}`, () => {
      const inputs = [
        { value: randn([4, 5], 15) },
        { constant: intConst(starts) },
        { constant: intConst(ends) },
        axes ? { constant: intConst(axes) } : { omitted: true },
        ...(steps ? [{ constant: intConst(steps) }] : []),
      ];
      checkVjp({ op: 'Slice', inputs });
    });
  }

  test('Gather: duplicate and negative indices, axis 1, 2-D indices, scalar index', () => {
    checkVjp({ op: 'Gather', inputs: [{ value: randn([4, 3], 16) }, { constant: intConst([0, -1, 0, 2]) }] });
    checkVjp({ op: 'Gather', attrs: { axis: 1 }, inputs: [{ value: randn([2, 4, 3], 17) }, { constant: intConst([3, 1, 1, -4], [2, 2]) }] });
    checkVjp({ op: 'Gather', attrs: { axis: -1 }, inputs: [{ value: randn([2, 3], 18) }, { constant: intConst([2], []) }] });
  });

  test('Expand and Tile', () => {
    checkVjp({ op: 'Expand', inputs: [{ value: randn([3, 1], 19) }, { constant: intConst([2, 1, 4]) }] });
    checkVjp({ op: 'Tile', inputs: [{ value: randn([2, 3], 20) }, { constant: intConst([2, 3]) }] });
  });

  for (const mode of ['constant', 'reflect', 'edge', 'wrap']) {
    test(`Pad ${mode}: both sides, axes input, negative pads`, () => {
      checkVjp({ op: 'Pad', attrs: { mode }, inputs: [{ value: randn([2, 3, 4], 21) }, { constant: intConst([0, 1, 2, 1, 2, 3]) }] });
      checkVjp({
        op: 'Pad',
        attrs: { mode },
        inputs: [{ value: randn([3, 4], 22) }, { constant: intConst([2, 1]) }, { omitted: true }, { constant: intConst([-1]) }],
      });
      checkVjp({ op: 'Pad', attrs: { mode }, inputs: [{ value: randn([3, 4], 23) }, { constant: intConst([-1, 2, 1, -1]) }] });
    });
  }

  // A long axis: the VJP scatters runs of distinct sources instead of building a
  // [padded length x length] selection matrix (4.4M entries here, past its limit).
  for (const mode of ['reflect', 'edge', 'wrap']) {
    test(`Pad ${mode} along a 2100-long axis`, () => {
      checkVjp({ op: 'Pad', attrs: { mode }, inputs: [{ value: randn([2, 2100], 28) }, { constant: intConst([0, 7, 0, 5]) }] });
    });
  }

  test('Pad with all-zero pads is the identity', () => {
    checkVjp({ op: 'Pad', attrs: { mode: 'edge' }, inputs: [{ value: randn([2, 3], 27) }, { constant: intConst([0, 0, 0, 0]) }] });
  });

  test('Pad constant with a constant value', () => {
    checkVjp({ op: 'Pad', inputs: [{ value: randn([3, 4], 24) }, { constant: intConst([1, 1, 1, 1]) }, { constant: floatConst([2.5], []) }] });
  });

  for (const channelsLast of [false, true]) {
    for (const mode of ['DCR', 'CRD']) {
      test(`DepthToSpace ${mode} channelsLast=${channelsLast}`, () => {
        const shape = channelsLast ? [2, 2, 3, 8] : [2, 8, 2, 3];
        checkVjp({ op: 'DepthToSpace', attrs: { blocksize: 2, mode, channelsLast }, inputs: [{ value: randn(shape, 25) }] });
      });
    }
    test(`SpaceToDepth channelsLast=${channelsLast}`, () => {
      const shape = channelsLast ? [1, 4, 6, 2] : [1, 2, 4, 6];
      checkVjp({ op: 'SpaceToDepth', attrs: { blocksize: 2, channelsLast }, inputs: [{ value: randn(shape, 26) }] });
    });
  }
});
