/**
 * Keeps the latest report per model in workspace storage so a results panel can be restored
 * after a window reload and "Show Report" works after a restart.
 */
import type * as vscode from 'vscode';
import { reportIncompatibility, type AnalysisReport } from '../report/schema';

const KEY = 'gradientLens.reports';
/** Reports can be large (the block matrix); keep only the most recent few. */
const MAX_REPORTS = 8;

interface Stored {
  readonly modelPath: string;
  readonly report: AnalysisReport;
}

export class ReportStore {
  constructor(private readonly memento: vscode.Memento) {}

  /** Most recent first; anything this version cannot read is dropped. */
  all(): readonly Stored[] {
    const value = this.memento.get<unknown>(KEY);
    if (!Array.isArray(value)) return [];
    return value.filter(
      (e): e is Stored => typeof e === 'object' && e !== null && typeof e.modelPath === 'string' && reportIncompatibility(e.report) === undefined,
    );
  }

  get(modelPath: string): AnalysisReport | undefined {
    return this.all().find((e) => e.modelPath === modelPath)?.report;
  }

  latest(): Stored | undefined {
    return this.all()[0];
  }

  async put(report: AnalysisReport): Promise<void> {
    const rest = this.all().filter((e) => e.modelPath !== report.model.path);
    await this.memento.update(KEY, [{ modelPath: report.model.path, report }, ...rest].slice(0, MAX_REPORTS));
  }
}
