/**
 * The kernels of the recording backend (recordBackend.ts): each TensorFlow.js kernel the
 * reverse passes use, as ONNX nodes (opset 18) with TensorFlow.js's semantics, on the same
 * layouts (channels-last stays channels-last; a convolution transposes to ONNX's NCHW around
 * itself, and ONNX Runtime's transpose optimiser cancels the pairs between neighbours).
 * A kernel missing here makes the recording fail, and that pass runs eagerly instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RecordingBackend, RecordingError, RECORD_BACKEND, type Recorder } from './recordBackend';

type Info = tf.TensorInfo;
type Inputs = tf.NamedTensorInfoMap;
type Attrs = Record<string, unknown>;
type KernelBody = (r: Recorder, inputs: Inputs, attrs: Attrs) => Info | Info[];

/** The kernel the recording ConvExecutor calls (ortGraph.ts): one grouped ONNX Conv. */
export const GROUPED_CONV_KERNEL = 'GradientLensGroupedConv';

const ONNX_TYPE: Record<string, number> = { float32: 1, int32: 6, bool: 9, int64: 7 };

function input(inputs: Inputs, name: string): Info {
  const t = inputs[name];
  if (t === undefined) throw new RecordingError(`kernel input ${name} is missing`);
  return t;
}

function ints(v: unknown): number[] {
  return typeof v === 'number' ? [v] : (v as number[]);
}

function register(kernelName: string, body: KernelBody): void {
  tf.registerKernel({
    kernelName,
    backendName: RECORD_BACKEND,
    kernelFunc: ({ inputs, attrs, backend }) => body((backend as RecordingBackend).active(), inputs, (attrs ?? {}) as Attrs),
  });
}

function elementwise(kernelName: string, op: string, outDtype?: tf.DataType): void {
  register(kernelName, (r, inputs) => {
    const a = input(inputs, 'a');
    const b = input(inputs, 'b');
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    return r.output(r.node(op, [r.value(a), r.value(b)]), shape, outDtype ?? a.dtype);
  });
}

function unary(kernelName: string, build: (r: Recorder, x: string, dtype: tf.DataType, attrs: Attrs) => string): void {
  register(kernelName, (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    return r.output(build(r, r.value(x), x.dtype, attrs), x.shape, x.dtype);
  });
}

function reduction(kernelName: string, op: string): void {
  register(kernelName, (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const axes = tf.util.parseAxisParam(ints(attrs.axis), x.shape);
    const keepDims = attrs.keepDims === true;
    const [reduced] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const shape = keepDims ? tf.backend_util.expandShapeToKeepDim(reduced, axes) : reduced;
    if (axes.length === 0) return r.output(r.node('Identity', [r.value(x)]), x.shape, x.dtype);
    return r.output(r.node(op, [r.value(x), r.int64(axes)], { keepdims: keepDims ? 1 : 0 }), shape, x.dtype);
  });
}

/** ONNX Slice over every axis: `begin`, `size` elements, stepping by `steps` (default 1). */
function slice(r: Recorder, x: string, begin: readonly number[], size: readonly number[], steps?: readonly number[]): string {
  const st = steps ?? begin.map(() => 1);
  // An end before index 0 (a negative step down to the start) cannot be written as -1, which
  // ONNX reads as "the last element": any value below -dim means "through index 0".
  const ends = begin.map((b, i) => {
    const e = b + size[i] * st[i];
    return e < 0 ? -(2 ** 31) : e;
  });
  return r.node('Slice', [x, r.int64(begin), r.int64(ends), r.int64(begin.map((_, i) => i)), r.int64(st)]);
}

function nchw(r: number): number[] {
  return [0, r + 1, ...Array.from({ length: r }, (_, i) => i + 1)];
}

function nhwc(r: number): number[] {
  return [0, ...Array.from({ length: r }, (_, i) => i + 2), 1];
}

let registered = false;

