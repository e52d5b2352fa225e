/**
 * ONNX Slice (opset 13+: starts, ends, axes, steps as inputs) with its clamping rules and
 * negative steps, and its VJP (the cotangent scattered back into zeros of the input shape).
 *
 * Negative steps are handled by reversing those axes first: in reversed coordinates every
 * step is positive, so the forward is one strided slice and the VJP is padding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError, type KernelContext, type Tensor } from './kernel';
import { normalizeAxis, optionalInts, required } from './kernelUtil';

/** The selection along one axis, in coordinates where the step is positive. */
interface AxisSelection {
  readonly begin: number;
  readonly step: number;
  readonly count: number;
  /** The axis is traversed backwards (ONNX step < 0). */
  readonly reversed: boolean;
}

export interface SlicePlan {
  /** One entry per input axis (unsliced axes select everything). */
  readonly axes: readonly AxisSelection[];
  readonly outShape: readonly number[];
}

/** Resolves starts/ends/axes/steps against the input shape as ONNX specifies. */
export function planSlice(shape: readonly number[], starts: number[], ends: number[], axesIn: number[] | undefined, stepsIn: number[] | undefined): SlicePlan {
  if (starts.length !== ends.length) throw new KernelError('Slice: starts and ends differ in length');
  const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, shape.length));
  const steps = stepsIn ?? starts.map(() => 1);
  const plan: AxisSelection[] = shape.map((d) => ({ begin: 0, step: 1, count: d, reversed: false }));
  axes.forEach((axis, i) => {
    const d = shape[axis];
    const step = steps[i];
    if (step === 0 || !Number.isInteger(step)) throw new KernelError('Slice: steps must be nonzero integers');
    let s = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (step > 0) {
      s = clamp(s, 0, d);
      e = clamp(e, 0, d);
      plan[axis] = { begin: s, step, count: Math.max(0, Math.ceil((e - s) / step)), reversed: false };
    } else {
      s = clamp(s, 0, d - 1);
      e = clamp(e, -1, d - 1);
      const count = Math.max(0, Math.ceil((s - e) / -step));
      // Index i of the original axis is index d - 1 - i of the reversed one.
      plan[axis] = { begin: d - 1 - s, step: -step, count, reversed: true };
    }
  });
  return { axes: plan, outShape: plan.map((p) => p.count) };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function reversedAxes(plan: SlicePlan): number[] {
  return plan.axes.flatMap((p, i) => (p.reversed ? [i] : []));
}

export function applySlice(x: Tensor, plan: SlicePlan): Tensor {
  // tf.stridedSlice rejects empty results, so build those directly.
  if (plan.outShape.some((n) => n === 0)) return tf.zeros([...plan.outShape], x.dtype);
  const rev = reversedAxes(plan);
  const xr = rev.length > 0 ? tf.reverse(x, rev) : x;
  const begin = plan.axes.map((p) => p.begin);
  const end = plan.axes.map((p) => p.begin + (p.count - 1) * p.step + 1);
  const strides = plan.axes.map((p) => p.step);
  return tf.stridedSlice(xr, begin, end, strides);
}

/** Scatters the cotangent of a slice back to the input shape (zeros where not selected). */
export function sliceVjp(dy: Tensor, inShape: readonly number[], plan: SlicePlan): Tensor {
  if (plan.outShape.some((n) => n === 0)) return tf.zeros([...inShape], 'float32');
  let g = dy;
  const paddings: [number, number][] = [];
  plan.axes.forEach((p, axis) => {
    if (p.step > 1) g = spreadAlongAxis(g, axis, p.step);
    const span = (p.count - 1) * p.step + 1;
    paddings.push([p.begin, inShape[axis] - p.begin - span]);
  });
  g = tf.pad(g, paddings);
  const rev = reversedAxes(plan);
  return rev.length > 0 ? tf.reverse(g, rev) : g;
}

/**
 * Inserts step - 1 zeros after each entry along `axis`, dropping the trailing ones:
 * n entries become (n - 1) * step + 1, with the values at multiples of step.
 */
function spreadAlongAxis(g: Tensor, axis: number, step: number): Tensor {
  const n = g.shape[axis];
  const withSlot = [...g.shape.slice(0, axis + 1), 1, ...g.shape.slice(axis + 1)];
  const padSlot: [number, number][] = withSlot.map((_, i) => (i === axis + 1 ? [0, step - 1] : [0, 0]));
  const spread = tf.reshape(tf.pad(tf.reshape(g, withSlot), padSlot), [...g.shape.slice(0, axis), n * step, ...g.shape.slice(axis + 1)]);
  const size = spread.shape.map((d, i) => (i === axis ? (n - 1) * step + 1 : d));
  return tf.slice(
    spread,
    spread.shape.map(() => 0),
    size,
  );
}

/** The plan for a Slice node from its inputs. */
export function slicePlanOf(inputs: readonly (Tensor | undefined)[], ctx: KernelContext): SlicePlan {
  const x = required(inputs, 0, 'data');
  const starts = ctx.readNumbers(required(inputs, 1, 'starts'));
  const ends = ctx.readNumbers(required(inputs, 2, 'ends'));
  return planSlice(x.shape, starts, ends, optionalInts(inputs, 3, ctx), optionalInts(inputs, 4, ctx));
}
