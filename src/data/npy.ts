/**
 * NumPy .npy reader (format versions 1, 2 and 3). Only the header and the requested rows are
 * read, so a large file costs no more memory than the samples taken from it. The header is a
 * Python dict literal; it is parsed by a small single-pass scanner, never evaluated.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DataError } from './errors';
import { regularDataFileSize } from './regularFile';

/** Element types this reader decodes (little-endian or byte-sized). */
export type NpyDtype = 'f4' | 'f8' | 'u1' | 'i1' | 'i2' | 'i4' | 'i8' | 'u2' | 'u4' | 'b1';

const ITEM_SIZE: Readonly<Record<NpyDtype, number>> = { f4: 4, f8: 8, u1: 1, i1: 1, i2: 2, i4: 4, i8: 8, u2: 2, u4: 4, b1: 1 };

export interface NpyHeader {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** Byte offset of the first element. */
  readonly dataOffset: number;
}

/** Largest header accepted: format 1.0 allows 65535 bytes, numpy itself writes a few hundred. */
const MAX_HEADER_BYTES = 64 * 1024;

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** Parses the header, reading bytes through `readAt` (offset, length), which may return fewer at the end of the file. */
export function parseNpyHeader(file: string, readAt: (offset: number, length: number) => Buffer): NpyHeader {
  const pre = readAt(0, 12);
  if (pre.length < 10 || !pre.subarray(0, 6).equals(MAGIC)) throw new DataError(file, 'not a NumPy .npy file (the magic string \\x93NUMPY is missing)');
  const major = pre[6];
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = pre.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (pre.length < 12) throw new DataError(file, 'the .npy header is truncated');
    headerLength = pre.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new DataError(file, `unsupported .npy format version ${major}`);
  }
  // numpy writes a few hundred bytes; a larger header is refused before it is read or parsed.
  if (headerLength > MAX_HEADER_BYTES)
    throw new DataError(file, `the .npy header claims ${headerLength} bytes, more than the ${MAX_HEADER_BYTES} a .npy header may have here`);
  const headerBytes = readAt(headerStart, headerLength);
  if (headerBytes.length < headerLength) throw new DataError(file, 'the .npy header is truncated');
  const header = headerBytes.toString(major === 3 ? 'utf8' : 'latin1');

  const dict = parseHeaderDict(header);
  const unreadable = (): never => {
    throw new DataError(file, `cannot read the .npy header (${JSON.stringify(header.trim().slice(0, 120))})`);
  };
  if (dict === undefined) return unreadable();
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shapeValue = dict.get('shape');
  if (typeof descr !== 'string' || typeof fortran !== 'boolean' || !Array.isArray(shapeValue)) return unreadable();
  const shapeText = shapeValue.join(', ');
  if (fortran)
    throw new DataError(file, 'the array is stored in Fortran order (fortran_order: True); save it in C order, e.g. np.save(path, np.ascontiguousarray(a))');
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const code = m ? `${m[2]}${m[3]}` : '';
  if (!m || !(code in ITEM_SIZE)) throw new DataError(file, `unsupported dtype "${descr}" (supported: float32, float64, uint8; for labels also integer types)`);
  if (m[1] === '>' && ITEM_SIZE[code as NpyDtype] > 1) throw new DataError(file, `big-endian dtype "${descr}" is not supported; save it as little-endian`);
  const shape = shapeValue.map((s) => {
    const v = Number(s.replace(/L$/, ''));
    if (!/^\d+L?$/.test(s) || !Number.isSafeInteger(v)) throw new DataError(file, `the .npy shape (${shapeText}) is not a list of sizes`);
    return v;
  });
  return { dtype: code as NpyDtype, shape, dataOffset: headerStart + headerLength };
}

export function npyItemSize(dtype: NpyDtype): number {
  return ITEM_SIZE[dtype];
}

/** Decodes `count` little-endian elements of `dtype` from `bytes` into `out` at `outOffset`. */
export function decodeNpyElements(bytes: Buffer, dtype: NpyDtype, count: number, out: Float32Array | Float64Array, outOffset: number): void {
  for (let i = 0; i < count; i++) {
    let v: number;
    switch (dtype) {
      case 'f4':
        v = bytes.readFloatLE(4 * i);
        break;
      case 'f8':
        v = bytes.readDoubleLE(8 * i);
        break;
      case 'u1':
      case 'b1':
        v = bytes[i];
        break;
      case 'i1':
        v = bytes.readInt8(i);
        break;
      case 'i2':
        v = bytes.readInt16LE(2 * i);
        break;
      case 'u2':
        v = bytes.readUInt16LE(2 * i);
        break;
      case 'i4':
        v = bytes.readInt32LE(4 * i);
        break;
      case 'u4':
        v = bytes.readUInt32LE(4 * i);
        break;
      case 'i8':
        v = Number(bytes.readBigInt64LE(8 * i));
        break;
    }
    out[outOffset + i] = v;
  }
}

