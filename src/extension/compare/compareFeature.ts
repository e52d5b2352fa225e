/** "Compare Reports…": two reports from the history (or files), side by side in the compare panel. */
import * as vscode from 'vscode';
import type { CommandHandlers } from '../commands/table';
import type { HistoryPicker } from '../history/historyPicker';
import type { Log } from '../output';
import { ComparePanel } from './comparePanel';

export class CompareFeature implements vscode.Disposable {
  private readonly panel: ComparePanel;

  constructor(
    context: vscode.ExtensionContext,
    private readonly picker: HistoryPicker,
    log: Log,
  ) {
    this.panel = new ComparePanel(context.extensionUri, log, context.workspaceState);
  }

  commands(): CommandHandlers<'compareReports'> {
    return {
      compareReports: async () => {
        const a = await this.picker.pick('Compare Reports (1/2): the first report, a (e.g. the earlier checkpoint)', true);
        if (!a) return;
        const b = await this.picker.pick(`Compare Reports (2/2): the report to compare with ${a.label}, b`, true, a.entryId);
        if (!b) return;
        this.panel.show(a.report, b.report, { a: a.label, b: b.label });
      },
    };
  }

  dispose(): void {
    this.panel.dispose();
  }
}
