/**
 * The contract every operator of the internal graph implements: a forward computation with
 * TensorFlow.js ops, and its vector-Jacobian product (VJP) written out by hand.
 *
 * Why hand-written VJPs rather than tf.grad: the analysis runs one forward pass and then many
 * backward passes from different targets with different cotangents. Our own reverse pass
 * reuses the retained forward activations for every one of them, and lets each operator
 * choose a gradient formulation that is fast on the wasm backend (see issue "Fast analysis").
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Attributes, GraphNode } from '../graph/ir';

export type Tensor = tf.Tensor;

/** Thrown by kernels for inputs they cannot handle (bad attribute, unsupported mode, ...). */
export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelError';
  }
}

export interface KernelContext {
  /** Values of a small int or float tensor (shapes, axes, pads, scales), read synchronously. */
  readNumbers(t: Tensor): number[];
  /**
   * A per-node cache for values derived only from constants (e.g. a convolution kernel
   * transposed into the layout the backend wants), so they are computed once per analysis.
   * Tensors stored here are kept alive until the executor is disposed.
   */
  cached<T extends tf.Tensor | tf.Tensor[]>(key: string, make: () => T): T;
  /**
   * A cache for values derived from a forward activation (e.g. a max pool's arg-max indices),
   * which every reverse pass over the same forward pass would otherwise recompute. Values
   * live as long as `source` does: they are released with the activations.
   */
  derivedFromActivation<T extends tf.Tensor>(source: tf.Tensor, key: string, make: () => T): T;
  /**
   * True while the kernel's calls are recorded into a graph (runtime/ortGraph.ts) rather than
   * computed: values cannot be read back then, so a kernel whose fast eager path reads them
   * uses tensor ops instead.
   */
  readonly recording: boolean;
}

export interface ForwardArgs {
  /** One entry per node input; undefined for an omitted optional input. */
  readonly inputs: readonly (Tensor | undefined)[];
  readonly attrs: Attributes;
  readonly node: GraphNode;
  readonly ctx: KernelContext;
}

export interface VjpArgs extends ForwardArgs {
  /** The outputs the forward pass produced (retained activations). */
  readonly outputs: readonly Tensor[];
  /** Cotangent for each output; undefined where no gradient flows into that output. */
  readonly dys: readonly (Tensor | undefined)[];
  /**
   * Indices of the inputs whose cotangents the caller will use (absent: all data inputs).
   * Kernels may return undefined for the others, e.g. skip a convolution's kernel gradient.
   */
  readonly wanted?: ReadonlySet<number>;
}

/** A forward-mode derivative (OpKernel.jvp): tangents of the inputs, stacked `copies` times. */
export interface JvpArgs extends ForwardArgs {
  /** The outputs the forward pass produced (retained activations). */
  readonly outputs: readonly Tensor[];
  /**
   * Tangent for each input, `copies` tangents stacked along axis 0 as probes are
   * (probeStacking.ts): [copies * d0, ...] against the activation's [d0, ...]; undefined for an
   * input without a tangent.
   */
  readonly tangents: readonly (Tensor | undefined)[];
  readonly copies: number;
}

/**
 * The mean over the batch's n points of a JVP at each point (OpKernel.jvpMean), for c tangents
 * that are the same at every point up to a per-point elementwise factor.
 */
export interface JvpMeanArgs extends ForwardArgs {
  readonly outputs: readonly Tensor[];
  /** The c directions of the first input, [c, ...] (the input's shape with c in place of the batch). */
  readonly tangent: Tensor;
  /** Per-point factor [n, ...] of the input's shape (an elementwise nonlinearity's slopes); absent: 1. */
  readonly slope?: Tensor;
}

