/**
 * The one number formatter of every surface: the CLI table and gate messages, the Markdown and
 * HTML exports (and their SVG charts), the comparison text, the editor annotations and the
 * webview. No VS Code, no DOM. The CSV export alone writes full-precision numbers, on purpose.
 *
 * The rule, everywhere:
 * - 4 significant digits (SIGNIFICANT_DIGITS), trailing zeros dropped: 1 not 1.000, 0.4376, 12.94.
 * - Fixed notation when the ROUNDED value lies in [1e-3, 1e4) (so 9999.6 is 1×10⁴, not 10000);
 *   otherwise mantissa × power of ten written as the README writes it: 1.235×10⁴, 2.5×10⁻⁴.
 *   One style for terminals, Markdown, HTML and the webview (all are UTF-8); no "e" notation.
 * - Negative numbers and −∞ use U+2212 MINUS SIGN, like the ⁻ of an exponent: −0.9877, −∞.
 * - +Infinity is ∞, NaN is NaN (a measurement that failed: it must not look like a number or
 *   like "does not apply"), null and undefined are n/a (the quantity does not apply). Where null
 *   means infinite (a linear block's k), the caller says so (formatK, fmt(v, true)).
 * - Intervals are "[low, high]", and "exact" for a single point; a value with its interval is
 *   "value [low, high]" or "value (exact)".
 * - A value printed beside a threshold it was compared with ("k = 3.0004 > 3") gets as many
 *   digits as it takes for the two printed numbers to differ (formatComparison), so the printed
 *   inequality is true.
 * Tooltips and other "full value" places use formatPrecise (the same rule with 10 digits).
 */
import type { Estimate, KLinPrecision, LinearisationInfo } from './schema';

export const SIGNIFICANT_DIGITS = 4;
/** Digits of formatPrecise: enough to tell apart any two values a report distinguishes in practice. */
export const PRECISE_DIGITS = 10;

/** Shown for a quantity that does not apply (null, undefined: a plain block's k_skip, an affine block's relation). */
export const NOT_APPLICABLE = 'n/a';
export const INFINITY_TEXT = '∞';
export const MINUS = '\u2212';
export const NAN_TEXT = 'NaN';

const SUPERSCRIPT: Readonly<Record<string, string>> = {
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
  '-': '⁻',
};

function stripZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** A finite non-negative value with `digits` significant digits. */
function formatMagnitude(a: number, digits: number): string {
  if (a === 0) return '0';
  const rounded = Number(a.toPrecision(digits));
  if (rounded >= 1e4 || rounded < 1e-3) {
    const [mantissa, exponent] = a.toExponential(digits - 1).split('e');
    const power = String(Number(exponent)).replace(/./g, (c) => SUPERSCRIPT[c] ?? c);
    return `${stripZeros(mantissa)}×10${power}`;
  }
  // Through Number: toPrecision writes 1000 with 3 digits as "1.00e+3".
  return String(rounded);
}

/** A number for display under the rule above; null/undefined are n/a. */
export function formatNumber(v: number | null | undefined, digits: number = SIGNIFICANT_DIGITS): string {
  if (v === null || v === undefined) return NOT_APPLICABLE;
  if (Number.isNaN(v)) return NAN_TEXT;
  if (v === Infinity) return INFINITY_TEXT;
  if (v === -Infinity) return `${MINUS}${INFINITY_TEXT}`;
  const text = formatMagnitude(Math.abs(v), digits);
  // -0.00001 rounded is still negative; -0 prints as 0.
  return v < 0 && text !== '0' ? `${MINUS}${text}` : text;
}

/** The same rule with PRECISE_DIGITS digits: tooltips, where the full value is wanted but not 0.4376073332285338. */
export function formatPrecise(v: number | null | undefined): string {
  return formatNumber(v, PRECISE_DIGITS);
}

/** A number, or ∞ when `nullMeansInfinite` and the value is null (a linear block's k in the JSON). */
export function fmt(v: number | null | undefined, nullMeansInfinite = false): string {
  return v === null && nullMeansInfinite ? INFINITY_TEXT : formatNumber(v);
}

/** A dilution k: null means infinite when the block is linear, else that k does not apply. */
export function formatK(k: number | null | undefined, linear: boolean): string {
  return k === null && linear ? INFINITY_TEXT : formatNumber(k);
}

/**
 * k_skip of a residual block: ∞ when the branch is exactly zero (Infinity in memory, null once
 * the report went through JSON), else the number.
 */
export function formatKSkip(residual: { readonly kSkip: number | null; readonly branchZero?: boolean }): string {
  return residual.kSkip === null && residual.branchZero === true ? INFINITY_TEXT : formatNumber(residual.kSkip);
}

/**
 * k_lin as tables show it: ∞ for a linear block, "value [low, high]" where it is estimated (its
 * 99% interval), the bare value where it is exact; "(wide)" is added when the interval is still
 * wider than the precision the analysis aimed for (LinearisationInfo.kLinPrecision).
 */
