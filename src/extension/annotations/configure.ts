/**
 * "Configure…" after blocks could not be placed: offers the sidecar format (an untitled
 * Markdown editor, never a file on disk) or the gradientLens.sourceFiles setting. Nothing is
 * created in the user's files uninvited.
 */
import * as vscode from 'vscode';
import { sidecarCandidates } from '../../sourceMapping';
import type { SourceMapping } from '../../sourceMapping/types';
import type { AnalysisReport } from '../../report/schema';
import { sidecarDoc } from './sidecarDoc';
import { SOURCE_FILES_KEY } from './sourceSettings';

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
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
    await vscode.window.showTextDocument(doc, { preview: true });
  } else if (choice?.label === openSetting) {
    await vscode.commands.executeCommand('workbench.action.openSettings', `gradientLens.${SOURCE_FILES_KEY}`);
  }
}
