/**
 * MaxPool, AveragePool (1-D to 3-D; pads, auto_pad, ceil_mode, count_include_pad, MaxPool
 * dilations) and GlobalAveragePool / GlobalMaxPool, in either layout (`channelsLast`).
 *
 * Pools run channels-last on an explicitly padded input (-inf for max, 0 for average) with
 * TensorFlow.js's 'valid' pools; ceil_mode's overhang is padding too, and AveragePool divides
 * by the per-position count of the elements ONNX counts. The VJPs are forward-style ops (see
 * maxPoolGrad2d and averagePoolAdjoint for why not MaxPoolGrad / AvgPoolGrad); dilated and
 * 3-D max pooling use strided slices in both directions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError, type ForwardArgs, type JvpArgs, type JvpMeanArgs, type OpKernel, type Tensor } from './kernel';
import { attrInts, attrNumber, broadcastFloat, required } from './kernelUtil';
import {
  fromChannelsLast,
  insertZerosSpatial,
  isChannelsLast,
  padOrCrop,
  perAxis,
  spatialOf,
  toChannelsLast,
  windowGeometry,
  type SpatialGeometry,
} from './spatial';
import { noLargerThanInput, pooled } from './bounds';

interface PoolSetup {
  readonly channelsLast: boolean;
  /** Channels-last input. */
  readonly x: Tensor;
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  readonly geo: SpatialGeometry;
}

function setup(args: ForwardArgs): PoolSetup {
  if (args.node.outputs.length > 1 && args.node.outputs[1] !== '') {
    throw new KernelError(`${args.node.op}: the Indices output is not supported`);
  }
  const channelsLast = isChannelsLast(args.attrs);
  const x = toChannelsLast(required(args.inputs, 0, 'X'), channelsLast);
  const r = x.rank - 2;
  if (r < 1 || r > 3) throw new KernelError(`pooling over ${r} spatial axes is not supported`);
  const kernel = attrInts(args.attrs, 'kernel_shape');
  if (kernel === undefined || kernel.length !== r) throw new KernelError(`kernel_shape must have ${r} entries`);
  const strides = perAxis(args.attrs, 'strides', r, 1);
  const dilations = perAxis(args.attrs, 'dilations', r, 1);
  const geo = windowGeometry(args.attrs, spatialOf(x), { kernel, strides, dilations }, attrNumber(args.attrs, 'ceil_mode', 0) !== 0);
  return { channelsLast, x, kernel, strides, dilations, geo };
}

type Shape2 = [number, number];
type Shape3 = [number, number, number];

/** A 1-D pool as a 2-D one over a height of 1: [N, W, C] -> [N, 1, W, C]. */
function lift(t: Tensor): Tensor {
  return tf.expandDims(t, 1);
}

/** 'valid' max or average pooling of a channels-last tensor with TensorFlow.js's pool ops. */
function tfPool(kind: 'max' | 'avg', x: Tensor, kernel: number[], strides: number[]): Tensor {
  const r = x.rank - 2;
  if (r === 1) return tf.squeeze(tfPool(kind, lift(x), [1, kernel[0]], [1, strides[0]]), [1]);
  if (r === 2) {
    const x4 = x as tf.Tensor4D;
    return kind === 'max' ? tf.maxPool(x4, kernel as Shape2, strides as Shape2, 'valid') : tf.avgPool(x4, kernel as Shape2, strides as Shape2, 'valid');
  }
  const x5 = x as tf.Tensor5D;
  return kind === 'max' ? tf.maxPool3d(x5, kernel as Shape3, strides as Shape3, 'valid') : tf.avgPool3d(x5, kernel as Shape3, strides as Shape3, 'valid');
}

/**
 * Cotangent of the padded input of a 'valid' 2-D max pool: each output's cotangent goes to
 * its window's (first) maximum, found by MaxPoolWithArgmax and scattered with ScatterNd.
 * wasm's MaxPoolGrad and MaxPoolWithArgmax start their maxima at FLT_MIN (a positive number),
 * which misroutes windows of negative values, so the arg-max runs on a copy shifted to >= 1;
 * padding is added after the shift, as 0.5. (The shift can merge values within float32
 * rounding of each other, which only matters for near-ties.) Measured on wasm: about half
 * the time of MaxPoolGrad, and exact where MaxPoolGrad is not.
 */
