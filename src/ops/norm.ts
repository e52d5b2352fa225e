/**
 * Normalisations: BatchNormalization (inference form only), LayerNormalization (with its
 * optional Mean and InvStdDev outputs), InstanceNormalization, LpNormalization and LRN. The
 * channel axis is 1, or the last axis with `channelsLast`.
 *
 * The VJPs are the closed forms: for x_hat = (x - mean) * inv over axes A with M elements,
 * d x = inv * (g - mean_A(g) - x_hat * mean_A(g * x_hat)) where g is the cotangent of x_hat.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError, wantsOnly, type OpKernel, type Tensor } from './kernel';
import { attrNumber, normalizeAxis, required, unbroadcast } from './kernelUtil';
import { isChannelsLast, wants } from './spatial';
import { noLargerThanInput } from './bounds';

function channelAxis(x: Tensor, channelsLast: boolean): number {
  return channelsLast ? x.rank - 1 : Math.min(1, x.rank - 1);
}

/** A per-channel vector [C] shaped to broadcast against x along its channel axis. */
function perChannel(v: Tensor, x: Tensor, axis: number): Tensor {
  return tf.reshape(
    v,
    x.shape.map((d, i) => (i === axis ? d : 1)),
  );
}

function allBut(rank: number, axis: number): number[] {
  return Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis);
}

/** Sums a broadcast per-channel cotangent back to a [C] vector. */
function toChannel(t: Tensor, axis: number): Tensor {
  return tf.sum(t, allBut(t.rank, axis));
}

const batchNormalization: OpKernel = {
  dataInputs: [0, 1, 2, 3, 4],
  outputBound: noLargerThanInput,
  layout: 'channels-last',
  affine: true,
  forward: (args) => {
    if (attrNumber(args.attrs, 'training_mode', 0) !== 0) throw new KernelError('training mode not supported');
    const x = required(args.inputs, 0, 'X');
    const axis = channelAxis(x, isChannelsLast(args.attrs));
    const eps = attrNumber(args.attrs, 'epsilon', 1e-5);
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => perChannel(required(args.inputs, i, 'scale/B/mean/var'), x, axis));
    const inv = tf.div(scale, tf.sqrt(tf.add(variance, eps)));
    return [tf.add(tf.mul(tf.sub(x, mean), inv), bias)];
  },
  vjp: (args) => {
    const x = args.inputs[0]!;
    const axis = channelAxis(x, isChannelsLast(args.attrs));
    const eps = attrNumber(args.attrs, 'epsilon', 1e-5);
    const [scale, , mean, variance] = [1, 2, 3, 4].map((i) => perChannel(args.inputs[i]!, x, axis));
    const dy = args.dys[0]!;
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const inv = tf.mul(scale, rstd);
    const dx = wants(args, 0) ? tf.mul(dy, inv) : undefined;
    // The parameters' cotangents need reductions over the whole batch (and x - mean); they are
    // constants in every analysed model, so only compute them when asked.
    if (![1, 2, 3, 4].some((i) => wants(args, i))) return [dx];
    const centered = tf.sub(x, mean);
    const dySum = toChannel(dy, axis);
    const dyCentered = toChannel(tf.mul(dy, centered), axis);
    const rstdC = tf.reshape(rstd, [-1]);
    return [
      dx,
      tf.mul(dyCentered, rstdC),
      dySum,
      tf.neg(tf.mul(dySum, tf.reshape(inv, [-1]))),
      // d/dvar of scale * (x - mean) * (var + eps)^(-1/2)
      tf.mul(tf.mul(dyCentered, tf.reshape(scale, [-1])), tf.mul(-0.5, tf.pow(rstdC, 3))),
    ];
  },
  // Inference mode: a per-channel scale of each sample's cotangent.
  probeStacking: (args) => (wantsOnly(args, [0]) ? 'stacked' : undefined),
};

interface Normalized {
  readonly mean: Tensor;
  readonly inv: Tensor;
  readonly xhat: Tensor;
}

function normalize(x: Tensor, axes: number[], eps: number): Normalized {
  const mean = tf.mean(x, axes, true);
  const centered = tf.sub(x, mean);
  const inv = tf.rsqrt(tf.add(tf.mean(tf.square(centered), axes, true), eps));
  return { mean, inv, xhat: tf.mul(centered, inv) };
}

