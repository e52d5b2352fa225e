/**
 * Resize (ONNX opset 18): modes nearest (every nearest_mode), linear, cubic (cubic_coeff_a,
 * exclude_outside); every coordinate_transformation_mode incl. tf_crop_and_resize with roi and
 * extrapolation_value and half_pixel_symmetric; scales or sizes, `axes`, and
 * keep_aspect_ratio_policy. antialias is refused.
 *
 * Every mode interpolates axis by axis, so the op is a product of one dense interpolation
 * matrix [out, in] per resized axis, built in JS from the ONNX definitions and applied along
 * that axis with a matMul; the VJP applies the transposed matrices. scales/sizes/roi refer to
 * the tensor's own axes, so `channelsLast` changes nothing here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../graph/ir';
import { KernelError, type ForwardArgs, type OpKernel, type Tensor } from './kernel';
import { attrInts, attrNumber, attrString, normalizeAxis, required } from './kernelUtil';
import { fromShape, numbersAt, type OutputBound } from './bounds';

interface AxisPlan {
  readonly axis: number;
  /** Row-major [out, in] interpolation weights. */
  readonly weights: Float32Array;
  readonly inSize: number;
  readonly outSize: number;
  /** Per output position: 1 inside the crop, 0 where extrapolation_value applies. */
  readonly valid: number[] | null;
}

interface ResizePlan {
  readonly axes: AxisPlan[];
  readonly outShape: number[];
  readonly extrapolation: number;
}

function optionalValues(args: ForwardArgs, index: number): number[] | undefined {
  const t = args.inputs[index];
  if (t === undefined || t.size === 0) return undefined;
  return args.ctx.readNumbers(t);
}

/**
 * Output position -> input coordinate, per coordinate_transformation_mode. As ONNX's reference
 * (and its conformance data), the output width in these formulas is scale * inSize, which
 * is not the integer output size when the scale does not divide evenly.
 */
function sourceCoordinate(mode: string, x: number, scale: number, inSize: number, outSize: number, roiStart: number, roiEnd: number): number {
  const outWidth = scale * inSize;
  switch (mode) {
    case 'half_pixel':
      return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = outSize / outWidth;
      const offset = (inSize / 2) * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel':
      return outWidth > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outWidth === 1 ? 0 : (x * (inSize - 1)) / (outWidth - 1);
    case 'asymmetric':
      return x / scale;
    case 'tf_crop_and_resize':
      return outWidth > 1 ? roiStart * (inSize - 1) + (x * (roiEnd - roiStart) * (inSize - 1)) / (outWidth - 1) : 0.5 * (roiStart + roiEnd) * (inSize - 1);
    default:
      throw new KernelError(`coordinate_transformation_mode ${mode} is not supported`);
  }
}

function cubicCoefficients(r: number, a: number): number[] {
  const near = (t: number): number => ((a + 2) * t - (a + 3)) * t * t + 1;
  const far = (t: number): number => ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return [far(r + 1), near(r), near(1 - r), far(2 - r)];
}

/** Whether nearest_mode rounds the fractional part r (0 < r < 1) up. */
function roundsUp(nearestMode: string, r: number): boolean {
  switch (nearestMode) {
    case 'round_prefer_floor':
      return r > 0.5;
    case 'round_prefer_ceil':
      return r >= 0.5;
    case 'floor':
      return false;
    case 'ceil':
      return true;
    default:
      throw new KernelError(`nearest_mode ${nearestMode} is not supported`);
  }
}

