/**
 * Squared Frobenius norms of Jacobians, per sample, from vector-Jacobian products:
 * E_u ||J^T u||^2 = ||J||_F^2 for u ~ N(0, I) (Hutchinson), or exactly with one one-hot
 * cotangent per unit of the target. One reverse pass gives J^T u for every upstream tensor
 * at once, and for every sample of the batch at once (samples are independent in inference),
 * and for several probes at once (stacked along the batch axis, see probesPerPass).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Executor, Activations, Checkpoint, FamilyMember, FamilyVjp } from '../runtime/executor';
import { fillNormal, type SeededRandom } from '../runtime/random';

export interface JacobianPlan {
  /** Use one-hot cotangents (exact) rather than Gaussian probes. */
  readonly exact: boolean;
  readonly probes: number;
  readonly rng: SeededRandom;
  readonly checkpoint?: Checkpoint;
  /** Called after each reverse pass with (done, total). */
  readonly onPass?: (done: number, total: number) => void;
}

/**
 * Per wrt tensor, a list of measurements (one per probe; a single one when exact), each the
 * per-sample values ||J_i^T u_i||^2 (exact: summed over all one-hot u, so = ||J_i||_F^2).
 */
export type JacobianSquares = Map<string, number[][]>;

/** Per-sample squared L2 norms of a [n, ...] tensor. */
export function perSampleSquares(t: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.sum(tf.square(tf.reshape(t, [t.shape[0], -1])), 1).dataSync()));
}

export function perSampleNorms(t: tf.Tensor): number[] {
  return perSampleSquares(t).map(Math.sqrt);
}

export function quadraticMean(norms: readonly number[]): number {
  let s = 0;
  for (const v of norms) s += v * v;
  return Math.sqrt(s / norms.length);
}

/**
 * n rows of the d-dimensional unit vector e_unit, built on the JS side (tf.oneHot with an
 * int32 fill gives zeros on the wasm backend of tfjs 4.22).
 */
export function oneHotRows(n: number, d: number, unit: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) out[i * d + unit] = 1;
  return out;
}

/** Lets timers and messages (a cancel request) run between reverse passes. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The largest stacked tensor a reverse pass may hold (elements; 64 MB of float32): probes are
 * stacked into one pass only as far as the model's largest activation (not weight) times the
 * stack fits.
 */
export const STACK_ELEMENTS = 2 ** 24;

/**
 * Probes (or one-hot passes) per reverse pass to `wrt`: up to `probes` (the probe setting) of
 * a measurement's `passes`, one pass doing the work of many with as many times fewer kernel
 * calls (Executor.vjp's probes). Fewer when the largest activation stacked that often would
 * pass STACK_ELEMENTS or the memory guard's cap (exec.maxStackedProbes); one when a tensor on
 * the way has no axis to stack along. Exact mode's
 * one-hot passes (up to exactMaxDim of them) stack no deeper than the probes: stacking 64 of
 * them took a small ResNet from 140 MB to 760 MB for 9% less time.
 */
export function probesPerPass(exec: Executor, acts: Activations, wrt: readonly string[], passes: number, probes: number): number {
  if (passes <= 1 || !exec.canStackProbes(acts, wrt)) return 1;
  const deepest = Math.max(1, Math.min(passes, probes, exec.maxStackedProbes, Math.floor(STACK_ELEMENTS / largestActivation(exec, acts))));
  // As many passes as the deepest stack needs, shared out evenly (8 probes at most 7 deep: 4 + 4,
  // not 7 + 1): passes of one depth are one graph, so on ONNX Runtime the second reuses the
  // first's session. Stacking never changes the numbers (stackedCotangents).
  return Math.ceil(passes / Math.ceil(passes / deepest));
}

/** [first pass, count] of each reverse pass when `passes` passes to `wrt` are stacked as probesPerPass allows. */
export function passStacks(exec: Executor, acts: Activations, wrt: readonly string[], passes: number, probes: number): [number, number][] {
  const stack = probesPerPass(exec, acts, wrt, passes, probes);
  const stacks: [number, number][] = [];
  for (let p = 0; p < passes; p += stack) stacks.push([p, Math.min(stack, passes - p)]);
  return stacks;
}

/**
 * Elements of the largest activation of a forward pass: what a stack of probes or tangents
 * multiplies. Weights are left out: `acts` holds them too but they are never stacked (a BERT's
 * 30522x768 word embedding alone passed STACK_ELEMENTS and kept every pass at one probe), and
 * the memory guard (engine/resources.ts) plans the stack from the activations alone.
 */
