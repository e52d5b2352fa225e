/**
 * k-dilution of a block (docs/metrics.md): f(v) = S v + rho(v), k = Q||S v|| / Q||rho(v)||.
 *
 * - Skip estimator (residual blocks): S v := the skip path, rho := the residual branch,
 *   read off the two inputs of the merge in the forward pass.
 * - Linearisation estimator (every block): S = E_x[J_f(v(x))]. For a cotangent u shared by
 *   all samples, w_u = S^T u = mean_i J_i^T u (one batched VJP); then b_i = w_u . v_i and
 *   a_i = u . f(v_i) give Q||S v||^2 = E_u mean_i b_i^2 and Q||rho||^2 = E_u mean_i (a_i - b_i)^2.
 *   Exact with one-hot u when the block output is small.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DilutionRelation, Estimate, KLinPrecision, LinearisationInfo } from '../report/schema';
import { ExecutionError, type Activations, type Checkpoint, type Executor, type FamilyVjp } from '../runtime/executor';
import type { SeededRandom } from '../runtime/random';
import { largestActivation, passStacks, STACK_ELEMENTS, stackedCotangents, yieldToEventLoop } from './jacobian';
import { exactLinearPartOf, planLinearPart, type LinearPartPlan } from './blockJvp';
import { broadcastFloat } from '../ops/kernelUtil';
import { exactEstimate, exactValue, halfWidth99, meanWithError, sqrtEstimate, sqrtRatioInterval, t99, type MeanWithError } from './stats';

/** rho smaller than this fraction of f (in Q) is float32 rounding: the block is linear. */
const LINEAR_RHO_FRACTION = 1e-5;

export function dilutionRelation(k: number | null, gscBlock: number, gscNonlinear: number | null, note?: string): DilutionRelation {
  const lhs = gscBlock * gscBlock - 1;
  if (k === null || gscNonlinear === null || note !== undefined) {
    return {
      k,
      reductionFactor: k === null ? null : k * k + 1,
      gscBlock,
      gscNonlinear,
      lhs,
      rhs: null,
      predictedGscBlock: null,
      predictedOverMeasured: null,
      note: note ?? 'n/a: the block has no nonlinear part',
    };
  }
  const reductionFactor = k * k + 1;
  const rhs = (gscNonlinear * gscNonlinear - 1) / reductionFactor;
  const predicted = 1 + rhs >= 0 ? Math.sqrt(1 + rhs) : null;
  return {
    k,
    reductionFactor,
    gscBlock,
    gscNonlinear,
    lhs,
    rhs,
    predictedGscBlock: predicted,
    predictedOverMeasured: predicted === null ? null : predicted / gscBlock,
  };
}

export interface LinearisationPlan {
  readonly exact: boolean;
  readonly probes: number;
  readonly rng: SeededRandom;
  readonly checkpoint?: Checkpoint;
  /**
   * Measure S v_i by finite-difference Jacobian-vector products (linearPartByJvp) when the
   * cotangents are probes; default on. Off: the shared-cotangent probe estimator alone.
   */
  readonly jvp?: boolean;
  /**
   * Exact forward-mode JVPs (blockJvp.ts) where every op of the block has a rule; default on.
   * Off: finite differences everywhere (kept for comparisons).
   */
  readonly exactJvp?: boolean;
  /**
   * Adaptive precision: while k_lin's 99% interval is wider than this fraction of k_lin (relative
   * half-width), refine (central differences, then more probes, up to maxProbes); absent: never.
   */
  readonly targetPrecision?: number;
  /** performance.now() after which no refinement starts. */
  readonly deadline?: number;
  /** Refinement stops at this many probes (default 8 x probes). */
  readonly maxProbes?: number;
}

interface ProbeSums {
  /** mean_i b_i^2 */
  sv: number;
  /** mean_i (a_i - b_i)^2 */
  rho: number;
  /** ||w_u||^2 */
  sFrob: number;
  /** mean_i ||J_i^T u||^2 */
  jFrob: number;
  /** mean_i (b_i - u . (S v_i)_jvp)^2: the JVP's error seen along u (0 without JVPs). */
  jvpErr: number;
}

/** The ProbeSums fields in the order of probeSums' rows. */
const PROBE_SUMS_ROWS = ['sv', 'rho', 'sFrob', 'jFrob', 'jvpErr'] as const;

