/** "Export Report…": the report of the active panel, else a stored or a history report. */
import * as vscode from 'vscode';
import type { AnalysisReport } from '../../report/schema';
import type { CommandHandlers } from '../commands/table';
import type { HistoryPicker } from '../history/historyPicker';
import { shortTime } from '../history/labels';
import type { Log } from '../output';
import type { ReportStore } from '../reportStore';
import { exportInteractive } from './exportCommand';

export interface ExportDeps {
  /** The report of the active results panel, if any. */
  readonly activeReport: () => AnalysisReport | undefined;
  readonly store: ReportStore;
  readonly picker: HistoryPicker;
  readonly log: Log;
}

export function exportCommands(deps: ExportDeps): CommandHandlers<'exportReport'> {
  return {
    exportReport: async () => {
      const report = deps.activeReport() ?? (await pickStoredReport(deps));
      if (!report) {
        void vscode.window.showInformationMessage('Gradient Lens: no report to export yet. Analyze a model first.');
        return;
      }
      await exportInteractive(report, undefined, deps.log);
    },
  };
}

/** The latest report of each model this workspace has shown: the only one, or a quick pick. */
async function pickStoredReport(deps: ExportDeps): Promise<AnalysisReport | undefined> {
  const stored = deps.store.all();
  if (stored.length <= 1) return stored[0]?.report ?? (await deps.picker.pick('Export which report?'))?.report;
  const picked = await vscode.window.showQuickPick(
    stored.map((e) => ({
      label: vscode.workspace.asRelativePath(e.report.model.path, false),
      description: `${shortTime(e.report.createdAt)} · seed ${e.report.settings.seed}`,
      detail: e.modelPath,
      report: e.report,
    })),
    { title: 'Gradient Lens: Export Report', placeHolder: 'Export the report of which model?' },
  );
  return picked?.report;
}
