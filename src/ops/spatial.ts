/**
 * Helpers shared by the convolution and pooling kernels: layout changes between the ONNX
 * channels-first layout and the channels-last layout TensorFlow.js computes in, the ONNX
 * padding rules (explicit pads, auto_pad, ceil_mode), and the zero-insertion, padding and
 * cropping steps that let a backward pass be written as a forward (stride-1) operation.
 *
 * Everything here works on channels-last tensors [N, spatial..., C] with 1 to 3 spatial axes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../graph/ir';
import { KernelError, type Tensor, type VjpArgs } from './kernel';
import { attrBool, attrInts, attrString } from './kernelUtil';

export function isChannelsLast(attrs: Attributes): boolean {
  return attrBool(attrs, 'channelsLast');
}

/** Permutation N,C,spatial... -> N,spatial...,C for a tensor of the given rank. */
export function toLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** Permutation N,spatial...,C -> N,C,spatial... for a tensor of the given rank. */
export function toFirstPerm(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** x in the channels-last layout the kernels compute in. */
export function toChannelsLast(x: Tensor, channelsLast: boolean): Tensor {
  return channelsLast ? x : tf.transpose(x, toLastPerm(x.rank));
}

/** A channels-last result in the node's layout. */
export function fromChannelsLast(y: Tensor, channelsLast: boolean): Tensor {
  return channelsLast ? y : tf.transpose(y, toFirstPerm(y.rank));
}

/** Spatial sizes of a channels-last tensor. */
export function spatialOf(x: Tensor): number[] {
  return x.shape.slice(1, x.rank - 1);
}

/** An int-list attribute with one entry per spatial axis, or `fallback` repeated. */
export function perAxis(attrs: Attributes, name: string, r: number, fallback: number): number[] {
  const v = attrInts(attrs, name);
  if (v === undefined || v.length === 0) return Array.from({ length: r }, () => fallback);
  if (v.length !== r) throw new KernelError(`attribute ${name} has ${v.length} entries for ${r} spatial axes`);
  return v;
}

/** Begin and end padding per spatial axis, and the output size per spatial axis. */
export interface SpatialGeometry {
  readonly begin: number[];
  readonly end: number[];
  readonly out: number[];
  /** The part of `end` that is ceil_mode overhang past the padded input (not padding). */
  readonly overhang: number[];
}

export interface WindowParams {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
}

/** The extent of a dilated window: (k - 1) * d + 1. */
export function effectiveKernel(k: number, d: number): number {
  return (k - 1) * d + 1;
}

/**
 * ONNX padding and output size of a windowed op (Conv, pools) on `inSize`. With ceil_mode
 * the last window may overhang the padded input; the overhang is added to `end` so that a
 * 'valid' window op over the padded tensor yields exactly `out` (pools treat it as absent).
 */
export function windowGeometry(attrs: Attributes, inSize: readonly number[], w: WindowParams, ceilMode = false): SpatialGeometry {
  const r = inSize.length;
  const autoPad = attrString(attrs, 'auto_pad', 'NOTSET');
  const begin: number[] = [];
  const end: number[] = [];
  const out: number[] = [];
  const overhang: number[] = [];
  const pads = attrInts(attrs, 'pads');
  if (pads !== undefined && pads.length !== 0 && pads.length !== 2 * r) throw new KernelError(`pads has ${pads.length} entries for ${r} spatial axes`);
  for (let i = 0; i < r; i++) {
    const k = effectiveKernel(w.kernel[i], w.dilations[i]);
    const s = w.strides[i];
    let b = 0;
    let e = 0;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const o = Math.ceil(inSize[i] / s);
      const total = Math.max(0, (o - 1) * s + k - inSize[i]);
      const small = Math.floor(total / 2);
      [b, e] = autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    } else if (autoPad === 'NOTSET') {
      b = pads?.[i] ?? 0;
      e = pads?.[i + r] ?? 0;
    } else if (autoPad !== 'VALID') {
      throw new KernelError(`auto_pad ${autoPad} is not supported`);
    }
    const span = inSize[i] + b + e - k;
    if (span < 0) throw new KernelError(`window of extent ${k} does not fit the padded input of size ${inSize[i] + b + e}`);
    let o = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    // A window must start inside the input or its begin padding (as ONNX and PyTorch do).
    if (ceilMode && (o - 1) * s >= inSize[i] + b) o--;
    out.push(o);
    begin.push(b);
    const over = Math.max(0, (o - 1) * s + k - (inSize[i] + b + e));
    overhang.push(over);
    end.push(e + over);
  }
  return { begin, end, out, overhang };
}

