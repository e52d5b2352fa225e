/**
 * Small ONNX models built in memory for ONNX Runtime sessions (one op each, plus the layout
 * transposes around it), encoded with onnx-proto.
 */
import { onnx } from 'onnx-proto';

/** Opset of the models built here (the engine's graph semantics are opset 18). */
const OPSET = 18;

export type AttributeValue = number | readonly number[];

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, AttributeValue>>;
}

/** A float32 graph input; a string dimension is symbolic (the batch, so stacked probes reuse the session). */
export interface ValueSpec {
  readonly name: string;
  readonly shape: readonly (number | string)[];
}

export interface Initializer {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface ModelSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: readonly Initializer[];
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  if (typeof value === 'number') return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] };
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function initializer(t: Initializer): onnx.ITensorProto {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name: t.name, dims: [...t.shape], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const graph: onnx.IGraphProto = {
    name: 'gradient-lens-op',
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
