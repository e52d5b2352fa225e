/**
 * MatMul (numpy matmul: batch broadcasting, 1-D operands), Gemm and Einsum (see einsum.ts).
 *
 * MatMul broadcasts the batch dimensions explicitly and runs one rank-3 batched matMul; its
 * VJP multiplies by the transposed other operand and sums the cotangent back over the batch
 * dimensions an operand was broadcast along.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError, wantsOnly, type KernelContext, type OpKernel, type Tensor, type VjpArgs } from './kernel';
import { asFloat, attrNumber, attrString, broadcastFloat, broadcastShapes, derivedFrom, required, unbroadcast } from './kernelUtil';
import { einsum, einsumVjp, parseEinsum } from './einsum';
import { wants } from './spatial';
import { at, broadcastAll, fromShape, gemmBound, type OutputBound } from './bounds';

interface MatMulPlan {
  /** Operands lifted to at least 2-D ([1, K] / [K, 1] for 1-D ones). */
  readonly aShape: number[];
  readonly bShape: number[];
  readonly batch: number[];
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** The ONNX output shape (lifted dimensions dropped). */
  readonly outShape: number[];
}

function plan(a: Tensor, b: Tensor): MatMulPlan {
  if (a.rank === 0 || b.rank === 0) throw new KernelError('MatMul operands must have rank >= 1');
  const aShape = a.rank === 1 ? [1, a.shape[0]] : a.shape;
  const bShape = b.rank === 1 ? [b.shape[0], 1] : b.shape;
  const [m, k] = aShape.slice(-2);
  const [k2, n] = bShape.slice(-2);
  if (k !== k2) throw new KernelError(`MatMul of [${a.shape}] and [${b.shape}]: inner dimensions differ`);
  const batch = broadcastShapes(aShape.slice(0, -2), bShape.slice(0, -2));
  const outShape = [...batch, ...(a.rank === 1 ? [] : [m]), ...(b.rank === 1 ? [] : [n])];
  return { aShape, bShape, batch, m, k, n, outShape };
}

function batched(t: Tensor, lifted: number[], batch: number[], rows: number, cols: number): tf.Tensor3D {
  const full = broadcastFloat(tf.reshape(t, lifted), [...batch, rows, cols]);
  return tf.reshape(full, [-1, rows, cols]) as tf.Tensor3D;
}

function matMulForward(a: Tensor, b: Tensor): Tensor {
  const [k, n] = b.shape;
  if (a.rank >= 2 && b.rank === 2 && a.shape[a.rank - 1] === k) {
    // Activations [..., K] by a matrix [K, N] (a linear layer): one 2-D product of all rows, not
    // a batched product by a copy of the matrix per batch entry: the wasm backend runs only
    // unbatched, untransposed products on XNNPACK, batched ones in a plain loop ~10x slower.
    const rows = tf.matMul(tf.reshape(asFloat(a), [-1, k]) as tf.Tensor2D, asFloat(b) as tf.Tensor2D);
    const out = tf.reshape(rows, [...a.shape.slice(0, -1), n]);
    return a.dtype === 'int32' && b.dtype === 'int32' ? tf.cast(tf.round(out), 'int32') : out;
  }
  const p = plan(a, b);
  const y = tf.matMul(batched(asFloat(a), p.aShape, p.batch, p.m, p.k), batched(asFloat(b), p.bShape, p.batch, p.k, p.n));
  const out = tf.reshape(y, p.outShape);
  return a.dtype === 'int32' && b.dtype === 'int32' ? tf.cast(tf.round(out), 'int32') : out;
}

/** Broadcast batch dimensions, then [M, N] (an outer product of [M, 1] and [1, N] is M x N). */
const matMulBound: OutputBound = (inputs) => {
  const [a, b] = inputs;
  if (!a || !b || a.rank < 1 || b.rank < 1) return undefined;
  const m = a.rank >= 2 ? at(a.shape, -2) : 1;
  const n = b.rank >= 2 ? at(b.shape, -1) : 1;
  return fromShape([...broadcastAll([a.shape.slice(0, -2), b.shape.slice(0, -2)]), m, n]);
};

