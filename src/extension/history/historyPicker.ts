/**
 * Choosing a report from the history (or a JSON report file): what Show History…, Compare
 * Reports… and Export Report… (with no report open) ask the user.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { reportIncompatibility, type AnalysisReport } from '../../report/schema';
import type { HistoryEntry, HistoryStore } from './historyStore';
import { entryText, shortTime } from './labels';

/** A report picked from the history or a file, with what to call it. */
export interface PickedReport {
  readonly report: AnalysisReport;
  readonly label: string;
  readonly entryId?: string;
}

const OPEN_FILE_ITEM = '$(folder-opened) Open a JSON report file…';

export class HistoryPicker {
  constructor(private readonly history: HistoryStore) {}

  /** A quick pick of the history (newest first), optionally with "Open a JSON report file…". */
  async pick(title: string, allowFile = true, excludeId?: string): Promise<PickedReport | undefined> {
    const entries = (await this.history.list()).filter((e) => e.id !== excludeId);
    type Item = vscode.QuickPickItem & { entry?: HistoryEntry };
    const items: Item[] = entries.map((entry) => ({ ...entryText(entry, vscode.workspace.asRelativePath(entry.modelPath, false)), entry }));
    if (allowFile) items.push({ label: OPEN_FILE_ITEM, detail: 'A report saved with Export Report… (JSON) or the CLI (gradient-lens analyze --json)' });
    if (items.length === 0) {
      void vscode.window.showInformationMessage('Gradient Lens: the history is empty. Analyze a model first.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(items, {
      title: `Gradient Lens: ${title}`,
      placeHolder: 'Recent analyses, newest first',
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!picked) return undefined;
    if (!picked.entry) return this.pickFile();
    const report = await this.history.load(picked.entry.id);
    if (!report) {
      await this.history.remove(picked.entry.id);
      void vscode.window.showErrorMessage(
        `Gradient Lens: the stored report of ${picked.entry.fileName} can no longer be read; it was removed from the history.`,
      );
      return undefined;
    }
    return { report, label: `${picked.entry.fileName} @ ${shortTime(picked.entry.createdAt)}`, entryId: picked.entry.id };
  }

  private async pickFile(): Promise<PickedReport | undefined> {
    const files = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { 'Gradient Lens report': ['json'] },
      title: 'Open a Gradient Lens JSON report',
    });
    const file = files?.[0];
    if (!file) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8'));
    } catch (e) {
      void vscode.window.showErrorMessage(`Gradient Lens: ${path.basename(file.fsPath)} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
    const problem = reportIncompatibility(value);
    if (problem) {
      void vscode.window.showErrorMessage(`Gradient Lens: ${path.basename(file.fsPath)}: ${problem}`);
      return undefined;
    }
    return { report: value as AnalysisReport, label: path.basename(file.fsPath) };
  }
}
