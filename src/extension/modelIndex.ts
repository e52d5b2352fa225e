/**
 * The workspace's models, found by a bounded scan: .onnx files by name, TensorFlow.js models by
 * content (see models.ts). The TensorFlow.js paths go into a context key, so the Explorer and
 * editor menus (whose `when` clauses see only names) offer Analyze on emotion.json as on
 * model.json. JSON files changing re-sniff just that file; the key is set again when it changed.
 */
import * as vscode from 'vscode';
import { isJsonPath, MAX_JSON_FILES_SCANNED, MODEL_EXCLUDE_GLOB, modelFormatOf, type ModelFormat } from './models';
import type { Log } from './output';
import { CONTEXT_TFJS_MODEL_PATHS } from './commands/ids';

export interface FoundModel {
  readonly uri: vscode.Uri;
  readonly format: ModelFormat;
}

/** Every model in the workspace (ONNX and TensorFlow.js by content), sorted by path. */
export async function findWorkspaceModels(): Promise<FoundModel[]> {
  const [onnx, json] = await Promise.all([
    vscode.workspace.findFiles('**/*.onnx', MODEL_EXCLUDE_GLOB, 500),
    vscode.workspace.findFiles('**/*.json', MODEL_EXCLUDE_GLOB, MAX_JSON_FILES_SCANNED),
  ]);
  const found: FoundModel[] = onnx.filter((u) => u.scheme === 'file').map((uri) => ({ uri, format: 'ONNX' as const }));
  for (const uri of json) {
    if (uri.scheme === 'file' && (await modelFormatOf(uri.fsPath)) === 'TensorFlow.js') found.push({ uri, format: 'TensorFlow.js' });
  }
  return found.sort((a, b) => a.uri.fsPath.localeCompare(b.uri.fsPath));
}

/** Keeps CONTEXT_TFJS_MODEL_PATHS equal to the TensorFlow.js models of the workspace and open editors. */
export class TfjsModelContext implements vscode.Disposable {
  private readonly paths = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private published = '';

  constructor(private readonly log: Log) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.json');
    this.disposables.push(
      watcher,
      watcher.onDidCreate((u) => void this.check(u)),
      watcher.onDidChange((u) => void this.check(u)),
      watcher.onDidDelete((u) => this.forget(u)),
      // A model.json opened from outside the workspace gets its title-bar button too.
      vscode.window.onDidChangeActiveTextEditor((e) => e && void this.check(e.document.uri)),
    );
  }

  /** The first scan; activation does not wait for it. */
  async start(): Promise<void> {
    const started = Date.now();
    const models = await findWorkspaceModels();
    for (const m of models) if (m.format === 'TensorFlow.js') this.paths.add(m.uri.fsPath);
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active) await this.check(active);
    await this.publish();
    this.log.info(`found ${models.length} models in the workspace (${this.paths.size} TensorFlow.js by content) in ${Date.now() - started} ms`);
  }

  has(uri: vscode.Uri): boolean {
    return this.paths.has(uri.fsPath);
  }

  private async check(uri: vscode.Uri): Promise<void> {
    if (uri.scheme !== 'file' || !isJsonPath(uri.fsPath)) return;
    if ((await modelFormatOf(uri.fsPath)) === 'TensorFlow.js') this.paths.add(uri.fsPath);
    else this.paths.delete(uri.fsPath);
    await this.publish();
  }

  private forget(uri: vscode.Uri): void {
    if (this.paths.delete(uri.fsPath)) void this.publish();
  }

  private async publish(): Promise<void> {
    const list = [...this.paths].sort();
    const key = list.join('\n');
    if (key === this.published) return;
    this.published = key;
    await vscode.commands.executeCommand('setContext', CONTEXT_TFJS_MODEL_PATHS, list);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