export function largestActivation(exec: Executor, acts: Activations): number {
  let largest = 1;
  for (const [name, t] of acts) if (!exec.graph.constants.has(name)) largest = Math.max(largest, t.size);
  return largest;
}

/**
 * Cotangents p .. p + k - 1 of a measurement on a target with n samples of d units, stacked:
 * the one-hot units p.. (exact), or the next k Gaussian probes, drawn probe by probe so that
 * the numbers do not depend on how many are stacked.
 */
export function stackedCotangents(plan: Pick<JacobianPlan, 'exact' | 'rng'>, n: number, d: number, p: number, k: number): Float32Array {
  const out = new Float32Array(k * n * d);
  for (let j = 0; j < k; j++) {
    const rows = out.subarray(j * n * d, (j + 1) * n * d);
    // Drawn in place: the same stream as rng.normal(n * d), without an array per probe.
    if (plan.exact) rows.set(oneHotRows(n, d, p + j));
    else fillNormal(plan.rng, rows);
  }
  return out;
}

/** Tensors up to this size are stacked to be squared together; larger ones alone (stacking copies them). */
const STACK_SQUARES_MAX_ELEMENTS = 1 << 16;

/**
 * Per-sample squared norms of stacked [k * n, ...] tensors, read back at once:
 * [tensor][probe][sample]. Small tensors of one size are stacked and reduced together (a row of
 * the block matrix of a deep MLP has dozens of equal-width boundaries: 3 ops instead of 3 each);
 * a large one is reduced alone, as the copy a stack makes of it costs more than its own ops (a
 * ResNet-18's residual parts: 0.1 s of copies).
 */
function stackedSquares(gs: readonly tf.Tensor[], k: number, n: number): number[][][] {
  const rows = k * n;
  const bySize = new Map<number | string, number[]>();
  gs.forEach((g, t) => {
    const key = g.size <= STACK_SQUARES_MAX_ELEMENTS ? g.size : `alone ${t}`;
    bySize.set(key, [...(bySize.get(key) ?? []), t]);
  });
  const groups = [...bySize.values()];
  const flat = tf.tidy(() =>
    tf.concat(groups.map((ts) => tf.reshape(tf.sum(tf.square(tf.stack(ts.map((t) => tf.reshape(gs[t], [rows, -1])))), 2), [-1]))).dataSync(),
  );
  const out: number[][][] = new Array(gs.length);
  let offset = 0;
  for (const ts of groups) {
    for (const t of ts) {
      out[t] = Array.from({ length: k }, (_, j) => Array.from(flat.subarray(offset + j * n, offset + (j + 1) * n)));
      offset += rows;
    }
  }
  return out;
}

/**
 * One tensor's per-sample squares over a measurement's passes: every probe's row, or in exact
 * mode their sum over the one-hot cotangents (a single row).
 */
class SquaresAccumulator {
  private readonly rows: number[][] = [];
  private readonly sum: number[];

  constructor(
    private readonly exact: boolean,
    private readonly samples: number,
  ) {
    this.sum = new Array<number>(samples).fill(0);
  }

  /** The rows of k probes read back in one flat array, probe-major, from `offset` on. */
  addFlat(flat: ArrayLike<number>, k: number, offset = 0): void {
    const n = this.samples;
    this.add(Array.from({ length: k }, (_, j) => Array.from({ length: n }, (_, i) => flat[offset + j * n + i])));
  }

  add(probeRows: readonly number[][]): void {
    for (const row of probeRows) {
      if (this.exact) row.forEach((v, i) => (this.sum[i] += v));
      else this.rows.push(row);
    }
  }

  result(): number[][] {
    return this.exact ? [this.sum] : this.rows;
  }
}