const matMul: OpKernel = {
  dataInputs: [0, 1],
  outputBound: matMulBound,
  holdsWeights: true,
  affine: true,
  forward: (args) => [matMulForward(required(args.inputs, 0, 'A'), required(args.inputs, 1, 'B'))],
  vjp: (args) => {
    const a = asFloat(args.inputs[0]!);
    const b = asFloat(args.inputs[1]!);
    if (weightOnly(args)) {
      // x [..., K] times a weight [K, N]: every row's cotangent is dy_row W^T, one 2-D product
      // (no copy of W per batch entry; stacked probes are just more rows), by W^T itself (see
      // transposed2d), not by W with matMul's transposeB.
      const dy = args.dys[0]!;
      const [k, n] = b.shape as [number, number];
      const rows = tf.matMul(tf.reshape(dy, [-1, n]) as tf.Tensor2D, transposed2d(args.ctx, b));
      return [tf.reshape(rows, [...dy.shape.slice(0, -1), k]), undefined];
    }
    const p = plan(a, b);
    const dy = tf.reshape(args.dys[0]!, [-1, p.m, p.n]) as tf.Tensor3D;
    const a3 = batched(a, p.aShape, p.batch, p.m, p.k);
    const b3 = batched(b, p.bShape, p.batch, p.k, p.n);
    const da = wants(args, 0) ? tf.reshape(tf.matMul(dy, b3, false, true), [...p.batch, p.m, p.k]) : undefined;
    const db = wants(args, 1) ? tf.reshape(tf.matMul(a3, dy, true, false), [...p.batch, p.k, p.n]) : undefined;
    return [da && tf.reshape(unbroadcast(da, p.aShape), a.shape), db && tf.reshape(unbroadcast(db, p.bShape), b.shape)];
  },
  probeStacking: (args) => (weightOnly(args) ? 'stacked' : undefined),
};

/** A MatMul of an activation [..., K] (rank >= 2) by a 2-D weight whose cotangent is not wanted. */
function weightOnly(args: VjpArgs): boolean {
  return wantsOnly(args, [0]) && args.inputs[0]!.rank >= 2 && args.inputs[1]!.rank === 2;
}

/**
 * The transpose of a 2-D matrix as a tensor of its own, made once per analysis for a weight
 * constant (derivedFrom), so that a product by W^T is an untransposed matMul. On the wasm
 * backend only an untransposed 2-D product runs on XNNPACK (which packs a weight once per
 * tensor: hence the cached copy, not a fresh one per call); with transposeB it falls back to a
 * plain loop about 10x slower: 650 ms instead of 55 ms for the 384x3072 by 3072x768 product of
 * a BERT-base MLP's reverse pass (bench/scale-results.md), which made every reverse pass of a
 * transformer ten times its forward pass. The copy costs the weight's size again (plus
 * XNNPACK's packed copy of it).
 */
function transposed2d(ctx: KernelContext, w: Tensor): tf.Tensor2D {
  return derivedFrom(ctx, w, 'transposed-2d', () => tf.transpose(w)) as tf.Tensor2D;
}

/**
 * A Gemm operand, checked to be 2-D. The activation A keeps matMul's transposeA flag; a
 * transposed B is multiplied as a cached B^T instead (transposed2d).
 */
function matrix(t: Tensor): tf.Tensor2D {
  if (t.rank !== 2) throw new KernelError(`Gemm operands must be 2-D, got rank ${t.rank}`);
  return t as tf.Tensor2D;
}

