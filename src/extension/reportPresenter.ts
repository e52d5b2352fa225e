/**
 * Showing a report, the same whether it comes from a finished analysis, the cache or the
 * history: remember it for this workspace, set the "has a report" context, open the panel.
 */
import * as vscode from 'vscode';
import type { AnalysisReport } from '../report/schema';
import { CONTEXT_HAS_REPORT } from './commands/ids';
import type { ReportStore } from './reportStore';

export interface ReportShower {
  show(report: AnalysisReport): void;
}

export class ReportPresenter {
  constructor(
    private readonly store: ReportStore,
    private readonly panels: ReportShower,
  ) {}

  async show(report: AnalysisReport): Promise<void> {
    await this.store.put(report);
    await vscode.commands.executeCommand('setContext', CONTEXT_HAS_REPORT, true);
    this.panels.show(report);
  }
}