function maxPoolGrad2d(dy: Tensor, x: Tensor, s: PoolSetup, argMax: ArgMaxCache): Tensor {
  const lifted = x.rank === 3;
  const x4 = (lifted ? lift(x) : x) as tf.Tensor4D;
  const kernel = (lifted ? [1, ...s.kernel] : s.kernel) as Shape2;
  const strides = (lifted ? [1, ...s.strides] : s.strides) as Shape2;
  const begin = lifted ? [0, ...s.geo.begin] : s.geo.begin;
  const end = lifted ? [0, ...s.geo.end] : s.geo.end;
  // The arg-max depends on the forward activation only: computed once per forward pass, and
  // mapped to positions of the unpadded input (see unpaddedTargets).
  const size = x4.size;
  const probes = dy.shape[0] / x4.shape[0];
  const targets = argMax(() => argMaxTargets(x4, kernel, strides, begin, end, probes), probes);
  const spare = withSpare.has(targets);
  let flat = tf.scatterND(targets, tf.reshape(dy, [-1]), [probes * size + (spare ? 1 : 0)]);
  // The spare element collected the windows that lie wholly in padding (no input gets theirs).
  if (spare) flat = tf.slice(flat, 0, probes * size);
  const dx = tf.reshape(flat, [probes * x4.shape[0], ...x4.shape.slice(1)]);
  return lifted ? tf.squeeze(dx, [1]) : dx;
}

/**
 * Scatter targets for the arg-max `padded` (flat indices into the padded [N, Hp, Wp, C]): the
 * same element's flat index in the unpadded x [N, H, W, C] (padding begins at `begin`; negative
 * begins crop), in `copies` copies for stacked probes, copy c offset by c * x.size. A window
 * wholly in padding (ceil_mode overhang) has its maximum there: it targets the spare element
 * after the copies. Scattering straight into x's shape saves cropping a padded cotangent (wasm
 * copied a ResNet stem's [128, 34, 34, 64] crop at 0.7 GB/s, 48 ms). Built in JS once per
 * forward pass: wasm's broadcasting int32 Add took 300 ms for 8 copies of 1M indices.
 */
function unpaddedTargets(padded: Int32Array, paddedShape: readonly number[], begin: readonly number[], shape: readonly number[], copies: number): Tensor {
  const [, hp, wp, c] = paddedShape;
  const [, h, w] = shape;
  const size = shape.reduce((a, b) => a * b, 1);
  const spare = copies * size;
  const base = new Int32Array(padded.length);
  for (let i = 0; i < padded.length; i++) {
    const j = padded[i];
    const ch = j % c;
    const col = Math.floor(j / c) % wp;
    const row = Math.floor(j / (c * wp)) % hp;
    const sample = Math.floor(j / (c * wp * hp));
    const y = row - begin[0];
    const x = col - begin[1];
    base[i] = y < 0 || y >= h || x < 0 || x >= w ? -1 : ((sample * h + y) * w + x) * c + ch;
  }
  const out = new Int32Array(copies * base.length);
  for (let k = 0; k < copies; k++) {
    for (let i = 0; i < base.length; i++) out[k * base.length + i] = base[i] < 0 ? spare : base[i] + k * size;
  }
  const targets = tf.tensor2d(out, [out.length, 1], 'int32');
  // Only then does the scatter need the spare element (and a slice, which wasm copies slowly).
  if (base.includes(-1)) withSpare.add(targets);
  return targets;
}

/** Scatter targets (unpaddedTargets) that use the spare element. */
const withSpare = new WeakSet<Tensor>();

/** Where maxPoolGrad2d keeps its scatter targets between reverse passes (per probe count). */
type ArgMaxCache = (make: () => Tensor, probes: number) => Tensor;

/**
 * Cotangent of the input of a 'valid' average pool over the padded input, given g = the
 * output cotangent times kernel size / count: the box sum of g spread back over the windows,
 * computed as a stride-1 average pool of the zero-dilated, padded g (a forward op; wasm's
 * AvgPoolGrad measured ~30x slower than a forward pool), cropped to the unpadded input.
 */
