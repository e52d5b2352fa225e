/**
 * Operations on the graph's constant tensors (plain typed arrays, before any backend holds
 * them), shared by the loaders, the graph passes and the models built for ONNX Runtime.
 */
import type { ConstTensor } from './ir';

/** The typed arrays constants are held in (int64 ones only in models built for ONNX Runtime). */
export type ConstData = ConstTensor['data'] | BigInt64Array;

/** A constant with its axes permuted, as numpy.transpose(value, perm): out axis i = in axis perm[i]. */
export function transposeConst(c: ConstTensor, perm: readonly number[]): ConstTensor {
  // The layout pass turns a model's kernels channels-last, and ONNX Runtime's convolutions read
  // them channels-first again: that transpose is then this one read backwards.
  return { dtype: c.dtype, shape: perm.map((p) => c.shape[p]), data: transposeBothWays(c.data, c.shape, perm) };
}

/**
 * transposeConst whose values are made only when first read (a getter): the layout pass's
 * channels-last kernels, which ONNX Runtime never reads, since it takes the channels-first
 * values they were made from (knownTransposes). On a ResNet-18 the copy took 70-150 ms and
 * 45 MB of fresh memory. Reading `data` makes it once, as transposeConst would.
 */
export function lazyTransposeConst(c: ConstTensor, perm: readonly number[]): ConstTensor {
  const source = c.data;
  if (!(source instanceof Float32Array) || perm.every((p, i) => p === i)) return transposeConst(c, perm);
  const shape = perm.map((p) => c.shape[p]);
  let made: Float32Array | undefined;
  const lazy: ConstTensor = {
    dtype: c.dtype,
    shape,
    get data(): Float32Array {
      if (made === undefined) {
        made = transposeBothWays(source, c.shape, perm);
        lazyTransposeStats.made++;
      }
      return made;
    },
  };
  knownByConst.set(lazy, new Map([[inversePermutation(perm).join(','), source]]));
  lazyTransposeStats.created++;
  return lazy;
}

/** lazyTransposeConst's constants created and made so far in this process (tests check that ONNX Runtime's path makes none). */
export const lazyTransposeStats = { created: 0, made: 0 };

/**
 * Transposes of a constant's values that exist without reading its own `data`, by permutation
 * (perm.join(',')): for a lazyTransposeConst, the array it was made from. Empty for any other.
 */
export function knownTransposes(c: ConstTensor): ReadonlyMap<string, Float32Array> {
  return knownByConst.get(c) ?? NONE;
}

const knownByConst = new WeakMap<ConstTensor, ReadonlyMap<string, Float32Array>>();
const NONE: ReadonlyMap<string, Float32Array> = new Map();

/** transposeValues, with the source remembered as the result's inverse transpose (read back without copying). */
export function transposeBothWays<T extends ConstData>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const out = transposeValues(data, shape, perm);
  rememberTranspose(
    out,
    perm.map((p) => shape[p]),
    inversePermutation(perm),
    data,
  );
  return out;
}

/**
 * `data` of `shape` with its axes permuted (out axis i = in axis perm[i]), computed once per
 * array and permutation while the array lives: a weight that several ONNX Runtime sessions read
 * transposed is transposed once.
 */
export function transposeValues<T extends ConstData>(data: T, shape: readonly number[], perm: readonly number[]): T {
  if (perm.every((p, i) => p === i)) return data;
  const key = transposeKey(shape, perm);
  const known = transposed.get(data)?.get(key);
  if (known !== undefined) return known as T;
  const out = permuted(data, shape, perm);
  rememberTranspose(data, shape, perm, out);
  return out;
}

/** Transposes by source array, then by shape and permutation (the source keeps its results alive, not the reverse). */
const transposed = new WeakMap<ConstData, Map<string, ConstData>>();

function transposeKey(shape: readonly number[], perm: readonly number[]): string {
  return `${shape.join('x')}/${perm.join(',')}`;
}

function rememberTranspose(data: ConstData, shape: readonly number[], perm: readonly number[], result: ConstData): void {
  let entries = transposed.get(data);
  if (entries === undefined) transposed.set(data, (entries = new Map()));
  entries.set(transposeKey(shape, perm), result);
}

function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

/**
 * The permutation itself. When the last axes differ, it copies tiles of TILE x TILE elements,
 * each read along the input's last axis and written along the output's: both sides touch a
 * few cache lines per tile (the whole-row loop wrote one element per cache line and page, and
 * took 15-20 ns per element on a 512 x 512 x 3 x 3 kernel).
 */
function permuted<T extends ConstData>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const rank = shape.length;
  const out = new (data.constructor as new (n: number) => T)(data.length);
  if (data.length === 0) return out;
  const inStrides = rowMajorStrides(shape);
  const outStrides = rowMajorStrides(perm.map((p) => shape[p]));
  // The output stride of each input axis.
  const toOut = new Array<number>(rank);
  perm.forEach((p, i) => (toOut[p] = outStrides[i]));
  const last = rank - 1;
  const lastOut = perm[last];
  // Input axis `last` is contiguous in the input, `lastOut` in the output.
  const others = shape.map((_, a) => a).filter((a) => a !== last && a !== lastOut);
  const nL = shape[last];
  const nM = lastOut === last ? 1 : shape[lastOut];
  const sM = lastOut === last ? 0 : inStrides[lastOut];
  const sL = toOut[last];
  const index = new Array<number>(others.length).fill(0);
  let inBase = 0;
  let outBase = 0;
  for (let done = 0; done < data.length; done += nL * nM) {
    for (let m0 = 0; m0 < nM; m0 += TILE) {
      const m1 = Math.min(nM, m0 + TILE);
      for (let l0 = 0; l0 < nL; l0 += TILE) {
        const l1 = Math.min(nL, l0 + TILE);
        for (let m = m0; m < m1; m++) {
          const from = inBase + m * sM;
          const to = outBase + m;
          for (let l = l0; l < l1; l++) out[to + l * sL] = data[from + l];
        }
      }
    }
    // Advance the other axes (an odometer), moving both bases by their strides.
    for (let a = others.length - 1; a >= 0; a--) {
      const axis = others[a];
      index[a]++;
      inBase += inStrides[axis];
      outBase += toOut[axis];
      if (index[a] < shape[axis]) break;
      inBase -= inStrides[axis] * shape[axis];
      outBase -= toOut[axis] * shape[axis];
      index[a] = 0;
    }
  }
  return out;
}

const TILE = 32;

/** Elements between consecutive indices of each axis of a row-major array of `shape`. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}
