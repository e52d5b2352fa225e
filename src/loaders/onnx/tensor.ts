/**
 * ONNX TensorProto -> ConstTensor: initializers, Constant values, tensor attributes, and the
 * input/output files of the conformance cases.
 *
 * The engine computes with float32, int32 and bool only, so:
 *  - float16, bfloat16 and float64 become float32 (float64 loses precision, never range
 *    that matters for a network's weights);
 *  - int8, uint8, int16, uint16 and int32 become int32 exactly;
 *  - int64 becomes int32 with values outside the int32 range clamped to +-(2^31 - 1). Such
 *    values appear in practice as "to the end" markers (INT64_MAX in Slice ends, INT64_MIN in
 *    reverse slices), where a clamped value means the same thing; real indices and shapes
 *    beyond 2^31 cannot occur in a tensor the engine could allocate anyway.
 * Other element types (strings, uint32/uint64, complex, float8) are refused by name.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import type { ConstTensor, DType } from '../../graph/ir';
import { ModelLoadError } from '../errors';
import { checkFileToRead, resolveInsideModelDir } from '../paths';
import { halfToFloat } from '../float16';
import type { MemoryBudget } from '../../runtime/memoryBudget';

/** An int64 as protobufjs hands it over: a number, or a Long (two 32-bit halves). */
export type Int64 = number | { readonly low: number; readonly high: number };

const INT32_MAX = 2 ** 31 - 1;
/** Tensors above this many elements are refused before anything is allocated. */
const MAX_ELEMENTS = 2 ** 31;

/** The exact value of an int64 (precise up to 2^53, which covers every dimension we accept). */
export function int64Value(v: Int64): number {
  return typeof v === 'number' ? v : v.high * 2 ** 32 + (v.low >>> 0);
}

/** An int64 narrowed to int32, clamping out-of-range values to +-(2^31 - 1) (see above). */
export function int64ToInt32(v: Int64): number {
  if (typeof v === 'number') return Math.max(-INT32_MAX, Math.min(INT32_MAX, Math.trunc(v)));
  return clampHalves(v.low, v.high);
}

/** int64 given as low and high 32-bit words (signed high word) -> clamped int32. */
function clampHalves(low: number, high: number): number {
  const lowSigned = low | 0;
  // In range exactly when the high word is the sign extension of the low word.
  if (high === 0 && lowSigned >= 0) return lowSigned;
  if (high === -1 && lowSigned < 0) return Math.max(lowSigned, -INT32_MAX);
  return high < 0 ? -INT32_MAX : INT32_MAX;
}

const DataType = onnx.TensorProto.DataType;

interface ElementType {
  readonly dtype: DType;
  /** Bytes per element in raw_data. */
  readonly bytes: number;
}

const ELEMENT_TYPES: ReadonlyMap<number, ElementType> = new Map([
  [DataType.FLOAT, { dtype: 'float32', bytes: 4 }],
  [DataType.FLOAT16, { dtype: 'float32', bytes: 2 }],
  [DataType.BFLOAT16, { dtype: 'float32', bytes: 2 }],
  [DataType.DOUBLE, { dtype: 'float32', bytes: 8 }],
  [DataType.INT8, { dtype: 'int32', bytes: 1 }],
  [DataType.UINT8, { dtype: 'int32', bytes: 1 }],
  [DataType.INT16, { dtype: 'int32', bytes: 2 }],
  [DataType.UINT16, { dtype: 'int32', bytes: 2 }],
  [DataType.INT32, { dtype: 'int32', bytes: 4 }],
  [DataType.INT64, { dtype: 'int32', bytes: 8 }],
  [DataType.BOOL, { dtype: 'bool', bytes: 1 }],
] as [number, ElementType][]);

/** ONNX's name of an element type code, e.g. "FLOAT16" (for messages). */
export function elementTypeName(code: number): string {
  const name = (DataType as unknown as Record<number, string | undefined>)[code];
  return name ?? `element type ${code}`;
}

