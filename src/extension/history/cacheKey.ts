/**
 * What makes two analyses of the same model content give the same report: the settings a
 * user can set and the thresholds (they decide the report's flags). The key is computed from
 * the REQUEST, before the run (the report's own settings can differ, e.g. a batch the engine
 * lowered to fit memory), so a cache lookup never needs to start the worker. Pure (no vscode).
 */
import type { AnalysisReport, Thresholds } from '../../report/schema';
import type { UserSettings } from '../config';

/** JSON with object keys sorted at every level, so equal settings give equal strings. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * `cut`: the tensors the analysis is cut at ("Analyze Up To Tensor…"), part of the key when
 * there is one (a whole-model key is unchanged, so its history entries still match).
 */
export function cacheKey(settings: UserSettings, thresholds: Thresholds, cut?: { readonly output?: string; readonly from?: string }): string {
  const s: UserSettings = {
    batch: settings.batch,
    probes: settings.probes,
    seed: settings.seed,
    exact: settings.exact,
    backend: settings.backend,
    blockMatrix: settings.blockMatrix,
    dimOverrides: settings.dimOverrides,
    memoryLimitMb: settings.memoryLimitMb,
  };
  const t: Thresholds = { gsc: thresholds.gsc, pseudoLinearK: thresholds.pseudoLinearK, collapsedSpread: thresholds.collapsedSpread };
  return stableJson({ settings: s, thresholds: t, ...(cut !== undefined && { cut }) });
}

/**
 * The key of a report that did not come from a request we saw (e.g. opened from a file): its
 * own settings. May miss a cache hit if the engine changed the batch, never causes a wrong one
 * as long as the engine is deterministic in these settings.
 */
export function cacheKeyOfReport(report: AnalysisReport): string {
  const s = report.settings;
  const key = cacheKey(
    {
      batch: s.batch,
      probes: s.probes,
      seed: s.seed,
      exact: s.exact,
      backend: s.backend,
      blockMatrix: s.blockMatrix,
      dimOverrides: s.dimOverrides,
      memoryLimitMb: s.memoryLimitMb,
    },
    report.thresholds,
  );
  // A report on an input file (the CLI's --input, "Analyze With Data…") or to the error layer is
  // not what a plain request computes: its key never equals a request's, so "Analyze" never
  // returns it cached. settings.inputSource is 'gaussian' exactly for the seeded batch.
  if (s.inputSource === 'gaussian' && report.reference.kind === 'output') return key;
  return `${key}|input:${s.inputSource}|reference:${report.reference.kind}`;
}