/**
 * The ProbeSums of k cotangents u ([k, dOut], each shared by every sample) as a [5, k] tensor,
 * rows in PROBE_SUMS_ROWS' order: one reverse pass of the k probes stacked, reduced at once.
 * Only ops with a recording, so a family of blocks can run it as one ONNX Runtime graph.
 */
export function probeSums(vjp: FamilyVjp, acts: Activations, input: string, output: string, u: tf.Tensor2D, sv: tf.Tensor2D | null): tf.Tensor {
  const v = acts.get(input)!;
  const f = acts.get(output)!;
  const n = v.shape[0];
  const [dIn, dOut] = [v.size / n, f.size / n];
  const k = u.shape[0];
  const seed = tf.tidy(() => tf.reshape(broadcastFloat(tf.reshape(u, [k, 1, dOut]), [k, n, dOut]), [k * n, ...f.shape.slice(1)]));
  let g: tf.Tensor;
  try {
    g = vjp(new Map([[output, seed]]), [input], k).get(input)!;
  } finally {
    seed.dispose();
  }
  try {
    return tf.tidy(() => {
      // Reshaped here, not once outside: a recorded graph binds the activations by identity.
      const vFlat = tf.reshape(v, [n, dIn]);
      const fFlat = tf.reshape(f, [n, dOut]);
      const gFlat = tf.reshape(g, [k, n, dIn]);
      const w = tf.mean(gFlat, 1); // [k, dIn]: S^T u per probe
      const b = tf.matMul(vFlat, w, false, true); // [n, k]
      const a = tf.matMul(fFlat, u, false, true); // [n, k]
      return tf.stack([
        tf.mean(tf.square(b), 0),
        tf.mean(tf.square(tf.sub(a, b)), 0),
        tf.sum(tf.square(w), 1),
        tf.div(tf.sum(tf.square(tf.reshape(gFlat, [k, n * dIn])), 1), n),
        // b_i - u . (S v_i)_jvp: the JVP's error seen along u.
        sv === null ? tf.zeros([k]) : tf.mean(tf.square(tf.sub(b, tf.matMul(sv, u, false, true))), 0),
      ]);
    });
  } finally {
    g.dispose();
  }
}

/** Measures the linearisation of the block from `input` (v) to `output` (f). */
export async function linearise(
  exec: Executor,
  acts: Activations,
  input: string,
  output: string,
  plan: LinearisationPlan,
  gscBlock: number,
  affineBlock: boolean,
): Promise<LinearisationInfo> {
  const lin = await Linearisation.start(exec, acts, input, output, plan);
  try {
    await lin.addProbes(lin.firstPasses);
    return await lin.finish(gscBlock, affineBlock);
  } finally {
    lin.dispose();
  }
}

/**
 * A linearisation being measured, in three steps: start (the linear part S v, where it is
 * measured directly), the first probes (addProbes, or probeSums in a family of blocks that
 * reports them with accept), then finish (refinement to the target precision, and the result).
 */
export class Linearisation {
  private readonly perProbe: ProbeSums[] = [];
  // The probes from this index on checked the current sv (a refined sv needs its own check).
  private checkedFrom = 0;
  private central = false;

  private constructor(
    private readonly exec: Executor,
    private readonly acts: Activations,
    readonly input: string,
    readonly output: string,
    private readonly plan: LinearisationPlan,
    /**
     * S v_i for every sample (rows), when measured directly rather than through the probes:
     * exactly by forward mode where every op of the block has a rule, else by finite differences.
     */
    private sv: tf.Tensor2D | null,
    private readonly exactJvp: boolean,
    private pending: LinearPartPlan | null = null,
  ) {}

  /**
   * Measures the linear part where it is measured directly. With `deferExact`, an exact linear
   * part is left to the caller (pendingLinearPart), to compute in a family's recorded graph.
   */
  static async start(exec: Executor, acts: Activations, input: string, output: string, plan: LinearisationPlan, deferExact = false): Promise<Linearisation> {
    let sv: tf.Tensor2D | null = null;
    let exactJvp = false;
    if (!plan.exact && plan.jvp !== false) {
      const exactPlan = plan.exactJvp === false ? null : planLinearPart(exec, acts, input, output);
      if (exactPlan !== null && deferExact) return new Linearisation(exec, acts, input, output, plan, null, true, exactPlan);
      sv = exactPlan === null ? null : await exactLinearPartOf(exec, acts, exactPlan, plan.checkpoint);
      exactJvp = sv !== null;
      sv ??= await linearPartByJvp(exec, acts, input, output, plan.checkpoint);
    }
    return new Linearisation(exec, acts, input, output, plan, sv, exactJvp);
  }

