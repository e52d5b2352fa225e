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
  /**
   * Transposes of `data` that exist already, by permutation (perm.join(',')): foldConstants
   * takes them instead of reading `data`, which may then never be made (a getter, see
   * ops/hostValues.ts tensorFromLazyValues).
   */
  readonly transposes?: ReadonlyMap<string, Float32Array>;
}

/**
 * An initializer whose data is read only when a fold or the encoder needs it (a getter), with
 * the transposes of it that exist already: foldConstants takes one of those instead of reading
 * `read()`, so a weight made on first read (ops/hostValues.ts) may never be made.
 */
export function deferredInitializer(
  name: string,
  shape: readonly number[],
  read: () => Initializer['data'],
  transposes: ReadonlyMap<string, Float32Array>,
  dtype?: ElemType,
): Initializer {
  return {
    name,
    shape: [...shape],
    get data(): Initializer['data'] {
      return read();
    },
    transposes,
    ...(dtype !== undefined && { dtype }),
  };
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

/**
 * Initializers of at least this many bytes (weights) are passed to ONNX Runtime as in-memory
 * external data, the arrays themselves, rather than copied into the protobuf: the model is
 * encoded and parsed without them, and a 512 x 512 x 3 x 3 kernel's session builds in 6 ms
 * instead of 24-98 ms.
 */
const EXTERNAL_MIN_BYTES = 64 * 1024;

/** One in-memory external data "file": an initializer's bytes, named by the path the model gives. */
export interface ExternalFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** An encoded model and the external data its large initializers point to (by path). */
export interface EncodedModel {
  readonly bytes: Uint8Array;
  readonly externalData: readonly ExternalFile[];
}

function initializer(t: Initializer, external: ExternalFile[]): onnx.ITensorProto {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const proto = { name: t.name, dims: [...t.shape], dataType: ELEM[t.dtype ?? 'float32'] };
  if (raw.byteLength < EXTERNAL_MIN_BYTES) return { ...proto, rawData: raw };
  // One in-memory "file" per initializer: no array is concatenated or copied here.
  const path = `initializer-${external.length}.bin`;
  external.push({ path, data: raw });
  return {
    ...proto,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: path },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(raw.byteLength) },
    ],
  };
}

export function encodeModel(spec: ModelSpec, name = 'gradient-lens-op'): EncodedModel {
  const externalData: ExternalFile[] = [];
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
    initializer: (spec.initializers ?? []).map((t) => initializer(t, externalData)),
  };
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'gradient-lens',
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  };
  return { bytes: onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), externalData };
}
