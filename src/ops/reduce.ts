/**
 * Reductions (ONNX opset 18: axes as optional input 1, keepdims default 1,
 * noop_with_empty_axes default 0) and ArgMax/ArgMin.
 *
 * VJPs reshape the cotangent to the kept-dims shape and broadcast it back over the reduced
 * axes. ReduceMax/ReduceMin split the cotangent evenly between tied maxima (the average of
 * the one-sided subgradients, as TensorFlow does).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../graph/ir';
import type { ForwardArgs, OpKernel, Tensor } from './kernel';
import { asFloat, attrInts, attrNumber, broadcastFloat, normalizeAxis, optionalInts, passThrough, required } from './kernelUtil';
import { noLargerThanInput } from './bounds';

/** The reduced axes (sorted, non-negative), or null when the op is the identity. */
function reducedAxes(args: ForwardArgs, x: Tensor): number[] | null {
  const given = optionalInts(args.inputs, 1, args.ctx) ?? attrInts(args.attrs, 'axes') ?? [];
  if (given.length === 0) {
    if (attrNumber(args.attrs, 'noop_with_empty_axes', 0) !== 0) return null;
    return Array.from({ length: x.rank }, (_, i) => i);
  }
  return [...new Set(given.map((a) => normalizeAxis(a, x.rank)))].sort((a, b) => a - b);
}

function keepDims(attrs: Attributes): boolean {
  return attrNumber(attrs, 'keepdims', 1) !== 0;
}

/** x's shape with the reduced axes set to 1. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

interface Reduction {
  /** Reduces over `axes` keeping them as size-1 dims. */
  forward(x: Tensor, axes: number[]): Tensor;
  /**
   * The cotangent of x given x, the kept-dims output y and the kept-dims cotangent dy
   * (both broadcastable to x). Absent: no gradient.
   */
  grad?(x: Tensor, y: Tensor, dy: Tensor, axes: number[]): Tensor;
  /**
   * A grad that reads x only for its shape, given as `shape` (x's, or with stacked probes
   * [P * x0, ...]): then stacked cotangents need no per-probe passes when axis 0 is kept.
   */
  stackableGrad?(dy: Tensor, axes: number[], shape: readonly number[]): Tensor;
  readonly affine?: boolean;
}

function reduceKernel(r: Reduction): OpKernel {
  return {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    layout: 'reduction',
    affine: r.affine,
    forward: (args) => {
      const x = required(args.inputs, 0, 'data');
      const axes = reducedAxes(args, x);
      if (axes === null) return [x.clone()];
      const y = r.forward(x, axes);
      return [
        keepDims(args.attrs)
          ? y
          : tf.reshape(
              y,
              x.shape.filter((_, i) => !axes.includes(i)),
            ),
      ];
    },
    vjp: (args) => {
      const x = args.inputs[0]!;
      const axes = reducedAxes(args, x);
      if (axes === null) return [passThrough(args.dys[0]!)];
      if (r.stackableGrad) {
        // Stacked probes (only with axis 0 kept, so x and y share it) lengthen dy's axis 0.
        const dy = args.dys[0]!;
        const out = args.outputs[0];
        const stacked = out.rank > 0 && dy.shape[0] !== out.shape[0];
        const shape = stacked ? [dy.shape[0], ...x.shape.slice(1)] : x.shape;
        return [r.stackableGrad(tf.reshape(dy, keptShape(shape, axes)), axes, shape)];
      }
      const kept = keptShape(x.shape, axes);
      const dy = tf.reshape(args.dys[0]!, kept);
      const y = tf.reshape(args.outputs[0], kept);
      return [r.grad!(asFloat(x), y, dy, axes)];
    },
    probeStacking: (args) => {
      const x = args.inputs[0]!;
      const axes = reducedAxes(args, x);
      return axes === null || (r.stackableGrad !== undefined && !axes.includes(0) && args.outputs[0].rank > 0) ? 'stacked' : undefined;
    },
  };
}

/** Cotangent for max/min: split equally between the positions equal to the extreme. */
function extremeGrad(x: Tensor, y: Tensor, dy: Tensor, axes: number[]): Tensor {
  const hit = tf.cast(tf.equal(x, y), 'float32');
  return tf.mul(tf.div(hit, tf.sum(hit, axes, true)), dy);
}

