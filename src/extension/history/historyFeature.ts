/**
 * The analysis history (global storage): every finished analysis is recorded, "Show History…"
 * reopens one without recomputing, and a report's panel gets the trend of GSC per block over
 * the earlier analyses of the same model and settings. It also owns the cache in front of the
 * analysis service (an unchanged model's report is reopened from the history).
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { buildTrend } from '../../report/compareTrend';
import type { ExtensionToWebview } from '../../protocol/webview';
import type { AnalysisReport } from '../../report/schema';
import type { AnalysisService } from '../analysis/service';
import type { CommandHandlers } from '../commands/table';
import type { Log } from '../output';
import type { ReportPresenter } from '../reportPresenter';
import { CachedAnalysis } from './cachedAnalysis';
import { cacheKeyOfReport } from './cacheKey';
import { HistoryPicker } from './historyPicker';
import { DEFAULT_MAX_ENTRIES, HistoryStore } from './historyStore';

/** Points on the trend chart at most. */
const TREND_POINTS = 30;

export class HistoryFeature {
  readonly store: HistoryStore;
  readonly picker: HistoryPicker;

  constructor(globalStorage: vscode.Uri) {
    const maxEntries = (): number => {
      const v = vscode.workspace.getConfiguration('gradientLens').get<number>('history.maxEntries', DEFAULT_MAX_ENTRIES);
      return Number.isInteger(v) && v >= 1 ? v : DEFAULT_MAX_ENTRIES;
    };
    this.store = new HistoryStore(path.join(globalStorage.fsPath, 'history'), maxEntries);
    this.picker = new HistoryPicker(this.store);
  }

  /**
   * The cache in front of `analysis`; it records every finished analysis, so it must be
   * created before the panel subscribes to them (the trend then includes the new analysis).
   */
  cachedAnalysis(analysis: AnalysisService, presenter: ReportPresenter, log: Log): CachedAnalysis {
    const cache = new CachedAnalysis(analysis, this.store, presenter, log);
    analysis.onDidFinishAnalysis((finished) => finished.waitUntil(() => cache.record(finished.report)));
    return cache;
  }

  /**
   * Messages the results panel sends after the report: the trend of GSC to the output per
   * block over the analyses of this model with the same settings, when there are two or more.
   */
  async trendMessages(report: AnalysisReport): Promise<ExtensionToWebview[]> {
    const entries = await this.store.entriesFor(report.model.path);
    const own = entries.find((e) => e.contentHash === report.model.contentHash && e.createdAt === report.createdAt);
    const key = own?.cacheKey ?? cacheKeyOfReport(report);
    const same = entries
      .filter((e) => e.cacheKey === key && e.origin === 'analysis')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .slice(-TREND_POINTS);
    if (same.length < 2) return [];
    const reports = (await Promise.all(same.map((e) => this.store.load(e.id)))).filter((r): r is AnalysisReport => r !== undefined);
    const trend = reports.length >= 2 ? buildTrend(reports, TREND_POINTS) : undefined;
    return trend ? [{ type: 'trend', trend }] : [];
  }

  commands(presenter: ReportPresenter, log: Log): CommandHandlers<'showHistory'> {
    return {
      showHistory: async () => {
        const picked = await this.picker.pick('Reopen an analysis (no recomputation)', false);
        if (!picked) return;
        log.info(`reopened ${picked.report.model.fileName} (analysed ${picked.report.createdAt}) from the history; no recomputation`);
        await presenter.show(picked.report);
      },
    };
  }
}
