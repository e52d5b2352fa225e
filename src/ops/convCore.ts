/**
 * Convolution building blocks on channels-last tensors with 1 to 3 spatial axes and kernels
 * in the TensorFlow layout [k..., Cin/group, Cout]:
 *
 * - `convValid`: the forward (unpadded) grouped convolution.
 * - `convAdjoint`: its transpose (the input cotangent of a convolution, and ConvTranspose),
 *   written as a stride-1 FORWARD convolution of the zero-dilated, padded cotangent with the
 *   kernel flipped in space and in/out channels swapped. On the wasm backend this is ~10x
 *   faster than Conv2DBackpropInput, and depthwise backprop kernels do not exist there.
 * - `convFilterGrad`: the kernel cotangent, also a forward convolution (batch and channels
 *   trade places), because wasm has no Conv2DBackpropFilter kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { knownHostTransposes, tensorFromLazyValues, tensorFromValues, valuesOf } from './hostValues';
import { transposeBothWays } from '../graph/constants';
import { KernelError, type Tensor } from './kernel';
import { effectiveKernel, insertZeros, insertZerosSpatial, padOrCrop, sliceRuns } from './spatial';

type Conv2DInput = tf.Tensor4D;

/** A rank-4 view for the 2-D ops' signatures (the callers know the rank). */
function as4(t: Tensor): tf.Tensor4D {
  return t as tf.Tensor4D;
}

/** Size of axis i (negative counts from the end). */
function dim(t: Tensor, i: number): number {
  const d = t.shape[i < 0 ? t.rank + i : i];
  if (d === undefined) throw new KernelError(`axis ${i} out of range for rank ${t.rank}`);
  return d;
}

function allOnes(v: readonly number[]): boolean {
  return v.every((e) => e === 1);
}

/** Spatial axes of a TF-layout kernel (rank r + 2). */
function kernelSpatialAxes(r: number): number[] {
  return Array.from({ length: r }, (_, i) => i);
}

/**
 * TensorFlow.js refuses strides and dilations both above 1; a kernel with zeros inserted
 * between its taps computes the same dilated convolution at dilation 1.
 */
function materializeDilation(w: Tensor, dilations: readonly number[]): Tensor {
  let k = w;
  dilations.forEach((d, i) => (k = insertZeros(k, i, d)));
  return k;
}

/** The padding argument of tfjs's 2-D convolutions: 'valid', or explicit zeros per side. */
type Padding2D = 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/** Zero padding of a channels-last input before and after each spatial axis (all >= 0). */
export interface SpatialPads {
  readonly begin: readonly number[];
  readonly end: readonly number[];
}

function padding2D(pads: SpatialPads | undefined): Padding2D {
  if (pads === undefined) return 'valid';
  return [
    [0, 0],
    [pads.begin[0], pads.end[0]],
    [pads.begin[1], pads.end[1]],
    [0, 0],
  ];
}

/** Plain (group 1) convolution, 2-D (with `pads` applied by the backend) or 3-D (valid). */
function denseConv(x: Tensor, w: Tensor, strides: number[], dilations: number[], pads?: SpatialPads): Tensor {
  if (x.rank === 4) {
    return tf.conv2d(x as Conv2DInput, w as tf.Tensor4D, strides as [number, number], padding2D(pads), 'NHWC', dilations as [number, number]);
  }
  return tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, strides as [number, number, number], 'valid', 'NDHWC', dilations as [number, number, number]);
}

/**
 * Convolution of x zero-padded (or cropped, where negative) by `begin`/`end` per spatial axis.
 * Non-negative padding goes to the convolution as an argument: XNNPACK (1-D, 2-D) and ONNX
 * Runtime read the zeros implicitly instead of a padded copy of x being written first.
 */
export function convPadded(
  x: Tensor,
  w: Tensor,
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): Tensor {
  const padsOnly = begin.every((b) => b >= 0) && end.every((e) => e >= 0);
  if (padsOnly) return convValid(x, w, strides, dilations, { begin, end });
  return convValid(padOrCrop(x, begin, end), w, strides, dilations);
}

