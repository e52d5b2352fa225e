/**
 * TF.js graph-model ops: each small graph is translated, run forward and compared with the
 * same computation done by TensorFlow.js's own ops (the semantics graph models have), and its
 * reverse pass through the translated ops is checked against finite differences.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { loadTfjsModel } from '../../src/loaders/tfjs';
import { ModelLoadError } from '../../src/loaders/errors';
import { useTestBackend } from '../helpers/backend';
import { checkGraphVjp, forward, maxRelErr, seeded, writeModel, type WeightSpec } from './tfjs-models';

type Attr = Record<string, unknown>;
const i = (n: number): Attr => ({ i: String(n) });
const f = (x: number): Attr => ({ f: x });
const b = (x: boolean): Attr => ({ b: x });
const s = (x: string): Attr => ({ s: Buffer.from(x).toString('base64') });
const ints = (xs: number[]): Attr => ({ list: { i: xs.map(String) } });
const strs = (xs: string[]): Attr => ({ list: { s: xs.map((x) => Buffer.from(x).toString('base64')) } });
const FLOAT = { type: 'DT_FLOAT' };

interface TfNodeJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, Attr>;
}

class GraphModelBuilder {
  readonly nodes: TfNodeJson[] = [];
  readonly weights: WeightSpec[] = [];
  private seed = 10;

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } as Attr } });
    return name;
  }

  /** A float Const with seeded values (scale `scale`), or given values. */
  floatConst(name: string, shape: number[], values?: number[], scale = 0.5): string {
    this.nodes.push({ name, op: 'Const', attr: { dtype: FLOAT } });
    this.weights.push({ name, shape, dtype: 'float32', values: values ?? seeded(shape, this.seed++, scale) });
    return name;
  }

  intConst(name: string, values: number[], shape: number[] = [values.length]): string {
    this.nodes.push({ name, op: 'Const', attr: { dtype: { type: 'DT_INT32' } } });
    this.weights.push({ name, shape, dtype: 'int32', values });
    return name;
  }

  op(name: string, op: string, input: string[], attr: Record<string, Attr> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: FLOAT, ...attr } });
    return name;
  }

  value(name: string): tf.Tensor {
    const w = this.weights.find((x) => x.name === name)!;
    return tf.tensor(Array.from(w.values), [...w.shape], w.dtype);
  }

  write(): string {
    return writeModel({ format: 'graph-model', generatedBy: 'test', modelTopology: { node: this.nodes, library: {}, versions: {} } }, this.weights);
  }
}

interface Case {
  readonly name: string;
  readonly inputShape: number[];
  /** Builds the graph on placeholder "x"; returns the output node. */
  build(g: GraphModelBuilder): string;
  /** The same computation with TF.js ops. */
  reference(g: GraphModelBuilder, x: tf.Tensor): tf.Tensor;
  /** Skip the gradient check (ops whose output has no gradient). */
  readonly noGrad?: boolean;
}

