/**
 * Conv and ConvTranspose (ONNX opset 18; 1-D, 2-D and 3-D; groups incl. depthwise), in the
 * ONNX layout or, with `channelsLast`, in the TensorFlow layout (kernels [k..., Cin/g, Cout]
 * for Conv, [k..., Cout/g, Cin] for ConvTranspose).
 *
 * Everything computes channels-last with TF-layout kernels (see convCore.ts). ConvTranspose is
 * the adjoint of the Conv that has the same kernel, so the two share their three building
 * blocks with roles exchanged, and every backward pass is a forward convolution.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../graph/ir';
import { KernelError, wantsOnly, type ForwardArgs, type OpKernel, type Tensor } from './kernel';
import { attrInts, attrNumber, attrString, derivedFrom, required } from './kernelUtil';
import { adjointKernel, adjointKernelValues, convAdjoint, convFilterGrad, convPadded, convValid, type ConvGeometry } from './convCore';
import {
  effectiveKernel,
  fromChannelsLast,
  isChannelsLast,
  padOrCrop,
  perAxis,
  spatialOf,
  sumToChannels,
  toChannelsLast,
  wants,
  windowGeometry,
} from './spatial';
import { at, fromShape, paddedSpatial, type OutputBound } from './bounds';

/** ONNX kernel [O, I, k...] -> TF [k..., I, O] (the same for Conv and ConvTranspose). */
function onnxToTfPerm(r: number): number[] {
  return [...Array.from({ length: r }, (_, i) => i + 2), 1, 0];
}

/** TF kernel [k..., I, O] -> ONNX [O, I, k...]. */
function tfToOnnxPerm(r: number): number[] {
  return [r + 1, r, ...Array.from({ length: r }, (_, i) => i)];
}

interface ConvSetup {
  readonly channelsLast: boolean;
  /** Input, channels-last. */
  readonly x: Tensor;
  /** Kernel in the TF layout. */
  readonly w: Tensor;
  readonly kernel: number[];
  readonly groups: number;
  readonly strides: number[];
  readonly dilations: number[];
}

function setup(args: ForwardArgs): ConvSetup {
  const channelsLast = isChannelsLast(args.attrs);
  const x = toChannelsLast(required(args.inputs, 0, 'X'), channelsLast);
  const wIn = required(args.inputs, 1, 'W');
  const r = x.rank - 2;
  if (r < 1 || wIn.rank !== r + 2) throw new KernelError(`input of rank ${x.rank} and kernel of rank ${wIn.rank} do not match`);
  const w = channelsLast ? wIn : derivedFrom(args.ctx, wIn, `${args.node.name}:w`, () => tf.transpose(wIn, onnxToTfPerm(r)));
  const kernel = w.shape.slice(0, r);
  const given = attrInts(args.attrs, 'kernel_shape');
  if (given !== undefined && given.length > 0 && !tf.util.arraysEqual(given, kernel)) {
    throw new KernelError(`kernel_shape [${given}] does not match the weights [${kernel}]`);
  }
  return {
    channelsLast,
    x,
    w,
    kernel,
    groups: attrNumber(args.attrs, 'group', 1),
    strides: perAxis(args.attrs, 'strides', r, 1),
    dilations: perAxis(args.attrs, 'dilations', r, 1),
  };
}

/**
 * The adjoint convolution's kernel (adjointKernel), cached per constant kernel. A constant's is
 * made from its values in JavaScript (the cache makes it outside any recorded pass); any other
 * kernel's with tensor ops, which a recorded pass can express.
 */
function flippedKernel(args: ForwardArgs, s: ConvSetup): Tensor {
  const source = args.inputs[1]!;
  return derivedFrom(args.ctx, source, `${args.node.name}:wadj`, () => (source.kept ? adjointKernelValues(s.w, s.groups) : adjointKernel(s.w, s.groups)));
}

function addBias(y: Tensor, b: Tensor | undefined): Tensor {
  return b === undefined ? y : tf.add(y, b);
}

/** Kernel cotangent from the TF layout back to the node's layout. */
function kernelGradToNode(gw: Tensor, channelsLast: boolean): Tensor {
  return channelsLast ? gw : tf.transpose(gw, tfToOnnxPerm(gw.rank - 2));
}

