/**
 * The one internal graph every loader translates into.
 *
 * Operator semantics follow ONNX at opset 18 (the newest form of each op: axes, pads, min/max
 * and scales as inputs rather than attributes), plus a `channelsLast` attribute on the
 * spatial ops so that NHWC models (TensorFlow.js) need no transposes. Loaders upgrade older
 * forms into this one; nothing after a loader knows which file format a model came from.
 */

/** Element types the engine computes with. int64 is narrowed to int32 at load time (checked). */
export type DType = 'float32' | 'int32' | 'bool';

/** A dimension is a number, or a symbolic name for a dynamic dimension (e.g. "batch"). */
export type Dim = number | string;

/** A constant (weights, folded Constant nodes, shape tensors). */
export interface ConstTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Float32Array for float32, Int32Array for int32, Uint8Array (0/1) for bool. */
  readonly data: Float32Array | Int32Array | Uint8Array;
}

/** A graph input or output: the full tensor shape including the batch dimension. */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  /** null when the model does not say; entries may be symbolic. */
  readonly shape: readonly Dim[] | null;
}

export type AttrValue = number | string | boolean | readonly number[] | readonly string[] | ConstTensor;

export type Attributes = Readonly<Record<string, AttrValue>>;

/** Where a node came from, for mapping results back to files and source lines. */
export interface NodeOrigin {
  /** The node or layer name exactly as written in the model file. */
  readonly name: string;
  /** Op or layer class as written in the model file (e.g. "Conv", "Dense", "_FusedConv2D"). */
  readonly sourceOp: string;
  /**
   * True for a node an engine pass inserted (the layout pass's Transposes, src/passes/layout.ts),
   * which the model does not have: reports leave it out. `name` is then a neighbouring node's.
   */
  readonly synthetic?: boolean;
}

export interface GraphNode {
  /** Unique within the graph. */
  readonly name: string;
  /** An operator of the internal set (see src/ops/registry.ts). */
  readonly op: string;
  /** Tensor names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attributes;
  readonly origin: NodeOrigin;
}

/** Facts about the model file a loader reports; shown in the report, never branched on. */
export interface ModelDescription {
  /** Human-readable format label, e.g. "ONNX (opset 13)" or "TensorFlow.js layers-model". */
  readonly formatLabel: string;
  /** Stable id of the format family: 'onnx' | 'tfjs-layers' | 'tfjs-graph'. For the report only. */
  readonly format: string;
  readonly producer?: string;
  /** Layout of the model input as the user would describe it, e.g. "NCHW", "NHWC", "features". */
  readonly inputLayout?: string;
  /** Inputs besides the analysed one, fixed at load time (a sample rate, a recurrent state), and what they are fed. */
  readonly fixedInputs?: readonly { readonly name: string; readonly value: string }[];
}

export interface Graph {
  readonly description: ModelDescription;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** In a topological order (loaders sort them). */
  readonly nodes: readonly GraphNode[];
  /** Constant tensors by name: initializers and folded constants. */
  readonly constants: ReadonlyMap<string, ConstTensor>;
}

/** Number of elements of a static shape. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
