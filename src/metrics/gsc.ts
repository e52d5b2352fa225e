/**
 * The gradient scale coefficient (docs/metrics.md):
 *   per sample  GSC(k -> l; x) = ||J||_qm ||f_k(x)|| / ||f_l(x)||,  ||J||_qm = ||J||_F / sqrt(d_k)
 *   over batch  GSC(k -> l)    = Q_x ||J||_qm * Q_x ||f_k|| / Q_x ||f_l||
 * and the explosion rate fitted to GSC(k -> out) over the block index.
 */
import type { ChainCheck, Estimate, Growth, PerSampleSummary } from '../report/schema';
import { exactValue, mean, meanWithError, median, sqrtEstimate } from './stats';
import { quadraticMean } from './jacobian';

export interface GscResult {
  readonly batch: Estimate;
  readonly perSample: PerSampleSummary;
  /** Q_x ||J||_qm. */
  readonly qmJacobian: Estimate;
}

/**
 * @param measurements per probe (or one exact measurement), per sample ||J_i^T u||^2
 * @param dK width of the upstream tensor f_k
 * @param normsK per-sample ||f_k(x_i)||
 * @param normsL per-sample ||f_l(x_i)||
 */
export function gscFromSquares(
  measurements: readonly (readonly number[])[],
  dK: number,
  normsK: readonly number[],
  normsL: readonly number[],
  method: string,
): GscResult {
  const exact = method === 'exact';
  // T = mean_i ||J_i||_F^2, measured once per probe.
  const perProbeT = measurements.map((m) => mean(m));
  const t = exact ? exactValue(perProbeT[0]) : meanWithError(perProbeT);
  const qK = quadraticMean(normsK);
  const qL = quadraticMean(normsL);
  const batch = sqrtEstimate(t, qK / (qL * Math.sqrt(dK)), method);
  const qmJacobian = sqrtEstimate(t, 1 / Math.sqrt(dK), method);
  const n = normsK.length;
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const fi = mean(measurements.map((m) => m[i]));
    values.push((Math.sqrt(fi / dK) * normsK[i]) / normsL[i]);
  }
  return {
    batch,
    qmJacobian,
    // A loop, not Math.min(...values): a batch of 150,000 overflows the call stack as arguments.
    perSample: {
      median: median(values),
      min: values.reduce((a, b) => Math.min(a, b), Infinity),
      max: values.reduce((a, b) => Math.max(a, b), -Infinity),
      values,
    },
  };
}

export function identityGsc(n: number): GscResult {
  const one: Estimate = { value: 1, stderr: 0, ci99: [1, 1], method: 'identity' };
  return { batch: one, qmJacobian: one, perSample: { median: 1, min: 1, max: 1, values: new Array<number>(n).fill(1) } };
}

/** Least squares through (k, log GSC(k -> out)) for k = 0..B-1; rate = exp(-slope). */
export function explosionGrowth(gscToOutput: readonly number[]): Growth {
  const B = gscToOutput.length - 1;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < B; k++) {
    xs.push(k);
    ys.push(Math.log(gscToOutput[k]));
  }
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i] - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  return {
    gscInputToOutput: gscToOutput[0],
    geometricMeanRate: Math.pow(gscToOutput[0], 1 / B),
    logFit: { slope, intercept, rate: Math.exp(-slope) },
  };
}

/** GSC(k-1 -> out) against GSC(k-1 -> k) * GSC(k -> out), per block k. */
export function chainChecks(gscToOutput: readonly number[], gscBlock: readonly number[]): ChainCheck[] {
  return gscBlock.map((g, j) => {
    const k = j + 1;
    const direct = gscToOutput[k - 1];
    const product = g * gscToOutput[k];
    return { k, direct, product, ratio: product / direct };
  });
}
