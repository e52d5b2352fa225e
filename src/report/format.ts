/** Number formatting shared by the report exporters and the comparison (no VS Code, no DOM). */
import type { Estimate } from './schema';

/** 4 significant digits, ∞ for null-as-infinite, scientific for very large or small values. */
export function fmt(v: number | null, infinite = false): string {
  if (v === null) return infinite ? '∞' : 'n/a';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/** "value [low, high]" for a probe estimate, just the value when it is exact. */
export function fmtEstimate(e: Estimate): string {
  if (e.stderr === 0 && e.ci99[0] === e.ci99[1]) return fmt(e.value);
  return `${fmt(e.value)} [${fmt(e.ci99[0])}, ${fmt(e.ci99[1])}]`;
}

/** Replaces control characters (terminal escapes, newlines) in untrusted names for one-line text output. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** ", 2 threads" when the reverse passes ran on more than one thread (reports from 1.1 on). */
export function threadsText(threads: number | undefined): string {
  return threads !== undefined && threads > 1 ? `, ${threads} threads` : '';
}
