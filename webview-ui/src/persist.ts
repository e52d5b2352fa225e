/**
 * The page state kept with vscode.setState, so a hidden or reloaded panel comes back as it
 * was. The extension's serializer reads `modelPath` (and `report` as a fallback). State comes
 * back from storage, so it is checked before use. Pure (no DOM).
 */
import type { AnalysisReport } from '../../src/report/schema';
import type { SortState } from './sorting';

export interface PageState {
  readonly modelPath?: string;
  readonly report?: AnalysisReport;
  readonly selectedBlock?: number;
  readonly sort?: SortState;
  readonly nonlinearitySort?: SortState;
}

function sortState(v: unknown): SortState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as { column?: unknown; direction?: unknown };
  if (typeof s.column !== 'string') return undefined;
  if (s.direction !== 'ascending' && s.direction !== 'descending') return undefined;
  return { column: s.column, direction: s.direction };
}

/** Keeps the well-formed parts of a stored state; drops everything else. */
export function readPageState(raw: unknown): PageState {
  if (typeof raw !== 'object' || raw === null) return {};
  const s = raw as Record<string, unknown>;
  const report = s.report as { schema?: unknown; blocks?: unknown } | undefined;
  return {
    modelPath: typeof s.modelPath === 'string' ? s.modelPath : undefined,
    report: report && report.schema === 'gradient-lens-report' && Array.isArray(report.blocks) ? (s.report as AnalysisReport) : undefined,
    selectedBlock: Number.isInteger(s.selectedBlock) && (s.selectedBlock as number) >= 1 ? (s.selectedBlock as number) : undefined,
    sort: sortState(s.sort),
    nonlinearitySort: sortState(s.nonlinearitySort),
  };
}