function averagePoolAdjoint(g: Tensor, s: PoolSetup, inSize: readonly number[]): Tensor {
  const spread = insertZerosSpatial(g, s.strides);
  const left = s.kernel.map((k, i) => k - 1 - s.geo.begin[i]);
  const right = s.kernel.map((k, i) => inSize[i] + s.geo.begin[i] + s.geo.end[i] - (s.geo.out[i] - 1) * s.strides[i] - 1 - s.geo.end[i]);
  return tfPool(
    'avg',
    padOrCrop(spread, left, right),
    s.kernel,
    s.kernel.map(() => 1),
  );
}

/** Window element (offset `tap`) of every output position: a strided slice of the padded input. */
function tapSlice(xp: Tensor, tap: number[], s: PoolSetup): Tensor {
  const begin = [0, ...tap.map((t, i) => t * s.dilations[i]), 0];
  const end = [xp.shape[0], ...tap.map((t, i) => t * s.dilations[i] + (s.geo.out[i] - 1) * s.strides[i] + 1), xp.shape[xp.rank - 1]];
  return tf.stridedSlice(xp, begin, end, [1, ...s.strides, 1]);
}

function allTaps(kernel: readonly number[]): number[][] {
  let taps: number[][] = [[]];
  for (const k of kernel) taps = taps.flatMap((t) => Array.from({ length: k }, (_, j) => [...t, j]));
  return taps;
}

/**
 * Whether max pooling takes the strided-slice path: for dilations, which TensorFlow.js's pools
 * lack, and in 3-D, where wasm's MaxPool3D starts its maxima at FLT_MIN (a positive number).
 */
function sliced(s: PoolSetup): boolean {
  return s.dilations.some((d) => d !== 1) || s.x.rank === 5;
}

/**
 * The padding value of max pooling: below every finite element. Not -inf: wasm's MaxPoolGrad
 * misroutes cotangents in windows holding -inf.
 */
function lowest(x: Tensor): number {
  return x.dtype === 'float32' ? -3.4028234663852886e38 : -2147483648;
}

/** The strided-slice max pool's VJP: each output's cotangent goes to the first window maximum. */
function slicedMaxPoolGrad(dy: Tensor, y: Tensor, s: PoolSetup): Tensor {
  const xp = padOrCrop(s.x, s.geo.begin, s.geo.end, lowest(s.x));
  let taken = tf.zerosLike(y);
  const parts: Tensor[] = [];
  for (const tap of allTaps(s.kernel)) {
    const hit = tf.mul(tf.cast(tf.equal(tapSlice(xp, tap, s), y), 'float32'), tf.sub(1, taken));
    taken = tf.add(taken, hit);
    const spread = insertZerosSpatial(tf.mul(dy, hit), s.strides);
    const before = tap.map((t, i) => t * s.dilations[i]);
    parts.push(
      padOrCrop(
        spread,
        before,
        before.map((b, i) => xp.shape[i + 1] - b - spread.shape[i + 1]),
      ),
    );
  }
  return padOrCrop(
    tf.addN(parts),
    s.geo.begin.map((b) => -b),
    s.geo.end.map((e) => -e),
  );
}

/**
 * J t of a max pool: each output takes the tangent of its window's first maximum, the element
 * the VJP routes its cotangent to. 2-D pools gather at the VJP's cached arg-max (maxPoolGrad2d's
 * scatter targets, read the other way); dilated and 3-D ones compare every window tap with the
 * output. The tangents come stacked `copies` times against the one activation.
 */