/**
 * Grouped convolution of channels-last x [N, spatial..., Cin] with w [k..., Cin/g, Cout],
 * 'valid' over x padded with `pads`. The group count follows from the channel counts. The
 * active ConvExecutor computes it.
 */
export function convValid(x: Tensor, w: Tensor, strides: readonly number[], dilations: readonly number[], pads?: SpatialPads): Tensor {
  return convExecutor.conv(x, w, strides, dilations, pads);
}

/**
 * Who executes the convolution primitive (`convValid`). Every convolution the kernels compute
 * (Conv's forward, its input and kernel cotangents, ConvTranspose) is written once, in this
 * file and conv.ts, as calls of that primitive; the executor only decides where it runs:
 * TensorFlow.js (below) or a native runtime the runtime layer installs (src/runtime/ortConv.ts).
 */
export interface ConvExecutor {
  readonly name: string;
  /**
   * Grouped convolution of channels-last x [N, spatial..., Cin] (1 to 3 spatial axes) with a
   * TF-layout kernel w [k..., Cin/g, Cout] (g = Cin / (Cin/g)), 'valid' over x zero-padded by
   * `pads` (all >= 0); ONNX group order (output channel block g reads input channel block g).
   */
  conv(x: Tensor, w: Tensor, strides: readonly number[], dilations: readonly number[], pads?: SpatialPads): Tensor;
}

export const tfjsConvExecutor: ConvExecutor = { name: 'tfjs', conv: tfjsConv };

let convExecutor: ConvExecutor = tfjsConvExecutor;

/** Installs the executor of every convolution from now on (per thread); returns the previous one. */
export function setConvExecutor(executor: ConvExecutor): ConvExecutor {
  const previous = convExecutor;
  convExecutor = executor;
  return previous;
}

export function activeConvExecutor(): ConvExecutor {
  return convExecutor;
}

function tfjsConv(x: Tensor, w: Tensor, strides: readonly number[], dilations: readonly number[], pads?: SpatialPads): Tensor {
  const r = x.rank - 2;
  if (r === 1) {
    // 1-D as 2-D with a height of 1.
    const lifted = pads && { begin: [0, pads.begin[0]], end: [0, pads.end[0]] };
    const y = tfjsConv(tf.expandDims(x, 1), tf.expandDims(w, 0), [1, strides[0]], [1, dilations[0]], lifted);
    return tf.squeeze(y, [1]);
  }
  if (r !== 2 && r !== 3) throw new KernelError(`convolution over ${r} spatial axes is not supported`);
  if (r === 3 && pads !== undefined) return tfjsConv(padOrCrop(x, pads.begin, pads.end), w, strides, dilations);
  let kernel = w;
  let dil = [...dilations];
  if (!allOnes(strides) && !allOnes(dil)) {
    kernel = materializeDilation(w, dil);
    dil = dil.map(() => 1);
  }
  const cin = dim(x, r + 1);
  const cinPerGroup = dim(kernel, r);
  const cout = dim(kernel, r + 1);
  if (cin % cinPerGroup !== 0) throw new KernelError(`input has ${cin} channels, kernel expects groups of ${cinPerGroup}`);
  const groups = cin / cinPerGroup;
  if (cout % groups !== 0) throw new KernelError(`${cout} output channels do not split into ${groups} groups`);
  const st = [...strides];
  if (groups === 1) return denseConv(x, kernel, st, dil, pads);
  const kh = kernel.shape.slice(0, r);
  if (r === 2 && cinPerGroup === 1) {
    // Depthwise: output channel c * mult + m reads input channel c (ONNX group order).
    const f = as4(tf.reshape(kernel, [...kh, cin, cout / cin]));
    return tf.depthwiseConv2d(x as Conv2DInput, f, st as [number, number], padding2D(pads), 'NHWC', dil as [number, number]);
  }
  if (r === 2 && cout === groups) {
    // One output per group (the adjoint of a depthwise convolution): depthwise with
    // multiplier 1 over every input channel, then the sum within each group.
    const f = as4(tf.reshape(tf.transpose(kernel, [0, 1, 3, 2]), [...kh, cin, 1]));
    const y = tf.depthwiseConv2d(x as Conv2DInput, f, st as [number, number], padding2D(pads), 'NHWC', dil as [number, number]);
    return tf.sum(tf.reshape(y, [...y.shape.slice(0, 3), groups, cinPerGroup]), -1);
  }
  const xs = tf.split(x, groups, r + 1);
  const ws = tf.split(kernel, groups, r + 1);
  return tf.concat(
    xs.map((xg, g) => denseConv(xg, ws[g], st, dil, pads)),
    r + 1,
  );
}

