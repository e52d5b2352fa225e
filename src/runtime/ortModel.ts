/**
 * ONNX models built in memory for ONNX Runtime sessions, encoded with onnx-proto: one
 * convolution each (ortConv.ts), or a whole recorded reverse pass (ortGraph.ts).
 */
import { onnx } from 'onnx-proto';

/** Opset of the models built here (the engine's graph semantics are opset 18). */
const OPSET = 18;

/** An int, a list of ints, a float (`{ float: x }`: ONNX tells the types apart) or a string. */
export type AttributeValue = number | readonly number[] | { readonly float: number } | { readonly text: string };

/** Element types of the values in these models. */
export type ElemType = 'float32' | 'int32' | 'int64' | 'bool';

const ELEM: Record<ElemType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, AttributeValue>>;
}

/** A graph input or output (float32 unless said); a string dimension is symbolic (the batch, so stacked probes reuse the session). */
export interface ValueSpec {
  readonly name: string;
  readonly shape: readonly (number | string)[];
  readonly dtype?: ElemType;
}

export interface Initializer {
  readonly name: string;
  readonly shape: readonly number[];
  /** Float32Array for float32 (the default), Int32Array, BigInt64Array, Uint8Array for bool. */
  readonly data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  readonly dtype?: ElemType;
}

export interface ModelSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: readonly Initializer[];
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  if (typeof value === 'number') return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
  if ('float' in value) return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value.float };
  if ('text' in value) return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value.text) };
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] };
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM[v.dtype ?? 'float32'],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function initializer(t: Initializer): onnx.ITensorProto {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name: t.name, dims: [...t.shape], dataType: ELEM[t.dtype ?? 'float32'], rawData: raw };
}

export function encodeModel(spec: ModelSpec, name = 'gradient-lens-op'): Uint8Array {
  const graph: onnx.IGraphProto = {
    name,
    node: spec.nodes.map((n, i) => ({
      name: `n${i}`,
      opType: n.op,
      input: [...n.inputs],
      output: [...n.outputs],
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    })),
    input: spec.inputs.map(valueInfo),
    output: spec.outputs.map(valueInfo),
    initializer: (spec.initializers ?? []).map(initializer),
  };
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'gradient-lens',
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
