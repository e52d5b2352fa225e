/**
 * Index-driven ops: Trilu (a triangular mask), GatherND and ScatterND (ONNX opset 18).
 * GatherND's VJP is a scatter-add of the cotangent (duplicate indices sum); ScatterND's VJP
 * gathers the cotangent at the written positions for the updates and zeroes them for the data.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../graph/ir';
import { KernelError, type KernelContext, type OpKernel, type Tensor } from './kernel';
import { attrNumber, attrString, optionalScalar, required } from './kernelUtil';
import { fromShape, noLargerThanInput, type OutputBound } from './bounds';

/** Trilu's mask over the last two axes: true where the element is kept. */
function triluMask(rows: number, cols: number, k: number, upper: boolean): Tensor {
  const kept = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) kept[i * cols + j] = (upper ? j - i >= k : j - i <= k) ? 1 : 0;
  }
  return tf.tensor(kept, [rows, cols], 'bool');
}

function triluMaskOf(x: Tensor, inputs: readonly (Tensor | undefined)[], attrs: Attributes, ctx: KernelContext): Tensor {
  if (x.rank < 2) throw new KernelError(`Trilu needs rank 2 or more, got rank ${x.rank}`);
  const k = optionalScalar(inputs, 1, ctx) ?? 0;
  const upper = attrNumber(attrs, 'upper', 1) !== 0;
  return triluMask(x.shape[x.rank - 2], x.shape[x.rank - 1], k, upper);
}

/** Zeros where the mask is false (a product would turn an infinite element into NaN). */
function masked(mask: Tensor, x: Tensor): Tensor {
  return tf.where(tf.broadcastTo(mask, x.shape), x, tf.zerosLike(x));
}

const trilu: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  affine: true,
  forward: ({ inputs, attrs, ctx }) => {
    const x = required(inputs, 0, 'input');
    return [masked(triluMaskOf(x, inputs, attrs, ctx), x)];
  },
  vjp: ({ inputs, attrs, ctx, dys }) => [masked(triluMaskOf(inputs[0]!, inputs, attrs, ctx), dys[0]!)],
  // The mask covers the last two axes: probes stacked in a leading axis broadcast against it.
  probeStacking: () => 'leading',
};

/**
 * GatherND and ScatterND address `data` by tuples along the last axis of `indices`, after
 * `batchDims` leading axes shared by both. Both are computed on a view with the batch axes
 * flattened into one and the batch index prepended to each tuple, so tf.gatherND/scatterND
 * (which know no batch axes) do the work; negative indices are wrapped first.
 */
interface NdPlan {
  /** data viewed as [batch, ...data.shape[batchDims:]] (batch 1 when batchDims is 0, then no prefix). */
  readonly dataView: number[];
  /** int32 tuples [..., (1 +) k] addressing dataView. */
  readonly tuples: Tensor;
  /** The op's output shape (GatherND) or the updates' shape (ScatterND). */
  readonly sliceShape: number[];
}

function ndPlan(data: Tensor, indices: Tensor, batchDims: number): NdPlan {
  if (indices.rank < 1) throw new KernelError('indices must have rank 1 or more');
  if (batchDims < 0 || batchDims >= Math.min(data.rank, indices.rank)) throw new KernelError(`batch_dims ${batchDims} is out of range`);
  const k = indices.shape[indices.rank - 1];
  if (batchDims + k > data.rank) throw new KernelError(`index tuples of length ${k} exceed the rank ${data.rank} of data`);
  const batchShape = data.shape.slice(0, batchDims);
  if (!tf.util.arraysEqual(batchShape, indices.shape.slice(0, batchDims))) throw new KernelError('data and indices differ in their batch axes');
  const addressed = data.shape.slice(batchDims, batchDims + k);
  const idx = indices.dtype === 'int32' ? indices : tf.cast(indices, 'int32');
  const dims = tf.tensor1d(addressed, 'int32');
  const wrapped = tf.where(tf.less(idx, 0), tf.add(idx, dims), idx);
  const sliceShape = [...indices.shape.slice(0, -1), ...data.shape.slice(batchDims + k)];
  if (batchDims === 0) return { dataView: [...data.shape], tuples: wrapped, sliceShape };
  const batch = batchShape.reduce((a, b) => a * b, 1);
  const perBatch = indices.shape.slice(batchDims, -1);
  const flat = tf.reshape(wrapped, [batch, ...perBatch, k]);
  const batchIndex = tf.broadcastTo(tf.reshape(tf.range(0, batch, 1, 'int32'), [batch, ...perBatch.map(() => 1), 1]), [batch, ...perBatch, 1]);
  return { dataView: [batch, ...data.shape.slice(batchDims)], tuples: tf.concat([batchIndex, flat], -1), sliceShape };
}

