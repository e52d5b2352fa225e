/**
 * Shape manipulation, indexing and tensor-creation ops (ONNX opset 18). Shape-like inputs
 * (shape, axes, starts, pads, repeats) are read synchronously through the kernel context;
 * they are never data inputs. Everything here that moves data is affine in it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes, ConstTensor } from '../graph/ir';
import { KernelError, type ForwardArgs, type OpKernel, type Tensor } from './kernel';
import {
  attrBool,
  attrInts,
  attrNumber,
  attrString,
  attrTensor,
  broadcastShapes,
  normalizeAxis,
  optionalInts,
  required,
  toBool,
  unbroadcast,
  VARIADIC_INPUTS,
} from './kernelUtil';
import { applySlice, slicePlanOf, sliceVjp } from './slicing';
import { applyPad, padPlanOf, padVjp } from './padding';
import { broadcastAll, fromShape, noLargerThanInput, numbersAt, shapeVector, sumOfInputs, type OutputBound } from './bounds';

/** Data's dimensions with the gathered axis replaced by the indices' shape (repeated indices repeat rows). */
const gatherBound: OutputBound = (inputs, node) => {
  const [data, indices] = inputs;
  if (!data || !indices) return undefined;
  const axis = attrNumber(node.attrs, 'axis', 0);
  const a = axis < 0 ? axis + data.rank : axis;
  return fromShape([...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)]);
};

const tileBound: OutputBound = (inputs, _node, ctx) => {
  const x = inputs[0];
  const reps = numbersAt(inputs, 1, ctx);
  return x && reps ? fromShape(x.shape.map((d, i) => d * Math.max(0, reps[i] ?? 1))) : undefined;
};

const expandBound: OutputBound = (inputs, _node, ctx) => {
  const x = inputs[0];
  const shape = numbersAt(inputs, 1, ctx);
  return x && shape ? fromShape(broadcastAll([x.shape, shape])) : undefined;
};

const padBound: OutputBound = (inputs, _node, ctx) => {
  const x = inputs[0];
  const pads = numbersAt(inputs, 1, ctx);
  if (!x || !pads) return undefined;
  const axes = numbersAt(inputs, 3, ctx) ?? x.shape.map((_, i) => i);
  const out = [...x.shape];
  axes.forEach((a, j) => {
    const axis = a < 0 ? a + x.rank : a;
    out[axis] += Math.max(0, pads[j] ?? 0) + Math.max(0, pads[j + axes.length] ?? 0);
  });
  return fromShape(out);
};

const constantOfShapeBound: OutputBound = (inputs, _node, ctx) => {
  const shape = numbersAt(inputs, 0, ctx);
  return shape ? fromShape(shape.map((d) => Math.max(0, d))) : undefined;
};

/** The value the loader already read (and bounded as a constant). */
const constantBound: OutputBound = (_inputs, node) => {
  const list = node.attrs.value_floats ?? node.attrs.value_ints;
  return fromShape(attrTensor(node.attrs, 'value')?.shape ?? (Array.isArray(list) ? [list.length] : []));
};

const rangeBound: OutputBound = (inputs, _node, ctx) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => numbersAt(inputs, i, ctx)?.[0]);
  if (start === undefined || limit === undefined || delta === undefined || delta === 0) return undefined;
  return { elements: Math.max(0, Math.ceil((limit - start) / delta)), detail: `range ${start} to ${limit} step ${delta}` };
};

/** A kernel whose output is a reshape of input 0: the VJP reshapes back. */
function reshapeLike(outShape: (args: ForwardArgs, x: Tensor) => number[]): OpKernel {
  return {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    affine: true,
    forward: (args) => {
      const x = required(args.inputs, 0, 'data');
      return [tf.reshape(x, outShape(args, x))];
    },
    // Stacked probes (only when axis 0 is kept) stay in front of the input's other axes.
    vjp: ({ inputs, outputs, dys }) => {
      const x = inputs[0]!;
      const dy = dys[0]!;
      return [tf.reshape(dy, dy.shape[0] === outputs[0].shape[0] ? x.shape : [-1, ...x.shape.slice(1)])];
    },
    probeStacking: ({ inputs, outputs }) => (inputs[0]!.rank > 0 && outputs[0].rank > 0 && inputs[0]!.shape[0] === outputs[0].shape[0] ? 'stacked' : undefined),
  };
}