const NHWC = s('NHWC');
const CASES: Case[] = [
  {
    name: '_FusedConv2D (BiasAdd, Relu), SAME, stride 1',
    inputShape: [2, 6, 6, 3],
    build: (g) =>
      g.op('y', '_FusedConv2D', ['x', g.floatConst('w', [3, 3, 3, 4]), g.floatConst('bias', [4])], {
        strides: ints([1, 1, 1, 1]),
        padding: s('SAME'),
        dilations: ints([1, 1, 1, 1]),
        data_format: NHWC,
        fused_ops: strs(['BiasAdd', 'Relu']),
        num_args: i(1),
      }),
    reference: (g, x) => tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, g.value('w') as tf.Tensor4D, 1, 'same'), g.value('bias'))),
  },
  {
    name: '_FusedConv2D (FusedBatchNorm, Relu6), VALID, stride 2',
    inputShape: [2, 7, 7, 3],
    build: (g) =>
      g.op(
        'y',
        '_FusedConv2D',
        [
          'x',
          g.floatConst('w', [3, 3, 3, 4]),
          g.floatConst('scale', [4]),
          g.floatConst('offset', [4]),
          g.floatConst('mean', [4]),
          g.floatConst('var', [4], [0.5, 1, 1.5, 2]),
        ],
        {
          strides: ints([1, 2, 2, 1]),
          padding: s('VALID'),
          data_format: NHWC,
          fused_ops: strs(['FusedBatchNorm', 'Relu6']),
          num_args: i(4),
          epsilon: f(0.001),
        },
      ),
    reference: (g, x) =>
      tf.clipByValue(
        tf.batchNorm(
          tf.conv2d(x as tf.Tensor4D, g.value('w') as tf.Tensor4D, 2, 'valid'),
          g.value('mean'),
          g.value('var'),
          g.value('offset'),
          g.value('scale'),
          0.001,
        ),
        0,
        6,
      ),
  },
  {
    name: 'FusedDepthwiseConv2dNative (BiasAdd, Relu), multiplier 2, SAME, stride 2',
    inputShape: [2, 6, 6, 3],
    build: (g) =>
      g.op('y', 'FusedDepthwiseConv2dNative', ['x', g.floatConst('w', [3, 3, 3, 2]), g.floatConst('bias', [6])], {
        strides: ints([1, 2, 2, 1]),
        padding: s('SAME'),
        dilations: ints([1, 1, 1, 1]),
        data_format: NHWC,
        fused_ops: strs(['BiasAdd', 'Relu']),
        num_args: i(1),
      }),
    reference: (g, x) => tf.relu(tf.add(tf.depthwiseConv2d(x as tf.Tensor4D, g.value('w') as tf.Tensor4D, 2, 'same'), g.value('bias'))),
  },
  {
    name: 'FusedBatchNormV3, MaxPool and AvgPool (SAME, stride 2)',
    inputShape: [2, 5, 5, 3],
    build: (g) => {
      const bn = g.op(
        'bn',
        'FusedBatchNormV3',
        ['x', g.floatConst('scale', [3]), g.floatConst('offset', [3]), g.floatConst('mean', [3]), g.floatConst('var', [3], [0.5, 1, 2])],
        { epsilon: f(0.001), data_format: NHWC, is_training: b(false) },
      );
      const mp = g.op('mp', 'MaxPool', [bn], { ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]), padding: s('SAME'), data_format: NHWC });
      return g.op('y', 'AvgPool', [mp], { ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: s('SAME'), data_format: NHWC });
    },
    reference: (g, x) =>
      tf.avgPool(
        tf.maxPool(tf.batchNorm(x, g.value('mean'), g.value('var'), g.value('offset'), g.value('scale'), 0.001) as tf.Tensor4D, 3, 2, 'same'),
        2,
        2,
        'same',
      ),
  },
  {
    name: 'Mean, Reshape, _FusedMatMul (BiasAdd, Relu), MatMul transpose_b, Softmax',
    inputShape: [3, 4, 4, 5],
    build: (g) => {
      const m = g.op('mean', 'Mean', ['x', g.intConst('axes', [1, 2])], { keep_dims: b(false) });
      const r = g.op('flat', 'Reshape', [m, g.intConst('shape', [-1, 5])]);
      const h = g.op('h', '_FusedMatMul', [r, g.floatConst('w1', [5, 6]), g.floatConst('b1', [6])], {
        transpose_a: b(false),
        transpose_b: b(false),
        fused_ops: strs(['BiasAdd', 'Relu']),
        num_args: i(1),
      });
      const o = g.op('o', 'MatMul', [h, g.floatConst('w2t', [4, 6])], { transpose_a: b(false), transpose_b: b(true) });
      return g.op('y', 'Softmax', [o]);
    },
    reference: (g, x) => {
      const h = tf.relu(tf.add(tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, g.value('w1') as tf.Tensor2D), g.value('b1')));
      return tf.softmax(tf.matMul(h as tf.Tensor2D, g.value('w2t') as tf.Tensor2D, false, true));
    },
  },
  {
    name: 'StridedSlice with begin/end/ellipsis/new_axis/shrink masks',
    inputShape: [2, 6, 5, 4],
    build: (g) => {
      // x[:, 1:5:2, ..., 2:4]  (begin_mask on 0, ellipsis at 2)
      const a = g.op('a', 'StridedSlice', ['x', g.intConst('b0', [0, 1, 0, 2]), g.intConst('e0', [0, 5, 0, 4]), g.intConst('s0', [1, 2, 1, 1])], {
        begin_mask: i(1),
        end_mask: i(1),
        ellipsis_mask: i(4),
        new_axis_mask: i(0),
        shrink_axis_mask: i(0),
        Index: { type: 'DT_INT32' },
      });
      // a[:, 0, tf.newaxis, :, -1]  -> shrink axis 1 and 3, new axis
      return g.op('y', 'StridedSlice', [a, g.intConst('b1', [0, 0, 0, 0, -1]), g.intConst('e1', [0, 1, 0, 0, 0]), g.intConst('s1', [1, 1, 1, 1, 1])], {
        begin_mask: i(1 | 8),
        end_mask: i(1 | 8),
        ellipsis_mask: i(0),
        new_axis_mask: i(4),
        shrink_axis_mask: i(2 | 16),
        Index: { type: 'DT_INT32' },
      });
    },
    reference: (_, x) => {
      const a = tf.stridedSlice(x, [0, 1, 0, 2], [0, 5, 0, 4], [1, 2, 1, 1], 1, 1, 4, 0, 0);
      return tf.stridedSlice(a, [0, 0, 0, 0, -1], [0, 1, 0, 0, 0], [1, 1, 1, 1, 1], 1 | 8, 1 | 8, 0, 4, 2 | 16);
    },
  },
  {
    name: 'ResizeBilinear to a size computed at run time (UpSampling2D: Shape[1:3] * 2)',
    inputShape: [2, 3, 4, 2],
    build: (g) => {
      const shape = g.op('shape', 'Shape', ['x'], { out_type: { type: 'DT_INT32' } });
      const hw = g.op('hw', 'Slice', [shape, g.intConst('begin', [1]), g.intConst('len', [2])], { T: { type: 'DT_INT32' }, Index: { type: 'DT_INT32' } });
      const size = g.op('size', 'Mul', [hw, g.intConst('two', [2, 2])], { T: { type: 'DT_INT32' } });
      return g.op('y', 'ResizeBilinear', ['x', size], { align_corners: b(false), half_pixel_centers: b(true) });
    },
    reference: (_, x) => tf.image.resizeBilinear(x as tf.Tensor4D, [6, 8], false, true),
  },
  {
    name: 'ResizeBilinear (half_pixel_centers) and ResizeNearestNeighbor (align_corners)',
    inputShape: [2, 4, 5, 3],
    build: (g) => {
      const a = g.op('a', 'ResizeBilinear', ['x', g.intConst('size1', [7, 9])], { align_corners: b(false), half_pixel_centers: b(true) });
      const c = g.op('c', 'ResizeBilinear', ['x', g.intConst('size2', [7, 9])], { align_corners: b(true), half_pixel_centers: b(false) });
      const n = g.op('n', 'ResizeNearestNeighbor', ['x', g.intConst('size3', [7, 9])], { align_corners: b(false), half_pixel_centers: b(true) });
      const ac = g.op('ac', 'AddV2', [a, c]);
      return g.op('y', 'AddV2', [ac, n]);
    },
    reference: (_, x) => {
      const x4 = x as tf.Tensor4D;
      return tf.addN([
        tf.image.resizeBilinear(x4, [7, 9], false, true),
        tf.image.resizeBilinear(x4, [7, 9], true, false),
        tf.image.resizeNearestNeighbor(x4, [7, 9], false, true),
      ]);
    },
  },
  {
    name: 'Pad, ConcatV2, Transpose, Pack, ExpandDims, Squeeze',
    inputShape: [2, 3, 4],
    build: (g) => {
      const p = g.op('p', 'Pad', ['x', g.intConst('pads', [0, 0, 1, 2, 0, 1], [3, 2])]);
      const t = g.op('t', 'Transpose', [p, g.intConst('perm', [0, 2, 1])]);
      const c = g.op('c', 'ConcatV2', [t, t, g.intConst('axis', [2], [])], { N: i(2) });
      const k = g.op('k', 'Pack', [c, c], { axis: i(1), N: i(2) });
      const e = g.op('e', 'ExpandDims', [k, g.intConst('dim', [-1], [])]);
      return g.op('y', 'Squeeze', [e], { squeeze_dims: ints([4]) });
    },
    reference: (_, x) => {
      const t = tf.transpose(
        tf.pad(x, [
          [0, 0],
          [1, 2],
          [0, 1],
        ]),
        [0, 2, 1],
      );
      const c = tf.concat([t, t], 2);
      return tf.stack([c, c], 1);
    },
  },
  {
    name: 'AddV2, Sub, Mul, RealDiv, Rsqrt, SquaredDifference, Sigmoid, Tanh',
    inputShape: [3, 5],
    build: (g) => {
      const sq = g.op('sq', 'SquaredDifference', ['x', g.floatConst('c', [5])]);
      const r = g.op('r', 'Rsqrt', [g.op('eps', 'AddV2', [sq, g.floatConst('one', [], [1])])]);
      const m = g.op('m', 'Mul', [r, g.op('th', 'Tanh', ['x'])]);
      const d = g.op('d', 'RealDiv', [m, g.floatConst('two', [], [2])]);
      return g.op('y', 'Sub', [g.op('sg', 'Sigmoid', ['x']), d]);
    },
    reference: (g, x) => tf.sub(tf.sigmoid(x), tf.div(tf.mul(tf.rsqrt(tf.add(tf.squaredDifference(x, g.value('c')), 1)), tf.tanh(x)), 2)),
  },
  {
    name: 'BatchMatMulV2 (adj_y) and Conv2DBackpropInput (SAME, stride 2)',
    inputShape: [2, 3, 3, 4],
    build: (g) => {
      const ct = g.op('ct', 'Conv2DBackpropInput', [g.intConst('sizes', [2, 6, 6, 5]), g.floatConst('w', [3, 3, 5, 4]), 'x'], {
        strides: ints([1, 2, 2, 1]),
        padding: s('SAME'),
        data_format: NHWC,
      });
      return g.op('y', 'BatchMatMulV2', [ct, g.floatConst('m', [2, 6, 3, 5])], { adj_x: b(false), adj_y: b(true) });
    },
    reference: (g, x) => tf.matMul(tf.conv2dTranspose(x as tf.Tensor4D, g.value('w') as tf.Tensor4D, [2, 6, 6, 5], 2, 'same'), g.value('m'), false, true),
  },
  {
    name: 'Conv2DBackpropInput with an output size computed from the input shape (SAME, stride 2)',
    inputShape: [2, 3, 3, 4],
    build: (g) => {
      const shape = g.op('shape', 'Shape', ['x'], { out_type: { type: 'DT_INT32' } });
      const scaled = g.op('scaled', 'Mul', [shape, g.intConst('scale', [1, 2, 2, 0])], { T: { type: 'DT_INT32' } });
      const sizes = g.op('sizes', 'AddV2', [scaled, g.intConst('channels', [0, 0, 0, 5])], { T: { type: 'DT_INT32' } });
      return g.op('y', 'Conv2DBackpropInput', [sizes, g.floatConst('w', [3, 3, 5, 4]), 'x'], {
        strides: ints([1, 2, 2, 1]),
        padding: s('SAME'),
        data_format: NHWC,
      });
    },
    reference: (g, x) => tf.conv2dTranspose(x as tf.Tensor4D, g.value('w') as tf.Tensor4D, [2, 6, 6, 5], 2, 'same'),
  },
  {
    name: 'SpaceToBatchND -> DepthwiseConv2dNative -> BatchToSpaceND is one dilated convolution',
    inputShape: [2, 5, 5, 2],
    build: (g) => {
      const block = (name: string): string => g.intConst(name, [2, 2]);
      const s2b = g.op('s2b', 'SpaceToBatchND', ['x', block('block1'), g.intConst('pads', [2, 3, 2, 3], [2, 2])]);
      const conv = g.op('conv', 'DepthwiseConv2dNative', [s2b, g.floatConst('w', [3, 3, 2, 1])], {
        strides: ints([1, 1, 1, 1]),
        padding: s('VALID'),
        data_format: NHWC,
      });
      return g.op('y', 'BatchToSpaceND', [conv, block('block2'), g.intConst('crops', [0, 1, 0, 1], [2, 2])]);
    },
    reference: (g, x) =>
      tf.depthwiseConv2d(
        tf.pad(x, [
          [0, 0],
          [2, 2],
          [2, 2],
          [0, 0],
        ]) as tf.Tensor4D,
        g.value('w') as tf.Tensor4D,
        1,
        'valid',
        'NHWC',
        [2, 2],
      ),
  },
  {
    // TF's required_space_to_batch_paddings: the extra end padding, computed from the input
    // size, appears as two equal StridedSlices in the paddings and the crops (RVM's encoder).
    name: 'an atrous DepthwiseConv2dNative whose paddings and crops are computed from the input size',
    inputShape: [2, 7, 7, 2],
    build: (g) => {
      const int = { T: { type: 'DT_INT32' } };
      const hw = g.op(
        'hw',
        'StridedSlice',
        [g.op('shape', 'Shape', ['x'], { out_type: { type: 'DT_INT32' } }), g.intConst('b', [1]), g.intConst('e', [3]), g.intConst('st', [1])],
        int,
      );
      const block = g.intConst('block', [2, 2]);
      const extra = g.op('extra', 'FloorMod', [g.op('short', 'Sub', [block, g.op('rem', 'FloorMod', [hw, block], int)], int), block], int);
      const part = (name: string, k: number): string =>
        g.op(name, 'StridedSlice', [extra, g.intConst(`${name}_b`, [k]), g.intConst(`${name}_e`, [k + 1]), g.intConst(`${name}_s`, [1])], {
          ...int,
          shrink_axis_mask: i(1),
        });
      const rows = (name: string): string =>
        g.op(
          name,
          'Pack',
          [0, 1].map((k) =>
            g.op(`${name}/${k}`, 'Pack', [g.intConst(`${name}/${k}/0`, [0], []), part(`${name}/${k}/end`, k)], { ...int, axis: i(0), N: i(2) }),
          ),
          {
            ...int,
            axis: i(0),
            N: i(2),
          },
        );
      const s2b = g.op('s2b', 'SpaceToBatchND', ['x', block, rows('paddings')]);
      const conv = g.op('conv', 'DepthwiseConv2dNative', [s2b, g.floatConst('w', [3, 3, 2, 1])], {
        strides: ints([1, 1, 1, 1]),
        padding: s('VALID'),
        data_format: NHWC,
      });
      return g.op('y', 'BatchToSpaceND', [conv, g.intConst('block2', [2, 2]), rows('crops')]);
    },
    reference: (g, x) => tf.depthwiseConv2d(x as tf.Tensor4D, g.value('w') as tf.Tensor4D, 1, 'valid', 'NHWC', [2, 2]),
  },
  {
    name: 'ResizeBilinear and Slice with sizes computed from the input shape (UpSampling2D, crop_to_bounding_box)',
    inputShape: [2, 3, 4, 2],
    build: (g) => {
      const shape = g.op('shape', 'Shape', ['x'], { out_type: { type: 'DT_INT32' } });
      const hw = g.op('hw', 'StridedSlice', [shape, g.intConst('b', [1]), g.intConst('e', [3]), g.intConst('st', [1])], { T: { type: 'DT_INT32' } });
      const size = g.op('size', 'Mul', [hw, g.intConst('two', [2, 2])], { T: { type: 'DT_INT32' } });
      const up = g.op('up', 'ResizeBilinear', ['x', size], { align_corners: b(false), half_pixel_centers: b(true) });
      const upShape = g.op('up_shape', 'Shape', [up], { out_type: { type: 'DT_INT32' } });
      const crop = g.op('crop', 'Sub', [upShape, g.intConst('less', [0, 1, 2, 0])], { T: { type: 'DT_INT32' } });
      return g.op('y', 'Slice', [up, g.intConst('begin', [0, 1, 0, 0]), crop], { Index: { type: 'DT_INT32' } });
    },
    reference: (_g, x) => tf.slice(tf.image.resizeBilinear(x as tf.Tensor4D, [6, 8], false, true), [0, 1, 0, 0], [2, 5, 6, 2]),
  },
  {
    name: 'FloorMod and DivNoNan (a divisor with zeros)',
    inputShape: [2, 4],
    build: (g) => {
      const shifted = g.op('shifted', 'AddV2', ['x', g.floatConst('five', [], [5])]);
      const mod = g.op('mod', 'FloorMod', [shifted, g.floatConst('ten', [], [10])]);
      const div = g.op('div', 'DivNoNan', ['x', g.floatConst('d', [4], [2, 0, -0.5, 0])]);
      return g.op('y', 'AddV2', [mod, div]);
    },
    reference: (g, x) => tf.add(tf.mod(tf.add(x, 5), 10), tf.divNoNan(x, g.value('d'))),
  },
  {
    name: 'FloorDiv of floats, and of ints (a shape)',
    inputShape: [2, 6],
    build: (g) => {
      const q = g.op('q', 'FloorDiv', ['x', g.floatConst('three', [], [0.7])]);
      // floor(-7 / 2) = -4 (truncation would give -3): the shape [-4 + 6, 25 // 4] = [2, 6].
      const ints = g.op('ints', 'FloorDiv', [g.intConst('num', [-7, 25]), g.intConst('den', [2, 4])], { T: { type: 'DT_INT32' } });
      const shape = g.op('shape', 'AddV2', [ints, g.intConst('shift', [6, 0])], { T: { type: 'DT_INT32' } });
      return g.op('y', 'Reshape', [q, shape]);
    },
    reference: (_g, x) => tf.floorDiv(x, tf.scalar(0.7)),
    noGrad: true,
  },
  {
    name: 'ArgMax over the last axis (indices gathered back as values)',
    inputShape: [2, 5],
    build: (g) => {
      const idx = g.op('idx', 'ArgMax', ['x', g.intConst('axis', [1], [])], { output_type: { type: 'DT_INT32' } });
      return g.op('y', 'GatherV2', [g.floatConst('table', [5], [10, 20, 30, 40, 50]), idx, g.intConst('gaxis', [0], [])]);
    },
    reference: (g, x) => tf.gather(g.value('table'), tf.argMax(x, 1)),
    noGrad: true,
  },
  {
    name: 'Size and Range (a meshgrid row built from the element count)',
    inputShape: [2, 3],
    build: (g) => {
      // Range(0, Size(x) = 6, 1) as floats, reshaped to x's shape and added: y = x + [0..5].
      const n = g.op('n', 'Size', ['x'], { out_type: { type: 'DT_INT32' } });
      const r = g.op('r', 'Range', [g.intConst('start', [0], []), n, g.intConst('delta', [1], [])], { Tidx: { type: 'DT_INT32' } });
      const rf = g.op('rf', 'Cast', [r], { SrcT: { type: 'DT_INT32' }, DstT: { type: 'DT_FLOAT' } });
      const grid = g.op('grid', 'Reshape', [rf, g.intConst('gshape', [2, 3])]);
      return g.op('y', 'AddV2', ['x', grid]);
    },
    reference: (_g, x) => tf.add(x, tf.reshape(tf.range(0, 6, 1, 'float32'), [2, 3])),
  },
  {
    name: 'BroadcastTo and Fill',
    inputShape: [2, 1, 3],
    build: (g) => {
      const wide = g.op('wide', 'BroadcastTo', ['x', g.intConst('to', [2, 4, 3])], { Tidx: { type: 'DT_INT32' } });
      const half = g.op('half', 'Fill', [g.intConst('dims', [2, 4, 3]), g.floatConst('v', [], [0.5])]);
      return g.op('y', 'Mul', [wide, half]);
    },
    reference: (_g, x) => tf.mul(tf.broadcastTo(x, [2, 4, 3]), 0.5),
  },
  {
    name: 'Sin, Cos, Atan2 and ZerosLike (a landmarks-to-rotation head)',
    inputShape: [2, 4],
    build: (g) => {
      // angle = atan2(x, x * w + c); y = [cos, sin] of it, plus zeros_like(x) (no gradient) and a Atan.
      const other = g.op('other', 'AddV2', [g.op('xw', 'Mul', ['x', g.floatConst('w', [4])]), g.floatConst('c', [4], [0.5, -0.7, 1.2, -0.3])]);
      const angle = g.op('angle', 'Atan2', ['x', other]);
      const rot = g.op('rot', 'Sub', [g.op('cos', 'Cos', [angle]), g.op('sin', 'Sin', [angle])]);
      const zeros = g.op('zeros', 'ZerosLike', ['x']);
      const ones = g.op('ones', 'OnesLike', ['x']);
      return g.op('y', 'AddV2', [g.op('rz', 'AddV2', [rot, zeros]), g.op('at', 'Mul', [g.op('atan', 'Atan', ['x']), ones])]);
    },
    reference: (g, x) => {
      const angle = tf.atan2(x, tf.add(tf.mul(x, g.value('w')), g.value('c')));
      return tf.add(tf.sub(tf.cos(angle), tf.sin(angle)), tf.atan(x));
    },
  },
  {
    name: 'GatherNd (a repeated tuple)',
    inputShape: [2, 3, 4],
    build: (g) => g.op('y', 'GatherNd', ['x', g.intConst('idx', [1, 2, 0, 1, 1, 2], [3, 2])], { Tparams: FLOAT, Tindices: { type: 'DT_INT32' } }),
    reference: (g, x) => tf.gatherND(x, g.value('idx')),
  },
  {
    name: 'SparseToDense of values taken from the input, with a default',
    inputShape: [2, 3],
    build: (g) => {
      const values = g.op('values', 'Reshape', ['x', g.intConst('flat', [6])]);
      const idx = g.intConst('idx', [0, 0, 0, 2, 1, 1, 2, 3, 2, 0, 1, 3], [6, 2]);
      return g.op('y', 'SparseToDense', [idx, g.intConst('outShape', [3, 4]), values, g.floatConst('dflt', [], [0.25])]);
    },
    reference: (g, x) => tf.sparseToDense(g.value('idx'), tf.reshape(x, [6]), [3, 4], g.value('dflt') as tf.Scalar),
  },
];

