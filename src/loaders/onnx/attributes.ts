/**
 * ONNX node attributes -> internal attribute values. Integers are narrowed like int64
 * tensors (see tensor.ts); strings are UTF-8 decoded; tensor attributes become ConstTensors.
 * Graph-valued attributes (the bodies of If/Loop/Scan) have no internal form: they are
 * reported so that the node's op is refused.
 */
import { onnx } from 'onnx-proto';
import type { AttrValue } from '../../graph/ir';
import { decodeTensorProto, int64ToInt32, type TensorSource } from './tensor';

const AttributeType = onnx.AttributeProto.AttributeType;
const utf8 = new TextDecoder();

export interface ConvertedAttributes {
  readonly values: Record<string, AttrValue>;
  /** Names of attributes that have no internal form (graphs, sparse tensors, type protos). */
  readonly unconvertible: string[];
}

export function convertAttributes(attrs: readonly onnx.IAttributeProto[], source: TensorSource): ConvertedAttributes {
  const values: Record<string, AttrValue> = {};
  const unconvertible: string[] = [];
  for (const a of attrs) {
    const name = a.name ?? '';
    const value = convertAttribute(a, source);
    if (value === undefined) unconvertible.push(name);
    else values[name] = value;
  }
  return { values, unconvertible };
}

function convertAttribute(a: onnx.IAttributeProto, source: TensorSource): AttrValue | undefined {
  switch (a.type || inferType(a)) {
    case AttributeType.FLOAT:
      return a.f ?? 0;
    case AttributeType.INT:
      return int64ToInt32(a.i ?? 0);
    case AttributeType.STRING:
      return utf8.decode(a.s ?? new Uint8Array());
    case AttributeType.TENSOR:
      return a.t ? decodeTensorProto(a.t, source) : undefined;
    case AttributeType.FLOATS:
      return [...(a.floats ?? [])];
    case AttributeType.INTS:
      return (a.ints ?? []).map(int64ToInt32);
    case AttributeType.STRINGS:
      return (a.strings ?? []).map((s) => utf8.decode(s));
    default:
      return undefined;
  }
}

/** Files from before IR version 3 may leave `type` unset: infer it from the field present. */
function inferType(a: onnx.IAttributeProto): onnx.AttributeProto.AttributeType {
  const has = (field: keyof onnx.IAttributeProto): boolean => Object.prototype.hasOwnProperty.call(a, field);
  if ((a.floats?.length ?? 0) > 0) return AttributeType.FLOATS;
  if ((a.ints?.length ?? 0) > 0) return AttributeType.INTS;
  if ((a.strings?.length ?? 0) > 0) return AttributeType.STRINGS;
  if (has('t')) return AttributeType.TENSOR;
  if (has('s')) return AttributeType.STRING;
  if (has('i')) return AttributeType.INT;
  if (has('f')) return AttributeType.FLOAT;
  return AttributeType.UNDEFINED;
}