/** ONNX Reshape target: 0 copies the input dim (unless allowzero), -1 is inferred. */
export function reshapeTarget(inShape: readonly number[], spec: readonly number[], allowZero: boolean): number[] {
  const out = spec.map((d, i) => (d === 0 && !allowZero ? inShape[i] : d));
  const inferred = out.indexOf(-1);
  if (inferred >= 0) {
    const known = out.reduce((p, d, i) => (i === inferred ? p : p * d), 1);
    const total = inShape.reduce((p, d) => p * d, 1);
    if (known === 0 || total % known !== 0) throw new KernelError(`Reshape: cannot infer -1 from [${inShape}] to [${spec}]`);
    out[inferred] = total / known;
  }
  return out;
}

function squeezedShape(args: ForwardArgs, x: Tensor): number[] {
  const given = optionalInts(args.inputs, 1, args.ctx) ?? attrInts(args.attrs, 'axes');
  if (given === undefined || given.length === 0) return x.shape.filter((d) => d !== 1);
  const axes = given.map((a) => normalizeAxis(a, x.rank));
  axes.forEach((a) => {
    if (x.shape[a] !== 1) throw new KernelError(`Squeeze: axis ${a} has size ${x.shape[a]}, not 1`);
  });
  return x.shape.filter((_, i) => !axes.includes(i));
}

function unsqueezedShape(args: ForwardArgs, x: Tensor): number[] {
  const given = optionalInts(args.inputs, 1, args.ctx) ?? attrInts(args.attrs, 'axes');
  if (given === undefined) throw new KernelError('Unsqueeze: axes are required');
  const rank = x.rank + given.length;
  const axes = new Set(given.map((a) => normalizeAxis(a, rank)));
  if (axes.size !== given.length) throw new KernelError('Unsqueeze: repeated axis');
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(axes.has(i) ? 1 : x.shape[k++]);
  return out;
}

function flattenedShape(args: ForwardArgs, x: Tensor): number[] {
  const raw = attrNumber(args.attrs, 'axis', 1);
  const axis = raw < 0 ? raw + x.rank : raw;
  if (axis < 0 || axis > x.rank) throw new KernelError(`Flatten: axis ${raw} out of range for rank ${x.rank}`);
  const prod = (ds: number[]): number => ds.reduce((p, d) => p * d, 1);
  return [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))];
}

function transposePerm(attrs: Attributes, rank: number): number[] {
  const perm = attrInts(attrs, 'perm');
  return perm === undefined || perm.length === 0 ? Array.from({ length: rank }, (_, i) => rank - 1 - i) : perm.map((a) => normalizeAxis(a, rank));
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = perm.map(() => 0);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function presentInputs(inputs: readonly (Tensor | undefined)[]): Tensor[] {
  return inputs.filter((t): t is Tensor => t !== undefined);
}

const concat: OpKernel = {
  dataInputs: VARIADIC_INPUTS,
  outputBound: sumOfInputs,
  layout: 'same-rank',
  affine: true,
  forward: ({ inputs, attrs }) => {
    const xs = presentInputs(inputs);
    if (xs.length === 0) throw new KernelError('Concat needs at least one input');
    const axis = normalizeAxis(attrNumber(attrs, 'axis', 0), xs[0].rank);
    const nonEmpty = xs.filter((x) => x.size > 0);
    if (nonEmpty.length === 0) {
      const shape = [...xs[0].shape];
      shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
      return [tf.zeros(shape, xs[0].dtype)];
    }
    return [nonEmpty.length === 1 ? nonEmpty[0].clone() : tf.concat(nonEmpty, axis)];
  },
  vjp: ({ inputs, attrs, dys }) => {
    const dy = dys[0]!;
    const axis = normalizeAxis(attrNumber(attrs, 'axis', 0), dy.rank);
    let offset = 0;
    return inputs.map((x) => {
      if (x === undefined) return undefined;
      const begin = dy.shape.map((_, i) => (i === axis ? offset : 0));
      offset += x.shape[axis];
      return tf.slice(dy, begin, x.shape);
    });
  },
};

/** Sizes of the Split outputs along the axis. */
function splitSizes(args: ForwardArgs, dim: number): number[] {
  const given = optionalInts(args.inputs, 1, args.ctx) ?? attrInts(args.attrs, 'split');
  if (given !== undefined && given.length > 0) {
    if (given.reduce((a, b) => a + b, 0) !== dim) throw new KernelError(`Split: sizes [${given}] do not add up to ${dim}`);
    return given;
  }
  const n = attrNumber(args.attrs, 'num_outputs', args.node.outputs.length);
  // ONNX: chunks of ceil(dim / n), the last one smaller when dim does not divide.
  const chunk = Math.ceil(dim / n);
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
}

const split: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  affine: true,
  forward: (args) => {
    const x = required(args.inputs, 0, 'input');
    const axis = normalizeAxis(attrNumber(args.attrs, 'axis', 0), x.rank);
    let offset = 0;
    return splitSizes(args, x.shape[axis]).map((n) => {
      const begin = x.shape.map((_, i) => (i === axis ? offset : 0));
      const size = x.shape.map((d, i) => (i === axis ? n : d));
      offset += n;
      return n === 0 ? tf.zeros(size, x.dtype) : tf.slice(x, begin, size);
    });
  },
  vjp: ({ inputs, attrs, dys }) => {
    const x = inputs[0]!;
    const axis = normalizeAxis(attrNumber(attrs, 'axis', 0), x.rank);
    const parts = dys.filter((d): d is Tensor => d !== undefined && d.size > 0);
    if (parts.length === 0) return [tf.zeros(x.shape, 'float32')];
    return [parts.length === 1 ? parts[0].clone() : tf.concat(parts, axis)];
  },
};