export interface OpKernel {
  /**
   * Indices of the inputs that carry data the output depends on differentiably. The other
   * inputs (shapes, axes, indices, pads, constant-only parameters) get no cotangent, and
   * paths through them are not data paths when blocks are cut.
   */
  readonly dataInputs: readonly number[];
  forward(args: ForwardArgs): Tensor[];
  /**
   * Cotangents for the inputs, indexed like `inputs`; entries outside `dataInputs` are
   * ignored. May return undefined for an input that gets no gradient.
   * Absent for ops whose outputs are never differentiable (Shape, Equal, ...).
   */
  vjp?(args: VjpArgs): (Tensor | undefined)[];
  /**
   * Jacobian-vector products J t of the first output, exact, for ops whose Jacobian is neither
   * diagonal (elementwise: the VJP serves) nor constant (affine: a forward pass of the tangent
   * serves): a max pool's selection of each window's maximum. Optional; used by the exact JVPs
   * of k_lin (src/metrics/blockJvp.ts).
   */
  jvp?(args: JvpArgs): Tensor;
  /**
   * (1/n) sum_j J_j (slope_j * t) for each direction t: what blockJvp needs when the mean over
   * the points follows, computed without forming the n^2 rows of `jvp` (a max pool gathers each
   * point's window maxima from the c directions, not from n copies of them). Undefined where
   * the op does not take this form (the caller then forms the rows).
   */
  jvpMean?(args: JvpMeanArgs): Tensor | undefined;
  /**
   * True when the op is affine in its data inputs for fixed non-data inputs (Conv, MatMul,
   * Gemm, BatchNormalization in inference mode, Add, Reshape, Transpose, pooling by
   * averaging, ...). Used to tell projection skips from residual branches.
   */
  readonly affine?: boolean;
  /** True for elementwise nonlinearities (Relu, Tanh, Gelu, ...): collapse measures apply. */
  readonly elementwiseNonlinearity?: boolean;
  /**
   * How this call's VJP takes the cotangents of several probes stacked along axis 0 (see
   * src/runtime/probeStacking.ts): 'stacked' as they are, 'leading' reshaped to [P, d0, ...]
   * to broadcast against the activations; undefined (or absent): once per probe.
   */
  probeStacking?(args: VjpArgs): ProbeStacking | undefined;
  /**
   * An upper bound of the output's element count from input shapes and small shape inputs
   * (helpers in src/ops/bounds.ts). Required: the size guard refuses a node before it allocates, and an
   * op without a bound would be an unguarded way to exhaust memory.
   */
  readonly outputBound: OutputBound;
  /** How the channels-last layout pass (src/passes/layout.ts) treats the op; absent: it stops a region. */
  readonly layout?: LayoutClass;
  /** A weight layer (multiplies its data input by parameters): counts as one layer of depth and can be a projection skip. */
  readonly holdsWeights?: boolean;
}

/**
 * The layout pass's view of an op:
 * - 'convolution': Conv, ConvTranspose (channels-last, kernel transposed into the TF layout);
 * - 'channels-last': other ops with a `channelsLast` attribute (pools, per-channel normalisations, DepthToSpace);
 * - 'unary': elementwise on input 0 (other inputs are scalars), layout-agnostic;
 * - 'broadcast': numpy broadcasting of every input, layout-agnostic when operands share the rank;
 * - 'reduction': over given axes (axes remapped in a region);
 * - 'same-rank': output rank is input 0's, otherwise handled by name (Resize, Concat, Softmax, ...).
 */
export type LayoutClass = 'convolution' | 'channels-last' | 'unary' | 'broadcast' | 'reduction' | 'same-rank';

/** An upper bound of an output element count and a short description of where it comes from. */
export type Bound = { readonly elements: number; readonly detail: string };
/** Undefined only when an input the bound needs is missing (the kernel then refuses the node itself). */
export type OutputBound = (inputs: readonly (Tensor | undefined)[], node: GraphNode, ctx: KernelContext) => Bound | undefined;

export type ProbeStacking = 'stacked' | 'leading';

/** Whether the call wants exactly these inputs' cotangents (stacking is safe for them only). */
export function wantsOnly(args: VjpArgs, inputs: readonly number[]): boolean {
  const wanted = args.wanted;
  return wanted !== undefined && [...wanted].every((j) => inputs.includes(j));
}
