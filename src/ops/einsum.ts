/**
 * General Einsum (numpy semantics, as ONNX defines it): ellipses with broadcasting, repeated
 * letters within an operand (diagonals), implicit output, any number of operands.
 *
 * Each operand is first "prepared": diagonals taken, letters no one else needs summed out,
 * size-1 (broadcast) dimensions expanded; every step is recorded so the VJP can undo it. The
 * prepared operands are then contracted pairwise with transposes, reshapes and one batched
 * matMul each. The cotangent of an operand is itself such a contraction: of the output's
 * cotangent with the other prepared operands, onto the operand's prepared letters.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError, type Tensor } from './kernel';
import { broadcastFloat } from './kernelUtil';

interface Spec {
  /** Letters of each operand, ellipsis dimensions expanded into private letters. */
  readonly inputs: string[][];
  readonly output: string[];
}

/** Private letters for the dimensions an ellipsis stands for (right-aligned across operands). */
function ellipsisLetter(j: number): string {
  return String.fromCharCode(0x100 + j);
}

export function parseEinsum(equation: string, ranks: readonly number[]): Spec {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== ranks.length) throw new KernelError(`einsum "${equation}" has ${terms.length} operands, got ${ranks.length}`);
  const explicitCount = (t: string): number => t.replace('...', '').length;
  const ellRank = Math.max(0, ...terms.map((t, i) => (t.includes('...') ? ranks[i] - explicitCount(t) : 0)));
  const expand = (t: string, rank: number): string[] => {
    const [before, after] = t.includes('...') ? t.split('...') : [t, undefined];
    if (after === undefined) {
      if (before.length !== rank) throw new KernelError(`einsum term "${t}" does not match an operand of rank ${rank}`);
      return [...before];
    }
    const e = rank - before.length - after.length;
    if (e < 0) throw new KernelError(`einsum term "${t}" does not match an operand of rank ${rank}`);
    return [...before, ...Array.from({ length: e }, (_, j) => ellipsisLetter(ellRank - e + j)), ...after];
  };
  const inputs = terms.map((t, i) => expand(t, ranks[i]));
  let output: string[];
  if (rhs !== undefined) {
    output = expand(rhs, rhs.includes('...') ? rhs.length - 3 + ellRank : rhs.length);
  } else {
    const counts = new Map<string, number>();
    for (const l of terms.join('').replace(/\.\.\./g, '')) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts.keys()].filter((l) => counts.get(l) === 1).sort();
    output = [...Array.from({ length: ellRank }, (_, j) => ellipsisLetter(j)), ...once];
  }
  for (const l of output) {
    if (!inputs.some((t) => t.includes(l))) throw new KernelError(`einsum output letter ${l} appears in no operand`);
  }
  return { inputs, output };
}

/** A tensor whose axes are named by letters. */
interface Labelled {
  readonly t: Tensor;
  readonly letters: string[];
}

type PrepStep =
  | { readonly kind: 'diag'; readonly i: number; readonly j: number; readonly n: number }
  | { readonly kind: 'sum'; readonly before: number[]; readonly axes: number[] }
  | { readonly kind: 'broadcast'; readonly before: number[] };

interface Prepared extends Labelled {
  readonly steps: PrepStep[];
}

function letterSizes(spec: Spec, xs: readonly Tensor[]): Map<string, number> {
  const sizes = new Map<string, number>();
  spec.inputs.forEach((letters, k) =>
    letters.forEach((l, a) => {
      const d = xs[k].shape[a];
      const prev = sizes.get(l);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) throw new KernelError(`einsum letter ${l} has sizes ${prev} and ${d}`);
      sizes.set(l, prev === undefined || prev === 1 ? d : prev);
    }),
  );
  return sizes;
}

/** Eye [n, n] shaped to broadcast against a tensor of `rank` along axes i and j. */
function eyeAlong(n: number, rank: number, i: number, j: number): Tensor {
  const shape = Array.from({ length: rank }, (_, a) => (a === i || a === j ? n : 1));
  return tf.reshape(tf.eye(n), shape);
}

function prepare(x: Tensor, letters0: readonly string[], needed: ReadonlySet<string>, sizes: ReadonlyMap<string, number>): Prepared {
  let t = x;
  let letters = [...letters0];
  const steps: PrepStep[] = [];
  for (;;) {
    const i = letters.findIndex((l, a) => letters.indexOf(l, a + 1) >= 0);
    if (i < 0) break;
    const j = letters.indexOf(letters[i], i + 1);
    const n = t.shape[i];
    if (t.shape[j] !== n) throw new KernelError(`einsum diagonal over sizes ${n} and ${t.shape[j]}`);
    t = tf.sum(tf.mul(t, eyeAlong(n, t.rank, i, j)), j);
    steps.push({ kind: 'diag', i, j, n });
    letters = letters.filter((_, a) => a !== j);
  }
  const axes = letters.flatMap((l, a) => (needed.has(l) ? [] : [a]));
  if (axes.length > 0) {
    steps.push({ kind: 'sum', before: t.shape, axes });
    t = tf.sum(t, axes);
    letters = letters.filter((_, a) => !axes.includes(a));
  }
  const full = letters.map((l) => sizes.get(l)!);
  if (!tf.util.arraysEqual(full, t.shape)) {
    steps.push({ kind: 'broadcast', before: t.shape });
    t = broadcastFloat(t, full);
  }
  return { t, letters, steps };
}