/** Cotangent of a product: the product of the other factors, exact even with zeros. */
function prodGrad(x: Tensor, y: Tensor, dy: Tensor, axes: number[]): Tensor {
  const isZero = tf.equal(x, 0);
  const zeros = tf.sum(tf.cast(isZero, 'float32'), axes, true);
  const prodNonZero = tf.prod(tf.where(isZero, tf.onesLike(x), x), axes, true);
  // Nonzero x: y / x (0 when another factor is zero). The single zero: product of the rest.
  const safeX = tf.where(isZero, tf.onesLike(x), x);
  const atZero = tf.where(tf.equal(zeros, 1), prodNonZero, tf.zerosLike(prodNonZero));
  const others = tf.where(isZero, broadcastFloat(atZero, x.shape), tf.div(y, safeX));
  return tf.mul(others, dy);
}

const reductions: Record<string, Reduction> = {
  ReduceSum: {
    affine: true,
    forward: (x, axes) => tf.sum(x, axes, true),
    stackableGrad: (dy, _axes, shape) => broadcastFloat(dy, shape),
  },
  ReduceMean: {
    affine: true,
    forward: (x, axes) => tf.mean(asFloat(x), axes, true),
    stackableGrad: (dy, axes, shape) => {
      const n = axes.reduce((p, a) => p * shape[a], 1);
      return broadcastFloat(tf.div(dy, n), shape);
    },
  },
  ReduceMax: { forward: (x, axes) => tf.max(x, axes, true), grad: extremeGrad },
  ReduceMin: { forward: (x, axes) => tf.min(x, axes, true), grad: extremeGrad },
  ReduceProd: { forward: (x, axes) => tf.prod(x, axes, true), grad: prodGrad },
  ReduceL1: {
    forward: (x, axes) => tf.sum(tf.abs(x), axes, true),
    grad: (x, _y, dy) => tf.mul(tf.sign(x), dy),
  },
  ReduceL2: {
    forward: (x, axes) => tf.sqrt(tf.sum(tf.square(asFloat(x)), axes, true)),
    // x / ||x||, taken as 0 where the norm is 0.
    grad: (x, y, dy) => {
      const safe = tf.where(tf.equal(y, 0), tf.onesLike(y), y);
      return tf.mul(tf.div(x, safe), tf.where(tf.equal(y, 0), tf.zerosLike(dy), dy));
    },
  },
  ReduceSumSquare: {
    forward: (x, axes) => tf.sum(tf.square(x), axes, true),
    grad: (x, _y, dy) => tf.mul(tf.mul(2, x), dy),
  },
  ReduceLogSum: {
    forward: (x, axes) => tf.log(tf.sum(asFloat(x), axes, true)),
    grad: (x, y, dy) => broadcastFloat(tf.div(dy, tf.exp(y)), x.shape),
  },
  ReduceLogSumExp: {
    forward: (x, axes) => tf.logSumExp(asFloat(x), axes, true),
    grad: (x, y, dy) => tf.mul(tf.exp(tf.sub(x, y)), dy),
  },
};

/** ArgMax/ArgMin: int32 indices (ONNX int64 narrowed), first or last of tied extremes. */
function argKernel(pick: (x: Tensor, axis: number) => Tensor): OpKernel {
  return {
    dataInputs: [],
    outputBound: noLargerThanInput,
    forward: ({ inputs, attrs }) => {
      const x = required(inputs, 0, 'data');
      const axis = normalizeAxis(attrNumber(attrs, 'axis', 0), x.rank);
      let idx: Tensor;
      if (attrNumber(attrs, 'select_last_index', 0) !== 0) {
        // tf.argMax returns the first extreme; on the reversed axis that is the last one.
        const n = x.shape[axis];
        idx = tf.sub(tf.scalar(n - 1, 'int32'), pick(tf.reverse(x, [axis]), axis));
      } else {
        idx = pick(x, axis);
      }
      return [attrNumber(attrs, 'keepdims', 1) !== 0 ? tf.expandDims(idx, axis) : idx];
    },
  };
}

export const reduceKernels: Record<string, OpKernel> = {
  ...Object.fromEntries(Object.entries(reductions).map(([op, r]) => [op, reduceKernel(r)])),
  ArgMax: argKernel((x, axis) => tf.argMax(x, axis)),
  ArgMin: argKernel((x, axis) => tf.argMin(x, axis)),
};