function batchDimsOf(attrs: Attributes): number {
  return attrNumber(attrs, 'batch_dims', 0);
}

function gatherNd(data: Tensor, plan: NdPlan): Tensor {
  return tf.reshape(tf.gatherND(tf.reshape(data, plan.dataView), plan.tuples), plan.sliceShape);
}

/** The tuples' leading shape times the addressed slices' size. */
const gatherNdBound: OutputBound = (inputs, node) => {
  const [data, indices] = inputs;
  if (!data || !indices || indices.rank < 1) return undefined;
  const b = attrNumber(node.attrs, 'batch_dims', 0);
  const k = indices.shape[indices.rank - 1];
  return fromShape([...indices.shape.slice(0, -1), ...data.shape.slice(b + k)]);
};

const gatherNdKernel: OpKernel = {
  dataInputs: [0],
  outputBound: gatherNdBound,
  affine: true,
  forward: ({ inputs, attrs }) => {
    const data = required(inputs, 0, 'data');
    return [gatherNd(data, ndPlan(data, required(inputs, 1, 'indices'), batchDimsOf(attrs)))];
  },
  vjp: ({ inputs, attrs, dys }) => {
    const data = inputs[0]!;
    const plan = ndPlan(data, inputs[1]!, batchDimsOf(attrs));
    const updates = tf.reshape(dys[0]!, scatterUpdatesShape(plan));
    // tf.scatterND adds the updates of duplicate tuples: the sum the chain rule asks for.
    return [tf.reshape(tf.scatterND(plan.tuples, updates, plan.dataView), data.shape), undefined];
  },
};

type Reduction = 'none' | 'add';

function reductionOf(attrs: Attributes): Reduction {
  const r = attrString(attrs, 'reduction', 'none');
  if (r !== 'none' && r !== 'add') throw new KernelError(`ScatterND reduction "${r}" is not supported (none, add)`);
  return r;
}

/** Where ScatterND writes: true at every addressed element of data. */
function writtenMask(plan: NdPlan): Tensor {
  return tf.greater(tf.scatterND(plan.tuples, tf.ones(scatterUpdatesShape(plan), 'int32'), plan.dataView), 0);
}

function scatterUpdatesShape(plan: NdPlan): number[] {
  const k = plan.tuples.shape[plan.tuples.rank - 1];
  return [...plan.tuples.shape.slice(0, -1), ...plan.dataView.slice(k)];
}

const scatterNdKernel: OpKernel = {
  dataInputs: [0, 2],
  outputBound: noLargerThanInput,
  forward: ({ inputs, attrs }) => {
    const data = required(inputs, 0, 'data');
    const updates = required(inputs, 2, 'updates');
    const plan = ndPlan(data, required(inputs, 1, 'indices'), 0);
    if (!tf.util.arraysEqual(updates.shape, plan.sliceShape))
      throw new KernelError(`ScatterND: updates of shape [${updates.shape}], expected [${plan.sliceShape}]`);
    const scattered = tf.scatterND(plan.tuples, updates.dtype === data.dtype ? updates : tf.cast(updates, data.dtype), plan.dataView);
    if (reductionOf(attrs) === 'add') return [tf.add(data, scattered)];
    return [tf.where(writtenMask(plan), scattered, data)];
  },
  vjp: ({ inputs, attrs, dys }) => {
    const data = inputs[0]!;
    const dy = dys[0]!;
    const plan = ndPlan(data, inputs[1]!, 0);
    const dUpdates = gatherNd(dy, plan);
    if (reductionOf(attrs) === 'add') return [dy.clone(), undefined, dUpdates];
    const dData = tf.where(writtenMask(plan), tf.zerosLike(dy), dy);
    return [dData, undefined, dUpdates];
  },
};