function axisPlan(attrs: Attributes, axis: number, inSize: number, outSize: number, scale: number, roiStart: number, roiEnd: number): AxisPlan {
  const mode = attrString(attrs, 'mode', 'nearest');
  const ctm = attrString(attrs, 'coordinate_transformation_mode', 'half_pixel');
  const nearestMode = attrString(attrs, 'nearest_mode', 'round_prefer_floor');
  const a = attrNumber(attrs, 'cubic_coeff_a', -0.75);
  const excludeOutside = attrNumber(attrs, 'exclude_outside', 0) !== 0;
  const weights = new Float32Array(outSize * inSize);
  const valid: number[] = [];
  const clamp = (i: number): number => Math.min(inSize - 1, Math.max(0, i));
  for (let o = 0; o < outSize; o++) {
    const x = sourceCoordinate(ctm, o, scale, inSize, outSize, roiStart, roiEnd);
    if (ctm === 'tf_crop_and_resize' && (x < 0 || x > inSize - 1)) {
      valid.push(0);
      continue;
    }
    valid.push(1);
    // The left neighbour; an integer coordinate counts as the right end of its left interval.
    const base = Number.isInteger(x) ? x - 1 : Math.floor(x);
    const r = x - base;
    let taps: number[];
    let coeffs: number[];
    if (mode === 'nearest') {
      taps = [base, base + 1];
      coeffs = r === 1 || roundsUp(nearestMode, r) ? [0, 1] : [1, 0];
    } else if (mode === 'linear') {
      taps = [base, base + 1];
      coeffs = [1 - r, r];
    } else if (mode === 'cubic') {
      taps = [base - 1, base, base + 1, base + 2];
      coeffs = cubicCoefficients(r, a);
      if (excludeOutside) {
        coeffs = coeffs.map((c, j) => (taps[j] < 0 || taps[j] >= inSize ? 0 : c));
        const sum = coeffs.reduce((p, q) => p + q, 0);
        coeffs = coeffs.map((c) => c / sum);
      }
    } else {
      throw new KernelError(`Resize mode ${mode} is not supported`);
    }
    // Neighbours outside the input repeat the edge element.
    taps.forEach((t, j) => (weights[o * inSize + clamp(t)] += coeffs[j]));
  }
  return { axis, weights, inSize, outSize, valid: valid.every((v) => v === 1) ? null : valid };
}

function isIdentity(p: AxisPlan): boolean {
  if (p.inSize !== p.outSize || p.valid !== null) return false;
  for (let o = 0; o < p.outSize; o++) {
    for (let i = 0; i < p.inSize; i++) if (p.weights[o * p.inSize + i] !== (o === i ? 1 : 0)) return false;
  }
  return true;
}

function plan(args: ForwardArgs, x: Tensor): ResizePlan {
  const attrs = args.attrs;
  if (attrNumber(attrs, 'antialias', 0) !== 0) throw new KernelError('Resize with antialias is not supported');
  const axes = (attrInts(attrs, 'axes') ?? Array.from({ length: x.rank }, (_, i) => i)).map((a) => normalizeAxis(a, x.rank));
  const roi = optionalValues(args, 1);
  const scalesIn = optionalValues(args, 2);
  const sizesIn = optionalValues(args, 3);
  const k = axes.length;
  let scales: number[];
  let sizes: number[];
  if (sizesIn !== undefined) {
    if (sizesIn.length !== k) throw new KernelError(`sizes has ${sizesIn.length} entries for ${k} axes`);
    const policy = attrString(attrs, 'keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch') {
      sizes = sizesIn;
      scales = sizesIn.map((s, j) => s / x.shape[axes[j]]);
    } else {
      const ratios = sizesIn.map((s, j) => s / x.shape[axes[j]]);
      const common = policy === 'not_larger' ? Math.min(...ratios) : policy === 'not_smaller' ? Math.max(...ratios) : NaN;
      if (Number.isNaN(common)) throw new KernelError(`keep_aspect_ratio_policy ${policy} is not supported`);
      scales = axes.map(() => common);
      sizes = axes.map((a) => Math.round(common * x.shape[a]));
    }
  } else if (scalesIn !== undefined) {
    if (scalesIn.length !== k) throw new KernelError(`scales has ${scalesIn.length} entries for ${k} axes`);
    scales = scalesIn;
    // floor(in * scale), forgiving float32 scales a hair below an exact product.
    sizes = scalesIn.map((s, j) => Math.floor(x.shape[axes[j]] * s + 1e-5));
  } else {
    throw new KernelError('Resize needs scales or sizes');
  }
  if (roi !== undefined && roi.length !== 2 * k && roi.length !== 2 * x.rank) throw new KernelError(`roi has ${roi.length} entries`);
  const roiFor = (j: number): [number, number] => {
    if (roi === undefined) return [0, 1];
    const idx = roi.length === 2 * k ? j : axes[j];
    const half = roi.length / 2;
    return [roi[idx], roi[idx + half]];
  };
  const outShape = [...x.shape];
  const plans: AxisPlan[] = [];
  axes.forEach((axis, j) => {
    outShape[axis] = sizes[j];
    if (sizes[j] <= 0) throw new KernelError(`Resize output size ${sizes[j]} on axis ${axis}`);
    const [start, end] = roiFor(j);
    const p = axisPlan(attrs, axis, x.shape[axis], sizes[j], scales[j], start, end);
    if (!isIdentity(p)) plans.push(p);
  });
  return { axes: plans, outShape, extrapolation: attrNumber(attrs, 'extrapolation_value', 0) };
}

