/**
 * How alarming a block's GSC to the output is, on a log scale between 1 (gradients keep their
 * scale) and the user's threshold (gradientLens.thresholds.gsc). A log scale because GSC
 * compounds multiplicatively through depth: 10 is "a third of the way" to 1000, not 1%.
 * No `vscode` here, so it is unit-tested in plain Node.
 */
import { isReferenceEstimate } from '../../report/format';
import type { BlockReport } from '../../report/schema';

export type Severity = 'unknown' | 'ok' | 'elevated' | 'high' | 'exploding';

/** Mildest first; `worstSeverity` picks the later one. */
export const SEVERITIES: readonly Severity[] = ['unknown', 'ok', 'elevated', 'high', 'exploding'];

/**
 * - at or above the threshold (or infinite): 'exploding';
 * - otherwise, with t = log(gsc) / log(threshold) for a threshold above 1: t < 1/3 'ok',
 *   t < 2/3 'elevated', else 'high' (GSC at or below 1 is always 'ok');
 * - a threshold at or below 1 has no scale below it: everything under it is 'ok';
 * - NaN (a failed estimate): 'unknown'.
 */
export function severityOf(gsc: number, threshold: number): Severity {
  if (Number.isNaN(gsc)) return 'unknown';
  if (gsc >= threshold) return 'exploding';
  if (!(threshold > 1) || gsc <= 1) return 'ok';
  const t = Math.log(gsc) / Math.log(threshold);
  if (t < 1 / 3) return 'ok';
  if (t < 2 / 3) return 'elevated';
  return 'high';
}

/** A block's severity; the reference layer's own GSC (1 by definition) is never alarming. */
export function blockSeverity(block: BlockReport, threshold: number): Severity {
  return isReferenceEstimate(block.gscToOutput) ? 'ok' : severityOf(block.gscToOutput.value, threshold);
}

export function worstSeverity(severities: Iterable<Severity>): Severity {
  let worst: Severity = 'unknown';
  for (const s of severities) if (SEVERITIES.indexOf(s) > SEVERITIES.indexOf(worst)) worst = s;
  return worst;
}