/** Gather indices with negatives wrapped, as int32. */
function gatherIndices(indices: Tensor, dim: number): Tensor {
  const idx = indices.dtype === 'int32' ? indices : tf.cast(indices, 'int32');
  return tf.where(tf.less(idx, 0), tf.add(idx, tf.scalar(dim, 'int32')), idx);
}

const gather: OpKernel = {
  dataInputs: [0],
  outputBound: gatherBound,
  affine: true,
  forward: ({ inputs, attrs }) => {
    const x = required(inputs, 0, 'data');
    const axis = normalizeAxis(attrNumber(attrs, 'axis', 0), x.rank);
    return [tf.gather(x, gatherIndices(required(inputs, 1, 'indices'), x.shape[axis]), axis)];
  },
  // Scatter-add of the cotangent: duplicate indices sum (tf.scatterND adds duplicates).
  vjp: ({ inputs, attrs, dys }) => {
    const x = inputs[0]!;
    const axis = normalizeAxis(attrNumber(attrs, 'axis', 0), x.rank);
    const indices = inputs[1]!;
    const q = indices.rank;
    const nIdx = indices.size;
    if (nIdx === 0) return [tf.zeros(x.shape, 'float32'), undefined];
    const dy = dys[0]!;
    // dy is pre + indices.shape + post; bring the index dims to the front.
    const idxDims = Array.from({ length: q }, (_, i) => axis + i);
    const rest = dy.shape.map((_, i) => i).filter((i) => i < axis || i >= axis + q);
    const front = tf.transpose(dy, [...idxDims, ...rest]);
    const pre = x.shape.slice(0, axis);
    const post = x.shape.slice(axis + 1);
    const updates = tf.reshape(front, [nIdx, ...pre, ...post]);
    const flatIdx = tf.reshape(gatherIndices(indices, x.shape[axis]), [nIdx, 1]);
    const scattered = tf.scatterND(flatIdx, updates, [x.shape[axis], ...pre, ...post]);
    const perm = [...pre.map((_, i) => i + 1), 0, ...post.map((_, i) => pre.length + 1 + i)];
    return [tf.transpose(scattered, perm), undefined];
  },
};

const tile: OpKernel = {
  dataInputs: [0],
  outputBound: tileBound,
  affine: true,
  forward: ({ inputs, ctx }) => {
    const x = required(inputs, 0, 'input');
    const reps = ctx.readNumbers(required(inputs, 1, 'repeats'));
    if (reps.length !== x.rank) throw new KernelError(`Tile: ${reps.length} repeats for rank ${x.rank}`);
    return [tf.tile(x, reps)];
  },
  // dy viewed as [r0, d0, r1, d1, ...] summed over the repeat axes.
  vjp: ({ inputs, dys, ctx }) => {
    const x = inputs[0]!;
    const reps = ctx.readNumbers(inputs[1]!);
    const interleaved = x.shape.flatMap((d, i) => [reps[i], d]);
    const repeatAxes = x.shape.map((_, i) => 2 * i);
    return [tf.reshape(tf.sum(tf.reshape(dys[0]!, interleaved), repeatAxes), x.shape)];
  },
};

const expand: OpKernel = {
  dataInputs: [0],
  outputBound: expandBound,
  affine: true,
  forward: ({ inputs, ctx }) => {
    const x = required(inputs, 0, 'input');
    const shape = broadcastShapes(x.shape, ctx.readNumbers(required(inputs, 1, 'shape')));
    return [tf.util.arraysEqual(shape, x.shape) ? x.clone() : tf.broadcastTo(x, shape)];
  },
  vjp: ({ inputs, dys }) => [unbroadcast(dys[0]!, inputs[0]!.shape)],
};