/** Applies m [rows, cols] along `axis` of t (whose size there is cols). */
function alongAxis(t: Tensor, axis: number, m: Tensor): Tensor {
  const last = t.rank - 1;
  const perm = Array.from({ length: t.rank }, (_, i) => (i === axis ? last : i === last ? axis : i));
  const moved = axis === last ? t : tf.transpose(t, perm);
  const flat = tf.reshape(moved, [-1, moved.shape[last]]);
  const y = tf.reshape(tf.matMul(flat, m, false, true), [...moved.shape.slice(0, last), m.shape[0]]);
  return axis === last ? y : tf.transpose(y, perm);
}

function matrix(p: AxisPlan, transposed: boolean): Tensor {
  const m = tf.tensor2d(p.weights, [p.outSize, p.inSize]);
  return transposed ? tf.transpose(m) : m;
}

/** extrapolation_value where any resized axis is outside the crop, else 0. */
function extrapolationTerm(plan: ResizePlan): Tensor | null {
  const masked = plan.axes.filter((p) => p.valid !== null);
  if (masked.length === 0 || plan.extrapolation === 0) return null;
  let inside: Tensor = tf.ones(plan.outShape.map(() => 1));
  for (const p of masked) {
    inside = tf.mul(
      inside,
      tf.tensor(
        p.valid!,
        plan.outShape.map((d, i) => (i === p.axis ? d : 1)),
      ),
    );
  }
  return tf.mul(tf.sub(1, inside), plan.extrapolation);
}

/** Input 3 (sizes) when given, else input 2 (scales) times the input extent, on the resized axes. */
const resizeBound: OutputBound = (inputs, node, ctx) => {
  const x = inputs[0];
  if (!x) return undefined;
  const axes = attrInts(node.attrs, 'axes') ?? x.shape.map((_, i) => i);
  const sizes = numbersAt(inputs, 3, ctx);
  const scales = numbersAt(inputs, 2, ctx);
  const out = [...x.shape];
  axes.forEach((a, j) => {
    const axis = a < 0 ? a + x.rank : a;
    if (sizes && sizes.length > 0) out[axis] = sizes[j] ?? out[axis];
    else if (scales && scales.length > 0) out[axis] = Math.floor(x.shape[axis] * (scales[j] ?? 1) + 1e-5);
  });
  return fromShape(out);
};

const resize: OpKernel = {
  dataInputs: [0],
  outputBound: resizeBound,
  layout: 'same-rank',
  affine: true,
  forward: (args) => {
    const x0 = required(args.inputs, 0, 'X');
    const x = x0.dtype === 'float32' ? x0 : tf.cast(x0, 'float32');
    const p = plan(args, x);
    let y = x;
    for (const a of p.axes) y = alongAxis(y, a.axis, matrix(a, false));
    const extra = extrapolationTerm(p);
    if (extra !== null) y = tf.add(y, extra);
    y = y === x ? x.clone() : y;
    return [x0.dtype === 'float32' ? y : tf.cast(tf.round(y), x0.dtype)];
  },
  vjp: (args) => {
    const x = args.inputs[0]!;
    const p = plan(args, x);
    let g = args.dys[0]!;
    for (const a of p.axes) g = alongAxis(g, a.axis, matrix(a, true));
    return [g === args.dys[0] ? g.clone() : g];
  },
};

export const resizeKernels: Record<string, OpKernel> = {
  Resize: resize,
};
