/**
 * Formatting for the results page. Pure (no DOM), so the unit tests and the root type-check can
 * import it. Numbers are written by the one formatter of every surface (src/report/format.ts:
 * 4 significant digits, 1.235×10⁴, ∞, n/a); the full-precision value is kept in data-value
 * attributes, and tooltips show formatPrecise (10 digits, same style).
 */
import { formatNumber, NOT_APPLICABLE } from '../../src/report/format';

export {
  fmt,
  formatComparison,
  formatInterval,
  formatK,
  formatKSkip,
  formatNumber,
  formatPrecise,
  formatWithInterval,
  INFINITY_TEXT,
  isReferenceEstimate,
  REFERENCE_LAYER_TEXT,
  NOT_APPLICABLE,
  SIGNIFICANT_DIGITS,
} from '../../src/report/format';

/** A number, or n/a when the quantity does not apply (null/undefined): formatNumber does both. */
export const formatOptional = formatNumber;

/** The estimator written for people: 'probes:6' -> '6 probes', 'exact' -> 'exact'. */
export function formatMethod(method: string | null | undefined): string {
  if (!method) return NOT_APPLICABLE;
  if (method === 'identity') return '1 by definition: the reference layer itself';
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
