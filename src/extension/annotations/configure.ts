/**
 * "Configure…" after blocks could not be placed: offers the sidecar format (a read-only
 * virtual Markdown document, never a file on disk, nothing to save) or the
 * gradientLens.sourceFiles setting. Nothing is created in the user's files uninvited.
 */
import * as vscode from 'vscode';
import { sidecarCandidates } from '../../sourceMapping';
import type { SourceMapping } from '../../sourceMapping/types';
import type { AnalysisReport } from '../../report/schema';
import { sidecarDoc } from './sidecarDoc';
import { SOURCE_FILES_KEY } from './sourceSettings';

const HELP_SCHEME = 'gradient-lens-help';
/** Help texts by URI; the provider serves them read-only. */
const helpTexts = new Map<string, string>();
const helpChanged = new vscode.EventEmitter<vscode.Uri>();

export function registerHelpDocuments(): vscode.Disposable {
  return vscode.Disposable.from(
    helpChanged,
    vscode.workspace.registerTextDocumentContentProvider(HELP_SCHEME, {
      onDidChange: helpChanged.event,
      provideTextDocumentContent: (uri) => helpTexts.get(uri.toString()) ?? '',
    }),
  );
}

export async function offerConfiguration(report: AnalysisReport, mapping: SourceMapping | undefined): Promise<void> {
  const showFormat = 'Show the sidecar file format';
  const openSetting = `Open the gradientLens.${SOURCE_FILES_KEY} setting`;
  const choice = await vscode.window.showQuickPick(
    [
      { label: showFormat, detail: 'How to point Gradient Lens at the code of this model (opens a help text; creates no file)' },
      { label: openSetting, detail: 'Map a model path or glob to its source files' },
    ],
    { title: `Gradient Lens: source code of ${report.model.fileName}` },
  );
  if (choice?.label === showFormat) {
    const content = sidecarDoc({
      modelPath: report.model.path,
      sidecarPaths: sidecarCandidates(report.model.path),
      unplaced: mapping?.unplaced ?? [],
      modelRelative: vscode.workspace.asRelativePath(report.model.path, false),
    });
    const uri = vscode.Uri.from({ scheme: HELP_SCHEME, path: `/Gradient Lens - where is the code of ${report.model.fileName}.md`, query: report.model.path });
    helpTexts.set(uri.toString(), content);
    helpChanged.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
  } else if (choice?.label === openSetting) {
    await vscode.commands.executeCommand('workbench.action.openSettings', `gradientLens.${SOURCE_FILES_KEY}`);
  }
}
