/**
 * Analyze with a cache: when the model's content hash and the effective settings match an
 * analysis in the history, its report is reopened at once and the worker is never asked;
 * the notification says so and offers "Re-run". Every finished analysis goes into the history.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { modelContentHash } from '../../loaders/contentHash';
import type { AnalysisReport } from '../../report/schema';
import type { AnalysisService } from '../analysis/service';
import type { UserSettings } from '../config';
import type { Log } from '../output';
import { cacheKey, cacheKeyOfReport } from './cacheKey';
import type { HistoryStore } from './historyStore';
import { cacheHitText } from './labels';

export const RERUN_ACTION = 'Re-run';

export interface CacheHost {
  /** Shows a report (store + panel), as a finished analysis would. */
  show(report: AnalysisReport): Promise<void>;
}

export interface AnalyzeOptions {
  /** Skip the cache (the "Re-run" button). */
  readonly force?: boolean;
  /** A cache hit is announced in the status bar only (watch mode: no notification per save). */
  readonly quiet?: boolean;
}

export class CachedAnalysis {
  /** Keys of the requests now running, by model path: the report is stored under its request's key. */
  private readonly pending = new Map<string, string>();

  constructor(
    private readonly service: AnalysisService,
    private readonly history: HistoryStore,
    private readonly host: CacheHost,
    private readonly log: Log,
  ) {}

  /** Analyses the model, or reopens the cached report for unchanged content and settings. */
  async analyze(model: vscode.Uri, overrides: Partial<UserSettings> = {}, options: AnalyzeOptions = {}): Promise<'cached' | 'ran'> {
    const { settings: configured, thresholds } = this.service.config(model);
    const settings: UserSettings = { ...configured, ...overrides };
    const key = cacheKey(settings, thresholds, this.service.cutOf(model));
    const enabled = vscode.workspace.getConfiguration('gradientLens', model).get<boolean>('cache.enabled', true) !== false;
    if (enabled && !options.force && (await this.serveCached(model, key, overrides, options))) return 'cached';
    this.pending.set(model.fsPath, key);
    try {
      await this.service.analyze(model, overrides);
    } finally {
      if (this.pending.get(model.fsPath) === key) this.pending.delete(model.fsPath);
    }
    return 'ran';
  }

  /** Called with every finished analysis: stores it in the history under its request's key. */
  async record(report: AnalysisReport): Promise<void> {
    const key = this.pending.get(report.model.path) ?? cacheKeyOfReport(report);
    try {
      await this.history.add(report, key);
    } catch (e) {
      this.log.warn(`could not store the report in the history: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async serveCached(model: vscode.Uri, key: string, overrides: Partial<UserSettings>, options: AnalyzeOptions): Promise<boolean> {
    const started = Date.now();
    let hash: string;
    try {
      hash = await modelContentHash(model.fsPath);
    } catch (e) {
      // Unreadable here: let the analysis report the problem properly.
      this.log.trace(`no cache lookup for ${model.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    const entry = await this.history.findCached(hash, key, model.fsPath);
    const cached = entry && (await this.history.load(entry.id));
    if (!entry || !cached) return false;
    const fileName = path.basename(model.fsPath);
    // Same content under another path: the numbers hold, the report names this file.
    const report: AnalysisReport = cached.model.path === model.fsPath ? cached : { ...cached, model: { ...cached.model, path: model.fsPath, fileName } };
    this.log.info(
      `served ${fileName} from the cache (sha256 ${hash.slice(0, 12)}, same settings, analyzed ${cached.createdAt}` +
        `${cached.model.path === model.fsPath ? '' : ` as ${cached.model.path}`}); no recomputation; hash and lookup took ${Date.now() - started} ms`,
    );
    // This path now has an analysis of its content too (its History entry and trend start here).
    if (report !== cached) await this.history.add(report, key).catch((e: unknown) => this.log.warn(`could not store the report in the history: ${String(e)}`));
    await this.host.show(report);
    const other = cached.model.path === model.fsPath ? undefined : vscode.workspace.asRelativePath(cached.model.path, false);
    const text = cacheHitText(fileName, cached.createdAt, other);
    const message = text.long;
    if (options.quiet) {
      // The status bar holds a short text; the whole sentence is in the Output channel.
      this.log.info(text.long);
      vscode.window.setStatusBarMessage(text.short, 8000);
      return true;
    }
    void vscode.window.showInformationMessage(message, RERUN_ACTION).then((choice) => {
      if (choice === RERUN_ACTION) void this.analyze(model, overrides, { force: true });
    });
    return true;
  }
}
