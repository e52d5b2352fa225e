/**
 * Wiring of the code annotations: the controller plus its two commands (toggle, and the
 * "Open in report" target of hovers and CodeLenses), and the help documents.
 */
import * as vscode from 'vscode';
import type { AnalysisReport } from '../../report/schema';
import type { CommandHandlers } from '../commands/table';
import type { Log } from '../output';
import type { ReportStore } from '../reportStore';
import { CodeAnnotations } from './controller';

export { CodeAnnotations } from './controller';

export interface ReportOpener {
  show(report: AnalysisReport): void;
  selectBlock(modelPath: string, blockIndex: number): void;
}

export { registerHelpDocuments } from './configure';

export function annotationCommands(
  annotations: CodeAnnotations,
  panels: ReportOpener,
  store: ReportStore,
  log: Log,
): CommandHandlers<'toggleAnnotations' | 'openInReport'> {
  return {
    toggleAnnotations: () => {
      const on = annotations.toggle();
      vscode.window.setStatusBarMessage(`Gradient Lens: code annotations ${on ? 'on' : 'off'}`, 4000);
      log.info(`code annotations ${on ? 'on' : 'off'}`);
    },
    // Arguments come from command links in hovers, so they are checked like any input.
    openInReport: (modelPath: unknown, blockIndex: unknown) => {
      if (typeof modelPath !== 'string' || !Number.isInteger(blockIndex)) return;
      const report = annotations.report(modelPath) ?? store.get(modelPath);
      if (!report || !report.blocks.some((b) => b.index === blockIndex)) {
        void vscode.window.showInformationMessage('Gradient Lens: that report is no longer available; analyze the model again.');
        return;
      }
      panels.show(report);
      panels.selectBlock(modelPath, blockIndex as number);
    },
  };
}
