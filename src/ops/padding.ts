/**
 * ONNX Pad (opset 18: pads, constant_value and axes as inputs; modes constant, reflect,
 * edge, and wrap from opset 19). Negative pads crop.
 *
 * The op is computed as a crop (for the negative pads) followed by a pure extension. The
 * non-constant modes extend each axis by gathering along it with an index map; their VJP
 * multiplies by the transposed 0/1 selection matrix of that map (one small matmul per padded
 * axis), which sums the cotangent of every copy of an input element back onto it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../graph/ir';
import { KernelError, type KernelContext, type Tensor } from './kernel';
import { attrString, normalizeAxis, optionalInts, optionalScalar, required } from './kernelUtil';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

export interface PadPlan {
  readonly mode: PadMode;
  /** Per input axis: elements added before and after (negative: cropped). */
  readonly before: readonly number[];
  readonly after: readonly number[];
  readonly value: number;
}

export function padPlanOf(inputs: readonly (Tensor | undefined)[], attrs: Attributes, ctx: KernelContext): PadPlan {
  const x = required(inputs, 0, 'data');
  const mode = attrString(attrs, 'mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge' && mode !== 'wrap') {
    throw new KernelError(`Pad mode "${mode}" is not supported`);
  }
  const pads = ctx.readNumbers(required(inputs, 1, 'pads'));
  const axes = (optionalInts(inputs, 3, ctx) ?? x.shape.map((_, i) => i)).map((a) => normalizeAxis(a, x.rank));
  if (pads.length !== 2 * axes.length) throw new KernelError(`Pad: ${pads.length} pads for ${axes.length} axes`);
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  axes.forEach((a, i) => {
    before[a] = pads[i];
    after[a] = pads[i + axes.length];
  });
  return { mode, before, after, value: optionalScalar(inputs, 2, ctx) ?? 0 };
}

/** Begin and size of the crop the negative pads make. */
function cropOf(shape: readonly number[], plan: PadPlan): { begin: number[]; size: number[] } {
  const begin = shape.map((_, i) => Math.max(0, -plan.before[i]));
  const size = shape.map((d, i) => d - begin[i] - Math.max(0, -plan.after[i]));
  if (size.some((s) => s < 0)) throw new KernelError('Pad: negative pads remove more than the axis holds');
  return { begin, size };
}

function hasCrop(plan: PadPlan): boolean {
  return plan.before.some((p) => p < 0) || plan.after.some((p) => p < 0);
}

/** Source index along an axis of length d for output position p (relative to the input). */
function sourceIndex(mode: PadMode, p: number, d: number): number {
  if (mode === 'edge') return Math.min(Math.max(p, 0), d - 1);
  if (mode === 'wrap') return ((p % d) + d) % d;
  // reflect: mirror without repeating the edge, period 2 (d - 1).
  if (d === 1) return 0;
  const period = 2 * (d - 1);
  const m = ((p % period) + period) % period;
  return m < d ? m : period - m;
}

function indexMap(mode: PadMode, d: number, before: number, after: number): number[] {
  return Array.from({ length: before + d + after }, (_, i) => sourceIndex(mode, i - before, d));
}

export function applyPad(x: Tensor, plan: PadPlan): Tensor {
  let y = x;
  if (hasCrop(plan)) {
    const { begin, size } = cropOf(x.shape, plan);
    y = tf.slice(y, begin, size);
  }
  const before = plan.before.map((p) => Math.max(0, p));
  const after = plan.after.map((p) => Math.max(0, p));
  if (plan.mode === 'constant') {
    return tf.pad(
      y,
      before.map((b, i) => [b, after[i]]),
      plan.value,
    );
  }
  for (let axis = 0; axis < y.rank; axis++) {
    if (before[axis] === 0 && after[axis] === 0) continue;
    const d = y.shape[axis];
    if (d === 0) throw new KernelError(`Pad mode ${plan.mode} cannot extend an empty axis`);
    y = tf.gather(y, tf.tensor1d(indexMap(plan.mode, d, before[axis], after[axis]), 'int32'), axis);
  }
  // Outputs must be new tensors even when nothing was padded.
  return y === x ? x.clone() : y;
}

export function padVjp(dy: Tensor, inShape: readonly number[], plan: PadPlan): Tensor {
  const { begin, size } = cropOf(inShape, plan);
  const before = plan.before.map((p) => Math.max(0, p));
  let g = dy;
  if (plan.mode === 'constant') {
    g = tf.slice(g, before, size);
  } else {
    for (let axis = g.rank - 1; axis >= 0; axis--) {
      const after = Math.max(0, plan.after[axis]);
      if (before[axis] === 0 && after === 0) continue;
      g = gatherTranspose(g, axis, indexMap(plan.mode, size[axis], before[axis], after), size[axis]);
    }
  }
  if (hasCrop(plan))
    g = tf.pad(
      g,
      inShape.map((d, i) => [begin[i], d - begin[i] - size[i]]),
    );
  // Never dy itself: the executor releases output cotangents after the VJP.
  return g === dy ? dy.clone() : g;
}

/**
 * Above this many entries the selection matrix of gatherTranspose is not built: a reflection pad
 * of a 44k-sample audio axis made one of 1.9e9 entries (7.7 GB).
 */
const DENSE_SELECTION_LIMIT = 1 << 22;

/** The VJP of gathering `index` along `axis`: g (len(index) on axis) times S^T (to d). */
function gatherTranspose(g: Tensor, axis: number, index: number[], d: number): Tensor {
  if (index.length * d > DENSE_SELECTION_LIMIT) return scatterRuns(g, axis, index, d);
  const selection = new Float32Array(index.length * d);
  index.forEach((src, i) => (selection[i * d + src] = 1));
  const perm = g.shape
    .map((_, i) => i)
    .filter((i) => i !== axis)
    .concat(axis);
  const moved = tf.transpose(g, perm);
  const flat = tf.reshape(moved, [-1, index.length]);
  const summed = tf.matMul(flat, tf.tensor2d(selection, [index.length, d]));
  const back = tf.reshape(summed, [...moved.shape.slice(0, -1), d]);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return tf.transpose(back, inverse);
}

/**
 * gatherTranspose in O(d) memory per run: the positions are cut into runs whose sources are
 * distinct (a reflect pad: the mirrored part, the copy, the other mirrored part); within a run
 * the transpose of the gather is a gather by the inverse map (sources no position reads take a
 * zero row appended to the run), and the runs' contributions add up.
 */
function scatterRuns(g: Tensor, axis: number, index: number[], d: number): Tensor {
  const runs: [number, number][] = [];
  let seen = new Set<number>();
  let start = 0;
  index.forEach((src, i) => {
    if (seen.has(src)) {
      runs.push([start, i]);
      seen = new Set();
      start = i;
    }
    seen.add(src);
  });
  runs.push([start, index.length]);
  let total: Tensor | undefined;
  for (const [a, b] of runs) {
    const begin = g.shape.map((_, i) => (i === axis ? a : 0));
    const size = g.shape.map((n, i) => (i === axis ? b - a : n));
    const zeroShape = g.shape.map((n, i) => (i === axis ? 1 : n));
    const run = tf.concat([tf.slice(g, begin, size), tf.zeros(zeroShape, g.dtype)], axis);
    const inverse = new Int32Array(d).fill(b - a);
    for (let k = a; k < b; k++) inverse[index[k]] = k - a;
    const part = tf.gather(run, tf.tensor1d(inverse, 'int32'), axis);
    total = total === undefined ? part : tf.add(total, part);
  }
  return total!;
}
