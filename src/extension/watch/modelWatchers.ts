/**
 * "Watch Model": re-analyse a model whenever its file changes and settles (a training script
 * saving checkpoints). One FileSystemWatcher per watched model; the settle logic (SettleTimer)
 * waits until the file stopped changing and until no analysis is running. Each run goes
 * through the cache, so a checkpoint identical to an analysed one is shown without a run.
 */
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Log } from '../output';
import { SettleTimer } from './settle';
import { shortName } from '../statusText';

export const CONTEXT_WATCHING = 'gradientLens.watching';
/** How long the file must stay unchanged (twice) before it is analysed. */
const QUIET_MS = 1000;

export interface WatchHost {
  readonly isBusy: () => boolean;
  /** Analyse the model (through the cache, without a notification on a cache hit). */
  readonly analyze: (model: vscode.Uri) => Promise<unknown>;
}

interface Watched {
  readonly uri: vscode.Uri;
  readonly watcher: vscode.FileSystemWatcher;
  readonly settle: SettleTimer;
  readonly subscriptions: vscode.Disposable[];
  runs: number;
}

export class ModelWatchers implements vscode.Disposable {
  private readonly watched = new Map<string, Watched>();
  private readonly status = vscode.window.createStatusBarItem('gradientLens.watch', vscode.StatusBarAlignment.Left, 0);

  constructor(
    private readonly host: WatchHost,
    private readonly log: Log,
  ) {
    this.status.name = 'Gradient Lens: Watch';
  }

  list(): vscode.Uri[] {
    return [...this.watched.values()].map((w) => w.uri);
  }

  isWatching(model: vscode.Uri): boolean {
    return this.watched.has(model.fsPath);
  }

  /** Starts watching and analyses the current state once (a cached report if unchanged). */
  async watch(model: vscode.Uri): Promise<void> {
    if (this.watched.has(model.fsPath)) {
      void vscode.window.showInformationMessage(`Gradient Lens is already watching ${path.basename(model.fsPath)}.`);
      return;
    }
    const dir = path.dirname(model.fsPath);
    const base = path.basename(model.fsPath);
    // A TensorFlow.js model also changes when only its weight shards are rewritten.
    const glob = base.toLowerCase().endsWith('.json') ? `{${base},*.bin}` : base;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), glob));
    const entry: Watched = {
      uri: model,
      watcher,
      runs: 0,
      subscriptions: [],
      settle: new SettleTimer({
        quietMs: QUIET_MS,
        stat: async () => {
          try {
            const s = await fs.stat(model.fsPath);
            return { size: s.size, mtimeMs: s.mtimeMs };
          } catch {
            return undefined;
          }
        },
        isBusy: this.host.isBusy,
        onSettled: () => this.run(entry, 'changed'),
      }),
    };
    const onEvent = (uri: vscode.Uri): void => {
      this.log.trace(`watch: ${uri.fsPath} changed`);
      entry.settle.poke();
    };
    entry.subscriptions.push(watcher.onDidChange(onEvent), watcher.onDidCreate(onEvent));
    this.watched.set(model.fsPath, entry);
    this.log.info(`watching ${model.fsPath} (re-analysed when it changes and has settled for ${QUIET_MS} ms)`);
    await this.updateStatus();
    await this.run(entry, 'watch started');
  }

  async stop(model: vscode.Uri): Promise<void> {
    const entry = this.watched.get(model.fsPath);
    if (!entry) return;
    this.watched.delete(model.fsPath);
    entry.settle.dispose();
    entry.subscriptions.forEach((d) => d.dispose());
    entry.watcher.dispose();
    this.log.info(`stopped watching ${model.fsPath} after ${entry.runs} analyses`);
    await this.updateStatus();
  }

  dispose(): void {
    for (const e of this.watched.values()) {
      e.settle.dispose();
      e.subscriptions.forEach((d) => d.dispose());
      e.watcher.dispose();
    }
    this.watched.clear();
    this.status.dispose();
  }

  private async run(entry: Watched, why: string): Promise<void> {
    if (this.watched.get(entry.uri.fsPath) !== entry) return;
    entry.runs++;
    this.log.info(`watch: analysing ${path.basename(entry.uri.fsPath)} (${why}, run ${entry.runs})`);
    try {
      await this.host.analyze(entry.uri);
    } catch (e) {
      this.log.error(`watch: analysis of ${entry.uri.fsPath} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async updateStatus(): Promise<void> {
    const n = this.watched.size;
    await vscode.commands.executeCommand('setContext', CONTEXT_WATCHING, n > 0);
    if (n === 0) {
      this.status.hide();
      return;
    }
    const names = this.list().map((u) => path.basename(u.fsPath));
    // Short in the bar; every name is in the tooltip.
    this.status.text = `$(eye) Watching ${n === 1 ? shortName(names[0], 24) : `${n} models`}`;
    this.status.tooltip = `Gradient Lens re-analyzes ${names.join(', ')} when the file changes. Click to stop watching.`;
    this.status.command = 'gradientLens.stopWatching';
    this.status.show();
  }
}