/**
 * Reinterprets a kernel [k..., A, g*B] of a grouped convolution with A inputs and B outputs per
 * group as [k..., B, g*A] (outputs and inputs swapped group by group), not yet flipped.
 */
export function swapInOut(w: Tensor, groups: number): Tensor {
  const r = w.rank - 2;
  const kh = w.shape.slice(0, r);
  const a = w.shape[r];
  const b = w.shape[r + 1] / groups;
  const sp = kernelSpatialAxes(r);
  const split = tf.reshape(w, [...kh, a, groups, b]);
  return tf.reshape(tf.transpose(split, [...sp, r + 2, r + 1, r]), [...kh, b, groups * a]);
}

/** The kernel of the adjoint convolution: flipped in space, inputs and outputs swapped. */
export function adjointKernel(w: Tensor, groups: number): Tensor {
  return tf.reverse(swapInOut(w, groups), kernelSpatialAxes(w.rank - 2));
}

/**
 * adjointKernel computed on the values in JavaScript, for a kernel whose values can be read
 * (a model constant, outside a recorded pass). The same numbers (it only moves them), but
 * wasm's Reverse kernel took 0.9 s of a ResNet-18 analysis for its 11 M weights and this
 * takes a few ms. Reversing every spatial axis of a row-major block reverses the order of
 * its flat spatial index, so one loop over (spatial, a, group, b) does both steps.
 */
export function adjointKernelValues(w: Tensor, groups: number): Tensor {
  const r = w.rank - 2;
  const spatial = w.shape.slice(0, r).reduce((p, k) => p * k, 1);
  const a = w.shape[r];
  const b = w.shape[r + 1] / groups;
  const toOnnx = [r + 1, r, ...Array.from({ length: r }, (_, i) => i)];
  const onnx = knownHostTransposes(w).get(toOnnx.join(','));
  if (onnx !== undefined) return adjointFromOnnxLayout(onnx, w.shape, groups, toOnnx);
  const src = valuesOf(w);
  if (!(src instanceof Float32Array)) return adjointKernel(w, groups);
  const out = new Float32Array(src.length);
  const gb = groups * b;
  const ga = groups * a;
  for (let sp = 0; sp < spatial; sp++) {
    const from = sp * a * gb;
    const to = (spatial - 1 - sp) * b * ga;
    for (let ai = 0; ai < a; ai++) {
      for (let g = 0; g < groups; g++) {
        const row = from + ai * gb + g * b;
        const col = to + g * a + ai;
        for (let bi = 0; bi < b; bi++) out[col + bi * ga] = src[row + bi];
      }
    }
  }
  return tensorFromValues(out, [...w.shape.slice(0, r), b, ga]);
}

/**
 * adjointKernelValues from the kernel's channels-first values [G*b, a, k...] (all ONNX Runtime
 * reads of it): the adjoint's own channels-first values [G*a, b, k...] are computed, flipped in
 * space with inputs and outputs swapped, and its TensorFlow.js layout is made only if something
 * reads it (the phases of a strided convolution, an op on TensorFlow.js). The same numbers as
 * adjointKernelValues; one copy of the weights instead of two (the adjoint and its transpose).
 */