/** The internal dtype an ONNX element type is computed in, or undefined when unsupported. */
export function dtypeOfElementType(code: number): DType | undefined {
  return ELEMENT_TYPES.get(code)?.dtype;
}

/** Where a tensor comes from: the file named in errors, and the base of external data paths. */
export interface TensorSource {
  readonly file: string;
  /**
   * Charged for every decoded tensor before it is allocated (and for the bytes read from
   * external data while they are decoded): forty initializers naming one external file, or one
   * huge tensor, are refused by the memory limit instead of taking the machine's memory.
   */
  readonly budget?: MemoryBudget;
}

/** Bytes a decoded tensor holds: 4 per element (float32, int32), 1 for bool. */
function internalBytes(dtype: DType, count: number): number {
  return dtype === 'bool' ? count : 4 * count;
}

export function decodeTensorProto(t: onnx.ITensorProto, source: TensorSource): ConstTensor {
  const label = t.name ? `tensor "${t.name}"` : 'an unnamed tensor';
  const fail = (reason: string, file = source.file): never => {
    throw new ModelLoadError(file, `${label}: ${reason}`);
  };
  const code = t.dataType ?? 0;
  const type = ELEMENT_TYPES.get(code);
  if (type === undefined)
    return fail(
      `element type ${elementTypeName(code)} is not supported (supported: float32, float16, bfloat16, float64, int64, int32, int16, uint16, int8, uint8, bool)`,
    );
  if (t.segment) fail('segmented tensors are not supported');

  const shape = (t.dims ?? []).map(int64Value);
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) fail(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    count *= d;
    if (count > MAX_ELEMENTS) fail(`shape [${shape.join(', ')}] has more than 2^31 elements`);
  }

  const held = internalBytes(type.dtype, count);
  // decodeRaw widens all but float32 and int32 through a float64 array first.
  const scratch = code === DataType.FLOAT || code === DataType.INT32 ? 0 : 8 * count;
  const external = t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
  const budget = source.budget;
  // A size mismatch is the file's fault: say so rather than blame the memory limit.
  if (!external && t.rawData && t.rawData.length > 0 && t.rawData.length !== count * type.bytes) {
    fail(`raw_data holds ${t.rawData.length} bytes, the shape [${shape.join(', ')}] needs ${count * type.bytes}`);
  }
  if (budget === undefined) return { dtype: type.dtype, shape, data: decodeValues(t, source, type, code, shape, count, label, fail) };
  budget.charge(held, `${label} of ${source.file} (shape [${shape.join(', ')}])`);
  const transient = scratch + (external ? count * type.bytes : 0);
  const data = budget.whileHeld(transient, `decoding ${label} of ${source.file}`, () => decodeValues(t, source, type, code, shape, count, label, fail));
  return { dtype: type.dtype, shape, data };
}

function decodeValues(
  t: onnx.ITensorProto,
  source: TensorSource,
  type: ElementType,
  code: number,
  shape: readonly number[],
  count: number,
  label: string,
  fail: (reason: string) => never,
): Float32Array | Int32Array | Uint8Array {
  let values: ArrayLike<number>;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    values = decodeRaw(readExternal(t, count * type.bytes, source, label), code, count);
  } else if (t.rawData && t.rawData.length > 0) {
    values = decodeRaw(t.rawData, code, count);
  } else {
    values = typedField(t, code);
    if (values.length !== count) fail(`holds ${values.length} values, the shape [${shape.join(', ')}] needs ${count}`);
  }
  return toInternal(values, type.dtype);
}