/** Cotangent of x given g, the cotangent of x_hat. */
function normalizeVjp(g: Tensor, n: Normalized, axes: number[]): Tensor {
  const inner = tf.sub(tf.sub(g, tf.mean(g, axes, true)), tf.mul(n.xhat, tf.mean(tf.mul(g, n.xhat), axes, true)));
  return tf.mul(n.inv, inner);
}

function layerAxes(x: Tensor, axisAttr: number): number[] {
  const axis = normalizeAxis(axisAttr, x.rank);
  return Array.from({ length: x.rank - axis }, (_, i) => axis + i);
}

const layerNormalization: OpKernel = {
  dataInputs: [0, 1, 2],
  outputBound: noLargerThanInput,
  layout: 'same-rank',
  forward: (args) => {
    const x = required(args.inputs, 0, 'X');
    const axes = layerAxes(x, attrNumber(args.attrs, 'axis', -1));
    const n = normalize(x, axes, attrNumber(args.attrs, 'epsilon', 1e-5));
    const scale = args.inputs[1];
    const bias = args.inputs[2];
    let y = scale === undefined ? n.xhat : tf.mul(n.xhat, scale);
    if (bias !== undefined) y = tf.add(y, bias);
    return [y, n.mean, n.inv];
  },
  vjp: (args) => {
    const x = args.inputs[0]!;
    const axes = layerAxes(x, attrNumber(args.attrs, 'axis', -1));
    const n = normalize(x, axes, attrNumber(args.attrs, 'epsilon', 1e-5));
    const [dy, dMean, dInv] = args.dys;
    const scale = args.inputs[1];
    const bias = args.inputs[2];
    let dx = normalizeVjp(scale === undefined ? dy! : tf.mul(dy!, scale), n, axes);
    const m = axes.reduce((a, i) => a * x.shape[i], 1);
    // The Mean and InvStdDev outputs, when something reads them.
    if (dMean !== undefined) dx = tf.add(dx, tf.div(dMean, m));
    if (dInv !== undefined) dx = tf.add(dx, tf.mul(tf.mul(dInv, tf.neg(tf.square(n.inv))), tf.div(n.xhat, m)));
    return [dx, scale === undefined ? undefined : unbroadcast(tf.mul(dy!, n.xhat), scale.shape), bias === undefined ? undefined : unbroadcast(dy!, bias.shape)];
  },
};

function spatialAxesOf(x: Tensor, channelsLast: boolean): number[] {
  return Array.from({ length: x.rank - 2 }, (_, i) => (channelsLast ? i + 1 : i + 2));
}

const instanceNormalization: OpKernel = {
  dataInputs: [0, 1, 2],
  outputBound: noLargerThanInput,
  layout: 'channels-last',
  forward: (args) => {
    const x = required(args.inputs, 0, 'input');
    const cl = isChannelsLast(args.attrs);
    const axis = channelAxis(x, cl);
    const n = normalize(x, spatialAxesOf(x, cl), attrNumber(args.attrs, 'epsilon', 1e-5));
    const scale = perChannel(required(args.inputs, 1, 'scale'), x, axis);
    const bias = perChannel(required(args.inputs, 2, 'B'), x, axis);
    return [tf.add(tf.mul(n.xhat, scale), bias)];
  },
  vjp: (args) => {
    const x = args.inputs[0]!;
    const cl = isChannelsLast(args.attrs);
    const axis = channelAxis(x, cl);
    const axes = spatialAxesOf(x, cl);
    const n = normalize(x, axes, attrNumber(args.attrs, 'epsilon', 1e-5));
    const dy = args.dys[0]!;
    const scale = perChannel(args.inputs[1]!, x, axis);
    return [normalizeVjp(tf.mul(dy, scale), n, axes), toChannel(tf.mul(dy, n.xhat), axis), toChannel(dy, axis)];
  },
};

