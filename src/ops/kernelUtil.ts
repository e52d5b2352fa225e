/**
 * Small helpers shared by the elementwise, activation, reduction and shape kernels:
 * attribute reading with ONNX defaults, axis normalisation, optional int inputs, and the
 * reduction of a broadcast cotangent back to an input's shape.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes, ConstTensor } from '../graph/ir';
import { KernelError, type KernelContext, type Tensor } from './kernel';

/**
 * A value derived from a tensor only, cached when that tensor is a constant. The executor
 * keeps its constants (tf.keep); activations and feeds are not kept, and may hold different
 * values on the next run, so their derived values are recomputed.
 */
export function derivedFrom(ctx: KernelContext, source: Tensor, key: string, make: () => Tensor): Tensor {
  return source.kept ? ctx.cached(`${key}:${source.id}`, make) : make();
}

export function attrNumber(attrs: Attributes, name: string, fallback: number): number {
  const v = attrs[name];
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new KernelError(`attribute ${name} must be a number`);
}

export function attrString(attrs: Attributes, name: string, fallback: string): string {
  const v = attrs[name];
  if (v === undefined) return fallback;
  if (typeof v === 'string') return v;
  throw new KernelError(`attribute ${name} must be a string`);
}

export function attrInts(attrs: Attributes, name: string): number[] | undefined {
  const v = attrs[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((e) => typeof e === 'number')) return v as number[];
  if (typeof v === 'number') return [v];
  throw new KernelError(`attribute ${name} must be a list of integers`);
}

export function attrBool(attrs: Attributes, name: string): boolean {
  const v = attrs[name];
  return v === true || v === 1;
}

export function attrTensor(attrs: Attributes, name: string): ConstTensor | undefined {
  const v = attrs[name];
  if (v === undefined) return undefined;
  if (typeof v === 'object' && v !== null && 'data' in v && 'shape' in v) return v;
  throw new KernelError(`attribute ${name} must be a tensor`);
}

/** Maps a possibly negative axis into [0, rank). */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new KernelError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** The input at `index`, or a KernelError naming it when it is missing. */
export function required(inputs: readonly (Tensor | undefined)[], index: number, what: string): Tensor {
  const t = inputs[index];
  if (t === undefined) throw new KernelError(`input ${index} (${what}) is required`);
  return t;
}

/** Values of an optional small int input (axes, pads, ...); undefined when omitted. */
export function optionalInts(inputs: readonly (Tensor | undefined)[], index: number, ctx: KernelContext): number[] | undefined {
  const t = inputs[index];
  return t === undefined ? undefined : ctx.readNumbers(t);
}

/** The single number held by an optional scalar input. */
export function optionalScalar(inputs: readonly (Tensor | undefined)[], index: number, ctx: KernelContext): number | undefined {
  const t = inputs[index];
  if (t === undefined || t.size === 0) return undefined;
  return ctx.readNumbers(t)[0];
}

/** Numpy-style broadcast of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new KernelError(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * Sums a cotangent of a broadcast result back to the shape of one operand: over the leading
 * axes the operand lacks and over the axes where it had size 1.
 */
/**
 * tf.broadcastTo for float tensors, as a product with ones: the same values (x * 1 = x for
 * every float, NaN and infinities included), but wasm runs broadcastTo as Tile, measured
 * 15-40x slower than the broadcasting Multiply (3 ms against 0.07-0.2 ms for 128K elements,
 * once per reverse pass in every global pool and reduction).
 */
export function broadcastFloat(t: Tensor, shape: readonly number[]): Tensor {
  if (t.dtype !== 'float32') return tf.broadcastTo(t, [...shape]);
  if (tf.util.arraysEqual(t.shape, [...shape])) return t.clone();
  const lifted = t.rank < shape.length ? tf.reshape(t, [...new Array<number>(shape.length - t.rank).fill(1), ...t.shape]) : t;
  return tf.mul(lifted, tf.ones(shape.map((d, i) => (lifted.shape[i] === d ? 1 : d))));
}

export function unbroadcast(dy: Tensor, shape: readonly number[]): Tensor {
  // A clone, never dy itself: the executor releases output cotangents after the VJP.
  if (tf.util.arraysEqual(dy.shape, [...shape])) return dy.clone();
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? tf.sum(dy, axes, true) : dy;
  return tf.reshape(summed, [...shape]);
}

/**
 * A cotangent passed through unchanged. It must be a new tensor: the executor disposes the
 * output cotangents once the VJP returns, which would free a returned `dy` too.
 */
export function passThrough(dy: Tensor): Tensor {
  return dy.clone();
}

/** A float cotangent of zeros shaped like `x` (whatever x's dtype). */
export function zerosFor(x: Tensor): Tensor {
  return tf.fill(x.shape, 0, 'float32');
}

/**
 * Index list for kernels with a variable number of data inputs (Concat, Sum, Max, ...).
 * `dataInputs` is a static list, so it names every index a node could plausibly use;
 * indices past a node's last input are ignored by every reader of `dataInputs`.
 */
export const VARIADIC_INPUTS: readonly number[] = Array.from({ length: 1024 }, (_, i) => i);

/** x as float32, for formulas that need real arithmetic. */
export function asFloat(x: Tensor): Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/** Boolean cast as ONNX defines it (nonzero is true) with 0/1 storage. */
export function toBool(x: Tensor): Tensor {
  // tf.cast to bool on wasm keeps the raw byte values (e.g. 255 for -1), so compare instead.
  return x.dtype === 'bool' ? x : tf.notEqual(x, tf.scalar(0, x.dtype));
}