function adjointFromOnnxLayout(src: Float32Array, shape: readonly number[], groups: number, toOnnx: readonly number[]): Tensor {
  const r = shape.length - 2;
  const spatial = shape.slice(0, r).reduce((p, k) => p * k, 1);
  const a = shape[r];
  const b = shape[r + 1] / groups;
  const out = new Float32Array(src.length);
  for (let g = 0; g < groups; g++) {
    for (let bi = 0; bi < b; bi++) {
      for (let ai = 0; ai < a; ai++) {
        const from = ((g * b + bi) * a + ai) * spatial;
        const to = ((g * a + ai) * b + bi) * spatial + spatial - 1;
        for (let sp = 0; sp < spatial; sp++) out[to - sp] = src[from + sp];
      }
    }
  }
  const adjointShape = [...shape.slice(0, r), b, groups * a];
  const onnxShape = toOnnx.map((p) => adjointShape[p]);
  const back = toOnnx.map((_, i) => toOnnx.indexOf(i));
  return tensorFromLazyValues(() => transposeBothWays(out, onnxShape, back), adjointShape, new Map([[toOnnx.join(','), out]]));
}

export interface ConvGeometry {
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Padding of the convolution's input at the begin and end of each spatial axis (may be negative). */
  readonly begin: readonly number[];
  readonly end: readonly number[];
}

/**
 * The transpose of `y = convValid(pad(x), w)`: maps a cotangent of y [N, out..., Cout] to
 * one of x [N, inSize..., Cin]. `flipped` is adjointKernel(w, groups).
 *
 * Strided without dilation: the sub-pixel form (convAdjointSubPixel), as cheap as the forward
 * convolution. Otherwise a stride-1 convolution of the zero-spread cotangent, which with
 * stride s spends (s^2 - 1) / s^2 of its work on the inserted zeros.
 */
export function convAdjoint(
  dy: Tensor,
  flipped: Tensor,
  kernelSize: readonly number[],
  g: ConvGeometry,
  inSize: readonly number[],
  subKernel?: SubKernelCache,
): Tensor {
  if (!allOnes(g.strides) && allOnes(g.dilations)) return convAdjointSubPixel(dy, flipped, kernelSize, g, inSize, subKernel);
  return convAdjointSpread(dy, flipped, kernelSize, g, inSize);
}

/** The adjoint as a stride-1 convolution of the zero-spread cotangent (any stride and dilation). */
export function convAdjointSpread(dy: Tensor, flipped: Tensor, kernelSize: readonly number[], g: ConvGeometry, inSize: readonly number[]): Tensor {
  const r = dy.rank - 2;
  const spread = insertZerosSpatial(dy, g.strides);
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < r; i++) {
    const k = effectiveKernel(kernelSize[i], g.dilations[i]);
    const padded = inSize[i] + g.begin[i] + g.end[i];
    // Input positions past the last window (when the stride does not divide evenly) get no gradient.
    const rest = padded - k - (dy.shape[i + 1] - 1) * g.strides[i];
    left.push(k - 1 - g.begin[i]);
    right.push(k - 1 + rest - g.end[i]);
  }
  return convPadded(
    spread,
    flipped,
    left,
    right,
    g.strides.map(() => 1),
    g.dilations,
  );
}

/** Caches a phase's sub-kernel (key: the phase, e.g. "1,0"); without one they are sliced per call. */
export type SubKernelCache = (phaseKey: string, make: () => Tensor) => Tensor;

/** Every phase vector p with 0 <= p[i] < strides[i], the last axis fastest. */
function allPhases(strides: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const s of strides) out = out.flatMap((p) => Array.from({ length: s }, (_, j) => [...p, j]));
  return out;
}

/**
 * Sub-pixel adjoint of a strided, undilated convolution. In padded input coordinates
 * j = q*s + p (phase p), dx[j] = sum_m dy[q - m] w[p + m*s]: for each phase a stride-1
 * convolution of dy with the taps p, p + s, ... of the kernel (the flipped kernel's taps
 * K-1-p-(M-1)s, ..., K-1-p, step s). The s^prod phases together do the forward's work;
 * their outputs are interleaved (and cropped) to the unpadded input.
 */