export async function measureJacobianSquares(
  exec: Executor,
  acts: Activations,
  target: string,
  wrt: readonly string[],
  plan: JacobianPlan,
): Promise<{ squares: JacobianSquares; method: string }> {
  // On ONNX Runtime the squares are taken inside the recorded graph: only n numbers per probe
  // and tensor come back, not the cotangents (a ResNet-18's exact GSC pass: 80 MB copied back
  // and squared on TensorFlow.js).
  if (exec.passFamiliesPay(acts)) return measureReduced(exec, acts, { target, wrt, plan });
  const y = activation(acts, target);
  const [n, ...rest] = y.shape;
  const d = rest.reduce((a, b) => a * b, 1);
  const passes = plan.exact ? d : plan.probes;
  const accumulators = wrt.map(() => new SquaresAccumulator(plan.exact, n));

  const stack = probesPerPass(exec, acts, wrt, passes, plan.probes);
  for (let p = 0; p < passes; p += stack) {
    await yieldToEventLoop();
    plan.checkpoint?.();
    const k = Math.min(stack, passes - p);
    const seed = tf.tensor(stackedCotangents(plan, n, d, p, k), [k * n, ...rest], 'float32');
    let perWrt: number[][][];
    const grads = exec.vjp(acts, new Map([[target, seed]]), wrt, plan.checkpoint, k);
    try {
      perWrt = stackedSquares(
        wrt.map((w) => grads.get(w)!),
        k,
        n,
      );
    } finally {
      seed.dispose();
      grads.forEach((g) => g.dispose());
    }
    accumulators.forEach((acc, t) => acc.add(perWrt[t]));
    for (let j = 1; j <= k; j++) plan.onPass?.(p + j, passes);
  }
  const squares: JacobianSquares = new Map(wrt.map((w, t) => [w, accumulators[t].result()]));
  return { squares, method: methodOf(plan) };
}

/** One measurement of a family (measureJacobianSquaresFamily): its target, its wrt and its plan (its own random stream). */
export interface SquaresMember {
  readonly target: string;
  readonly wrt: readonly string[];
  readonly plan: JacobianPlan;
}

/** Per-row squared L2 norms of a [rows, ...] tensor, as a [rows] tensor (recordable: it runs inside a family's graph). */
function rowSquares(g: tf.Tensor): tf.Tensor {
  return tf.sum(tf.square(tf.reshape(g, [g.shape[0], -1])), 1);
}

function activation(acts: Activations, name: string): tf.Tensor {
  const y = acts.get(name);
  if (y === undefined) throw new Error(`no activation for "${name}"`);
  return y;
}

function methodOf(plan: Pick<JacobianPlan, 'exact' | 'probes'>): string {
  return plan.exact ? 'exact' : `probes:${plan.probes}`;
}

/** Reverse passes of a measurement: one per one-hot cotangent of the target (exact), else one per probe. */
function passesOf(acts: Activations, m: SquaresMember): number {
  if (!m.plan.exact) return m.plan.probes;
  const y = activation(acts, m.target);
  return y.size / y.shape[0];
}

/**
 * measureJacobianSquares for several measurements over the same forward pass at once (e.g.
 * block matrix rows): one family (Executor.computeFamily, on ONNX Runtime one graph and one
 * session for all of them) of squaresFamilyPart members, so the results are those of
 * measureJacobianSquares per member. Exact members (one-hot passes, as many as the target's
 * units) are measured one by one, in stacks that bound their memory.
 */
export async function measureJacobianSquaresFamily(
  exec: Executor,
  acts: Activations,
  members: readonly SquaresMember[],
): Promise<{ squares: JacobianSquares; method: string }[]> {
  if (members.length < 2 || members.some((m) => m.plan.exact)) {
    const out: { squares: JacobianSquares; method: string }[] = [];
    for (const m of members) out.push(await measureJacobianSquares(exec, acts, m.target, m.wrt, m.plan));
    return out;
  }
  await yieldToEventLoop();
  const checkpoint = members[0].plan.checkpoint;
  checkpoint?.();
  const parts: SquaresFamilyPart[] = [];
  let measured: Map<string, tf.Tensor>[] = [];
  try {
    for (const m of members) parts.push(squaresFamilyPart(exec, acts, m));
    measured = exec.computeFamily(
      acts,
      parts.map((p) => p.member),
      checkpoint,
    );
    const results = parts.map((p, i) => p.result(measured[i]));
    for (const m of members) for (let p = 1; p <= m.plan.probes; p++) m.plan.onPass?.(p, m.plan.probes);
    return results;
  } finally {
    parts.forEach((p) => p.dispose());
    measured.forEach((byName) => byName.forEach((t) => t.dispose()));
  }
}

/**
 * A measurement's squares from passes whose results are reduced to per-row squares before
 * they leave the pass (Executor.vjpFamily, a family of one pass at a time): only n numbers per
 * probe and tensor come back. Stack by stack, so exact mode's one-hot passes (thousands) never
 * hold more than one stack of cotangents.
 */