  /** The exact linear part the caller is to compute (linearPartNow) and hand over (adoptLinearPart) before the probes, or null. */
  get pendingLinearPart(): LinearPartPlan | null {
    return this.pending;
  }

  /** The pending linear part, computed; this linearisation owns it from now on. */
  adoptLinearPart(sv: tf.Tensor2D): void {
    this.sv = sv;
    this.pending = null;
  }

  private get n(): number {
    return this.acts.get(this.input)!.shape[0];
  }

  private get dOut(): number {
    return this.acts.get(this.output)!.size / this.n;
  }

  /** Passes of the first measurement: every one-hot cotangent when exact, else the probes. */
  get firstPasses(): number {
    return this.plan.exact ? this.dOut : this.plan.probes;
  }

  /** The measured linear part (rows S v_i), which probeSums reads; null when the probes alone estimate it. */
  get linearPart(): tf.Tensor2D | null {
    return this.sv;
  }

  /**
   * The next `passes` cotangents u after those measured so far, in stacks of as many as one
   * reverse pass takes ([k, dOut] each): the plan's stream drawn probe by probe, so stacking
   * never changes the numbers. Measure them (accept) before drawing more. All at once: for a
   * family's first probes (a few per block); addProbes draws stack by stack.
   */
  cotangentStacks(passes: number): tf.Tensor2D[] {
    const first = this.perProbe.length;
    return this.stackRanges(passes).map(([p, k]) => this.cotangents(first + p, k));
  }

  /** [first pass, count] of each stack of `passes` passes back to the block input (passStacks). */
  private stackRanges(passes: number): [number, number][] {
    return passStacks(this.exec, this.acts, [this.input], passes, this.plan.probes);
  }

  /** Cotangents `from` .. `from` + k - 1 of the plan's stream (one-hot units when exact), [k, dOut]. */
  private cotangents(from: number, k: number): tf.Tensor2D {
    return tf.tensor2d(stackedCotangents(this.plan, 1, this.dOut, from, k), [k, this.dOut], 'float32');
  }

  /** The probeSums of k cotangents, read back: [5 * k] in PROBE_SUMS_ROWS' order. */
  accept(sums: ArrayLike<number>, k: number): void {
    for (let j = 0; j < k; j++) {
      const probe = {} as ProbeSums;
      PROBE_SUMS_ROWS.forEach((row, r) => (probe[row] = sums[r * k + j]));
      this.perProbe.push(probe);
    }
  }

  /** Runs `passes` more probes (or every one-hot cotangent when exact), pass by pass. */
  async addProbes(passes: number): Promise<void> {
    const { exec, acts, plan } = this;
    const vjp: FamilyVjp = (seeds, wrt, probes) => exec.vjp(acts, seeds, wrt, plan.checkpoint, probes);
    const first = this.perProbe.length;
    // Drawn stack by stack: in exact mode there are dOut one-hot cotangents of dOut units each.
    for (const [p, k] of this.stackRanges(passes)) {
      await yieldToEventLoop();
      plan.checkpoint?.();
      const u = this.cotangents(first + p, k);
      try {
        const sums = probeSums(vjp, acts, this.input, this.output, u, this.sv);
        this.accept(sums.dataSync(), k);
        sums.dispose();
      } finally {
        u.dispose();
      }
    }
  }