export function convAdjointSubPixel(
  dy: Tensor,
  flipped: Tensor,
  kernelSize: readonly number[],
  g: ConvGeometry,
  inSize: readonly number[],
  subKernel?: SubKernelCache,
): Tensor {
  const r = dy.rank - 2;
  const s = g.strides;
  const n = dy.shape[0];
  const cin = dim(flipped, r + 1);
  // Rows q0 .. q0+qn-1 of every phase cover the unpadded input [begin, begin + inSize).
  const q0 = inSize.map((_, i) => Math.floor(g.begin[i] / s[i]));
  const qn = inSize.map((x, i) => Math.ceil((g.begin[i] + x) / s[i]) - q0[i]);
  const phases = allPhases(s);
  const tapsOf = (p: readonly number[]): number[] => p.map((pi, i) => Math.max(0, Math.ceil((kernelSize[i] - pi) / s[i])));
  /** The phase's taps of the flipped kernel, [taps..., Cout, Cin]. */
  const phaseKernel = (p: readonly number[], taps: readonly number[]): Tensor => {
    const begin = [...p.map((pi, i) => kernelSize[i] - 1 - pi - (taps[i] - 1) * s[i]), 0, 0];
    const end = [...p.map((pi, i) => kernelSize[i] - pi), flipped.shape[r], flipped.shape[r + 1]];
    return flipped.kept && flipped.dtype === 'float32' ? tapsValues(flipped, begin, taps, s) : tf.stridedSlice(flipped, begin, end, [...s, 1, 1]);
  };
  const ones = s.map(() => 1);
  // Rows first .. first+count-1 of a phase with m taps read dy padded by m - 1 - first before.
  const phaseConv = (taps: readonly number[], kernel: Tensor, first: readonly number[], count: readonly number[]): Tensor =>
    convPadded(
      dy,
      kernel,
      taps.map((m, i) => m - 1 - first[i]),
      taps.map((_, i) => first[i] + count[i] - dy.shape[i + 1]),
      ones,
      ones,
    );
  const crop = (woven: Tensor): Tensor => sliceRuns(woven, [0, ...q0.map((q, i) => g.begin[i] - q * s[i]), 0], [n, ...inSize, cin]);

  // Grouped convolutions order their outputs by group, which the phase-major channels would break.
  const dense = flipped.shape[r] === dy.shape[r + 1];
  if (dense && fusePhases(r, s, cin, phases.map(tapsOf))) {
    // One convolution computes every phase: the phase kernels, front-padded with zero taps to
    // the largest, side by side along the output channels in depthToSpace's order.
    const most = kernelSize.map((k, i) => Math.ceil(k / s[i]));
    const make = (): Tensor =>
      tf.concat(
        phases.map((p) => {
          const taps = tapsOf(p);
          const sub = taps.some((m) => m === 0) ? tf.zeros([...taps.map(() => 1), flipped.shape[r], cin]) : phaseKernel(p, taps);
          const lead = most.map((m, i) => m - sub.shape[i]);
          return tf.pad(sub, [...lead.map((l): [number, number] => [l, 0]), [0, 0], [0, 0]]);
        }),
        r + 1,
      );
    const fused = subKernel ? subKernel('fused', make) : make();
    const all = phaseConv(most, fused, q0, qn);
    return crop(pixelShuffle(all, s[0]));
  }

  // Separately, each phase computes exactly the rows the unpadded input needs. Its positions
  // x = r*s + t (phase t of the unpadded input, r < rows) are padded positions
  // j = x + begin of phase p = (t + begin) mod s, at q = r + floor((t + begin) / s); woven by t
  // they are dx itself, up to the last row when s does not divide the size. (Padded phases
  // would share one range of q and compute up to 2.25x the rows at a ResNet's 4x4 stage.)
  const rows = inSize.map((x, i) => Math.ceil(x / s[i]));
  const parts = phases.map((t) => {
    const p = t.map((ti, i) => (((ti + g.begin[i]) % s[i]) + s[i]) % s[i]);
    const first = t.map((ti, i) => Math.floor((ti + g.begin[i]) / s[i]));
    const taps = tapsOf(p);
    // A phase no tap reaches (kernel smaller than the stride) gets no gradient.
    // tf.fill rather than tf.zeros, which builds the array in JavaScript first (a recorded
    // pass then scanned it to find it uniform: 0.3 s of a ResNet-18's recordings).
    if (taps.some((m) => m === 0)) return tf.fill([n, ...rows, cin], 0);
    const sub = subKernel ? subKernel(p.join(','), () => phaseKernel(p, taps)) : phaseKernel(p, taps);
    return phaseConv(taps, sub, first, rows);
  });
  const woven = interleave(parts, s, 0);
  return tf.util.arraysEqual(woven.shape, [n, ...inSize, cin])
    ? woven
    : sliceRuns(
        woven,
        woven.shape.map(() => 0),
        [n, ...inSize, cin],
      );
}