/** CumSum's axis (input 1, a scalar) and flags. */
function cumsumPlan(
  x: Tensor,
  inputs: readonly (Tensor | undefined)[],
  attrs: Attributes,
  ctx: KernelContext,
): { axis: number; exclusive: boolean; reverse: boolean } {
  const axisValue = optionalScalar(inputs, 1, ctx);
  if (axisValue === undefined) throw new KernelError('CumSum needs its axis input');
  const axis = axisValue < 0 ? axisValue + x.rank : axisValue;
  if (axis < 0 || axis >= x.rank) throw new KernelError(`CumSum axis ${axisValue} is out of range for rank ${x.rank}`);
  return { axis, exclusive: attrNumber(attrs, 'exclusive', 0) !== 0, reverse: attrNumber(attrs, 'reverse', 0) !== 0 };
}

const cumsum: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  affine: true,
  forward: ({ inputs, attrs, ctx }) => {
    const x = required(inputs, 0, 'x');
    const p = cumsumPlan(x, inputs, attrs, ctx);
    return [tf.cumsum(x, p.axis, p.exclusive, p.reverse)];
  },
  // The adjoint of a running sum is the running sum the other way.
  vjp: ({ inputs, attrs, ctx, dys }) => {
    const p = cumsumPlan(inputs[0]!, inputs, attrs, ctx);
    return [tf.cumsum(dys[0]!, p.axis, p.exclusive, !p.reverse)];
  },
};

/**
 * GatherElements as GatherND: every index position (i0, .., ik) with the index replacing
 * coordinate `axis` is a full tuple into data.
 */
function elementTuples(data: Tensor, indices: Tensor, axisAttr: number): Tensor {
  const axis = axisAttr < 0 ? axisAttr + data.rank : axisAttr;
  if (axis < 0 || axis >= data.rank || indices.rank !== data.rank)
    throw new KernelError('GatherElements: indices must have the rank of data and axis be in range');
  const idx = indices.dtype === 'int32' ? indices : tf.cast(indices, 'int32');
  const wrapped = tf.where(tf.less(idx, 0), tf.add(idx, tf.scalar(data.shape[axis], 'int32')), idx);
  const coords = indices.shape.map((d, i) => {
    if (i === axis) return wrapped;
    const shape = indices.shape.map((_, j) => (j === i ? d : 1));
    return tf.broadcastTo(tf.reshape(tf.range(0, d, 1, 'int32'), shape), indices.shape);
  });
  return tf.stack(coords, -1);
}

const gatherElements: OpKernel = {
  dataInputs: [0],
  outputBound: (inputs) => (inputs[1] ? fromShape(inputs[1].shape) : undefined),
  affine: true,
  forward: ({ inputs, attrs }) => {
    const data = required(inputs, 0, 'data');
    return [tf.gatherND(data, elementTuples(data, required(inputs, 1, 'indices'), attrNumber(attrs, 'axis', 0)))];
  },
  vjp: ({ inputs, attrs, dys }) => {
    const data = inputs[0]!;
    return [tf.scatterND(elementTuples(data, inputs[1]!, attrNumber(attrs, 'axis', 0)), dys[0]!, data.shape), undefined];
  },
};

export const indexingKernels: Record<string, OpKernel> = {
  CumSum: cumsum,
  GatherElements: gatherElements,
  Trilu: trilu,
  GatherND: gatherNdKernel,
  ScatterND: scatterNdKernel,
};
