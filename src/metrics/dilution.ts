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
import type { DilutionRelation, Estimate, LinearisationInfo } from '../report/schema';
import type { Activations, Checkpoint, Executor } from '../runtime/executor';
import type { SeededRandom } from '../runtime/random';
import { probesPerPass, stackedCotangents, yieldToEventLoop } from './jacobian';
import { broadcastFloat } from '../ops/kernelUtil';
import { exactEstimate, exactValue, halfWidth99, meanWithError, sqrtEstimate, sqrtRatioInterval, type MeanWithError } from './stats';

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
  const v = acts.get(input)!;
  const f = acts.get(output)!;
  const n = v.shape[0];
  const dIn = v.size / n;
  const dOut = f.size / n;
  const outShape = f.shape.slice(1);
  const passes = plan.exact ? dOut : plan.probes;
  const perProbe: ProbeSums[] = [];
  const vFlat = tf.tidy(() => tf.reshape(v, [n, dIn]));
  const fFlat = tf.tidy(() => tf.reshape(f, [n, dOut]));
  const stack = probesPerPass(exec, acts, [input], passes, plan.probes);
  try {
    for (let p = 0; p < passes; p += stack) {
      await yieldToEventLoop();
      plan.checkpoint?.();
      // k probes u at once, each shared by every sample: U [k, dOut], stacked seeds [k * n, ...].
      const k = Math.min(stack, passes - p);
      const u = tf.tensor2d(stackedCotangents(plan, 1, dOut, p, k), [k, dOut], 'float32');
      const seed = tf.tidy(() => tf.reshape(broadcastFloat(tf.reshape(u, [k, 1, dOut]), [k, n, dOut]), [k * n, ...outShape]));
      const g = exec.vjp(acts, new Map([[output, seed]]), [input], plan.checkpoint, k).get(input)!;
      seed.dispose();
      const sums = tf.tidy(() => {
        const gFlat = tf.reshape(g, [k, n, dIn]);
        const w = tf.mean(gFlat, 1); // [k, dIn]: S^T u per probe
        const b = tf.matMul(vFlat, w, false, true); // [n, k]
        const a = tf.matMul(fFlat, u, false, true); // [n, k]
        return tf
          .stack([
            tf.mean(tf.square(b), 0),
            tf.mean(tf.square(tf.sub(a, b)), 0),
            tf.sum(tf.square(w), 1),
            tf.div(tf.sum(tf.square(tf.reshape(gFlat, [k, n * dIn])), 1), n),
          ])
          .dataSync();
      });
      g.dispose();
      u.dispose();
      for (let j = 0; j < k; j++) perProbe.push({ sv: sums[j], rho: sums[k + j], sFrob: sums[2 * k + j], jFrob: sums[3 * k + j] });
    }
  } finally {
    vFlat.dispose();
    fFlat.dispose();
  }
  const method = plan.exact ? 'exact' : `probes:${plan.probes} (shared cotangent)`;
  const combine = (key: keyof ProbeSums): MeanWithError => {
    const xs = perProbe.map((s) => s[key]);
    return plan.exact ? exactValue(xs.reduce((a, b) => a + b, 0)) : meanWithError(xs);
  };
  const sv = combine('sv');
  const rho = combine('rho');
  const sFrob = combine('sFrob');
  const jFrob = combine('jFrob');
  const qV = quadraticMeanOf(v);
  const qF = quadraticMeanOf(f);
  const qSv = sqrtEstimate(sv, 1, method);
  const qRho = sqrtEstimate(rho, 1, method);
  const linear = qRho.value <= LINEAR_RHO_FRACTION * qF;
  let kLin: number | null = null;
  let kLinCi99: [number, number] | null = null;
  if (!linear) {
    if (plan.exact) {
      kLin = qSv.value / qRho.value;
      kLinCi99 = [kLin, kLin];
    } else {
      const r = sqrtRatioInterval(
        perProbe.map((s) => s.sv),
        perProbe.map((s) => s.rho),
      );
      kLin = r.value;
      kLinCi99 = r.ci99;
    }
  }
  const sFrob2: Estimate = plan.exact ? exactEstimate(sFrob.mean) : estimateOf(sFrob, method);
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
  };
}

function estimateOf(m: MeanWithError, method: string): Estimate {
  if (m.stderr === 0) return exactEstimate(m.mean, method);
  const h = halfWidth99(m);
  return { value: m.mean, stderr: m.stderr, ci99: [m.mean - h, m.mean + h], method };
}

function quadraticMeanOf(t: tf.Tensor): number {
  return tf.tidy(() => Math.sqrt(tf.sum(tf.square(t)).dataSync()[0] / t.shape[0]));
}