/**
 * The taps begin[i] + m * s[i] (m < taps[i]) of a kept [k..., Cout, Cin] kernel, read in
 * JavaScript: each tap is one contiguous Cout x Cin block. The same values as wasm's
 * StridedSlice, which took 0.24 s of a ResNet-18 analysis for its strided convolutions' phases.
 */
function tapsValues(kernel: Tensor, begin: readonly number[], taps: readonly number[], s: readonly number[]): Tensor {
  const r = taps.length;
  const block = kernel.shape[r] * kernel.shape[r + 1];
  const src = valuesOf(kernel);
  const out = new Float32Array(taps.reduce((p, m) => p * m, block));
  const index = taps.map(() => 0);
  for (let t = 0; t * block < out.length; t++) {
    // Flat spatial offset of tap `index` in the kernel (row-major over its spatial axes).
    let offset = 0;
    for (let i = 0; i < r; i++) offset = offset * kernel.shape[i] + begin[i] + index[i] * s[i];
    out.set(src.subarray(offset * block, (offset + 1) * block), t * block);
    for (let i = r - 1; i >= 0 && ++index[i] === taps[i]; i--) index[i] = 0;
  }
  return tensorFromValues(out, [...taps, kernel.shape[r], kernel.shape[r + 1]]);
}

/**
 * depthToSpace of [N, H, W, s * s * C] (channels ordered row phase, column phase, channel):
 * [N * H, W, s, s * C] -> swap the middle axes -> [N, H * s, W * s, C]. One rank-4 transpose;
 * wasm's DepthToSpace measured 25x slower (62 ms against 2.3 ms for [128, 33, 33, 12]).
 */
function pixelShuffle(t: Tensor, s: number): Tensor {
  const [n, h, w, c] = t.shape as [number, number, number, number];
  const swapped = tf.transpose(tf.reshape(t, [n * h, w, s, c / s]), [0, 2, 1, 3]);
  return tf.reshape(swapped, [n, h * s, w * s, c / (s * s)]);
}

/**
 * Whether the phases of a 2-D sub-pixel adjoint run as one convolution (phases x Cin output
 * channels, every phase at the largest tap count, woven by a pixel shuffle) rather than one
 * each. The fused form does more multiply-adds, but XNNPACK computes output channels in
 * tiles of 8: with few input channels (an RGB stem: 3) each separate phase wastes most of a
 * tile and pays its own interleaving. Cost in tap x channel-tile units; a 7x7 stride-2 stem
 * over 3 channels: fused 16 x 16 against 49 x 8 separate, measured 20 against 38 ms.
 */
export function fusePhases(r: number, strides: readonly number[], cin: number, taps: readonly number[][]): boolean {
  if (r !== 2 || strides[0] !== strides[1]) return false;
  const tile = (c: number): number => Math.ceil(c / 8) * 8;
  const tapCount = (t: readonly number[]): number => t.reduce((a, b) => a * b, 1);
  const most = [0, 1].map((i) => Math.max(...taps.map((t) => t[i])));
  const separate = taps.reduce((sum, t) => sum + tapCount(t) * tile(cin), 0);
  const fused = tapCount(most) * tile(taps.length * cin);
  return fused < 0.8 * separate;
}

