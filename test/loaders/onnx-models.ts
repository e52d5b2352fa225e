/**
 * Helpers for the ONNX loader tests: build small ONNX models with onnx-proto's encoder and
 * write them (and any extra files) into a fresh temp folder.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';

export const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

export type AttrSpec =
  number | string | readonly number[] | { readonly floats: readonly number[] } | { readonly tensor: onnx.ITensorProto } | { readonly float: number };

/** Integers become INT/INTS, `{float}`/`{floats}` FLOAT/FLOATS, strings STRING, `{tensor}` TENSOR. */
export function attr(name: string, v: AttrSpec): onnx.IAttributeProto {
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: [...(v as number[])] };
  if ('floats' in v) return { name, type: A.FLOATS, floats: [...v.floats] };
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  return { name, type: A.TENSOR, t: (v as { tensor: onnx.ITensorProto }).tensor };
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrSpec> = {}, name = '', domain = ''): onnx.INodeProto {
  return { opType, input: inputs, output: outputs, name, domain, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) };
}

export function floatTensor(name: string, dims: number[], values: readonly number[]): onnx.ITensorProto {
  return { name, dims, dataType: T.FLOAT, floatData: [...values] };
}

/** A tensor given as raw little-endian bytes. */
export function rawTensor(name: string, dims: number[], dataType: number, raw: Uint8Array): onnx.ITensorProto {
  return { name, dims, dataType, rawData: raw };
}

export function valueInfo(name: string, elemType: number, dims: readonly (number | string | null)[] | null): onnx.IValueInfoProto {
  const shape = dims === null ? undefined : { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) };
  return { name, type: { tensorType: { elemType, ...(shape && { shape }) } } };
}

export interface ModelSpec {
  readonly nodes: onnx.INodeProto[];
  readonly inputs: onnx.IValueInfoProto[];
  readonly outputs: onnx.IValueInfoProto[];
  readonly initializers?: onnx.ITensorProto[];
  readonly opset?: number;
  readonly extraOpsets?: { domain: string; version: number }[];
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const msg: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'gradient-lens-test',
    producerVersion: '1.0',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }, ...(spec.extraOpsets ?? [])],
    graph: { name: 'g', node: spec.nodes, input: spec.inputs, output: spec.outputs, initializer: spec.initializers ?? [] },
  };
  return onnx.ModelProto.encode(msg).finish();
}

/** Writes model.onnx into a new temp folder (inside `subdir` if given); returns its path. */
export function writeOnnx(model: Uint8Array | ModelSpec, extraFiles: Record<string, Uint8Array> = {}, subdir = ''): string {
  const root = mkdtempSync(path.join(tmpdir(), 'gl-onnx-'));
  const dir = path.join(root, subdir);
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(extraFiles)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
  const file = path.join(dir, 'model.onnx');
  writeFileSync(file, model instanceof Uint8Array ? model : encodeModel(model));
  return file;
}

export function float32Bytes(values: readonly number[]): Uint8Array {
  const b = new Uint8Array(4 * values.length);
  const view = new DataView(b.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return b;
}