/** Reshape, transpose, reshape: DepthToSpace and SpaceToDepth in either layout. */
interface Rearrangement {
  readonly split: number[];
  readonly perm: number[];
  readonly out: number[];
}

function rearrange(x: Tensor, r: Rearrangement): Tensor {
  return tf.reshape(tf.transpose(tf.reshape(x, r.split), r.perm), r.out);
}

function rearrangeVjp(dy: Tensor, inShape: number[], r: Rearrangement): Tensor {
  const permuted = r.perm.map((p) => r.split[p]);
  return tf.reshape(tf.transpose(tf.reshape(dy, permuted), inversePerm(r.perm)), inShape);
}

function rank4(x: Tensor, op: string): [number, number, number, number] {
  if (x.rank !== 4) throw new KernelError(`${op} needs a rank-4 input, got rank ${x.rank}`);
  const [n, a, b, c] = x.shape as number[];
  return [n, a, b, c];
}

function depthToSpacePlan(x: Tensor, attrs: Attributes): Rearrangement {
  const b = attrNumber(attrs, 'blocksize', 0);
  const mode = attrString(attrs, 'mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') throw new KernelError(`DepthToSpace mode "${mode}" is not DCR or CRD`);
  if (attrBool(attrs, 'channelsLast')) {
    const [n, h, w, c] = rank4(x, 'DepthToSpace');
    const co = c / (b * b);
    if (!Number.isInteger(co)) throw new KernelError(`DepthToSpace: ${c} channels not divisible by ${b * b}`);
    return mode === 'DCR'
      ? { split: [n, h, w, b, b, co], perm: [0, 1, 3, 2, 4, 5], out: [n, h * b, w * b, co] }
      : { split: [n, h, w, co, b, b], perm: [0, 1, 4, 2, 5, 3], out: [n, h * b, w * b, co] };
  }
  const [n, c, h, w] = rank4(x, 'DepthToSpace');
  const co = c / (b * b);
  if (!Number.isInteger(co)) throw new KernelError(`DepthToSpace: ${c} channels not divisible by ${b * b}`);
  return mode === 'DCR'
    ? { split: [n, b, b, co, h, w], perm: [0, 3, 4, 1, 5, 2], out: [n, co, h * b, w * b] }
    : { split: [n, co, b, b, h, w], perm: [0, 1, 4, 2, 5, 3], out: [n, co, h * b, w * b] };
}

function spaceToDepthPlan(x: Tensor, attrs: Attributes): Rearrangement {
  const b = attrNumber(attrs, 'blocksize', 0);
  if (attrBool(attrs, 'channelsLast')) {
    const [n, h, w, c] = rank4(x, 'SpaceToDepth');
    if (h % b !== 0 || w % b !== 0) throw new KernelError(`SpaceToDepth: ${h}x${w} not divisible by ${b}`);
    return { split: [n, h / b, b, w / b, b, c], perm: [0, 1, 3, 2, 4, 5], out: [n, h / b, w / b, b * b * c] };
  }
  const [n, c, h, w] = rank4(x, 'SpaceToDepth');
  if (h % b !== 0 || w % b !== 0) throw new KernelError(`SpaceToDepth: ${h}x${w} not divisible by ${b}`);
  return { split: [n, c, h / b, b, w / b, b], perm: [0, 3, 5, 1, 2, 4], out: [n, c * b * b, h / b, w / b] };
}

function rearrangeKernel(plan: (x: Tensor, attrs: Attributes) => Rearrangement): OpKernel {
  return {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    layout: 'channels-last',
    affine: true,
    forward: ({ inputs, attrs }) => {
      const x = required(inputs, 0, 'input');
      return [rearrange(x, plan(x, attrs))];
    },
    vjp: ({ inputs, attrs, dys }) => {
      const x = inputs[0]!;
      return [rearrangeVjp(dys[0]!, x.shape, plan(x, attrs))];
    },
  };
}

function constTensor(c: ConstTensor): Tensor {
  return tf.tensor(c.data, [...c.shape], c.dtype);
}

/** The value of a Constant node from whichever value attribute it carries. */
function constantValue(attrs: Attributes): Tensor {
  const t = attrTensor(attrs, 'value');
  if (t !== undefined) return constTensor(t);
  const f = attrs.value_float;
  if (typeof f === 'number') return tf.scalar(f, 'float32');
  const fs = attrs.value_floats;
  if (Array.isArray(fs)) return tf.tensor1d(fs as number[], 'float32');
  const i = attrs.value_int;
  if (typeof i === 'number') return tf.scalar(i, 'int32');
  const is = attrs.value_ints;
  if (Array.isArray(is)) return tf.tensor1d(is as number[], 'int32');
  throw new KernelError('Constant has no supported value attribute (value, value_float(s), value_int(s))');
}