/** Undoes `prepare` for a cotangent: from the prepared operand's shape to the operand's. */
function unprepare(g: Tensor, steps: readonly PrepStep[]): Tensor {
  let t = g;
  for (let k = steps.length - 1; k >= 0; k--) {
    const s = steps[k];
    if (s.kind === 'broadcast') {
      const axes = s.before.flatMap((d, a) => (d === 1 && t.shape[a] !== 1 ? [a] : []));
      t = tf.reshape(axes.length > 0 ? tf.sum(t, axes, true) : t, s.before);
    } else if (s.kind === 'sum') {
      t = broadcastFloat(
        tf.reshape(
          t,
          s.before.map((d, a) => (s.axes.includes(a) ? 1 : d)),
        ),
        s.before,
      );
    } else {
      const lifted = tf.expandDims(t, s.j);
      t = tf.mul(lifted, eyeAlong(s.n, lifted.rank, s.i, s.j));
    }
  }
  return t;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Contracts labelled operands (unique letters each) into a tensor with letters `out`. */
function contract(operands: readonly Labelled[], out: readonly string[]): Tensor {
  const queue = [...operands];
  let acc = queue.shift()!;
  while (queue.length > 0) {
    const b = queue.shift()!;
    const keep = new Set([...out, ...queue.flatMap((q) => q.letters)]);
    const a = acc;
    const inB = new Set(b.letters);
    const inA = new Set(a.letters);
    const batch = a.letters.filter((l) => inB.has(l) && keep.has(l));
    const summed = a.letters.filter((l) => inB.has(l) && !keep.has(l));
    const aOnly = a.letters.filter((l) => !inB.has(l));
    const bOnly = b.letters.filter((l) => !inA.has(l));
    const size = (t: Labelled, ls: readonly string[]): number[] => ls.map((l) => t.t.shape[t.letters.indexOf(l)]);
    const perm = (t: Labelled, ls: readonly string[]): number[] => ls.map((l) => t.letters.indexOf(l));
    const batchShape = size(a, batch);
    const a3 = tf.reshape(tf.transpose(a.t, perm(a, [...batch, ...aOnly, ...summed])), [
      product(batchShape),
      product(size(a, aOnly)),
      product(size(a, summed)),
    ]);
    const b3 = tf.reshape(tf.transpose(b.t, perm(b, [...batch, ...summed, ...bOnly])), [
      product(batchShape),
      product(size(b, summed)),
      product(size(b, bOnly)),
    ]);
    const y = tf.reshape(tf.matMul(a3 as tf.Tensor3D, b3 as tf.Tensor3D), [...batchShape, ...size(a, aOnly), ...size(b, bOnly)]);
    acc = { t: y, letters: [...batch, ...aOnly, ...bOnly] };
  }
  const extra = acc.letters.flatMap((l, i) => (out.includes(l) ? [] : [i]));
  let t = acc.t;
  let letters = acc.letters;
  if (extra.length > 0) {
    t = tf.sum(t, extra);
    letters = letters.filter((_, i) => !extra.includes(i));
  }
  return tf.transpose(
    t,
    out.map((l) => letters.indexOf(l)),
  );
}

function prepareAll(spec: Spec, xs: readonly Tensor[]): Prepared[] {
  const sizes = letterSizes(spec, xs);
  return xs.map((x, k) => {
    const needed = new Set([...spec.output, ...spec.inputs.flatMap((ls, m) => (m === k ? [] : ls))]);
    return prepare(x, spec.inputs[k], needed, sizes);
  });
}

export function einsum(equation: string, xs: readonly Tensor[]): Tensor {
  const spec = parseEinsum(
    equation,
    xs.map((x) => x.rank),
  );
  return contract(prepareAll(spec, xs), spec.output);
}

/** Cotangents of every operand given the output's cotangent dy. */
export function einsumVjp(equation: string, xs: readonly Tensor[], dy: Tensor, wanted: (k: number) => boolean): (Tensor | undefined)[] {
  const spec = parseEinsum(
    equation,
    xs.map((x) => x.rank),
  );
  const prepared = prepareAll(spec, xs);
  return prepared.map((p, k) => {
    if (!wanted(k)) return undefined;
    const others = prepared.filter((_, m) => m !== k);
    const g = contract([{ t: dy, letters: spec.output }, ...others], p.letters);
    return unprepare(g, p.steps);
  });
}