async function measureReduced(exec: Executor, acts: Activations, m: SquaresMember): Promise<{ squares: JacobianSquares; method: string }> {
  const [n, ...rest] = activation(acts, m.target).shape;
  const d = rest.reduce((a, b) => a * b, 1);
  const passes = passesOf(acts, m);
  const accumulators = m.wrt.map(() => new SquaresAccumulator(m.plan.exact, n));
  for (const [p, k] of passStacks(exec, acts, m.wrt, passes, m.plan.probes)) {
    await yieldToEventLoop();
    m.plan.checkpoint?.();
    const seed = tf.tensor(stackedCotangents(m.plan, n, d, p, k), [k * n, ...rest], 'float32');
    let reduced: Map<string, tf.Tensor>[] = [];
    try {
      reduced = exec.vjpFamily(acts, [{ seeds: new Map([[m.target, seed]]), wrt: m.wrt }], rowSquares, m.plan.checkpoint, k);
      m.wrt.forEach((w, t) => accumulators[t].addFlat(reduced[0].get(w)!.dataSync(), k));
    } finally {
      seed.dispose();
      reduced.forEach((byWrt) => byWrt.forEach((g) => g.dispose()));
    }
    for (let j = 1; j <= k; j++) m.plan.onPass?.(p + j, passes);
  }
  return { squares: new Map(m.wrt.map((w, t) => [w, accumulators[t].result()])), method: methodOf(m.plan) };
}

/** A squares measurement as one member of a larger family (squaresFamilyPart). */
export interface SquaresFamilyPart {
  readonly member: FamilyMember;
  /** The measurement from the member's results, as measureJacobianSquares gives it alone. */
  result(measured: ReadonlyMap<string, tf.Tensor>): { squares: JacobianSquares; method: string };
  /** Releases its cotangents (the caller, once the family has run). */
  dispose(): void;
}

/**
 * A squares measurement (probes or one-hot passes, all of them) as a member of a family that
 * mixes it with other kinds of computation (Executor.computeFamily): its cotangent stacks are
 * drawn now, from its own stream in measureJacobianSquares' order, so the numbers are the
 * same; each member stacks as deep as it may on its own.
 */
export function squaresFamilyPart(exec: Executor, acts: Activations, m: SquaresMember): SquaresFamilyPart {
  const [n, ...rest] = activation(acts, m.target).shape;
  const d = rest.reduce((a, b) => a * b, 1);
  const passes = passesOf(acts, m);
  const stacks = passStacks(exec, acts, m.wrt, passes, m.plan.probes).map(([p, k]) =>
    tf.tensor(stackedCotangents(m.plan, n, d, p, k), [k * n, ...rest], 'float32'),
  );
  const compute = (vjp: FamilyVjp): Map<string, tf.Tensor> => {
    // [passes * n] per wrt, probe-major: each stack's rows, stack after stack.
    const perStack = stacks.map((u) => {
      const grads = vjp(new Map([[m.target, u]]), m.wrt, u.shape[0] / n);
      try {
        return m.wrt.map((w) => rowSquares(grads.get(w)!));
      } finally {
        grads.forEach((g) => g.dispose());
      }
    });
    return new Map(
      m.wrt.map((w, t) => {
        const parts = perStack.map((rows) => rows[t]);
        if (parts.length === 1) return [w, parts[0]];
        const joined = tf.concat(parts);
        parts.forEach((r) => r.dispose());
        return [w, joined];
      }),
    );
  };
  return {
    member: { feeds: stacks, outputs: m.wrt, weightedNodes: exec.weightedNodesBetween(new Map([[m.target, null]]), m.wrt), compute },
    result: (measured) => {
      const squares: JacobianSquares = new Map(
        m.wrt.map((w) => {
          const acc = new SquaresAccumulator(m.plan.exact, n);
          acc.addFlat(measured.get(w)!.dataSync(), passes);
          return [w, acc.result()];
        }),
      );
      return { squares, method: methodOf(m.plan) };
    },
    dispose: () => stacks.forEach((u) => u.dispose()),
  };
}

/** The tensors of a residual merge `merge = skip + branch` and the block input they depend on. */
export interface ResidualTensors {
  readonly input: string;
  readonly merge: string;
  readonly branch: string;
  /** May be `input` itself (an identity skip). */
  readonly skip: string;
}

/**
 * Per part, the per-probe per-sample squares from the part back to the block input (one
 * measurement when exact, as in JacobianSquares). `skip` is null for an identity skip, whose
 * Jacobian is the identity and needs no measurement.
 */
export interface ResidualSquares {
  readonly merge: number[][];
  readonly branch: number[][];
  readonly skip: number[][] | null;
}

/**
 * The squares of J_merge^T u, J_branch^T u and J_skip^T u for the same cotangents u on the merge
 * shape. merge = skip + branch elementwise, so J_merge^T u = J_skip^T u + J_branch^T u: one
 * reverse pass from the branch and one from the skip (none for an identity skip, where
 * J_skip^T u = u) give all three, instead of also passing from the merge through both paths
 * again. Each part's estimate is as unbiased as with its own probes (each sees u ~ N(0, I), or
 * every one-hot u when exact, so exact sums stay exact); only their errors become correlated.
 * The skip and branch tensors must have the merge's shape (an Add without broadcasting).
 */