describe('TF.js graph-model ops', () => {
  before(async () => {
    await useTestBackend();
  });

  CASES.forEach((c, k) => {
    test(`${c.name}: forward matches TF.js, VJP matches finite differences`, async () => {
      const g = new GraphModelBuilder();
      g.placeholder(
        'x',
        c.inputShape.map((d, j) => (j === 0 ? -1 : d)),
      );
      c.build(g);
      const graph = await loadTfjsModel(g.write());
      assert.equal(graph.description.format, 'tfjs-graph');
      assert.deepEqual(graph.inputs[0].shape, ['batch', ...c.inputShape.slice(1)]);
      assert.equal(graph.outputs[0].name, 'y');
      const x = tf.randomNormal(c.inputShape, 0, 1, 'float32', 100 + k);
      const y = forward(graph, { x });
      const expected = tf.tidy(() => c.reference(g, x).dataSync() as Float32Array);
      const err = maxRelErr(y, expected);
      assert.ok(err < 1e-5, `${c.name}: forward differs from TF.js by ${err.toExponential(2)}`);
      if (!c.noGrad) checkGraphVjp(graph, 'x', x, 200 + k);
      x.dispose();
    });
  });

  test('a cycle and a dangling input are refused by name; a very deep chain loads', async () => {
    const cyclic = new GraphModelBuilder();
    cyclic.placeholder('x', [-1, 4]);
    cyclic.op('a', 'AddV2', ['x', 'b']);
    cyclic.op('b', 'Relu', ['a']);
    cyclic.op('out', 'Relu', ['b']);
    await assert.rejects(() => loadTfjsModel(cyclic.write()), /cycle through node "(a|b)"/);
    const dangling = new GraphModelBuilder();
    dangling.placeholder('x', [-1, 4]);
    dangling.op('a', 'AddV2', ['x', 'ghost']);
    await assert.rejects(() => loadTfjsModel(dangling.write()), /reads "ghost", which the graph does not define/);
    // Deeper than a recursive walk's call stack (about 10,000 frames in Node's default).
    const deep = new GraphModelBuilder();
    let last = deep.placeholder('x', [-1, 2]);
    for (let k = 0; k < 30000; k++) last = deep.op(`r${k}`, 'Relu', [last]);
    const graph = await loadTfjsModel(deep.write());
    assert.equal(graph.nodes.length, 30000);
  });

  test('a chosen output cuts the graph: an unsupported op after it is no error', async () => {
    const g = new GraphModelBuilder();
    g.placeholder('x', [-1, 6]);
    g.op('y', 'Relu', ['x']);
    g.op('top', 'TopKV2', ['y', g.intConst('k', [2], [])]);
    const file = g.write();
    await assert.rejects(() => loadTfjsModel(file), /TopKV2/);
    const graph = await loadTfjsModel(file, { output: 'y' });
    assert.deepEqual(
      graph.outputs.map((o) => o.name),
      ['y'],
    );
    assert.deepEqual(
      graph.nodes.map((n) => n.op),
      ['Relu'],
    );
    await assert.rejects(() => loadTfjsModel(file, { output: 'nope' }), /chosen output "nope"/);
  });

  test('an Identity output of a tensor that a later node also reads keeps both names valued', async () => {
    // basic-pitch: "Identity" (a graph output) passes on a Reshape that an ExpandDims after
    // it reads too; renaming the Reshape's output to "Identity" left the ExpandDims without a value.
    const g = new GraphModelBuilder();
    g.placeholder('x', [-1, 4]);
    g.op('r', 'Relu', ['x']);
    g.op('Identity', 'Identity', ['r']);
    g.op('later', 'Sigmoid', ['r']);
    const graph = await loadTfjsModel(g.write());
    const x = tf.tensor([[1, -2, 3, -4]]);
    const names = graph.outputs.map((o) => o.name).sort();
    assert.deepEqual(names, ['Identity', 'later']);
    assert.deepEqual(Array.from(forward(graph, { x }, 'Identity')), [1, 0, 3, 0]);
    const later = forward(graph, { x }, 'later');
    assert.ok(Math.abs(later[1] - 0.5) < 1e-6 && Math.abs(later[0] - 1 / (1 + Math.exp(-1))) < 1e-6);
  });

  test('a cond decided by a fixed input folds: Switch passes to the taken branch, Merge keeps it', async () => {
    // RVM: downsample_ratio (unknown rank) chooses a branch by Switch/Merge; a state input is added in.
    const g = new GraphModelBuilder();
    g.nodes.push({ name: 'downsample_ratio', op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: { unknownRank: true } } as Attr } });
    g.nodes.push({ name: 'r1i', op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: { unknownRank: true } } as Attr } });
    g.placeholder('x', [-1, 4]);
    const pred = g.op('pred', 'Equal', ['downsample_ratio', g.floatConst('one', [], [1])]);
    g.op('switch', 'Switch', ['x', pred]);
    g.op('else', 'Neg', ['switch']);
    g.op('then', 'Relu', ['switch:1']);
    const merged = g.op('merge', 'Merge', ['else', 'then']);
    g.op('y', 'AddV2', [merged, 'r1i']);
    const graph = await loadTfjsModel(g.write());
    assert.ok(!graph.nodes.some((n) => n.op === 'Switch' || n.op === 'Merge' || n.op === 'Neg'));
    assert.deepEqual(
      graph.inputs.map((v) => v.name),
      ['x'],
    );
    assert.deepEqual(graph.description.fixedInputs, [
      { name: 'downsample_ratio', value: '1' },
      { name: 'r1i', value: 'zeros' },
    ]);
    assert.deepEqual(Array.from(forward(graph, { x: tf.tensor([[1, -2, 3, -4]]) })), [1, 0, 3, 0]);
  });

  test('a cond whose predicate reads the analysed input stays refused', async () => {
    const g = new GraphModelBuilder();
    g.placeholder('x', [-1, 4]);
    const pred = g.op('pred', 'Greater', [g.op('s', 'Sum', ['x', g.intConst('ax', [1])]), g.floatConst('zero', [], [0])]);
    g.op('switch', 'Switch', ['x', pred]);
    g.op('merge', 'Merge', [g.op('else', 'Neg', ['switch']), g.op('then', 'Relu', ['switch:1'])]);
    await assert.rejects(() => loadTfjsModel(g.write()), /Switch|Merge/);
  });

  test('when post-processing blocks the outputs, the refusal names the tensor to cut at', async () => {
    // A detector's shape: trunk -> head (the deepest tensor), a shallow side branch, then TopKV2
    // and an index computation (FloorMod) on the head; a Shape of the trunk is not differentiable.
    const g = new GraphModelBuilder();
    g.placeholder('x', [-1, 6]);
    g.op('trunk', 'Relu', ['x']);
    g.op('head', 'Sigmoid', ['trunk']);
    g.op('side', 'Tanh', ['x']);
    g.op('shape', 'Shape', ['trunk']);
    g.op('top', 'TopKV2', ['head', g.intConst('k', [2], [])]);
    g.op('idx', 'FloorMod', ['top:1', g.intConst('six', [6], [])]);
    g.op('out', 'AddV2', ['top', 'side']);
    const file = g.write();
    await assert.rejects(
      () => loadTfjsModel(file),
      (e: unknown) => {
        assert.ok(e instanceof ModelLoadError);
        assert.match(e.message, /TopKV2 at "top"/);
        assert.match(e.message, /differentiable up to tensor "head": analyse it up to there with --output "head"/);
        return true;
      },
    );
    // The named tensor does load.
    const graph = await loadTfjsModel(file, { output: 'head' });
    assert.deepEqual(
      graph.nodes.map((n) => n.op),
      ['Relu', 'Sigmoid'],
    );
  });

  test('a map over the batch before the network: the refusal names a start and a cut, and --from makes the start the input', async () => {
    // handtrack's shape: input -> TensorList map (control flow) -> stacked images -> network -> NMS.
    const g = new GraphModelBuilder();
    g.placeholder('x', [-1, 4, 3]);
    g.op('list', 'TensorListFromTensor', ['x', g.intConst('elem', [4, 3])], { element_dtype: FLOAT });
    g.op('stack', 'TensorListStack', ['list', g.intConst('stackShape', [-1, 3])], { element_dtype: FLOAT });
    g.op('y', 'Tanh', [g.op('h', 'Mul', ['stack', g.floatConst('w', [3])])]);
    g.op('top', 'TopKV2', ['y', g.intConst('k', [2], [])]);
    const file = g.write();
    await assert.rejects(
      () => loadTfjsModel(file),
      (e: unknown) => {
        assert.ok(e instanceof ModelLoadError);
        assert.match(e.message, /TensorListStack \(control flow\) at "stack"/);
        assert.match(e.message, /differentiable from tensor "stack" up to tensor "y": analyse it with --from "stack" --output "y"/);
        return true;
      },
    );
    const graph = await loadTfjsModel(file, { from: 'stack', output: 'y' });
    // The element shape [-1, 3] under the batch: a dynamic dimension the user sizes with --dim.
    assert.deepEqual(graph.inputs, [{ name: 'stack', dtype: 'float32', shape: ['batch', 'dim1', 3] }]);
    const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 3);
    const y = forward(graph, { stack: x });
    const expected = tf.tidy(() => tf.tanh(tf.mul(x, g.value('w'))).dataSync() as Float32Array);
    assert.ok(maxRelErr(y, expected) < 1e-6);
    // A start whose shape is unknown (not a TensorListStack) leaves the graph whole.
    await assert.rejects(() => loadTfjsModel(file, { from: 'h', output: 'y' }), /TensorListStack/);
    x.dispose();
  });

  test('nodes keep the TF node names and ops for mapping results back', async () => {
    const g = new GraphModelBuilder();
    g.placeholder('x', [-1, 4, 4, 2]);
    g.op('y', '_FusedConv2D', ['x', g.floatConst('w', [1, 1, 2, 3]), g.floatConst('bias', [3])], {
      strides: ints([1, 1, 1, 1]),
      padding: s('VALID'),
      data_format: NHWC,
      fused_ops: strs(['BiasAdd', 'Relu']),
      num_args: i(1),
    });
    const graph = await loadTfjsModel(g.write());
    assert.deepEqual(
      graph.nodes.map((n) => [n.name, n.op, n.origin.name, n.origin.sourceOp]),
      [
        ['y', 'Conv', 'y', '_FusedConv2D'],
        ['y/relu', 'Relu', 'y', '_FusedConv2D'],
      ],
    );
    assert.deepEqual(graph.nodes[1].outputs, ['y']);
    assert.equal(graph.description.inputLayout, 'NHWC');
  });
});
