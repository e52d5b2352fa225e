/** "Watch Model" / "Stop Watching": re-analyse a model (through the cache) whenever its file changes. */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { AnalysisService } from '../analysis/service';
import type { CommandHandlers } from '../commands/table';
import { resolveModel } from '../commands/pickModel';
import type { CachedAnalysis } from '../history/cachedAnalysis';
import type { Log } from '../output';
import { ModelWatchers } from './modelWatchers';
import { statusText } from '../statusText';

export class WatchFeature implements vscode.Disposable {
  private readonly watchers: ModelWatchers;

  constructor(analysis: AnalysisService, cache: CachedAnalysis, log: Log) {
    this.watchers = new ModelWatchers({ isBusy: () => analysis.running, analyze: (m) => cache.analyze(m, {}, { quiet: true }) }, log);
  }

  commands(): CommandHandlers<'watchModel' | 'stopWatching'> {
    return {
      watchModel: async (arg?: unknown) => {
        const model = await resolveModel(arg);
        if (model) await this.watchers.watch(model);
      },
      stopWatching: async (arg?: unknown) => {
        const watched = this.watchers.list();
        let model = arg instanceof vscode.Uri ? arg : watched.length === 1 ? watched[0] : undefined;
        if (!model && watched.length > 1) {
          const picked = await vscode.window.showQuickPick(
            watched.map((uri) => ({ label: path.basename(uri.fsPath), description: uri.fsPath, uri })),
            { title: 'Gradient Lens: Stop Watching' },
          );
          model = picked?.uri;
        }
        if (!model) {
          if (watched.length === 0) void vscode.window.showInformationMessage('Gradient Lens is not watching any model.');
          return;
        }
        await this.watchers.stop(model);
        vscode.window.setStatusBarMessage(statusText('stopped watching ', path.basename(model.fsPath)), 5000);
      },
    };
  }

  dispose(): void {
    this.watchers.dispose();
  }
}