export async function measureResidualSquares(
  exec: Executor,
  acts: Activations,
  t: ResidualTensors,
  plan: JacobianPlan,
): Promise<{ squares: ResidualSquares; method: string }> {
  const y = acts.get(t.merge);
  if (y === undefined) throw new Error(`no activation for "${t.merge}"`);
  for (const part of [t.branch, t.skip]) {
    const shape = acts.get(part)?.shape;
    if (shape === undefined || !tf.util.arraysEqual(shape, y.shape)) throw new Error(`residual part "${part}" does not have the merge's shape [${y.shape}]`);
  }
  const [n, ...rest] = y.shape;
  const d = rest.reduce((a, b) => a * b, 1);
  const passes = plan.exact ? d : plan.probes;
  const parts = new ResidualAccumulator(plan.exact, n);
  const vjp: FamilyVjp = (seeds, wrt, probes) => exec.vjp(acts, seeds, wrt, plan.checkpoint, probes);
  // Drawn stack by stack: in exact mode there are d one-hot cotangents of d units each.
  for (const [p, k] of residualStacks(exec, acts, t, passes, plan.probes)) {
    await yieldToEventLoop();
    plan.checkpoint?.();
    const u = residualCotangents(acts, t, plan, p, k);
    try {
      const sq = residualRowSquares(vjp, t, u, k);
      parts.add(sq.dataSync(), k);
      sq.dispose();
    } finally {
      u.dispose();
    }
    for (let j = 1; j <= k; j++) plan.onPass?.(p + j, passes);
  }
  return { squares: parts.result(t), method: methodOf(plan) };
}

/** passStacks of a residual measurement: its reverse passes go back to the block input. */
export function residualStacks(exec: Executor, acts: Activations, t: ResidualTensors, passes: number, probes: number): [number, number][] {
  return passStacks(exec, acts, [t.input], passes, probes);
}

/** Cotangents `from` .. `from` + k - 1 on the merge (one-hot units when exact), stacked [k * n, ...]. */
export function residualCotangents(acts: Activations, t: ResidualTensors, plan: Pick<JacobianPlan, 'exact' | 'rng'>, from: number, k: number): tf.Tensor {
  const [n, ...rest] = acts.get(t.merge)!.shape;
  const d = rest.reduce((a, b) => a * b, 1);
  return tf.tensor(stackedCotangents(plan, n, d, from, k), [k * n, ...rest], 'float32');
}

/**
 * The per-row squared norms of J_branch^T u, J_skip^T u and J_merge^T u (their sum) for k
 * cotangents u stacked on the merge ([k * n, ...]), as a [3, k * n] tensor: one reverse pass from
 * the branch and one from the skip (none for an identity skip, where J_skip^T u = u). Only ops
 * with a recording, so a family of blocks can run it as one ONNX Runtime graph.
 */
export function residualRowSquares(vjp: FamilyVjp, t: ResidualTensors, u: tf.Tensor, k: number): tf.Tensor {
  const toInput = (from: string): tf.Tensor => vjp(new Map([[from, u]]), [t.input], k).get(t.input)!;
  const gBranch = toInput(t.branch);
  let gSkip: tf.Tensor | undefined;
  try {
    gSkip = t.skip === t.input ? u : toInput(t.skip);
    const skip = gSkip;
    return tf.tidy(() => tf.stack([rowSquares(gBranch), rowSquares(skip), rowSquares(tf.add(gBranch, skip))]));
  } finally {
    gBranch.dispose();
    if (gSkip !== u) gSkip?.dispose();
  }
}

/** A residual measurement's squares, part by part, from residualRowSquares' rows read back. */
export class ResidualAccumulator {
  private readonly parts: SquaresAccumulator[];

  constructor(
    exact: boolean,
    private readonly samples: number,
  ) {
    this.parts = [0, 1, 2].map(() => new SquaresAccumulator(exact, samples));
  }

  /** residualRowSquares of k probes: [3 * k * n], branch, skip and merge. */
  add(rows: ArrayLike<number>, k: number): void {
    this.parts.forEach((acc, part) => acc.addFlat(rows, k, part * k * this.samples));
  }

  result(t: ResidualTensors): ResidualSquares {
    const [branch, skip, merge] = this.parts.map((acc) => acc.result());
    return { merge, branch, skip: t.skip === t.input ? null : skip };
  }
}
