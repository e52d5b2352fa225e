/**
 * Reads the weights a TensorFlow.js model.json lists in its `weightsManifest`: groups of
 * weights stored back to back in the concatenation of the group's shard files, each weight
 * float32/int32/bool, optionally quantized (uint8/uint16 with scale and min, or float16).
 * Every problem is a ModelLoadError naming the file at fault and the cause.
 */
import { promises as fs } from 'node:fs';
import type { ConstTensor } from '../../graph/ir';
import { ModelLoadError } from '../errors';
import { checkFileToRead, resolveInsideModelDir } from '../paths';
import { halfToFloat } from '../float16';
import type { MemoryBudget } from '../../runtime/memoryBudget';

export interface QuantizationSpec {
  readonly dtype: string;
  readonly scale?: number;
  readonly min?: number;
}

export interface ManifestEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: QuantizationSpec;
}

export interface ManifestGroup {
  readonly paths: readonly string[];
  readonly weights: readonly ManifestEntry[];
}

export interface LoadedWeights {
  readonly tensors: ReadonlyMap<string, ConstTensor>;
  /** Weights stored as strings (lookup tables): loaded models may not use them. */
  readonly stringWeights: ReadonlySet<string>;
  /** The weight files read, in manifest order. */
  readonly files: readonly string[];
}

const VALUE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };

/** Validates the manifest's structure; `modelJson` is named in errors. */
export function parseManifest(modelJson: string, raw: unknown): ManifestGroup[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ModelLoadError(modelJson, 'weightsManifest is not a list of weight groups');
  return raw.map((g: unknown, i) => {
    const group = g as { paths?: unknown; weights?: unknown };
    if (typeof group !== 'object' || group === null || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelLoadError(modelJson, `weightsManifest[${i}] needs "paths" and "weights" lists`);
    }
    const paths = group.paths.map((p: unknown) => {
      if (typeof p !== 'string' || p === '') throw new ModelLoadError(modelJson, `weightsManifest[${i}].paths holds a non-string entry`);
      return p;
    });
    const weights = group.weights.map((w: unknown, j) => {
      const e = w as { name?: unknown; shape?: unknown; dtype?: unknown; quantization?: unknown };
      const ok =
        typeof e === 'object' &&
        e !== null &&
        typeof e.name === 'string' &&
        Array.isArray(e.shape) &&
        e.shape.every((d) => Number.isInteger(d) && (d as number) >= 0) &&
        typeof e.dtype === 'string';
      if (!ok) throw new ModelLoadError(modelJson, `weightsManifest[${i}].weights[${j}] needs a name, a shape of non-negative integers and a dtype`);
      return e as ManifestEntry;
    });
    return { paths, weights };
  });
}

function countOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Byte length of fixed-size entries; strings are measured while reading. */
function fixedByteLength(modelJson: string, e: ManifestEntry): number | 'string' {
  if (e.quantization !== undefined) {
    const q = e.quantization;
    const bytes = QUANTIZED_BYTES[q.dtype];
    if (bytes === undefined) {
      throw new ModelLoadError(modelJson, `weight "${e.name}" has unknown quantization dtype "${q.dtype}" (known: uint8, uint16, float16)`);
    }
    if (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number')) {
      throw new ModelLoadError(modelJson, `weight "${e.name}" is quantized to ${q.dtype} without a numeric scale and min`);
    }
    if (e.dtype !== 'float32' && !(e.dtype === 'int32' && q.dtype !== 'float16')) {
      throw new ModelLoadError(modelJson, `weight "${e.name}": ${q.dtype} quantization of dtype "${e.dtype}" is not defined`);
    }
    return countOf(e.shape) * bytes;
  }
  if (e.dtype === 'string') return 'string';
  const bytes = VALUE_BYTES[e.dtype];
  if (bytes === undefined) {
    throw new ModelLoadError(modelJson, `weight "${e.name}" has unknown dtype "${e.dtype}" (known: float32, int32, bool, string)`);
  }
  return countOf(e.shape) * bytes;
}

/**
 * `budget`: charged for each group's shard bytes while they are decoded and for every decoded
 * weight, before either is allocated (a 16 MB shard listed sixty times is refused, not read).
 */
export async function readWeights(modelJson: string, groups: readonly ManifestGroup[], budget?: MemoryBudget): Promise<LoadedWeights> {
  const tensors = new Map<string, ConstTensor>();
  const stringWeights = new Set<string>();
  const files: string[] = [];
  // Check every entry's dtype before touching the disk, so a bad manifest is named as such.
  for (const g of groups) for (const e of g.weights) fixedByteLength(modelJson, e);

  for (const group of groups) {
    const shardFiles = group.paths.map((p) => resolveInsideModelDir(modelJson, p));
    const sizes = shardFiles.map((file) => {
      const checked = checkFileToRead(file);
      if (checked.problem !== undefined) throw new ModelLoadError(file, `weight file listed in the weightsManifest ${checked.problem}`);
      return checked.size;
    });
    checkGroupSize(modelJson, group, shardFiles, sizes);
    const total = sizes.reduce((a, b) => a + b, 0);
    const unique = [...new Set(shardFiles)];
    const listed = unique.length < shardFiles.length ? ` (listed ${shardFiles.length} times in ${modelJson})` : '';
    const what = `the weight file${unique.length > 1 ? 's' : ''} ${unique.join(', ')}${listed}`;
    budget?.charge(total, what);
    try {
      const shards: Buffer[] = [];
      for (const file of shardFiles) {
        try {
          shards.push(await fs.readFile(file));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new ModelLoadError(
            file,
            code === 'ENOENT' ? 'weight file listed in the weightsManifest is missing' : `cannot read weight file (${code ?? String(e)})`,
          );
        }
        files.push(file);
      }
      const buffer = shards.length === 1 ? shards[0] : Buffer.concat(shards);
      // Buffer.concat copies: the group is held twice while the shards are still referenced.
      if (shards.length > 1) budget?.charge(total, `${what}, joined`);
      try {
        decodeGroup(modelJson, group, shardFiles, shards, buffer, tensors, stringWeights, budget);
      } finally {
        if (shards.length > 1) budget?.release(total);
      }
    } finally {
      budget?.release(total);
    }
  }
  return { tensors, stringWeights, files };
}

