/**
 * The trend chart's data, pure (no DOM, unit-tested): x labels per analysis, one line per
 * block, colours cycling through the theme's chart colours with a dash pattern per cycle so
 * that more than six blocks stay distinguishable without colour alone.
 */
import type { Trend } from '../../../src/report/compareTrend';
import { formatNumber } from '../format';
import { maxOf, minOf } from '../../../src/report/extent';

export interface TrendLine {
  readonly block: number;
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly colorIndex: number;
  readonly dash: readonly number[];
}

export const DASHES: readonly (readonly number[])[] = [[], [6, 4], [2, 3], [10, 3, 2, 3]];

/** "#2 · 23:41:07" (index from 1, local time; the full time is in the tooltip). */
export function pointLabel(trend: Trend, i: number): string {
  const d = new Date(trend.points[i]?.createdAt ?? '');
  const two = (n: number): string => String(n).padStart(2, '0');
  const time = Number.isNaN(d.getTime()) ? '' : ` · ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `#${i + 1}${time}`;
}

export function trendLines(trend: Trend, colorCount: number): TrendLine[] {
  return trend.series.map((s, i) => ({
    block: s.block,
    label: `${s.block} ${s.name}`,
    values: s.values,
    colorIndex: i % Math.max(1, colorCount),
    dash: DASHES[Math.floor(i / Math.max(1, colorCount)) % DASHES.length],
  }));
}

/** Positive finite values only (a log axis). */
export function trendRange(trend: Trend): { min: number; max: number } | undefined {
  const v = trend.series.flatMap((s) => s.values).filter((x): x is number => x !== null && x > 0 && Number.isFinite(x));
  if (v.length === 0) return undefined;
  return { min: minOf(v), max: maxOf(v) };
}

/** The readout for the keyboard cursor: block, analysis, value and the change from the previous analysis. */
export function describePoint(trend: Trend, seriesIndex: number, pointIndex: number): string {
  const s = trend.series[seriesIndex];
  const p = trend.points[pointIndex];
  if (!s || !p) return '';
  const v = s.values[pointIndex];
  const prev = pointIndex > 0 ? s.values[pointIndex - 1] : null;
  const change = v !== null && prev !== null && prev !== undefined && prev > 0 ? `, ×${formatNumber(v / prev)} since #${pointIndex}` : '';
  return `Block ${s.block} ${s.name}, analysis #${pointIndex + 1} (${p.createdAt}, sha256 ${p.contentHash.slice(0, 12)}): GSC to the output ${formatNumber(v)}${change}`;
}
