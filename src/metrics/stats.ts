/**
 * Turning repeated probe measurements into estimates with honest intervals.
 */
import type { Estimate } from '../report/schema';

/** Two-sided 99% Student-t quantiles by degrees of freedom (1..30); normal beyond. */
const T99 = [
  63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.25, 3.169, 3.106, 3.055, 3.012, 2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819,
  2.807, 2.797, 2.787, 2.779, 2.771, 2.763, 2.756, 2.75,
];

export function t99(dof: number): number {
  if (dof < 1) return Infinity;
  return dof <= T99.length ? T99[dof - 1] : 2.576;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length === 0 ? NaN : s / xs.length;
}

/** Mean of repeated measurements and the standard error of that mean. */
export interface MeanWithError {
  readonly mean: number;
  readonly stderr: number;
  /** Number of measurements (probes); 0 stderr and count 1 for exact values. */
  readonly count: number;
}

export function meanWithError(xs: readonly number[]): MeanWithError {
  const m = mean(xs);
  if (xs.length < 2) return { mean: m, stderr: 0, count: xs.length };
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return { mean: m, stderr: Math.sqrt(ss / (xs.length - 1) / xs.length), count: xs.length };
}

export function exactValue(value: number): MeanWithError {
  return { mean: value, stderr: 0, count: 1 };
}

/** Half-width of the 99% interval of a mean. */
export function halfWidth99(m: MeanWithError): number {
  return m.stderr === 0 ? 0 : t99(m.count - 1) * m.stderr;
}

/**
 * An estimate of c * sqrt(T) from a mean of T: the interval is mapped through the square
 * root (monotone), so it is asymmetric and never goes below zero; the stderr is the delta
 * method's c * se(T) / (2 sqrt(T)).
 */
export function sqrtEstimate(t: MeanWithError, scale: number, method: string): Estimate {
  const value = scale * Math.sqrt(Math.max(t.mean, 0));
  if (t.stderr === 0) return { value, stderr: 0, ci99: [value, value], method };
  const h = halfWidth99(t);
  const stderr = t.mean > 0 ? (scale * t.stderr) / (2 * Math.sqrt(t.mean)) : 0;
  return {
    value,
    stderr,
    ci99: [scale * Math.sqrt(Math.max(t.mean - h, 0)), scale * Math.sqrt(t.mean + h)],
    method,
  };
}

export function exactEstimate(value: number, method = 'exact'): Estimate {
  return { value, stderr: 0, ci99: [value, value], method };
}

/**
 * sqrt(A / R) from paired per-probe measurements (A_p, R_p) of two means, e.g. k_lin from
 * Q||Sv||^2 and Q||rho||^2 measured with the same probes. Interval by the delta method on
 * the ratio, using the covariance of the pairs, then mapped through the square root.
 */
export function sqrtRatioInterval(a: readonly number[], r: readonly number[]): { value: number; ci99: [number, number] } {
  const am = mean(a);
  const rm = mean(r);
  const value = Math.sqrt(am / rm);
  const p = a.length;
  if (p < 2) return { value, ci99: [value, value] };
  let va = 0;
  let vr = 0;
  let cov = 0;
  for (let i = 0; i < p; i++) {
    va += (a[i] - am) ** 2;
    vr += (r[i] - rm) ** 2;
    cov += (a[i] - am) * (r[i] - rm);
  }
  va /= p - 1;
  vr /= p - 1;
  cov /= p - 1;
  const ratio = am / rm;
  const varRatio = (va / rm ** 2 + (ratio ** 2 * vr) / rm ** 2 - (2 * ratio * cov) / rm ** 2) / p;
  const h = t99(p - 1) * Math.sqrt(Math.max(varRatio, 0));
  return { value, ci99: [Math.sqrt(Math.max(ratio - h, 0)), Math.sqrt(ratio + h)] };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