function convGeometry(attrs: Attributes, s: ConvSetup): ConvGeometry {
  const g = windowGeometry(attrs, spatialOf(s.x), { kernel: s.kernel, strides: s.strides, dilations: s.dilations });
  return { strides: s.strides, dilations: s.dilations, begin: g.begin, end: g.end };
}

function checkGroups(s: ConvSetup, cin: number, cinPerGroup: number): void {
  if (cin !== cinPerGroup * s.groups) {
    throw new KernelError(`group ${s.groups} with ${cin} input channels needs kernels over ${cin / s.groups} channels, got ${cinPerGroup}`);
  }
}

/** Batch, output channels, and the padded input over the stride per spatial axis. */
const convBound: OutputBound = (inputs, node) => {
  const [x, w] = inputs;
  if (!x || !w) return undefined;
  const cout = node.attrs.channelsLast === true ? at(w.shape, -1) : at(w.shape, 0);
  return fromShape([at(x.shape, 0), cout, ...paddedSpatial(x.shape, node)]);
};

const conv: OpKernel = {
  dataInputs: [0, 1, 2],
  outputBound: convBound,
  layout: 'convolution',
  holdsWeights: true,
  affine: true,
  forward: (args) => {
    const s = setup(args);
    const r = s.x.rank - 2;
    checkGroups(s, s.x.shape[r + 1], s.w.shape[r]);
    const g = convGeometry(args.attrs, s);
    const y = convPadded(s.x, s.w, g.begin, g.end, s.strides, s.dilations);
    return [fromChannelsLast(addBias(y, args.inputs[2]), s.channelsLast)];
  },
  vjp: (args) => {
    const s = setup(args);
    const g = convGeometry(args.attrs, s);
    const dy = toChannelsLast(args.dys[0]!, s.channelsLast);
    let dx: Tensor | undefined;
    if (wants(args, 0)) {
      const flipped = flippedKernel(args, s);
      const sub = (phase: string, make: () => Tensor): Tensor => derivedFrom(args.ctx, args.inputs[1]!, `${args.node.name}:wadj:${phase}`, make);
      dx = fromChannelsLast(convAdjoint(dy, flipped, s.kernel, g, spatialOf(s.x), sub), s.channelsLast);
    }
    // The kernel's cotangent costs as much again, and is rarely asked for (weights are constants).
    const gw = wants(args, 1) ? convFilterGrad(padOrCrop(s.x, g.begin, g.end), dy, s.kernel, s.strides, s.dilations, s.groups) : undefined;
    return [dx, gw && kernelGradToNode(gw, s.channelsLast), wants(args, 2) ? sumToChannels(dy) : undefined];
  },
  // The input's cotangent reads x for its shape only; the kernel's and bias's sum over samples.
  probeStacking: (args) => (wantsOnly(args, [0]) ? 'stacked' : undefined),
};

/** Padding of ConvTranspose's output and its size, per spatial axis. */
function transposeGeometry(attrs: Attributes, s: ConvSetup): ConvGeometry & { readonly out: number[] } {
  const inSize = spatialOf(s.x);
  const r = inSize.length;
  const outPad = perAxis(attrs, 'output_padding', r, 0);
  const autoPad = attrString(attrs, 'auto_pad', 'NOTSET');
  let shape = attrInts(attrs, 'output_shape');
  if (shape !== undefined && shape.length === r + 2) shape = shape.slice(2);
  const full = inSize.map((h, i) => s.strides[i] * (h - 1) + outPad[i] + effectiveKernel(s.kernel[i], s.dilations[i]));
  const begin: number[] = [];
  const end: number[] = [];
  if ((shape !== undefined && shape.length > 0) || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const target = shape !== undefined && shape.length > 0 ? shape : inSize.map((h, i) => h * s.strides[i]);
    if (target.length !== r) throw new KernelError(`output_shape has ${target.length} entries for ${r} spatial axes`);
    full.forEach((f, i) => {
      const total = f - target[i];
      const half = Math.floor(total / 2);
      // As the ONNX definition: the odd element goes to the end for SAME_UPPER.
      if (autoPad === 'SAME_UPPER') {
        begin.push(half);
        end.push(total - half);
      } else {
        begin.push(total - half);
        end.push(half);
      }
    });
  } else if (autoPad === 'VALID') {
    full.forEach(() => (begin.push(0), end.push(0)));
  } else if (autoPad === 'NOTSET') {
    const pads = perAxis(attrs, 'pads', 2 * r, 0);
    begin.push(...pads.slice(0, r));
    end.push(...pads.slice(r));
  } else {
    throw new KernelError(`auto_pad ${autoPad} is not supported`);
  }
  const out = full.map((f, i) => f - begin[i] - end[i]);
  if (out.some((o) => o <= 0)) throw new KernelError(`ConvTranspose output size [${out}] is empty`);
  return { strides: s.strides, dilations: s.dilations, begin, end, out };
}