function fillWith(shape: number[], value: number, dtype: ConstTensor['dtype']): Tensor {
  if (dtype === 'bool') return toBool(tf.fill(shape, value, 'int32'));
  return tf.fill(shape, value, dtype);
}

export const shapeKernels: Record<string, OpKernel> = {
  Reshape: reshapeLike(({ inputs, attrs, ctx }, x) =>
    reshapeTarget(x.shape, ctx.readNumbers(required(inputs, 1, 'shape')), attrNumber(attrs, 'allowzero', 0) !== 0),
  ),
  Flatten: reshapeLike(flattenedShape),
  Squeeze: reshapeLike(squeezedShape),
  Unsqueeze: reshapeLike(unsqueezedShape),
  Transpose: {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    layout: 'same-rank',
    affine: true,
    forward: ({ inputs, attrs }) => {
      const x = required(inputs, 0, 'data');
      return [tf.transpose(x, transposePerm(attrs, x.rank))];
    },
    vjp: ({ inputs, attrs, dys }) => [tf.transpose(dys[0]!, inversePerm(transposePerm(attrs, inputs[0]!.rank)))],
    probeStacking: ({ inputs, attrs }) => (transposePerm(attrs, inputs[0]!.rank)[0] === 0 ? 'stacked' : undefined),
  },
  Concat: concat,
  Split: split,
  Slice: {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    affine: true,
    forward: ({ inputs, ctx }) => [applySlice(required(inputs, 0, 'data'), slicePlanOf(inputs, ctx))],
    vjp: ({ inputs, dys, ctx }) => [sliceVjp(dys[0]!, inputs[0]!.shape, slicePlanOf(inputs, ctx))],
  },
  Gather: gather,
  Tile: tile,
  Expand: expand,
  Pad: {
    dataInputs: [0],
    outputBound: padBound,
    affine: true,
    forward: ({ inputs, attrs, ctx }) => [applyPad(required(inputs, 0, 'data'), padPlanOf(inputs, attrs, ctx))],
    vjp: ({ inputs, attrs, dys, ctx }) => [padVjp(dys[0]!, inputs[0]!.shape, padPlanOf(inputs, attrs, ctx))],
  },
  DepthToSpace: rearrangeKernel(depthToSpacePlan),
  SpaceToDepth: rearrangeKernel(spaceToDepthPlan),
  Shape: {
    dataInputs: [],
    outputBound: shapeVector,
    forward: ({ inputs, attrs }) => {
      const x = required(inputs, 0, 'data');
      const r = x.rank;
      const bound = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const start = bound(attrNumber(attrs, 'start', 0));
      const end = bound(attrNumber(attrs, 'end', r));
      return [tf.tensor1d(x.shape.slice(start, Math.max(start, end)), 'int32')];
    },
  },
  Size: {
    dataInputs: [],
    outputBound: shapeVector,
    forward: ({ inputs }) => [tf.scalar(required(inputs, 0, 'data').size, 'int32')],
  },
  ConstantOfShape: {
    dataInputs: [],
    outputBound: constantOfShapeBound,
    forward: ({ inputs, attrs, ctx }) => {
      const shape = ctx.readNumbers(required(inputs, 0, 'input'));
      const v = attrTensor(attrs, 'value');
      if (v === undefined) return [tf.zeros(shape, 'float32')];
      return [fillWith(shape, v.data[0] ?? 0, v.dtype)];
    },
  },
  Constant: {
    dataInputs: [],
    outputBound: constantBound,
    forward: ({ attrs }) => [constantValue(attrs)],
  },
  Range: {
    dataInputs: [],
    outputBound: rangeBound,
    forward: ({ inputs, ctx }) => {
      const startT = required(inputs, 0, 'start');
      const start = ctx.readNumbers(startT)[0];
      const limit = ctx.readNumbers(required(inputs, 1, 'limit'))[0];
      const delta = ctx.readNumbers(required(inputs, 2, 'delta'))[0];
      if (delta === 0) throw new KernelError('Range: delta is 0');
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      const dtype = startT.dtype === 'int32' ? 'int32' : 'float32';
      return [
        tf.tensor1d(
          Array.from({ length: n }, (_, i) => start + i * delta),
          dtype,
        ),
      ];
    },
  },
};