  /** Refines to the plan's target precision where asked, and returns the linearisation. */
  async finish(gscBlock: number, affineBlock: boolean): Promise<LinearisationInfo> {
    const { exec, acts, input, output, plan, perProbe } = this;
    const v = acts.get(input)!;
    const f = acts.get(output)!;
    const n = this.n;
    const dIn = v.size / n;
    const qV = quadraticMeanOf(v);
    const qF = quadraticMeanOf(f);
    const combine = (key: keyof ProbeSums, from = 0): MeanWithError => {
      const xs = perProbe.slice(from).map((s) => s[key]);
      return plan.exact ? exactValue(xs.reduce((a, b) => a + b, 0)) : meanWithError(xs);
    };
    const probeMethod = (): string => (plan.exact ? 'exact' : `probes:${perProbe.length} (shared cotangent)`);
    /** k_lin and its parts from what has been measured so far. */
    const current = (): { qSv: Estimate; qRho: Estimate; kLin: number | null; kLinCi99: [number, number] | null } => {
      const sv = this.sv;
      if (sv !== null) {
        const parts = tf.tidy(() => {
          const fFlat = tf.reshape(f, [n, -1]);
          return [tf.sum(tf.square(sv)), tf.sum(tf.square(tf.sub(fFlat, sv)))].map((t) => t.dataSync()[0] / n);
        });
        const { qSv, qRho } = jvpEstimates(
          { sv: parts[0], rho: parts[1] },
          combine('jvpErr', this.checkedFrom),
          qF,
          perProbe.length - this.checkedFrom,
          this.exactJvp ? 'exact' : this.central ? 'central' : 'forward',
        );
        if (qRho.value <= LINEAR_RHO_FRACTION * qF) return { qSv, qRho, kLin: null, kLinCi99: null };
        const kLin = qSv.value / qRho.value;
        // A remainder that may be 0 within the error leaves k unbounded above: the interval then ends
        // at the k of the smallest remainder not called linear (JSON has no infinity).
        const rhoLow = Math.max(qRho.ci99[0], LINEAR_RHO_FRACTION * qF);
        return { qSv, qRho, kLin, kLinCi99: [qSv.ci99[0] / qRho.ci99[1], Math.max(qSv.ci99[1] / rhoLow, kLin)] };
      }
      const qSv = sqrtEstimate(combine('sv'), 1, probeMethod());
      const qRho = sqrtEstimate(combine('rho'), 1, probeMethod());
      if (qRho.value <= LINEAR_RHO_FRACTION * qF) return { qSv, qRho, kLin: null, kLinCi99: null };
      if (plan.exact) {
        const kLin = qSv.value / qRho.value;
        return { qSv, qRho, kLin, kLinCi99: [kLin, kLin] };
      }
      const r = sqrtRatioInterval(
        perProbe.map((s) => s.sv),
        perProbe.map((s) => s.rho),
      );
      return { qSv, qRho, kLin: r.value, kLinCi99: r.ci99 };
    };

    let result = current();
    let precision: KLinPrecision | undefined;
    if (!plan.exact && result.kLin !== null && plan.targetPrecision !== undefined) {
      // Adaptive precision: refine while k_lin's interval is wider than the target.
      const target = plan.targetPrecision;
      const maxProbes = plan.maxProbes ?? plan.probes * MAX_PROBES_FACTOR;
      let stoppedBy: KLinPrecision['stoppedBy'];
      while (relativeHalfWidth(result) > target) {
        if (plan.deadline !== undefined && performance.now() > plan.deadline) {
          stoppedBy = 'time-budget';
          break;
        }
        if (this.sv !== null && !this.central && !this.exactJvp) {
          // The finite difference's own error first: central differences (twice the passes),
          // then a fresh check of them by the next probes.
          const refined = await linearPartByJvp(exec, acts, input, output, plan.checkpoint, true);
          if (refined !== null) {
            this.sv.dispose();
            this.sv = refined;
            this.central = true;
            this.checkedFrom = perProbe.length;
          }
        } else if (perProbe.length >= maxProbes) {
          stoppedBy = 'probe-cap';
          break;
        }
        await this.addProbes(plan.probes);
        result = current();
      }
      const reached = relativeHalfWidth(result);
      precision = { target, reached, met: reached <= target, probes: perProbe.length, central: this.central, ...(stoppedBy && { stoppedBy }) };
    }
    const { qSv, qRho, kLin, kLinCi99 } = result;
    const sFrob = combine('sFrob');
    const jFrob = combine('jFrob');
    const linear = qRho.value <= LINEAR_RHO_FRACTION * qF;
    const sFrob2: Estimate = plan.exact ? exactEstimate(sFrob.mean) : estimateOf(sFrob, probeMethod());
    const gscS = qSv.value > 0 ? (Math.sqrt(sFrob.mean / dIn) * qV) / qSv.value : null;
    // GSC of the nonlinear part uses the Jacobian J_f - S: mean_i ||J_i||_F^2 - ||S||_F^2.
    const nonlinearJac = jFrob.mean - sFrob.mean;
    const gscRho = !linear && qRho.value > 0 && nonlinearJac > 0 ? (Math.sqrt(nonlinearJac / dIn) * qV) / qRho.value : null;
    const note = linear
      ? 'n/a: linear block (rho = 0, k infinite)'
      : affineBlock
        ? 'n/a: affine block (its nonlinear part is a constant offset)'
        : gscRho === null
          ? 'n/a: nonlinear part has no measurable Jacobian'
          : undefined;
    return {
      kLin,
      kLinCi99,
      linear,
      qSv,
      qRho,
      qF,
      qV,
      sFrob2,
      gscS,
      relation: dilutionRelation(kLin, gscBlock, gscRho, note),
      ...(precision && { kLinPrecision: precision }),
    };
  }