/** The explicit output_shape, or stride x input + dilated kernel extent + output padding per spatial axis. */
const convTransposeBound: OutputBound = (inputs, node) => {
  const [x, w] = inputs;
  if (!x || !w) return undefined;
  const channelsLast = node.attrs.channelsLast === true;
  const group = attrNumber(node.attrs, 'group', 1);
  const cout = (channelsLast ? at(w.shape, -2) : at(w.shape, 1)) * group;
  const kernel = channelsLast ? w.shape.slice(0, -2) : w.shape.slice(2);
  const explicit = attrInts(node.attrs, 'output_shape');
  const spatialIn = channelsLast ? x.shape.slice(1, -1) : x.shape.slice(2);
  const strides = attrInts(node.attrs, 'strides') ?? [];
  const dilations = attrInts(node.attrs, 'dilations') ?? [];
  const outPad = attrInts(node.attrs, 'output_padding') ?? [];
  const spatial =
    explicit && explicit.length === spatialIn.length
      ? explicit
      : spatialIn.map((d, i) => d * (strides[i] ?? 1) + (at(kernel, i) - 1) * (dilations[i] ?? 1) + 1 + Math.max(0, outPad[i] ?? 0));
  return fromShape([at(x.shape, 0), cout, ...spatial]);
};

const convTranspose: OpKernel = {
  dataInputs: [0, 1, 2],
  outputBound: convTransposeBound,
  layout: 'convolution',
  holdsWeights: true,
  affine: true,
  forward: (args) => {
    const s = setup(args);
    const r = s.x.rank - 2;
    // The kernel [k..., Cout/g, Cin] is the kernel of the Conv this op is the adjoint of.
    checkGroups(s, s.w.shape[r + 1], s.w.shape[r + 1] / s.groups);
    if (s.x.shape[r + 1] !== s.w.shape[r + 1]) throw new KernelError(`input has ${s.x.shape[r + 1]} channels, kernel expects ${s.w.shape[r + 1]}`);
    const g = transposeGeometry(args.attrs, s);
    const flipped = flippedKernel(args, s);
    const sub = (phase: string, make: () => Tensor): Tensor => derivedFrom(args.ctx, args.inputs[1]!, `${args.node.name}:wadj:${phase}`, make);
    const y = convAdjoint(s.x, flipped, s.kernel, g, g.out, sub);
    return [fromChannelsLast(addBias(y, args.inputs[2]), s.channelsLast)];
  },
  vjp: (args) => {
    const s = setup(args);
    const g = transposeGeometry(args.attrs, s);
    const dy = padOrCrop(toChannelsLast(args.dys[0]!, s.channelsLast), g.begin, g.end);
    let dx: Tensor | undefined;
    if (wants(args, 0)) {
      dx = convValid(dy, s.w, s.strides, s.dilations);
      // output_padding of a stride or more adds positions no input reaches.
      if (!tf.util.arraysEqual(dx.shape, s.x.shape))
        dx = tf.slice(
          dx,
          dx.shape.map(() => 0),
          s.x.shape,
        );
      dx = fromChannelsLast(dx, s.channelsLast);
    }
    const gw = wants(args, 1) ? convFilterGrad(dy, s.x, s.kernel, s.strides, s.dilations, s.groups) : undefined;
    return [dx, gw && kernelGradToNode(gw, s.channelsLast), wants(args, 2) ? sumToChannels(toChannelsLast(args.dys[0]!, s.channelsLast)) : undefined];
  },
};

export const convKernels: Record<string, OpKernel> = {
  Conv: conv,
  ConvTranspose: convTranspose,
};