/** Values of the typed *_data field that holds this element type (see onnx.proto). */
function typedField(t: onnx.ITensorProto, code: number): ArrayLike<number> {
  switch (code) {
    case DataType.FLOAT:
      return t.floatData ?? [];
    case DataType.DOUBLE:
      return t.doubleData ?? [];
    case DataType.INT64:
      return (t.int64Data ?? []).map(int64ToInt32);
    case DataType.FLOAT16:
      return (t.int32Data ?? []).map((bits) => halfToFloat(bits & 0xffff));
    case DataType.BFLOAT16:
      return (t.int32Data ?? []).map((bits) => bfloatBitsToFloat(bits & 0xffff));
    default:
      // int8, uint8, int16, uint16, int32 and bool are all stored widened in int32_data.
      return t.int32Data ?? [];
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** raw_data is little-endian, packed, per onnx.proto. */
function decodeRaw(bytes: Uint8Array, code: number, count: number): ArrayLike<number> {
  // The bulk of a model's bytes: copy them as they are into an aligned array. (Not with
  // bytes.slice(): on a Node Buffer that is a view into a shared pool.)
  if (LITTLE_ENDIAN_HOST && (code === DataType.FLOAT || code === DataType.INT32)) {
    const out = code === DataType.FLOAT ? new Float32Array(count) : new Int32Array(count);
    new Uint8Array(out.buffer).set(bytes.subarray(0, 4 * count));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (get: (i: number) => number): Float64Array => {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = get(i);
    return out;
  };
  switch (code) {
    case DataType.FLOAT:
      return read((i) => view.getFloat32(4 * i, true));
    case DataType.DOUBLE:
      return read((i) => view.getFloat64(8 * i, true));
    case DataType.FLOAT16:
      return read((i) => halfToFloat(view.getUint16(2 * i, true)));
    case DataType.BFLOAT16:
      return read((i) => bfloatBitsToFloat(view.getUint16(2 * i, true)));
    case DataType.INT8:
      return read((i) => view.getInt8(i));
    case DataType.UINT8:
    case DataType.BOOL:
      return read((i) => view.getUint8(i));
    case DataType.INT16:
      return read((i) => view.getInt16(2 * i, true));
    case DataType.UINT16:
      return read((i) => view.getUint16(2 * i, true));
    case DataType.INT32:
      return read((i) => view.getInt32(4 * i, true));
    case DataType.INT64:
      return read((i) => clampHalves(view.getInt32(8 * i, true), view.getInt32(8 * i + 4, true)));
    default:
      throw new Error(`decodeRaw: unhandled element type ${code}`);
  }
}

function toInternal(values: ArrayLike<number>, dtype: DType): Float32Array | Int32Array | Uint8Array {
  if (dtype === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values);
  if (dtype === 'int32') return values instanceof Int32Array ? values : Int32Array.from(values);
  return Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
}

/** bfloat16 is the top half of a float32. */
function bfloatBitsToFloat(b: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, b << 16);
  return view.getFloat32(0);
}

/**
 * Bytes of a tensor stored outside the model file (data_location EXTERNAL): `location` is a
 * path relative to the model's folder, `offset` and `length` select a byte range.
 */
function readExternal(t: onnx.ITensorProto, needed: number, source: TensorSource, label: string): Uint8Array {
  const fail = (reason: string, file = source.file): never => {
    throw new ModelLoadError(file, `${label}: ${reason}`);
  };
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (location === undefined || location === '') return fail('external data without a "location"');
  const offset = parseByteCount(entries.get('offset') ?? '0');
  const length = entries.has('length') ? parseByteCount(entries.get('length')!) : needed;
  if (offset === undefined || length === undefined)
    return fail(`external data has an invalid offset or length ("${entries.get('offset')}", "${entries.get('length')}")`);
  if (length !== needed) fail(`external data length is ${length} bytes, the shape needs ${needed}`);

  const file = resolveInsideModelDir(source.file, location);
  const { problem } = checkFileToRead(file);
  if (problem !== undefined) fail(`its external data file "${location}" ${problem}`);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT' ? `its external data file "${location}" is missing` : `cannot open its external data file "${location}" (${code ?? String(e)})`,
    );
  }
  try {
    const size = fstatSync(fd).size;
    if (offset + needed > size) {
      fail(`external data file is too short: needs bytes ${offset}..${offset + needed}, the file has ${size} bytes`, file);
    }
    const bytes = new Uint8Array(needed);
    let done = 0;
    while (done < needed) {
      const n = readSync(fd, bytes, done, needed - done, offset + done);
      if (n === 0) fail('external data file ended early', file);
      done += n;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function parseByteCount(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