/**
 * Interleaves per-phase results [N, q..., C] (row-major over the phases of spatial axes
 * `axis`..) into [N, ..., q_i * s_i, ..., C]: position q * s + p of an axis comes from phase p.
 * Stacks along an inner axis and reshapes, one axis at a time; a single transpose of the
 * stacked rank-(2r + 2) tensor measured ~10x slower on wasm.
 */
function interleave(parts: readonly Tensor[], strides: readonly number[], axis: number): Tensor {
  if (axis === strides.length) return parts[0];
  const s = strides[axis];
  const per = parts.length / s;
  const woven = Array.from({ length: s }, (_, p) => interleave(parts.slice(p * per, (p + 1) * per), strides, axis + 1));
  if (s === 1) return woven[0];
  const shape = woven[0].shape;
  const merged = shape.map((d, i) => (i === axis + 1 ? d * s : d));
  return tf.reshape(tf.stack(woven, axis + 2), merged);
}

/**
 * Cotangent of the kernel w [k..., Cin/g, Cout] of `y = convValid(xPadded, w)` given the
 * cotangent dy: a correlation of the input with dy, computed as a convolution in which the
 * input channels play the batch and the batch plays the channels.
 */
export function convFilterGrad(
  xPadded: Tensor,
  dy: Tensor,
  kernelSize: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  groups: number,
): Tensor {
  const r = xPadded.rank - 2;
  if (r === 1) {
    const gw = convFilterGrad(tf.expandDims(xPadded, 1), tf.expandDims(dy, 1), [1, kernelSize[0]], [1, strides[0]], [1, dilations[0]], groups);
    return tf.squeeze(gw, [0]);
  }
  // Roles swap: the correlation steps by the dilation and spreads dy's taps by the stride.
  let filt = dy;
  let dil = [...strides];
  const st = [...dilations];
  if (!allOnes(st) && !allOnes(dil)) {
    filt = insertZerosSpatial(dy, strides);
    dil = dil.map(() => 1);
  }
  const cin = xPadded.shape[r + 1];
  const cout = dy.shape[r + 1];
  const n = xPadded.shape[0];
  const sp = Array.from({ length: r }, (_, i) => i + 1);
  const crop = (t: Tensor, lead: number): Tensor =>
    tf.slice(
      t,
      t.shape.map(() => 0),
      t.shape.map((d, i) => (i >= lead && i < lead + r ? kernelSize[i - lead] : d)),
    );
  if (r === 2 && groups === cin && groups > 1) {
    // Depthwise: batch and channels folded into the channels of a single image.
    const mult = cout / cin;
    const img = as4(tf.reshape(tf.transpose(xPadded, [1, 2, 0, 3]), [1, ...xPadded.shape.slice(1, 3), n * cin]));
    const f = as4(
      tf.reshape(tf.transpose(tf.reshape(filt, [n, ...filt.shape.slice(1, 3), cin, mult]), [1, 2, 0, 3, 4]), [...filt.shape.slice(1, 3), n * cin, mult]),
    );
    const out = convValid(img, tf.reshape(f, [...filt.shape.slice(1, 3), 1, n * cin * mult]), st, dil);
    const summed = tf.sum(tf.reshape(out, [...out.shape.slice(1, 3), n, cin, mult]), 2);
    return tf.reshape(crop(summed, 0), [...kernelSize, 1, cout]);
  }
  const one = (xg: Tensor, dyg: Tensor): Tensor => {
    const img = tf.transpose(xg, [r + 1, ...sp, 0]);
    const f = tf.transpose(dyg, [...sp, 0, r + 1]);
    const out = crop(convValid(img, f, st, dil), 1);
    return tf.transpose(out, [...sp, 0, r + 1]);
  };
  if (groups === 1) return one(xPadded, filt);
  const xs = tf.split(xPadded, groups, r + 1);
  const ds = tf.split(filt, groups, r + 1);
  return tf.concat(
    xs.map((xg, i) => one(xg, ds[i])),
    r + 1,
  );
}