function maxPoolJvp(args: JvpArgs): Tensor {
  const s = setup(args);
  const t = toChannelsLast(args.tangents[0]!, s.channelsLast);
  const y = toChannelsLast(args.outputs[0], s.channelsLast);
  const copies = args.copies;
  if (sliced(s) || s.x.rank !== 4) {
    const xp = padOrCrop(s.x, s.geo.begin, s.geo.end, lowest(s.x));
    const tp = padOrCrop(t, s.geo.begin, s.geo.end, 0);
    const stacked = [copies, ...y.shape];
    let taken = tf.zeros(y.shape, 'bool');
    let out = tf.zeros(stacked);
    for (const tap of allTaps(s.kernel)) {
      const hit = tf.logicalAnd(tf.equal(tapSlice(xp, tap, s), y), tf.logicalNot(taken));
      taken = tf.logicalOr(taken, hit);
      out = tf.where(tf.broadcastTo(hit, stacked), tf.reshape(tapSlice(tp, tap, s), stacked), out);
    }
    return fromChannelsLast(tf.reshape(out, [copies * y.shape[0], ...y.shape.slice(1)]), s.channelsLast);
  }
  const x4 = s.x as tf.Tensor4D;
  // The same cache entry as the VJP's single-probe scatter targets.
  const targets = singleTargets(args, x4, s);
  // Channels-first tensors gather in their own layout (indices mapped once): no transposes of
  // the n^2 tangent rows.
  const native = s.channelsLast
    ? targets
    : args.ctx.derivedFromActivation(args.inputs[0]!, `${args.node.name}:argmax-nchw`, () => channelsFirstTargets(targets, x4.shape, y.shape));
  const tangent = s.channelsLast ? t : args.tangents[0]!;
  let flat = tf.reshape(tangent, [copies, x4.size]);
  // A window wholly in padding targets the spare element after the input: tangent 0.
  if (withSpare.has(native)) flat = tf.concat([flat, tf.zeros([copies, 1])], 1);
  const out = tf.gather(flat, tf.reshape(native, [-1]), 1);
  const outShape = s.channelsLast ? y.shape : args.outputs[0].shape;
  return tf.reshape(out, [copies * outShape[0], ...outShape.slice(1)]);
}

/**
 * (1/n) sum_j J_j (slope_j * t) of a 2-D max pool (OpKernel.jvpMean): output o of direction t
 * is the mean over the points j of slope_j * t at point j's window maximum for o. Read from the
 * c directions [c, H, W, C], not from c * n rows of them, in one JavaScript loop: on a ResNet
 * stem (c = n = 16, [32, 32, 64] -> [16, 16, 64]) the rows' wasm Gather and product took about
 * 0.4 s, this about 20 ms. While recorded (ctx.recording) the same sum is tensor ops (a graph
 * cannot read values back; ONNX Runtime gathers fast). Channels-last 2-D pools whose windows
 * all hold an input; undefined for the others (maxPoolJvp's rows serve them).
 */
function maxPoolJvpMean(args: JvpMeanArgs): Tensor | undefined {
  const s = setup(args);
  if (sliced(s) || s.x.rank !== 4 || !s.channelsLast || args.tangent.dtype !== 'float32') return undefined;
  const x4 = s.x as tf.Tensor4D;
  const targets = singleTargets(args, x4, s);
  if (withSpare.has(targets)) return undefined;
  const n = x4.shape[0];
  const perSample = x4.size / n;
  const y = args.outputs[0];
  const outPerSample = y.size / n;
  const c = args.tangent.shape[0];
  if (args.ctx.recording) {
    // Each (point, output)'s maximum within its sample, for gathering from the directions.
    const local = args.ctx.derivedFromActivation(args.inputs[0]!, `${args.node.name}:argmax:local`, () => {
      const at = targets.dataSync() as Int32Array;
      const within = new Int32Array(at.length);
      for (let k = 0; k < at.length; k++) within[k] = at[k] % perSample;
      return tf.tensor(within, [n * outPerSample], 'int32');
    });
    const weight =
      args.slope === undefined
        ? tf.fill([1, n, outPerSample], 1 / n)
        : tf.div(tf.reshape(tf.gather(tf.reshape(args.slope, [-1]), targets), [1, n, outPerSample]), n);
    const taken = tf.reshape(tf.gather(tf.reshape(args.tangent, [c, perSample]), local, 1), [c, n, outPerSample]);
    return tf.reshape(tf.sum(tf.mul(taken, weight), 1), [c, ...y.shape.slice(1)]);
  }
  const at = targets.dataSync() as Int32Array; // [n * out]: flat positions in x, sample offset included
  const t = args.tangent.dataSync() as Float32Array; // [c, perSample]
  const slope = args.slope?.dataSync() as Float32Array | undefined; // [n, perSample]
  // The weight of each (point, output): the point's slope at its maximum, over n.
  const weight = new Float64Array(at.length);
  const local = new Int32Array(at.length);
  for (let k = 0; k < at.length; k++) {
    weight[k] = (slope === undefined ? 1 : slope[at[k]]) / n;
    local[k] = at[k] % perSample;
  }
  const sums = new Float64Array(c * outPerSample);
  for (let i = 0; i < c; i++) {
    const row = i * perSample;
    const out = i * outPerSample;
    for (let j = 0, k = 0; j < n; j++) for (let o = 0; o < outPerSample; o++, k++) sums[out + o] += weight[k] * t[row + local[k]];
  }
  return tf.tensor(Float32Array.from(sums), [c, ...y.shape.slice(1)], 'float32');
}