/**
 * Compares the shards' sizes with what the manifest describes, before any is read: a 1.9 GB
 * shard standing where the manifest describes 4 KB is refused unread. Groups holding string
 * weights (variable length) are checked for the fixed part only here, exactly while decoding.
 */
function checkGroupSize(modelJson: string, group: ManifestGroup, shardFiles: readonly string[], sizes: readonly number[]): void {
  let fixed = 0;
  let hasStrings = false;
  for (const e of group.weights) {
    const b = fixedByteLength(modelJson, e);
    if (b === 'string') hasStrings = true;
    else fixed += b;
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total < fixed) {
    const short = shortShard(sizes);
    throw new ModelLoadError(
      shardFiles[short],
      `weight file is truncated: the weight group's ${shardFiles.length} file(s) hold ${total} bytes, the weightsManifest describes at least ${fixed}`,
    );
  }
  if (!hasStrings && total !== fixed) {
    throw new ModelLoadError(
      shardFiles[shardFiles.length - 1] ?? modelJson,
      `byte count does not match the weightsManifest: the weight group's file(s) hold ${total} bytes, the manifest describes ${fixed}`,
    );
  }
}

function decodeGroup(
  modelJson: string,
  group: ManifestGroup,
  shardFiles: readonly string[],
  shards: readonly Buffer[],
  buffer: Buffer,
  tensors: Map<string, ConstTensor>,
  stringWeights: Set<string>,
  budget: MemoryBudget | undefined,
): void {
  let offset = 0;
  for (const e of group.weights) {
    const fixed = fixedByteLength(modelJson, e);
    const byteLength = fixed === 'string' ? stringByteLength(buffer, offset, countOf(e.shape)) : fixed;
    if (offset + byteLength > buffer.length) {
      const needed = offset + byteLength + remainingFixedBytes(modelJson, group, e);
      const short = shortShard(shards.map((b) => b.length));
      throw new ModelLoadError(
        shardFiles[short],
        `weight file is truncated: the weight group's ${shardFiles.length} file(s) hold ${buffer.length} bytes, the weightsManifest describes at least ${needed} (weight "${e.name}" does not fit)`,
      );
    }
    if (fixed === 'string') stringWeights.add(e.name);
    else {
      budget?.charge(decodedBytes(e), `the weight "${e.name}" of ${modelJson} (shape [${e.shape.join(', ')}])`);
      tensors.set(e.name, decode(e, buffer.subarray(offset, offset + byteLength)));
    }
    offset += byteLength;
  }
  if (offset !== buffer.length) {
    throw new ModelLoadError(
      shardFiles[shardFiles.length - 1] ?? modelJson,
      `byte count does not match the weightsManifest: the weight group's file(s) hold ${buffer.length} bytes, the manifest describes ${offset}`,
    );
  }
}

/** Bytes of a decoded weight: float32 and int32 take 4 per element, bool 1. */
function decodedBytes(e: ManifestEntry): number {
  return countOf(e.shape) * (e.dtype === 'bool' && e.quantization === undefined ? 1 : 4);
}

/** Bytes the entries after `from` in the group need (for the message only). */
function remainingFixedBytes(modelJson: string, group: ManifestGroup, from: ManifestEntry): number {
  let after = false;
  let total = 0;
  for (const e of group.weights) {
    if (after) {
      const b = fixedByteLength(modelJson, e);
      if (b !== 'string') total += b;
    }
    if (e === from) after = true;
  }
  return total;
}

/** The shard most likely cut short: TF.js writes equal shards except the last. */
function shortShard(sizes: readonly number[]): number {
  for (let i = 0; i < sizes.length - 1; i++) if (sizes[i] < sizes[0]) return i;
  return sizes.length - 1;
}

function stringByteLength(buffer: Buffer, offset: number, count: number): number {
  let pos = offset;
  for (let i = 0; i < count; i++) {
    if (pos + 4 > buffer.length) return buffer.length + 1 - offset;
    pos += 4 + buffer.readUInt32LE(pos);
  }
  return pos - offset;
}

function decode(e: ManifestEntry, bytes: Buffer): ConstTensor {
  const shape = [...e.shape];
  const n = countOf(shape);
  const q = e.quantization;
  if (q !== undefined) {
    if (q.dtype === 'float16') {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(bytes.readUInt16LE(2 * i));
      return { dtype: 'float32', shape, data: out };
    }
    const read = q.dtype === 'uint8' ? (i: number) => bytes[i] : (i: number) => bytes.readUInt16LE(2 * i);
    const scale = q.scale!;
    const min = q.min!;
    if (e.dtype === 'int32') {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.round(read(i) * scale + min);
      return { dtype: 'int32', shape, data: out };
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = read(i) * scale + min;
    return { dtype: 'float32', shape, data: out };
  }
  if (e.dtype === 'float32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = bytes.readFloatLE(4 * i);
    return { dtype: 'float32', shape, data: out };
  }
  if (e.dtype === 'int32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = bytes.readInt32LE(4 * i);
    return { dtype: 'int32', shape, data: out };
  }
  return { dtype: 'bool', shape, data: Uint8Array.from(bytes, (b) => (b !== 0 ? 1 : 0)) };
}
