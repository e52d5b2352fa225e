/** Which model a command acts on: the clicked file, the active editor's file, or a quick pick. */
import * as vscode from 'vscode';
import { modelFormatOf } from '../models';
import { findWorkspaceModels } from '../modelIndex';

/** Explorer and editor menus pass the resource; the palette passes nothing. */
export async function resolveModel(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri && arg.scheme === 'file') return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (arg === undefined && active?.scheme === 'file' && (await modelFormatOf(active.fsPath)) !== undefined) return active;
  return pickWorkspaceModel();
}

export async function pickWorkspaceModel(): Promise<vscode.Uri | undefined> {
  const models = await findWorkspaceModels();
  if (models.length === 0) {
    void vscode.window.showInformationMessage('Gradient Lens: no ONNX (.onnx) or TensorFlow.js models in this workspace.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    models.map(({ uri, format }) => ({ label: vscode.workspace.asRelativePath(uri, false), description: format, uri })),
    { title: 'Gradient Lens: Analyze Model', placeHolder: 'Pick a model to analyze', matchOnDescription: true },
  );
  return picked?.uri;
}