/** Flat positions in x (channels-last, unpadded) of every output's window maximum, in `copies` copies (unpaddedTargets). */
function argMaxTargets(x4: tf.Tensor4D, kernel: Shape2, strides: Shape2, begin: readonly number[], end: readonly number[], copies: number): Tensor {
  // Padding 0.5: below every shifted input (>= 1) but above FLT_MIN, so that a window of
  // padding alone still finds its maximum there (and gives it to no input).
  const positive = padOrCrop(tf.add(tf.sub(x4, tf.min(x4)), 1), begin, end, 0.5) as tf.Tensor4D;
  const padded = tf.maxPoolWithArgmax(positive, kernel, strides, 'valid', true).indexes;
  return unpaddedTargets(padded.dataSync() as Int32Array, positive.shape, begin, x4.shape, copies);
}

/** argMaxTargets of a pool's own input, one copy: the cache entry the JVPs and the single-probe VJP share. */
function singleTargets(args: ForwardArgs, x4: tf.Tensor4D, s: PoolSetup): Tensor {
  return args.ctx.derivedFromActivation(args.inputs[0]!, `${args.node.name}:argmax:1`, () =>
    argMaxTargets(x4, s.kernel as Shape2, s.strides as Shape2, s.geo.begin, s.geo.end, 1),
  );
}

/**
 * unpaddedTargets (channels-last positions, in channels-last output order) re-indexed for a
 * channels-first input and output: target of output (s, c, h, w) = input (s, c, y, x).
 */
function channelsFirstTargets(targets: Tensor, inShape: readonly number[], outShape: readonly number[]): Tensor {
  const [n, h, w, c] = inShape;
  const [, ho, wo] = outShape;
  const size = n * h * w * c;
  const src = targets.dataSync() as Int32Array;
  const out = new Int32Array(src.length);
  let spare = false;
  for (let s = 0; s < n; s++) {
    for (let y = 0; y < ho; y++) {
      for (let x = 0; x < wo; x++) {
        for (let ch = 0; ch < c; ch++) {
          const v = src[((s * ho + y) * wo + x) * c + ch];
          let mapped = size;
          if (v < size) {
            const vc = v % c;
            const vx = Math.floor(v / c) % w;
            const vy = Math.floor(v / (c * w)) % h;
            const vs = Math.floor(v / (c * w * h));
            mapped = ((vs * c + vc) * h + vy) * w + vx;
          } else spare = true;
          out[((s * c + ch) * ho + y) * wo + x] = mapped;
        }
      }
    }
  }
  const result = tf.tensor1d(out, 'int32');
  if (spare) withSpare.add(result);
  return result;
}

const maxPool: OpKernel = {
  dataInputs: [0],
  outputBound: pooled,
  layout: 'channels-last',
  forward: (args) => {
    const s = setup(args);
    const xp = padOrCrop(s.x, s.geo.begin, s.geo.end, lowest(s.x));
    // TensorFlow.js pools only take float32; ints (from uint8 models) are exact in it up to 2^24.
    const xf = tf.cast(xp, 'float32');
    const y = sliced(s)
      ? allTaps(s.kernel)
          .map((t) => tapSlice(xf, t, s))
          .reduce((a, b) => tf.maximum(a, b))
      : tfPool('max', xf, s.kernel, s.strides);
    return [fromChannelsLast(xp.dtype === 'float32' ? y : tf.cast(y, xp.dtype), s.channelsLast)];
  },
  vjp: (args) => {
    const s = setup(args);
    const dy = toChannelsLast(args.dys[0]!, s.channelsLast);
    const argMax: ArgMaxCache = (make, probes) => args.ctx.derivedFromActivation(args.inputs[0]!, `${args.node.name}:argmax:${probes}`, make);
    const dx = sliced(s) ? slicedMaxPoolGrad(dy, toChannelsLast(args.outputs[0], s.channelsLast), s) : maxPoolGrad2d(dy, s.x, s, argMax);
    return [fromChannelsLast(dx, s.channelsLast)];
  },
  // The arg-max scatter takes stacked probes; the strided-slice path compares with y per probe.
  probeStacking: (args) => (sliced(setup(args)) ? undefined : 'stacked'),
  jvp: maxPoolJvp,
  jvpMean: maxPoolJvpMean,
};

