/**
 * Wiring of the code annotations: the controller plus its two commands (toggle, and the
 * "Open in report" target of hovers and CodeLenses).
 */
import * as vscode from 'vscode';
import type { AnalysisReport } from '../../report/schema';
import { COMMANDS } from '../commands/ids';
import type { Log } from '../output';
import type { ReportStore } from '../reportStore';
import { CodeAnnotations } from './controller';
import { registerHelpDocuments } from './configure';

export { CodeAnnotations } from './controller';

export interface ReportOpener {
  show(report: AnalysisReport): void;
  selectBlock(modelPath: string, blockIndex: number): void;
}

export function registerAnnotationCommands(annotations: CodeAnnotations, panels: ReportOpener, store: ReportStore, log: Log): vscode.Disposable[] {
  return [
    registerHelpDocuments(),
    vscode.commands.registerCommand(COMMANDS.toggleAnnotations, () => {
      const on = annotations.toggle();
      vscode.window.setStatusBarMessage(`Gradient Lens: code annotations ${on ? 'on' : 'off'}`, 4000);
      log.info(`code annotations ${on ? 'on' : 'off'}`);
    }),
    // Arguments come from command links in hovers, so they are checked like any input.
    vscode.commands.registerCommand(COMMANDS.openInReport, (modelPath: unknown, blockIndex: unknown) => {
      if (typeof modelPath !== 'string' || !Number.isInteger(blockIndex)) return;
      const report = annotations.report(modelPath) ?? store.get(modelPath);
      if (!report || !report.blocks.some((b) => b.index === blockIndex)) {
        void vscode.window.showInformationMessage('Gradient Lens: that report is no longer available; analyse the model again.');
        return;
      }
      panels.show(report);
      panels.selectBlock(modelPath, blockIndex as number);
    }),
  ];
}