const lpNormalization: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  forward: (args) => {
    const x = required(args.inputs, 0, 'input');
    const axis = normalizeAxis(attrNumber(args.attrs, 'axis', -1), x.rank);
    const p = attrNumber(args.attrs, 'p', 2);
    if (p !== 1 && p !== 2) throw new KernelError(`LpNormalization with p = ${p} is not supported`);
    const norm = p === 2 ? tf.sqrt(tf.sum(tf.square(x), axis, true)) : tf.sum(tf.abs(x), axis, true);
    return [tf.div(x, norm)];
  },
  vjp: (args) => {
    const x = args.inputs[0]!;
    const y = args.outputs[0];
    const dy = args.dys[0]!;
    const axis = normalizeAxis(attrNumber(args.attrs, 'axis', -1), x.rank);
    const p = attrNumber(args.attrs, 'p', 2);
    const norm = p === 2 ? tf.sqrt(tf.sum(tf.square(x), axis, true)) : tf.sum(tf.abs(x), axis, true);
    // d||x||/dx is y for p = 2 and sign(x) for p = 1.
    const dNorm = p === 2 ? y : tf.sign(x);
    return [tf.div(tf.sub(dy, tf.mul(dNorm, tf.sum(tf.mul(dy, y), axis, true))), norm)];
  },
};

/** Sum over the channel window [c - lo, c + hi] along the last axis (zeros outside). */
function channelWindowSum(t: Tensor, lo: number, hi: number): Tensor {
  const c = t.shape[t.rank - 1];
  const padded = tf.pad(
    t,
    t.shape.map((_, i): [number, number] => (i === t.rank - 1 ? [lo, hi] : [0, 0])),
  );
  const parts = Array.from({ length: lo + hi + 1 }, (_, j) =>
    tf.slice(
      padded,
      t.shape.map((_, i) => (i === t.rank - 1 ? j : 0)),
      t.shape.map((d, i) => (i === t.rank - 1 ? c : d)),
    ),
  );
  return parts.length === 1 ? parts[0] : tf.addN(parts);
}

interface LrnParams {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly bias: number;
  readonly lo: number;
  readonly hi: number;
}

function lrnParams(attrs: Parameters<typeof attrNumber>[0]): LrnParams {
  const size = attrNumber(attrs, 'size', 0);
  if (size < 1) throw new KernelError('LRN needs a size');
  return {
    size,
    alpha: attrNumber(attrs, 'alpha', 1e-4),
    beta: attrNumber(attrs, 'beta', 0.75),
    bias: attrNumber(attrs, 'bias', 1),
    lo: Math.floor((size - 1) / 2),
    hi: Math.ceil((size - 1) / 2),
  };
}

/** Channels moved last (the window runs along the last axis), and the permutation back. */
function channelsToLast(x: Tensor, channelsLast: boolean): [Tensor, number[] | null] {
  if (channelsLast || x.rank < 3) return [x, null];
  const perm = [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1];
  const back = [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)];
  return [tf.transpose(x, perm), back];
}

const lrn: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  layout: 'channels-last',
  forward: (args) => {
    const p = lrnParams(args.attrs);
    const [x, back] = channelsToLast(required(args.inputs, 0, 'X'), isChannelsLast(args.attrs));
    const s = tf.add(p.bias, tf.mul(p.alpha / p.size, channelWindowSum(tf.square(x), p.lo, p.hi)));
    const y = tf.div(x, tf.pow(s, p.beta));
    return [back === null ? y : tf.transpose(y, back)];
  },
  vjp: (args) => {
    const p = lrnParams(args.attrs);
    const cl = isChannelsLast(args.attrs);
    const [x, back] = channelsToLast(args.inputs[0]!, cl);
    const [dy] = channelsToLast(args.dys[0]!, cl);
    const s = tf.add(p.bias, tf.mul(p.alpha / p.size, channelWindowSum(tf.square(x), p.lo, p.hi)));
    const direct = tf.mul(dy, tf.pow(s, -p.beta));
    // Through s: the window's transpose is the mirrored window.
    const throughS = tf.mul(tf.mul(x, 2 * (p.alpha / p.size) * -p.beta), channelWindowSum(tf.mul(tf.mul(dy, x), tf.pow(s, -p.beta - 1)), p.hi, p.lo));
    const dx = tf.add(direct, throughS);
    return [back === null ? dx : tf.transpose(dx, back)];
  },
};

export const normKernels: Record<string, OpKernel> = {
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  InstanceNormalization: instanceNormalization,
  LpNormalization: lpNormalization,
  LRN: lrn,
};