  dispose(): void {
    this.sv?.dispose();
    this.sv = null;
  }
}

/** Refinement adds probes up to this multiple of the probe setting. */
const MAX_PROBES_FACTOR = 8;

/** (high - low) / 2 / k of k_lin's interval; 0 for an exact or infinite k. */
function relativeHalfWidth(r: { kLin: number | null; kLinCi99: readonly [number, number] | null }): number {
  if (r.kLin === null || r.kLinCi99 === null) return 0;
  return (r.kLinCi99[1] - r.kLinCi99[0]) / 2 / r.kLin;
}

/**
 * Step of the finite differences, relative to the tangent v_i (whose norm is that of the points
 * v_j): small enough that the O(h) truncation and the share of ReLU-like kinks crossed are
 * ~1e-4, large enough that float32 rounding of f over h stays ~1e-4 too.
 */
export const JVP_STEP = 1e-3;

/**
 * S v_i = (1/n) sum_j J_f(v_j) v_i for every sample i, as an [n, dOut] tensor. The tangent v_i is
 * the same at every point v_j, so one block-local forward pass of the whole batch moved along
 * it, f(v_j + h v_i) for all j, gives all n products J_f(v_j) v_i at once by forward differences
 * (f(v_j + h v_i) - f(v_j)) / h, or central ones (f(v_j + h v_i) - f(v_j - h v_i)) / 2h at twice
 * the cost; n such passes (stacked along axis 0 where the block allows) give every row. Returns
 * null when the block cannot be moved along its input (not a float tensor).
 */
export async function linearPartByJvp(
  exec: Executor,
  acts: Activations,
  input: string,
  output: string,
  checkpoint?: Checkpoint,
  central = false,
): Promise<tf.Tensor2D | null> {
  const v = acts.get(input)!;
  const f = acts.get(output)!;
  if (v.dtype !== 'float32' || f.dtype !== 'float32') return null;
  const n = v.shape[0];
  const dOut = f.size / n;
  const signs = central ? [1, -1] : [1];
  const largest = largestActivation(exec, acts);
  let stack = Math.max(1, Math.min(n, Math.floor(STACK_ELEMENTS / (largest * signs.length))));
  const rows: tf.Tensor[] = [];
  try {
    for (let i = 0; i < n;) {
      await yieldToEventLoop();
      checkpoint?.();
      const k = Math.min(stack, n - i);
      let out: tf.Tensor;
      try {
        out = jvpColumns(exec, acts, input, output, i, k, signs, checkpoint);
      } catch (e) {
        // A block that reads something of batch size from outside its input cannot be stacked.
        if (k === 1 || !(e instanceof ExecutionError || e instanceof StackedPointsError)) throw e;
        stack = 1;
        continue;
      }
      rows.push(out);
      i += k;
    }
    return tf.tidy(() => tf.reshape(tf.concat(rows, 0), [n, dOut]) as tf.Tensor2D);
  } finally {
    rows.forEach((r) => r.dispose());
  }
}

/** A stacked block-local pass returned the wrong number of values (see jvpColumns). */
class StackedPointsError extends Error {
  constructor(output: string, got: number, expected: number) {
    super(`stacked points through the block to "${output}" gave ${got} values instead of ${expected}`);
    this.name = 'StackedPointsError';
  }
}

