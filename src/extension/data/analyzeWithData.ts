/**
 * "Gradient Lens: Analyze With Data…": pick a model, a data file or image folder, optionally
 * labels, and the reference layer; then analyse. Only paths travel to the worker process,
 * which reads and decodes the data itself: the extension host never opens the files.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { AnalysisService } from '../analysis/service';
import type { Log } from '../output';
import { resolveModel } from '../commands/pickModel';
import { parseDataConfig } from './dataConfig';
import { labelOptions, requestInput, type LabelChoice } from './choices';

const TITLE = 'Gradient Lens: Analyze With Data';
const DATA_FILE_FILTERS = { 'Sample data': ['npy', 'json', 'csv', 'bin', 'f32', 'raw'] };
const LABEL_FILE_FILTERS = { Labels: ['npy', 'json', 'csv'] };

interface Pick<T> extends vscode.QuickPickItem {
  readonly value: T;
}

async function pickDataSource(model: vscode.Uri): Promise<{ uri: vscode.Uri; isFolder: boolean } | undefined> {
  const kind = await vscode.window.showQuickPick<Pick<boolean>>(
    [
      { label: 'Data file…', description: '.npy, .json, .csv or raw float32', value: false },
      { label: 'Folder of images…', description: 'PNG or JPEG; class sub-folders give labels', value: true },
    ],
    { title: TITLE, placeHolder: `Sample data for ${path.basename(model.fsPath)}` },
  );
  if (kind === undefined) return undefined;
  const picked = await vscode.window.showOpenDialog({
    title: kind.value ? 'Folder of images' : 'Sample data file',
    canSelectFiles: !kind.value,
    canSelectFolders: kind.value,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.dirname(model.fsPath)),
    ...(!kind.value && { filters: DATA_FILE_FILTERS }),
  });
  return picked?.[0] ? { uri: picked[0], isFolder: kind.value } : undefined;
}

const LABEL_ITEM: Record<LabelChoice['kind'], (isFolder: boolean) => { label: string; description: string }> = {
  none: () => ({ label: 'No labels', description: 'GSC to the model output' }),
  file: () => ({ label: 'Labels file…', description: '.npy, .json or one-column .csv, one label per sample' }),
  csvColumn: () => ({ label: 'Label column of the CSV…', description: 'a header name or a 0-based index' }),
  withData: (isFolder) =>
    isFolder
      ? { label: 'Class sub-folder names', description: 'sorted: the first sub-folder is class 0' }
      : { label: 'The "labels" array in the JSON', description: '{"inputs": ..., "labels": ...}' },
};

async function pickLabels(dataPath: string, isFolder: boolean, model: vscode.Uri): Promise<LabelChoice | undefined> {
  const picked = await vscode.window.showQuickPick<Pick<LabelChoice['kind']>>(
    labelOptions(dataPath, isFolder).map((kind) => ({ ...LABEL_ITEM[kind](isFolder), value: kind })),
    { title: TITLE, placeHolder: 'Labels (optional): with labels, GSC can be measured to the per-sample loss (the error layer)' },
  );
  if (picked === undefined) return undefined;
  switch (picked.value) {
    case 'none':
    case 'withData':
      return { kind: picked.value };
    case 'file': {
      const files = await vscode.window.showOpenDialog({
        title: 'Labels file',
        canSelectMany: false,
        filters: LABEL_FILE_FILTERS,
        defaultUri: vscode.Uri.file(path.dirname(isFolder ? dataPath : model.fsPath)),
      });
      return files?.[0] ? { kind: 'file', path: files[0].fsPath } : undefined;
    }
    case 'csvColumn': {
      const column = await vscode.window.showInputBox({
        title: TITLE,
        prompt: 'The CSV column that holds the labels (header name or 0-based index)',
        value: 'label',
      });
      return column ? { kind: 'csvColumn', column } : undefined;
    }
  }
}

async function pickReference(): Promise<'output' | 'error' | undefined> {
  const picked = await vscode.window.showQuickPick<Pick<'output' | 'error'>>(
    [
      {
        label: 'Error layer',
        description: 'GSC to the per-sample loss (cross-entropy for class indices, else squared error), as in the paper',
        value: 'error',
      },
      { label: 'Model output', description: 'GSC to the logits; the labels are not used', value: 'output' },
    ],
    { title: TITLE, placeHolder: 'Reference layer for "GSC to output"' },
  );
  return picked?.value;
}

export async function analyzeWithData(analysis: AnalysisService, log: Log, arg?: unknown): Promise<void> {
  const model = await resolveModel(arg);
  if (!model) return;
  const source = await pickDataSource(model);
  if (!source) return;
  const labels = await pickLabels(source.uri.fsPath, source.isFolder, model);
  if (!labels) return;
  const reference = labels.kind === 'none' ? 'output' : await pickReference();
  if (!reference) return;
  const config = parseDataConfig(vscode.workspace.getConfiguration('gradientLens', model));
  config.problems.forEach((p) => log.warn(p));
  const input = requestInput({ dataPath: source.uri.fsPath, isFolder: source.isFolder, labels, reference }, config);
  await analysis.analyze(model, {}, input);
}
