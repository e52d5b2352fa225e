/**
 * "Gradient Lens: Export Report…" and the webview's Export buttons: format quick pick (when
 * not given), save dialog next to the model, the shared exporters (src/report/export), then
 * a notification that can open the file. Never writes to the model or its weight files.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { modelContentFiles } from '../../loaders/contentHash';
import { exportReport, type ExportFormat } from '../../report/export';
import type { AnalysisReport } from '../../report/schema';
import type { Log } from '../output';
import { defaultExportPath, exportRefusal, FORMAT_CHOICES, formatChoice, withFormatExtension } from './exportTarget';

export async function pickExportFormat(): Promise<ExportFormat | undefined> {
  const picked = await vscode.window.showQuickPick(
    FORMAT_CHOICES.map((c) => ({ label: c.label, description: `.${c.format}`, detail: c.detail, format: c.format })),
    { title: 'Gradient Lens: Export Report', placeHolder: 'Export the report as…' },
  );
  return picked?.format;
}

/** Asks where to save and writes the export; returns the file written, if any. */
export async function exportInteractive(report: AnalysisReport, format: ExportFormat | undefined, log: Log): Promise<vscode.Uri | undefined> {
  const chosenFormat = format ?? (await pickExportFormat());
  if (!chosenFormat) return undefined;
  const choice = formatChoice(chosenFormat);
  const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const picked = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(defaultExportPath(report.model.path, chosenFormat, roots)),
    filters: { [choice.filterName]: [chosenFormat] },
    saveLabel: 'Export',
    title: `Export the Gradient Lens report of ${report.model.fileName} as ${choice.label}`,
  });
  if (!picked) return undefined;
  const target = picked.scheme === 'file' ? vscode.Uri.file(withFormatExtension(picked.fsPath, chosenFormat)) : picked;
  const modelFiles = await modelContentFiles(report.model.path).catch(() => [report.model.path]);
  const refusal = exportRefusal(target.fsPath, modelFiles);
  if (refusal) {
    void vscode.window.showErrorMessage(`Gradient Lens: not exported: ${refusal}.`);
    return undefined;
  }
  const text = exportReport(report, chosenFormat);
  await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
  log.info(`exported the report of ${report.model.fileName} as ${choice.label} to ${target.fsPath} (${Buffer.byteLength(text)} bytes)`);
  void vscode.window.showInformationMessage(`Gradient Lens: report exported to ${path.basename(target.fsPath)}.`, 'Open').then((action) => {
    if (action === 'Open') void vscode.commands.executeCommand('vscode.open', target);
  });
  return target;
}