const gemm: OpKernel = {
  dataInputs: [0, 1, 2],
  outputBound: gemmBound,
  holdsWeights: true,
  affine: true,
  forward: (args) => {
    const transA = attrNumber(args.attrs, 'transA', 0) !== 0;
    const transB = attrNumber(args.attrs, 'transB', 0) !== 0;
    const alpha = attrNumber(args.attrs, 'alpha', 1);
    const beta = attrNumber(args.attrs, 'beta', 1);
    const a = matrix(asFloat(required(args.inputs, 0, 'A')));
    const b = matrix(asFloat(required(args.inputs, 1, 'B')));
    let y = tf.matMul(a, transB ? transposed2d(args.ctx, b) : b, transA, false);
    if (alpha !== 1) y = tf.mul(y, alpha);
    const c = args.inputs[2];
    if (c !== undefined && beta !== 0) y = tf.add(y, beta === 1 ? asFloat(c) : tf.mul(asFloat(c), beta));
    return [y];
  },
  vjp: (args) => {
    const transA = attrNumber(args.attrs, 'transA', 0) !== 0;
    const transB = attrNumber(args.attrs, 'transB', 0) !== 0;
    const alpha = attrNumber(args.attrs, 'alpha', 1);
    const beta = attrNumber(args.attrs, 'beta', 1);
    const a = matrix(asFloat(args.inputs[0]!));
    const b = matrix(asFloat(args.inputs[1]!));
    const dy = (alpha === 1 ? args.dys[0]! : tf.mul(args.dys[0]!, alpha)) as tf.Tensor2D;
    // With A' = op(A), B' = op(B): dA' = dY B'^T and dB' = A'^T dY; a transposed operand's
    // cotangent is the transpose, which folds into the product's transpose flags.
    const da = !wants(args, 0) ? undefined : transA ? tf.matMul(b, dy, transB, true) : tf.matMul(dy, transB ? b : transposed2d(args.ctx, b));
    const db = !wants(args, 1) ? undefined : transB ? tf.matMul(dy, a, true, transA) : tf.matMul(a, dy, !transA, false);
    const c = args.inputs[2];
    return [da, db, c === undefined || !wants(args, 2) ? undefined : unbroadcast(tf.mul(args.dys[0]!, beta), c.shape)];
  },
  // A's rows are samples: dA = dY B'^T row by row (B and C's cotangents sum over samples).
  probeStacking: (args) => (wantsOnly(args, [0]) && attrNumber(args.attrs, 'transA', 0) === 0 ? 'stacked' : undefined),
};

/**
 * The product of the output letters' extents (each letter's largest extent over the operands,
 * so broadcast size-1 dimensions count at their full size): "i,j->ij" of two [1e5] vectors is 1e10.
 */
const einsumBound: OutputBound = (inputs, node) => {
  const xs = inputs.filter((t): t is Tensor => t !== undefined);
  const spec = parseEinsum(
    attrString(node.attrs, 'equation', ''),
    xs.map((t) => t.rank),
  );
  const extent = new Map<string, number>();
  spec.inputs.forEach((letters, k) => letters.forEach((l, j) => extent.set(l, Math.max(extent.get(l) ?? 1, xs[k].shape[j]))));
  return fromShape(spec.output.map((l) => extent.get(l) ?? 1));
};

const einsumKernel: OpKernel = {
  dataInputs: Array.from({ length: 64 }, (_, i) => i),
  outputBound: einsumBound,
  holdsWeights: true,
  affine: false,
  forward: (args) => {
    const xs = args.inputs.map((_, i) => asFloat(required(args.inputs, i, 'Inputs')));
    return [einsum(attrString(args.attrs, 'equation', ''), xs)];
  },
  vjp: (args) => {
    const xs = args.inputs.map((x) => asFloat(x!));
    return einsumVjp(attrString(args.attrs, 'equation', ''), xs, args.dys[0]!, (k) => wants(args, k));
  },
};

export const linalgKernels: Record<string, OpKernel> = {
  MatMul: matMul,
  Gemm: gemm,
  Einsum: einsumKernel,
};
