/**
 * TensorFlow NodeDef attributes as TF.js graph-model JSON writes them (protobuf JSON: int64 as
 * strings, strings base64-encoded, lists under "list", shapes as {dim: [{size}]}).
 */
import type { ConstTensor, DType } from '../../../graph/ir';
import { ConfigError, isObject, type Json, type JsonObject } from '../config';

export interface TfNode {
  readonly name: string;
  readonly op: string;
  /** Data inputs as "node" or "node:k"; control inputs ("^node") removed. */
  readonly inputs: readonly string[];
  readonly attr: JsonObject;
}

export function parseNodes(raw: Json | undefined): TfNode[] {
  if (!Array.isArray(raw)) throw new ConfigError('modelTopology.node is not a list');
  return raw.map((n, i) => {
    if (!isObject(n) || typeof n.name !== 'string' || typeof n.op !== 'string') throw new ConfigError(`modelTopology.node[${i}] needs a name and an op`);
    const inputs = Array.isArray(n.input) ? n.input.filter((s): s is string => typeof s === 'string' && !s.startsWith('^')) : [];
    return { name: n.name, op: n.op, inputs, attr: isObject(n.attr) ? n.attr : {} };
  });
}

/** "node:k" -> [node, k]; "node" -> [node, 0]. */
export function splitRef(ref: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? [m[1], Number(m[2])] : [ref, 0];
}

function attrValue(node: TfNode, key: string): JsonObject | undefined {
  const v = node.attr[key];
  return isObject(v) ? v : undefined;
}

export function hasAttr(node: TfNode, key: string): boolean {
  return attrValue(node, key) !== undefined;
}

export function attrInt(node: TfNode, key: string, fallback?: number): number {
  const v = attrValue(node, key);
  if (v !== undefined && (typeof v.i === 'string' || typeof v.i === 'number')) return Number(v.i);
  if (v !== undefined && Object.keys(v).length === 0) return 0; // protobuf JSON omits zero values
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`node "${node.name}" (${node.op}) has no integer attribute "${key}"`);
}

export function attrFloat(node: TfNode, key: string, fallback?: number): number {
  const v = attrValue(node, key);
  if (v !== undefined && typeof v.f === 'number') return v.f;
  if (v !== undefined && typeof v.f === 'string') return Number(v.f);
  if (v !== undefined && Object.keys(v).length === 0) return 0;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`node "${node.name}" (${node.op}) has no float attribute "${key}"`);
}

export function attrBool(node: TfNode, key: string, fallback = false): boolean {
  const v = attrValue(node, key);
  return v !== undefined && typeof v.b === 'boolean' ? v.b : fallback;
}

function decodeBase64(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

export function attrString(node: TfNode, key: string, fallback?: string): string {
  const v = attrValue(node, key);
  if (v !== undefined && typeof v.s === 'string') return decodeBase64(v.s);
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`node "${node.name}" (${node.op}) has no string attribute "${key}"`);
}

export function attrInts(node: TfNode, key: string, fallback?: readonly number[]): number[] {
  const v = attrValue(node, key);
  const list = v !== undefined && isObject(v.list) ? v.list : undefined;
  if (list !== undefined) return Array.isArray(list.i) ? list.i.map((x) => Number(x)) : [];
  if (fallback !== undefined) return [...fallback];
  throw new ConfigError(`node "${node.name}" (${node.op}) has no integer list attribute "${key}"`);
}

export function attrStrings(node: TfNode, key: string): string[] {
  const v = attrValue(node, key);
  const list = v !== undefined && isObject(v.list) ? v.list : undefined;
  return list !== undefined && Array.isArray(list.s) ? list.s.filter((s): s is string => typeof s === 'string').map(decodeBase64) : [];
}

/** TF DataType enum name -> internal dtype (int64 narrowed, float16/64 as float32). */
export function tfDType(name: string): DType | null {
  switch (name) {
    case 'DT_FLOAT':
    case 'DT_HALF':
    case 'DT_DOUBLE':
    case 'DT_BFLOAT16':
      return 'float32';
    case 'DT_INT32':
    case 'DT_INT64':
    case 'DT_INT16':
    case 'DT_INT8':
    case 'DT_UINT8':
      return 'int32';
    case 'DT_BOOL':
      return 'bool';
    default:
      return null;
  }
}

export function attrType(node: TfNode, key: string): string | null {
  const v = attrValue(node, key);
  return v !== undefined && typeof v.type === 'string' ? v.type : null;
}

/** A shape attribute: dims (-1 for unknown), or null for unknown rank. */
export function attrShape(node: TfNode, key: string): number[] | null {
  const v = attrValue(node, key);
  const shape = v !== undefined && isObject(v.shape) ? v.shape : undefined;
  if (shape === undefined || shape.unknownRank === true) return null;
  const dims = Array.isArray(shape.dim) ? shape.dim : [];
  return dims.map((d) => (isObject(d) && d.size !== undefined ? Number(d.size) : 0));
}

/** A Const node's value written inline (attr value.tensor) instead of in the weights. */
export function inlineTensor(node: TfNode): ConstTensor | null {
  const v = attrValue(node, 'value');
  const t = v !== undefined && isObject(v.tensor) ? v.tensor : undefined;
  if (t === undefined) return null;
  const dtype = typeof t.dtype === 'string' ? tfDType(t.dtype) : null;
  if (dtype === null) return null;
  const shapeObj = isObject(t.tensorShape) ? t.tensorShape : {};
  const shape = Array.isArray(shapeObj.dim) ? shapeObj.dim.map((d) => (isObject(d) && d.size !== undefined ? Number(d.size) : 0)) : [];
  const n = shape.reduce((a, b) => a * b, 1);
  const listKey = dtype === 'float32' ? 'floatVal' : dtype === 'bool' ? 'boolVal' : t.int64Val !== undefined ? 'int64Val' : 'intVal';
  const list = Array.isArray(t[listKey]) ? (t[listKey] as Json[]).map((x) => Number(x)) : [];
  if (typeof t.tensorContent === 'string') {
    const bytes = Buffer.from(t.tensorContent, 'base64');
    const values: number[] = [];
    const width = dtype === 'bool' ? 1 : t.dtype === 'DT_INT64' ? 8 : 4;
    for (let i = 0; i < n; i++) {
      if (dtype === 'float32') values.push(bytes.readFloatLE(4 * i));
      else if (dtype === 'bool') values.push(bytes[i]);
      else values.push(width === 8 ? Number(bytes.readBigInt64LE(8 * i)) : bytes.readInt32LE(4 * i));
    }
    return makeConst(dtype, shape, values);
  }
  // Protobuf repeats the last value to fill the shape ("splat").
  const values = Array.from({ length: n }, (_, i) => list[Math.min(i, list.length - 1)] ?? 0);
  return makeConst(dtype, shape, values);
}

function makeConst(dtype: DType, shape: number[], values: number[]): ConstTensor {
  const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : Uint8Array.from(values);
  return { dtype, shape, data };
}
