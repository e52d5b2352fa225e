/**
 * Squared Frobenius norms of Jacobians, per sample, from vector-Jacobian products:
 * E_u ||J^T u||^2 = ||J||_F^2 for u ~ N(0, I) (Hutchinson), or exactly with one one-hot
 * cotangent per unit of the target. One reverse pass gives J^T u for every upstream tensor
 * at once, and for every sample of the batch at once (samples are independent in inference).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Executor, Activations, Checkpoint } from '../engine/executor';
import type { SeededRandom } from '../engine/random';

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

export async function measureJacobianSquares(
  exec: Executor,
  acts: Activations,
  target: string,
  wrt: readonly string[],
  plan: JacobianPlan,
): Promise<{ squares: JacobianSquares; method: string }> {
  const y = acts.get(target);
  if (y === undefined) throw new Error(`no activation for "${target}"`);
  const [n, ...rest] = y.shape;
  const d = rest.reduce((a, b) => a * b, 1);
  const squares: JacobianSquares = new Map(wrt.map((w) => [w, [] as number[][]]));
  const passes = plan.exact ? d : plan.probes;
  const exactSums = new Map(wrt.map((w) => [w, new Array<number>(n).fill(0)]));

  for (let p = 0; p < passes; p++) {
    await yieldToEventLoop();
    plan.checkpoint?.();
    const seed = tf.tensor(plan.exact ? oneHotRows(n, d, p) : plan.rng.gaussian(n * d), y.shape, 'float32');
    const grads = exec.vjp(acts, new Map([[target, seed]]), wrt, plan.checkpoint);
    seed.dispose();
    for (const w of wrt) {
      const g = grads.get(w)!;
      const sq = perSampleSquares(g);
      g.dispose();
      if (plan.exact) {
        const acc = exactSums.get(w)!;
        sq.forEach((v, i) => (acc[i] += v));
      } else {
        squares.get(w)!.push(sq);
      }
    }
    plan.onPass?.(p + 1, passes);
  }
  if (plan.exact) for (const w of wrt) squares.get(w)!.push(exactSums.get(w)!);
  return { squares, method: plan.exact ? 'exact' : `probes:${plan.probes}` };
}