/** Registers every kernel once per process (registerKernel refuses a second registration). */
export function registerRecordingKernels(): void {
  if (registered) return;
  registered = true;

  elementwise('Add', 'Add');
  elementwise('Sub', 'Sub');
  elementwise('Multiply', 'Mul');
  elementwise('RealDiv', 'Div');
  elementwise('Minimum', 'Min');
  elementwise('Maximum', 'Max');
  elementwise('Pow', 'Pow');
  elementwise('Greater', 'Greater', 'bool');
  elementwise('GreaterEqual', 'GreaterOrEqual', 'bool');
  elementwise('Less', 'Less', 'bool');
  elementwise('LessEqual', 'LessOrEqual', 'bool');
  elementwise('Equal', 'Equal', 'bool');
  elementwise('LogicalAnd', 'And', 'bool');
  elementwise('LogicalOr', 'Or', 'bool');
  register('NotEqual', (r, inputs) => {
    const a = input(inputs, 'a');
    const b = input(inputs, 'b');
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    return r.output(r.node('Not', [r.node('Equal', [r.value(a), r.value(b)])]), shape, 'bool');
  });

  for (const [k, op] of [
    ['Relu', 'Relu'],
    ['Neg', 'Neg'],
    ['Exp', 'Exp'],
    ['Log', 'Log'],
    ['Abs', 'Abs'],
    ['Sqrt', 'Sqrt'],
    ['Sigmoid', 'Sigmoid'],
    ['Tanh', 'Tanh'],
    ['Reciprocal', 'Reciprocal'],
    ['Sign', 'Sign'],
    ['Floor', 'Floor'],
    ['Erf', 'Erf'],
    ['Identity', 'Identity'],
    ['LogicalNot', 'Not'],
  ] as const) {
    unary(k, (r, x) => r.node(op, [x]));
  }
  unary('Rsqrt', (r, x) => r.node('Reciprocal', [r.node('Sqrt', [x])]));
  unary('Square', (r, x) => r.node('Mul', [x, x]));
  unary('Relu6', (r, x, dtype) => r.node('Clip', [x, r.scalar(0, dtype), r.scalar(6, dtype)]));
  unary('LeakyRelu', (r, x, _d, attrs) => r.node('LeakyRelu', [x], { alpha: { float: attrs.alpha as number } }));
  unary('Elu', (r, x) => r.node('Elu', [x], { alpha: { float: 1 } }));
  unary('ClipByValue', (r, x, dtype, attrs) =>
    r.node('Clip', [x, r.scalar(attrs.clipValueMin as number, dtype), r.scalar(attrs.clipValueMax as number, dtype)]),
  );
  // tf.step: 1 where x > 0, alpha elsewhere, NaN where x is NaN.
  unary('Step', (r, x, dtype, attrs) => {
    const stepped = r.node('Where', [r.node('Greater', [x, r.scalar(0, dtype)]), r.scalar(1, dtype), r.scalar(attrs.alpha as number, dtype)]);
    return r.node('Where', [r.node('IsNaN', [x]), x, stepped]);
  });
  register('IsNan', (r, inputs) => {
    const x = input(inputs, 'x');
    return r.output(r.node('IsNaN', [r.value(x)]), x.shape, 'bool');
  });
  register('Cast', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const dtype = attrs.dtype as tf.DataType;
    const to = ONNX_TYPE[dtype];
    if (to === undefined) throw new RecordingError(`Cast to ${dtype}`);
    return r.output(r.node('Cast', [r.value(x)], { to }), x.shape, dtype);
  });
  register('Select', (r, inputs) => {
    const c = input(inputs, 'condition');
    const t = input(inputs, 't');
    const e = input(inputs, 'e');
    let cond = r.value(c);
    // tf.where with a rank-1 condition picks whole rows of higher-rank operands.
    if (c.shape.length === 1 && t.shape.length > 1) cond = r.node('Reshape', [cond, r.int64([c.shape[0], ...t.shape.slice(1).map(() => 1)])]);
    const shape = tf.backend_util.assertAndGetBroadcastShape(t.shape, e.shape);
    return r.output(r.node('Where', [cond, r.value(t), r.value(e)]), shape, t.dtype);
  });

  reduction('Sum', 'ReduceSum');
  reduction('Mean', 'ReduceMean');
  reduction('Max', 'ReduceMax');
  reduction('Min', 'ReduceMin');
  reduction('Prod', 'ReduceProd');

  register('Reshape', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const shape = tf.util.inferFromImplicitShape(ints(attrs.shape), tf.util.sizeFromShape(x.shape));
    return r.output(r.node('Reshape', [r.value(x), r.int64(shape)]), shape, x.dtype);
  });
  register('ExpandDims', (r, inputs, attrs) => {
    const x = input(inputs, 'input');
    // attrs.dim may count from the end, as tf.expandDims' axis does (-1: a new last axis).
    const dim = Number(attrs.dim);
    const at = dim < 0 ? x.shape.length + 1 + dim : dim;
    const shape = [...x.shape.slice(0, at), 1, ...x.shape.slice(at)];
    return r.output(r.node('Reshape', [r.value(x), r.int64(shape)]), shape, x.dtype);
  });
  register('Transpose', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const perm = ints(attrs.perm);
    return r.output(
      r.node('Transpose', [r.value(x)], { perm }),
      perm.map((p) => x.shape[p]),
      x.dtype,
    );
  });
  register('Tile', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const reps = ints(attrs.reps);
    return r.output(
      r.node('Tile', [r.value(x), r.int64(reps)]),
      x.shape.map((d, i) => d * reps[i]),
      x.dtype,
    );
  });
  register('BroadcastTo', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const shape = ints(attrs.shape);
    return r.output(r.node('Expand', [r.value(x), r.int64(shape)]), shape, x.dtype);
  });
  register('Fill', (r, _inputs, attrs) => r.backend.filled(attrs.value as number, ints(attrs.shape), (attrs.dtype as tf.DataType | undefined) ?? 'float32'));
  register('ZerosLike', (r, inputs) => {
    const x = input(inputs, 'x');
    return r.backend.filled(0, x.shape, x.dtype);
  });
  register('OnesLike', (r, inputs) => {
    const x = input(inputs, 'x');
    return r.backend.filled(1, x.shape, x.dtype);
  });
  register('Pack', (r, inputs, attrs) => {
    const xs = Object.keys(inputs)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => input(inputs, k));
    const first = xs[0];
    const axis = tf.util.parseAxisParam(attrs.axis as number, [...first.shape, 1])[0];
    const axes = r.int64([axis]);
    const parts = xs.map((x) => r.node('Unsqueeze', [r.value(x), axes]));
    const shape = [...first.shape];
    shape.splice(axis, 0, xs.length);
    return r.output(parts.length === 1 ? parts[0] : r.node('Concat', parts, { axis }), shape, first.dtype);
  });
  register('Concat', (r, inputs, attrs) => {
    const all = Object.keys(inputs)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => input(inputs, k));
    const axis = tf.util.parseAxisParam(attrs.axis as number, all[0].shape)[0];
    // tf.concat drops empty operands.
    const xs = all.filter((x) => tf.util.sizeFromShape(x.shape) > 0);
    const used = xs.length > 0 ? xs : all.slice(0, 1);
    const shape = tf.backend_util.computeOutShape(
      used.map((x) => x.shape),
      axis,
    );
    const names = used.map((x) => r.value(x));
    return r.output(names.length === 1 ? r.node('Identity', names) : r.node('Concat', names, { axis }), shape, used[0].dtype);
  });
  register('SplitV', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number | number[], axis);
    const outs = r.nodeN('Split', [r.value(x), r.int64(sizes)], sizes.length, { axis });
    return outs.map((name, i) => {
      const shape = [...x.shape];
      shape[axis] = sizes[i];
      return r.output(name, shape, x.dtype);
    });
  });
  register('Slice', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]);
    return r.output(slice(r, r.value(x), begin, size), size, x.dtype);
  });
  register('StridedSlice', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const info = tf.slice_util.sliceInfo(
      x.shape,
      attrs.begin as number[],
      attrs.end as number[],
      attrs.strides as number[],
      attrs.beginMask as number,
      attrs.endMask as number,
      attrs.ellipsisMask as number,
      attrs.newAxisMask as number,
      attrs.shrinkAxisMask as number,
    );
    if (info.finalShapeSparse.length !== x.shape.length) throw new RecordingError('StridedSlice with new axes');
    const sliced = info.isIdentity ? r.value(x) : slice(r, r.value(x), info.begin, info.finalShapeSparse, info.strides);
    return r.output(r.node('Reshape', [sliced, r.int64(info.finalShape)]), info.finalShape, x.dtype);
  });
  register('Reverse', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const axes = tf.util.parseAxisParam(ints(attrs.dims), x.shape);
    if (axes.length === 0) return r.output(r.node('Identity', [r.value(x)]), x.shape, x.dtype);
    const ends = axes.map(() => -(2 ** 31));
    const out = r.node('Slice', [r.value(x), r.int64(axes.map(() => -1)), r.int64(ends), r.int64(axes), r.int64(axes.map(() => -1))]);
    return r.output(out, x.shape, x.dtype);
  });
  register('PadV2', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const paddings = attrs.paddings as [number, number][];
    const pads = [...paddings.map((p) => p[0]), ...paddings.map((p) => p[1])];
    const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
    return r.output(r.node('Pad', [r.value(x), r.int64(pads), r.scalar(attrs.constantValue as number, x.dtype)]), shape, x.dtype);
  });
  register('BatchMatMul', (r, inputs, attrs) => {
    const a = input(inputs, 'a');
    const b = input(inputs, 'b');
    const last = (t: Info, transposed: boolean): string => {
      const n = t.shape.length;
      const perm = [...Array.from({ length: n - 2 }, (_, i) => i), n - 1, n - 2];
      return transposed ? r.node('Transpose', [r.value(t)], { perm }) : r.value(t);
    };
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    const m = a.shape[a.shape.length - (ta ? 1 : 2)];
    const n = b.shape[b.shape.length - (tb ? 2 : 1)];
    const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return r.output(r.node('MatMul', [last(a, ta), last(b, tb)]), [...batch, m, n], a.dtype);
  });
  register('GatherV2', (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const indices = input(inputs, 'indices');
    if ((attrs.batchDims as number | undefined) ?? 0) throw new RecordingError('GatherV2 with batch dimensions');
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    return r.output(r.node('Gather', [r.value(x), r.value(indices)], { axis }), shape, x.dtype);
  });
  // tf.scatterND sums the updates of repeated indices, as ONNX ScatterND with reduction 'add'
  // onto zeros does.
  register('ScatterNd', (r, inputs, attrs) => {
    const indices = input(inputs, 'indices');
    const updates = input(inputs, 'updates');
    const shape = ints(attrs.shape);
    const zeros = r.node('Expand', [r.scalar(0, updates.dtype), r.int64(shape)]);
    const idx = r.node('Cast', [r.value(indices)], { to: ONNX_TYPE.int64 });
    return r.output(r.node('ScatterND', [zeros, idx, r.value(updates)], { reduction: { text: 'add' } }), shape, updates.dtype);
  });
  // The convolution primitive (convCore.ts convValid): channels-last x and a TF-layout kernel
  // [k..., Cin/g, Cout], 'valid' over x padded by begin/end; ONNX group order.
  register(GROUPED_CONV_KERNEL, (r, inputs, attrs) => {
    const x = input(inputs, 'x');
    const w = input(inputs, 'w');
    const rank = x.shape.length - 2;
    const strides = ints(attrs.strides);
    const dilations = ints(attrs.dilations);
    const begin = ints(attrs.begin);
    const end = ints(attrs.end);
    const spatial = Array.from({ length: rank }, (_, i) => i);
    const groups = x.shape[rank + 1] / w.shape[rank];
    const cout = w.shape[rank + 1];
    const out = spatial.map((i) => {
      const extent = (w.shape[i] - 1) * dilations[i] + 1;
      return Math.floor((x.shape[i + 1] + begin[i] + end[i] - extent) / strides[i]) + 1;
    });
    const xc = r.node('Transpose', [r.value(x)], { perm: nchw(rank) });
    const wc = r.node('Transpose', [r.value(w)], { perm: [rank + 1, rank, ...spatial] });
    const yc = r.node('Conv', [xc, wc], { group: groups, strides, dilations, pads: [...begin, ...end], kernel_shape: w.shape.slice(0, rank) });
    return r.output(r.node('Transpose', [yc], { perm: nhwc(rank) }), [x.shape[0], ...out, cout], x.dtype);
  });
}
