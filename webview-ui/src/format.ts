/**
 * Number formatting for the results page. Pure (no DOM), so the unit tests and the root
 * type-check can import it. Every shown number has 4 significant digits; the full-precision
 * value is kept in data-value attributes and tooltips.
 */

export const SIGNIFICANT_DIGITS = 4;

/** Shown for a quantity that does not apply (a plain block's k_skip, an affine block's relation). */
export const NOT_APPLICABLE = 'n/a';
export const INFINITY_TEXT = '∞';

/**
 * `digits` significant digits, trailing zeros dropped (1 not 1.000, like the CLI), scientific
 * notation (1.235e5, 2.5e-4) outside [1e-3, 1e4) where fixed notation would show too many zeros.
 */
export function formatNumber(v: number, digits: number = SIGNIFICANT_DIGITS): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return INFINITY_TEXT;
  if (v === -Infinity) return `-${INFINITY_TEXT}`;
  if (v === 0) return '0';
  // Decided on the rounded value, so 9999.6 becomes 1e4 rather than 10000.
  const a = Math.abs(Number(v.toPrecision(digits)));
  if (a >= 1e4 || a < 1e-3) {
    const [mantissa, exponent] = v.toExponential(digits - 1).split('e');
    return `${stripZeros(mantissa)}e${Number(exponent)}`;
  }
  // Through Number: toPrecision writes 1000 with 3 digits as "1.00e+3".
  return String(Number(v.toPrecision(digits)));
}

function stripZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** A number, or n/a when the quantity does not apply (null/undefined). */
export function formatOptional(v: number | null | undefined, digits: number = SIGNIFICANT_DIGITS): string {
  return v === null || v === undefined ? NOT_APPLICABLE : formatNumber(v, digits);
}

/** A dilution k: null means infinite when the block is linear, else that k does not apply. */
export function formatK(k: number | null | undefined, linear: boolean): string {
  if (k === null || k === undefined) return linear && k === null ? INFINITY_TEXT : NOT_APPLICABLE;
  return formatNumber(k);
}

/** "[low, high]" for a 99% interval; "exact" when the interval is a single point. */
export function formatInterval(ci: readonly [number, number] | null | undefined): string {
  if (!ci) return NOT_APPLICABLE;
  if (ci[0] === ci[1]) return 'exact';
  return `[${formatNumber(ci[0])}, ${formatNumber(ci[1])}]`;
}

/** The estimator written for people: 'probes:6' -> '6 probes', 'exact' -> 'exact'. */
export function formatMethod(method: string | null | undefined): string {
  if (!method) return NOT_APPLICABLE;
  const m = /^probes:(\d+)(.*)$/.exec(method);
  if (!m) return method;
  const n = Number(m[1]);
  return `${n} probe${n === 1 ? '' : 's'}${m[2]}`;
}

/** 850 ms, 3.9 s, 2 min 5 s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return NOT_APPLICABLE;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const totalSeconds = Math.round(ms / 1000);
  return `${Math.floor(totalSeconds / 60)} min ${totalSeconds % 60} s`;
}

/** 77706 -> "77,706" (fixed separator: the page must not depend on the machine's locale). */
export function formatInteger(n: number): string {
  if (!Number.isFinite(n)) return formatNumber(n);
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** [8, 3, 32, 32] -> "8 × 3 × 32 × 32". */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join(' × ');
}

/** The full-precision value for a data-value attribute: "null" for infinite/absent, as in the JSON. */
export function dataValue(v: number | null): string {
  return v === null || !Number.isFinite(v) ? 'null' : String(v);
}
