/**
 * Payloads of the comparison and trend views, shared by the extension (which builds them from
 * reports) and the webview (which draws them). Pure: no vscode, no DOM.
 */
import type { AnalysisReport, Estimate } from './schema';
import { maxOf } from './extent';

/** b/a of the block matrix GSC(k -> l) of two reports, when both have one of the same size. */
export interface MatrixRatio {
  /** ratio[k][l] = GSC_b(k -> l) / GSC_a(k -> l) for k < l when both are positive and finite, else null. */
  readonly ratio: readonly (readonly (number | null)[])[];
  /** Whether the two entries' 99% intervals are disjoint (a change beyond the probes' noise). */
  readonly significant: readonly (readonly boolean[])[];
  /** Boundary labels 0..B: "input", block names, with the last one the model output. */
  readonly boundaries: readonly string[];
}

export function blockMatrixRatio(a: AnalysisReport, b: AnalysisReport): MatrixRatio | null {
  const ma = a.blockMatrix;
  const mb = b.blockMatrix;
  if (!ma || !mb || ma.gsc.length !== mb.gsc.length || a.blocks.length !== b.blocks.length) return null;
  const n = ma.gsc.length;
  const ratio: (number | null)[][] = [];
  const significant: boolean[][] = [];
  for (let k = 0; k < n; k++) {
    ratio.push([]);
    significant.push([]);
    for (let l = 0; l < n; l++) {
      const va = ma.gsc[k]?.[l];
      const vb = mb.gsc[k]?.[l];
      const ok = k < l && typeof va === 'number' && typeof vb === 'number' && va > 0 && vb > 0 && Number.isFinite(va) && Number.isFinite(vb);
      ratio[k].push(ok ? vb / va : null);
      const ca = ma.ci99[k]?.[l];
      const cb = mb.ci99[k]?.[l];
      significant[k].push(ok && !!ca && !!cb && va !== vb && (ca[1] < cb[0] || cb[1] < ca[0]));
    }
  }
  const boundaries = Array.from({ length: n }, (_, k) => (k === 0 ? 'input' : `${k} ${b.blocks[k - 1]?.name ?? ''}`.trim()));
  return { ratio, significant, boundaries };
}

/** One analysis on the trend's x axis. */
export interface TrendPoint {
  readonly createdAt: string;
  readonly contentHash: string;
}

/** GSC to the output of one block across the analyses (null where that analysis lacks the block). */
export interface TrendSeries {
  readonly block: number;
  readonly name: string;
  readonly values: readonly (number | null)[];
  readonly ci99: readonly (readonly [number, number] | null)[];
}

export interface Trend {
  readonly modelPath: string;
  readonly fileName: string;
  /** Oldest first. */
  readonly points: readonly TrendPoint[];
  readonly series: readonly TrendSeries[];
  /** e.g. which settings the analyses share. */
  readonly note: string;
}

/**
 * The trend of GSC to the output per block over analyses of one model (oldest first), blocks
 * matched by index and named as in the newest report. Keeps the newest `maxPoints`. Callers pass
 * analyses made with the same settings (the note states the newest one's).
 */
export function buildTrend(reports: readonly AnalysisReport[], maxPoints = 30): Trend | undefined {
  const kept = reports.slice(-maxPoints);
  const newest = kept[kept.length - 1];
  if (!newest) return undefined;
  const blockCount = maxOf(kept.map((r) => r.blocks.length));
  const series: TrendSeries[] = [];
  for (let index = 1; index <= blockCount; index++) {
    const at = kept.map((r) => r.blocks.find((b) => b.index === index)?.gscToOutput);
    series.push({
      block: index,
      name:
        newest.blocks.find((b) => b.index === index)?.name ??
        kept.map((r) => r.blocks.find((b) => b.index === index)?.name).find((n) => n !== undefined) ??
        String(index),
      values: at.map((e: Estimate | undefined) => e?.value ?? null),
      ci99: at.map((e: Estimate | undefined) => e?.ci99 ?? null),
    });
  }
  const s = newest.settings;
  return {
    modelPath: newest.model.path,
    fileName: newest.model.fileName,
    points: kept.map((r) => ({ createdAt: r.createdAt, contentHash: r.model.contentHash })),
    series,
    note: `all with batch ${s.batch}, ${s.probes} probes, seed ${s.seed}, exact ${s.exact}`,
  };
}