/**
 * kernel size / (elements averaged) at every output position, as [1, out..., 1], or null when
 * every window averages a full kernel. Counted: input elements, plus the explicit padding
 * with count_include_pad; never the ceil_mode overhang.
 */
function averageRescale(args: ForwardArgs, s: PoolSetup): Tensor | null {
  const includePad = attrNumber(args.attrs, 'count_include_pad', 0) !== 0;
  const inSize = spatialOf(s.x);
  const perAxisCounts = s.kernel.map((k, i) => {
    const lo = includePad ? -s.geo.begin[i] : 0;
    const hi = includePad ? inSize[i] + s.geo.end[i] - s.geo.overhang[i] : inSize[i];
    return Array.from({ length: s.geo.out[i] }, (_, o) => {
      const start = o * s.strides[i] - s.geo.begin[i];
      return Math.max(0, Math.min(start + k, hi) - Math.max(start, lo));
    });
  });
  const full = s.kernel.reduce((a, b) => a * b, 1);
  let counts: number[] = [1];
  for (const c of perAxisCounts) counts = counts.flatMap((a) => c.map((b) => a * b));
  if (counts.every((c) => c === full)) return null;
  return tf.tensor(
    counts.map((c) => full / c),
    [1, ...s.geo.out, 1],
  );
}

const averagePool: OpKernel = {
  dataInputs: [0],
  outputBound: pooled,
  layout: 'channels-last',
  affine: true,
  forward: (args) => {
    const s = setup(args);
    if (s.dilations.some((d) => d !== 1)) throw new KernelError('AveragePool with dilations is not supported');
    const y = tfPool('avg', padOrCrop(s.x, s.geo.begin, s.geo.end), s.kernel, s.strides);
    const rescale = averageRescale(args, s);
    return [fromChannelsLast(rescale === null ? y : tf.mul(y, rescale), s.channelsLast)];
  },
  vjp: (args) => {
    const s = setup(args);
    const rescale = averageRescale(args, s);
    const dy = toChannelsLast(args.dys[0]!, s.channelsLast);
    const dx = averagePoolAdjoint(rescale === null ? dy : tf.mul(dy, rescale), s, spatialOf(s.x));
    return [fromChannelsLast(dx, s.channelsLast)];
  },
};

function spatialAxes(x: Tensor, channelsLast: boolean): number[] {
  return Array.from({ length: x.rank - 2 }, (_, i) => (channelsLast ? i + 1 : i + 2));
}

const globalAveragePool: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  layout: 'channels-last',
  affine: true,
  forward: (args) => {
    const x = required(args.inputs, 0, 'X');
    return [tf.mean(x, spatialAxes(x, isChannelsLast(args.attrs)), true)];
  },
  vjp: (args) => {
    const x = args.inputs[0]!;
    const axes = spatialAxes(x, isChannelsLast(args.attrs));
    const n = axes.reduce((a, ax) => a * x.shape[ax], 1);
    const dy = args.dys[0]!;
    // dy's axis 0 may hold stacked probes: it sets the cotangent's.
    return [broadcastFloat(tf.div(dy, n), [dy.shape[0], ...x.shape.slice(1)])];
  },
  probeStacking: () => 'stacked',
};

const globalMaxPool: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  layout: 'channels-last',
  forward: (args) => {
    const x = required(args.inputs, 0, 'X');
    return [tf.max(x, spatialAxes(x, isChannelsLast(args.attrs)), true)];
  },
  vjp: (args) => {
    const x = args.inputs[0]!;
    const axes = spatialAxes(x, isChannelsLast(args.attrs));
    // Ties share the cotangent equally (as ReduceMax does).
    const hit = tf.cast(tf.equal(x, args.outputs[0]), 'float32');
    return [tf.mul(tf.div(hit, tf.sum(hit, axes, true)), args.dys[0]!)];
  },
};

export const poolKernels: Record<string, OpKernel> = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
};