/**
 * Pads (positive amounts) or crops (negative amounts) each spatial axis of a channels-last
 * tensor; the batch and channel axes are untouched.
 */
export function padOrCrop(x: Tensor, begin: readonly number[], end: readonly number[], value = 0): Tensor {
  const r = x.rank - 2;
  if (begin.every((b) => b === 0) && end.every((e) => e === 0)) return x;
  let y = x;
  if (begin.some((b) => b < 0) || end.some((e) => e < 0)) {
    const start = [0, ...begin.map((b) => Math.max(0, -b)), 0];
    const size = [x.shape[0], ...Array.from({ length: r }, (_, i) => x.shape[i + 1] - Math.max(0, -begin[i]) - Math.max(0, -end[i])), x.shape[r + 1]];
    y = sliceRuns(y, start, size);
  }
  if (begin.some((b) => b > 0) || end.some((e) => e > 0)) {
    const paddings: [number, number][] = [[0, 0], ...begin.map((b, i): [number, number] => [Math.max(0, b), Math.max(0, end[i])]), [0, 0]];
    y = tf.pad(y, paddings, value);
  }
  return y;
}

/**
 * tf.slice with every trailing axis that is taken whole merged into the last axis that is
 * cut: the same elements, copied in runs as long as possible. wasm's Slice copies a rank-4
 * channels-last crop 3-5x slower than the merged rank-3 one (a run per channel vector).
 */
export function sliceRuns(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  let last = x.rank - 1;
  while (last > 0 && begin[last] === 0 && size[last] === x.shape[last]) last--;
  if (last === x.rank - 1) return tf.slice(x, [...begin], [...size]);
  const inner = x.shape.slice(last + 1).reduce((a, b) => a * b, 1);
  const merged = tf.reshape(x, [...x.shape.slice(0, last), x.shape[last] * inner]);
  const cut = tf.slice(merged, [...begin.slice(0, last), begin[last] * inner], [...size.slice(0, last), size[last] * inner]);
  return tf.reshape(cut, [...size.slice(0, last + 1), ...x.shape.slice(last + 1)]);
}

/**
 * Inserts s - 1 zeros between neighbouring elements along axis `axis` (length n becomes
 * (n - 1) * s + 1): the cotangent of a strided window op seen at stride 1.
 */
export function insertZeros(x: Tensor, axis: number, s: number): Tensor {
  if (s === 1) return x;
  const n = x.shape[axis];
  const shape = x.shape;
  const lifted = tf.reshape(x, [...shape.slice(0, axis + 1), 1, ...shape.slice(axis + 1)]);
  const paddings = lifted.shape.map((_, i): [number, number] => (i === axis + 1 ? [0, s - 1] : [0, 0]));
  const spread = tf.reshape(tf.pad(lifted, paddings), [...shape.slice(0, axis), n * s, ...shape.slice(axis + 1)]);
  const size = spread.shape.map((d, i) => (i === axis ? (n - 1) * s + 1 : d));
  return sliceRuns(
    spread,
    spread.shape.map(() => 0),
    size,
  );
}

/** insertZeros along every spatial axis of a channels-last tensor. */
export function insertZerosSpatial(x: Tensor, strides: readonly number[]): Tensor {
  let y = x;
  strides.forEach((s, i) => (y = insertZeros(y, i + 1, s)));
  return y;
}

/** Sums a channels-last cotangent over everything but the channel axis (bias gradients). */
export function sumToChannels(dy: Tensor): Tensor {
  return tf.sum(
    dy,
    Array.from({ length: dy.rank - 1 }, (_, i) => i),
  );
}

/** [1, 1, ..., C]: a per-channel vector shaped to broadcast against a channels-last tensor. */
export function channelVector(v: Tensor, rank: number): Tensor {
  return tf.reshape(v, [...Array.from({ length: rank - 1 }, () => 1), -1]);
}

/** Whether the caller of a VJP uses the cotangent of input i (see VjpArgs.wanted). */
export function wants(args: VjpArgs, i: number): boolean {
  return args.inputs[i] !== undefined && (args.wanted === undefined || args.wanted.has(i));
}
