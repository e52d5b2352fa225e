/** Which model a command acts on: the clicked file, the active editor's file, or a quick pick. */
import * as vscode from 'vscode';
import { isModelPath, MODEL_EXCLUDE_GLOB, MODEL_GLOB } from '../models';

/** Explorer and editor menus pass the resource; the palette passes nothing. */
export async function resolveModel(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri && arg.scheme === 'file') return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (arg === undefined && active?.scheme === 'file' && isModelPath(active.fsPath)) return active;
  return pickWorkspaceModel();
}

export async function pickWorkspaceModel(): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles(MODEL_GLOB, MODEL_EXCLUDE_GLOB, 500);
  const models = files.filter((f) => f.scheme === 'file' && isModelPath(f.fsPath));
  if (models.length === 0) {
    void vscode.window.showInformationMessage('Gradient Lens: no ONNX (.onnx) or TensorFlow.js (model.json) models in this workspace.');
    return undefined;
  }
  models.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const picked = await vscode.window.showQuickPick(
    models.map((uri) => ({
      label: vscode.workspace.asRelativePath(uri, false),
      description: uri.fsPath.toLowerCase().endsWith('.onnx') ? 'ONNX' : 'TensorFlow.js',
      uri,
    })),
    { title: 'Gradient Lens: Analyze Model', placeHolder: 'Pick a model to analyse', matchOnDescription: true },
  );
  return picked?.uri;
}