/** An open .npy file: its header, and reads of whole rows (index along the first axis). */
export class NpyFile {
  readonly header: NpyHeader;
  /** Rows along the first axis (1 for a 0-d array). */
  readonly rows: number;
  /** Elements per row. */
  readonly rowElements: number;

  private constructor(
    readonly file: string,
    private readonly fd: number,
  ) {
    const size = fstatSync(fd).size;
    this.header = parseNpyHeader(file, (offset, length) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      if (buf.length > 0) readSync(fd, buf, 0, buf.length, offset);
      return buf;
    });
    const shape = this.header.shape;
    this.rows = shape.length === 0 ? 1 : shape[0];
    this.rowElements = shape.slice(1).reduce((a, b) => a * b, 1);
    const needed = this.header.dataOffset + this.rows * this.rowElements * ITEM_SIZE[this.header.dtype];
    if (!Number.isSafeInteger(needed) || needed > size) {
      throw new DataError(file, `the file is truncated: shape (${shape.join(', ')}) of ${this.header.dtype} needs ${needed} bytes, the file has ${size}`);
    }
  }

  static open(file: string): NpyFile {
    regularDataFileSize(file);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw new DataError(file, `cannot open (${e instanceof Error ? e.message : String(e)})`);
    }
    try {
      return new NpyFile(file, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** The given rows, in the given order, as one flat array of rows * rowElements values. */
  readRows<T extends Float32Array | Float64Array>(indices: readonly number[], out: T): T {
    const item = ITEM_SIZE[this.header.dtype];
    const rowBytes = this.rowElements * item;
    const buf = Buffer.alloc(rowBytes);
    indices.forEach((r, k) => {
      if (!Number.isInteger(r) || r < 0 || r >= this.rows) throw new RangeError(`row ${r} outside 0..${this.rows - 1}`);
      if (rowBytes > 0) readSync(this.fd, buf, 0, rowBytes, this.header.dataOffset + r * rowBytes);
      decodeNpyElements(buf, this.header.dtype, this.rowElements, out, k * this.rowElements);
    });
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Writes a C-order little-endian .npy (version 1) — for tests and for users' own fixtures. */
export function encodeNpy(values: ArrayLike<number>, shape: readonly number[], dtype: 'f4' | 'f8' | 'u1' | 'i4' | 'i8', fortranOrder = false): Buffer {
  const descr = dtype === 'u1' ? '|u1' : `<${dtype}`;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  // The data starts at a multiple of 64 bytes; the header ends in a newline.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const item = ITEM_SIZE[dtype];
  const body = Buffer.alloc(values.length * item);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (dtype === 'f4') body.writeFloatLE(v, 4 * i);
    else if (dtype === 'f8') body.writeDoubleLE(v, 8 * i);
    else if (dtype === 'u1') body[i] = v;
    else if (dtype === 'i4') body.writeInt32LE(v, 4 * i);
    else body.writeBigInt64LE(BigInt(v), 8 * i);
  }
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

type HeaderValue = string | boolean | string[];

/**
 * The header's dict literal ({'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }) as
 * key → value, scanned once from left to right (linear in the header's length, unlike a pattern
 * search that restarts at every position); undefined when it is not such a literal. Tuple items
 * are returned as text and checked by the caller.
 */
function parseHeaderDict(text: string): Map<string, HeaderValue> | undefined {
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const take = (c: string): boolean => {
    skipSpace();
    if (text[pos] !== c) return false;
    pos++;
    return true;
  };
  const stringLiteral = (): string | undefined => {
    skipSpace();
    const quote = text[pos];
    if (quote !== "'" && quote !== '"') return undefined;
    const end = text.indexOf(quote, pos + 1);
    if (end < 0) return undefined;
    const value = text.slice(pos + 1, end);
    pos = end + 1;
    return value;
  };
  const word = (): string => {
    skipSpace();
    const start = pos;
    while (pos < text.length && /[A-Za-z0-9_]/.test(text[pos])) pos++;
    return text.slice(start, pos);
  };
  const value = (): HeaderValue | undefined => {
    skipSpace();
    if (text[pos] === "'" || text[pos] === '"') return stringLiteral();
    if (take('(')) {
      const items: string[] = [];
      while (!take(')')) {
        const item = word();
        if (item === '') return undefined;
        items.push(item);
        if (!take(',') && text[pos] !== ')') return undefined;
      }
      return items;
    }
    const w = word();
    return w === 'True' ? true : w === 'False' ? false : undefined;
  };

  const dict = new Map<string, HeaderValue>();
  if (!take('{')) return undefined;
  while (!take('}')) {
    const key = stringLiteral();
    if (key === undefined || !take(':')) return undefined;
    const v = value();
    if (v === undefined) return undefined;
    dict.set(key, v);
    if (!take(',')) {
      skipSpace();
      if (text[pos] !== '}') return undefined;
    }
  }
  return dict;
}