export function formatKLin(lin: Pick<LinearisationInfo, 'kLin' | 'kLinCi99' | 'linear' | 'kLinPrecision'>): string {
  if (lin.kLin === null) return formatK(lin.kLin, lin.linear);
  const ci = lin.kLinCi99;
  const text = ci && ci[0] !== ci[1] ? `${formatNumber(lin.kLin)} ${formatInterval(ci)}` : formatNumber(lin.kLin);
  return lin.kLinPrecision && !lin.kLinPrecision.met ? `${text} (wide)` : text;
}

/** What the refinement of an estimated k_lin reached: "±0.38% (target ±5%)", with why it stopped short when it did. */
export function formatKLinPrecision(p: KLinPrecision): string {
  const pct = (x: number): string => `±${formatNumber(100 * x)}%`;
  const target = p.target > 0 ? ` (target ${pct(p.target)})` : '';
  if (p.met) return `${pct(p.reached)}${target}`;
  const why = p.stoppedBy === 'time-budget' ? ': the time budget ran out' : p.stoppedBy === 'probe-cap' ? ': at the probe cap' : '';
  return `${pct(p.reached)}${target}, wider than the target${why}`;
}

/** "[low, high]" for a 99% interval; "exact" when the interval is a single point; n/a when there is none. */
export function formatInterval(ci: readonly [number, number] | null | undefined): string {
  if (!ci) return NOT_APPLICABLE;
  if (ci[0] === ci[1]) return 'exact';
  return `[${formatNumber(ci[0])}, ${formatNumber(ci[1])}]`;
}

/** "value [low, high]", or "value (exact)" when the interval is a single point, or just the value without one. */
export function formatWithInterval(value: number | null | undefined, ci: readonly [number, number] | null | undefined): string {
  if (!ci) return formatNumber(value);
  return ci[0] === ci[1] ? `${formatNumber(value)} (exact)` : `${formatNumber(value)} ${formatInterval(ci)}`;
}

/** "value [low, high]" for a probe estimate, "value (exact)" when it is exact. */
export function fmtEstimate(e: Estimate): string {
  if (isReferenceEstimate(e)) return formatGscToOutput(e);
  return formatWithInterval(e.value, e.stderr === 0 && e.ci99[0] === e.ci99[1] ? [e.value, e.value] : e.ci99);
}

/**
 * A value and the threshold it was compared with, printed with the same number of digits,
 * at least SIGNIFICANT_DIGITS and as many more as it takes for unequal values to print unequal:
 * rounding is monotone, so the printed inequality then has the sign of the true one.
 */
export function formatComparison(value: number | null | undefined, threshold: number): { readonly value: string; readonly threshold: string } {
  for (let digits = SIGNIFICANT_DIGITS; digits <= 17; digits++) {
    const v = formatNumber(value, digits);
    const t = formatNumber(threshold, digits);
    if (v !== t || value === threshold || typeof value !== 'number' || !Number.isFinite(value)) return { value: v, threshold: t };
  }
  return { value: formatNumber(value, 17), threshold: formatNumber(threshold, 17) };
}

/** Seconds with one decimal, for run times: 12.3 s. */
export function formatSeconds(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : NOT_APPLICABLE;
}

/** ", 2 threads" when the reverse passes ran on more than one thread (reports from 1.1 on). */
export function threadsText(threads: number | undefined): string {
  return threads !== undefined && threads > 1 ? `, ${threads} threads` : '';
}

/**
 * The GSC of the reference layer to itself is 1 by definition (method 'identity'): it measures
 * nothing, so every surface says what it is instead of showing a bare "1" beside real figures.
 */
export const REFERENCE_LAYER_TEXT = 'reference layer';

export function isReferenceEstimate(e: Pick<Estimate, 'method'>): boolean {
  return e.method === 'identity';
}

/** "1 (reference layer)" for the reference layer's own GSC, else the number. */
export function formatGscToOutput(e: Estimate): string {
  return isReferenceEstimate(e) ? `1 (${REFERENCE_LAYER_TEXT})` : formatNumber(e.value);
}

/** A stream unit's measured GSC: "value [low, high]", "value (exact)", "1 (identity)", or "not measured". */
export function formatUnitGsc(e: Estimate | undefined): string {
  if (e === undefined) return 'not measured';
  const how = e.method === 'identity' ? '(identity)' : e.method === 'exact' ? '(exact)' : formatInterval(e.ci99);
  return `${formatNumber(e.value)} ${how}`;
}

/** The interval column of an estimate: "exact", "reference layer" (1 by definition) or "[low, high]". */
export function formatEstimateInterval(e: Estimate): string {
  if (isReferenceEstimate(e)) return REFERENCE_LAYER_TEXT;
  if (e.method === 'exact') return 'exact';
  return formatInterval(e.ci99);
}
