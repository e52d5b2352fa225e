/**
 * Text and colour decisions of the comparison view, pure (no DOM, unit-tested).
 */
import type { MatrixRatio } from '../../../src/report/compareTrend';
import type { BlockComparison, ComparedK, ReportIdentity } from '../../../src/report/compare';
import { logDivergingScale, type LogDivergingScale } from '../colorScale';
import { formatNumber, INFINITY_TEXT } from '../format';

export function describeIdentity(id: ReportIdentity): string {
  return `${id.modelFileName} · ${id.blocks} blocks · batch ${id.batch}, ${id.probes} probes, seed ${id.seed}, exact ${id.exact} · ${id.createdAt} · sha256 ${id.contentHash.slice(0, 12)}`;
}

/** "1.2 → 3.4 (+2.2)"; null is ∞ for k_lin and n/a for k_skip (not a residual block). */
export function kChange(k: ComparedK, infiniteWhenNull: boolean): string {
  if (k.a === null && k.b === null && !infiniteWhenNull) return 'n/a';
  const one = (v: number | null): string => (v === null ? (infiniteWhenNull ? INFINITY_TEXT : 'n/a') : formatNumber(v));
  const diff = k.difference === null ? '' : ` (${k.difference >= 0 ? '+' : ''}${formatNumber(k.difference)})`;
  return `${one(k.a)} → ${one(k.b)}${diff}`;
}

export function verdictText(c: BlockComparison): string {
  if (c.verdict === 'better') return '▼ better';
  if (c.verdict === 'worse') return '▲ worse';
  return c.gscToOutput.significant ? '= unchanged' : '≈ within noise';
}

/** The colour scale of a ratio heatmap: log, diverging around 1, over every finite positive ratio. */
export function ratioScale(values: readonly (number | null)[]): LogDivergingScale {
  return logDivergingScale(
    values.filter((v): v is number => v !== null),
    1,
  );
}

export function matrixValues(m: MatrixRatio): (number | null)[] {
  return m.ratio.flatMap((row) => [...row]);
}

/** The readout of a heatmap cell for keyboard and screen-reader users. */
export function cellText(m: MatrixRatio, k: number, l: number): string {
  const r = m.ratio[k]?.[l];
  if (r === null || r === undefined) return `GSC(${m.boundaries[k]} → ${m.boundaries[l]}): no ratio (not an upper-triangle entry)`;
  return `GSC(${m.boundaries[k]} → ${m.boundaries[l]}): b/a = ${formatNumber(r)}${m.significant[k]?.[l] ? ', beyond the probes’ noise' : ', within the probes’ noise'}`;
}

/** Up to this many columns the heatmap cells print their ratio; beyond, they are small squares (value on hover and focus). */
export const HEATMAP_NUMBER_COLUMNS = 16;

/**
 * Whether the heatmap is drawn dense: 52 columns of printed ratios made a 2,754 px table that
 * looked empty until scrolled. Dense cells keep the colour, the • is dropped for an outline,
 * and the ratio is in the tooltip, the aria-label and the readout.
 */
export function isDenseHeatmap(columns: number): boolean {
  return columns > HEATMAP_NUMBER_COLUMNS;
}