/** Rows i .. i + k - 1 of S V ([k, dOut]) from one stacked block-local forward pass. */
function jvpColumns(
  exec: Executor,
  acts: Activations,
  input: string,
  output: string,
  i: number,
  k: number,
  signs: readonly number[],
  checkpoint?: Checkpoint,
): tf.Tensor {
  const v = acts.get(input)!;
  const f = acts.get(output)!;
  const n = v.shape[0];
  const inShape = v.shape.slice(1);
  const moved = tf.tidy(() => {
    const tangents = tf.slice(v, i, k); // [k, ...]: v_i, shared by every point v_j
    const parts = signs.map((sign) => tf.reshape(tf.add(tf.expandDims(v, 0), tf.expandDims(tf.mul(tangents, sign * JVP_STEP), 1)), [k * n, ...inShape]));
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  });
  let out: tf.Tensor;
  try {
    out = exec.forwardFrom(acts, new Map([[input, moved]]), [output], checkpoint).get(output)!;
  } finally {
    moved.dispose();
  }
  // A block that reshapes with a size read from outside its input (a batch baked into a
  // Reshape constant, a shape taken from another tensor) mixes the stacked points: refused
  // here, the caller then passes one point at a time.
  if (out.size !== signs.length * k * f.size) {
    const size = out.size;
    out.dispose();
    throw new StackedPointsError(output, size, signs.length * k * f.size);
  }
  try {
    return tf.tidy(() => {
      const dOut = f.size / n;
      // Means over the points j first (slices, not gathers: those copy slowly on wasm), then
      // the difference: mean_j f(v_j + h v_i) - mean_j f(v_j - h v_i) = 2h S v_i + O(h^3).
      const means = tf.mean(tf.reshape(out, [signs.length * k, n, dOut]), 1);
      const ahead = tf.slice(means, 0, k);
      const behind = signs.length === 2 ? tf.slice(means, k, k) : tf.mean(tf.reshape(f, [n, dOut]), 0, true);
      return tf.div(tf.sub(ahead, behind), signs.length * JVP_STEP);
    });
  } finally {
    out.dispose();
  }
}

/**
 * Q||S v|| and Q||rho|| from the JVP's S v, with 99% intervals from its measured error: for a
 * probe u, the reverse pass gives u . S v_i exactly (w_u . v_i), so the mean over probes of
 * (w_u . v_i - u . (S v_i)_jvp)^2 estimates E = (1/n) sum_i ||S v_i - (S v_i)_jvp||^2 without bias.
 * By the triangle inequality both norms are within sqrt(E) of their true values; the interval
 * uses the t-quantile upper bound of E, and never less than float32 rounding of f.
 */
function jvpEstimates(
  parts: { sv: number; rho: number },
  err: MeanWithError,
  qF: number,
  probes: number,
  kind: 'exact' | 'central' | 'forward',
): { qSv: Estimate; qRho: Estimate } {
  const errUpper = Math.sqrt(Math.max(err.mean + halfWidth99(err), 0)) + JVP_ROUNDING * qF;
  const how = kind === 'exact' ? 'exact forward mode' : kind === 'central' ? 'central finite differences' : 'finite differences';
  const method = `jvp (${how}, checked with ${probes} probes)`;
  const make = (sq: number): Estimate => {
    const value = Math.sqrt(Math.max(sq, 0));
    return { value, stderr: errUpper / t99(Math.max(err.count - 1, 1)), ci99: [Math.max(value - errUpper, 0), value + errUpper], method };
  };
  return { qSv: make(parts.sv), qRho: make(parts.rho) };
}

/** Relative float32 rounding of S v and rho that the probe check cannot see (both are ~1e-4 Q||f||). */
const JVP_ROUNDING = 1e-4;

function estimateOf(m: MeanWithError, method: string): Estimate {
  if (m.stderr === 0) return exactEstimate(m.mean, method);
  const h = halfWidth99(m);
  return { value: m.mean, stderr: m.stderr, ci99: [m.mean - h, m.mean + h], method };
}

function quadraticMeanOf(t: tf.Tensor): number {
  return tf.tidy(() => Math.sqrt(tf.sum(tf.square(t)).dataSync()[0] / t.shape[0]));
}
