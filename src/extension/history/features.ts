/**
 * Wiring of the report features of issue #6 in the extension: the analysis cache and history
 * (globalStorage), Export Report…, Compare Reports…, Show History…, Watch Model / Stop Watching,
 * and the trend of GSC per block shown under a report. main.ts creates one of these.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { buildTrend } from '../../report/compareTrend';
import type { ExtensionToWebview } from '../../protocol/webview';
import type { ExportFormat } from '../../report/export';
import { reportIncompatibility, type AnalysisReport } from '../../report/schema';
import type { AnalysisService } from '../analysis/service';
import { COMMANDS, CONTEXT_HAS_REPORT } from '../commands/ids';
import { resolveModel } from '../commands/pickModel';
import { ComparePanel } from '../compare/comparePanel';
import { exportInteractive } from '../export/exportCommand';
import type { Log } from '../output';
import type { ReportStore } from '../reportStore';
import type { ReportPanels } from '../webview/reportPanel';
import { ModelWatchers } from '../watch/modelWatchers';
import { CachedAnalysis } from './cachedAnalysis';
import { cacheKeyOfReport } from './cacheKey';
import { DEFAULT_MAX_ENTRIES, HistoryStore, type HistoryEntry } from './historyStore';
import { entryText, shortTime } from './labels';

export interface ReportFeatureDeps {
  readonly context: vscode.ExtensionContext;
  readonly analysis: AnalysisService;
  readonly panels: ReportPanels;
  readonly store: ReportStore;
  readonly log: Log;
}

/** A report picked for a comparison, with what to call it. */
interface Picked {
  readonly report: AnalysisReport;
  readonly label: string;
  readonly entryId?: string;
}

const OPEN_FILE_ITEM = '$(folder-opened) Open a JSON report file…';
/** Points on the trend chart at most. */
const TREND_POINTS = 30;

export class ReportFeatures implements vscode.Disposable {
  readonly history: HistoryStore;
  readonly cache: CachedAnalysis;
  readonly compare: ComparePanel;
  readonly watchers: ModelWatchers;

  constructor(private readonly deps: ReportFeatureDeps) {
    const maxEntries = (): number => {
      const v = vscode.workspace.getConfiguration('gradientLens').get<number>('history.maxEntries', DEFAULT_MAX_ENTRIES);
      return Number.isInteger(v) && v >= 1 ? v : DEFAULT_MAX_ENTRIES;
    };
    this.history = new HistoryStore(path.join(deps.context.globalStorageUri.fsPath, 'history'), maxEntries);
    this.cache = new CachedAnalysis(deps.analysis, this.history, { show: (r) => this.showReport(r) }, deps.log);
    this.compare = new ComparePanel(deps.context.extensionUri, deps.log, deps.context.workspaceState);
    this.watchers = new ModelWatchers({ isBusy: () => deps.analysis.running, analyze: (m) => this.cache.analyze(m, {}, { quiet: true }) }, deps.log);
  }

  /** Every finished analysis (call before the panel shows it, so its trend includes it). */
  record(report: AnalysisReport): Promise<void> {
    return this.cache.record(report);
  }

  /**
   * Messages the results panel sends after the report: the trend of GSC to the output per
   * block over the analyses of this model with the same settings, when there are two or more.
   */
  async extras(report: AnalysisReport): Promise<ExtensionToWebview[]> {
    const entries = await this.history.entriesFor(report.model.path);
    const own = entries.find((e) => e.contentHash === report.model.contentHash && e.createdAt === report.createdAt);
    const key = own?.cacheKey ?? cacheKeyOfReport(report);
    const same = entries
      .filter((e) => e.cacheKey === key && e.origin === 'analysis')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .slice(-TREND_POINTS);
    if (same.length < 2) return [];
    const reports = (await Promise.all(same.map((e) => this.history.load(e.id)))).filter((r): r is AnalysisReport => r !== undefined);
    const trend = reports.length >= 2 ? buildTrend(reports, TREND_POINTS) : undefined;
    return trend ? [{ type: 'trend', trend }] : [];
  }

  exportReport(report: AnalysisReport, format: ExportFormat | undefined): Promise<unknown> {
    return exportInteractive(report, format, this.deps.log);
  }

  commands(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand(COMMANDS.exportReport, async () => {
        const report = this.deps.panels.activeReport() ?? (await this.pickStoredReport());
        if (!report) {
          void vscode.window.showInformationMessage('Gradient Lens: no report to export yet. Analyse a model first.');
          return;
        }
        await this.exportReport(report, undefined);
      }),
      vscode.commands.registerCommand(COMMANDS.showHistory, async () => {
        const picked = await this.pickFromHistory('Reopen an analysis (no recomputation)', false);
        if (!picked) return;
        this.deps.log.info(`reopened ${picked.report.model.fileName} (analysed ${picked.report.createdAt}) from the history; no recomputation`);
        await this.showReport(picked.report);
      }),
      vscode.commands.registerCommand(COMMANDS.compareReports, async () => {
        const a = await this.pickFromHistory('Compare Reports (1/2): the first report, a (e.g. the earlier checkpoint)', true);
        if (!a) return;
        const b = await this.pickFromHistory(`Compare Reports (2/2): the report to compare with ${a.label}, b`, true, a.entryId);
        if (!b) return;
        this.compare.show(a.report, b.report, { a: a.label, b: b.label });
      }),
      vscode.commands.registerCommand(COMMANDS.watchModel, async (arg?: unknown) => {
        const model = await resolveModel(arg);
        if (model) await this.watchers.watch(model);
      }),
      vscode.commands.registerCommand(COMMANDS.stopWatching, async (arg?: unknown) => {
        const watched = this.watchers.list();
        let model = arg instanceof vscode.Uri ? arg : watched.length === 1 ? watched[0] : undefined;
        if (!model && watched.length > 1) {
          const picked = await vscode.window.showQuickPick(watched.map((uri) => ({ label: path.basename(uri.fsPath), description: uri.fsPath, uri })), { title: 'Gradient Lens: Stop Watching' });
          model = picked?.uri;
        }
        if (!model) {
          if (watched.length === 0) void vscode.window.showInformationMessage('Gradient Lens is not watching any model.');
          return;
        }
        await this.watchers.stop(model);
        vscode.window.setStatusBarMessage(`Gradient Lens: stopped watching ${path.basename(model.fsPath)}`, 5000);
      }),
    ];
  }

  dispose(): void {
    this.watchers.dispose();
    this.compare.dispose();
  }

  private async showReport(report: AnalysisReport): Promise<void> {
    await this.deps.store.put(report);
    await vscode.commands.executeCommand('setContext', CONTEXT_HAS_REPORT, true);
    this.deps.panels.show(report);
  }

  /** The latest report of each model this workspace has shown: the only one, or a quick pick. */
  private async pickStoredReport(): Promise<AnalysisReport | undefined> {
    const stored = this.deps.store.all();
    if (stored.length <= 1) return stored[0]?.report ?? (await this.pickFromHistory('Export which report?'))?.report;
    const picked = await vscode.window.showQuickPick(
      stored.map((e) => ({ label: e.report.model.fileName, description: `${shortTime(e.report.createdAt)} · seed ${e.report.settings.seed}`, detail: e.modelPath, report: e.report })),
      { title: 'Gradient Lens: Export Report', placeHolder: 'Export the report of which model?' },
    );
    return picked?.report;
  }

  /** A quick pick of the history (newest first), optionally with "Open a JSON report file…". */
  private async pickFromHistory(title: string, allowFile = true, excludeId?: string): Promise<Picked | undefined> {
    const entries = (await this.history.list()).filter((e) => e.id !== excludeId);
    type Item = vscode.QuickPickItem & { entry?: HistoryEntry };
    const items: Item[] = entries.map((entry) => ({ ...entryText(entry), entry }));
    if (allowFile) items.push({ label: OPEN_FILE_ITEM, detail: 'A report saved with Export Report… (JSON) or the CLI (gradient-lens analyze --json)' });
    if (items.length === 0) {
      void vscode.window.showInformationMessage('Gradient Lens: the history is empty. Analyse a model first.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(items, { title: `Gradient Lens: ${title}`, placeHolder: 'Recent analyses, newest first', matchOnDescription: true, matchOnDetail: true });
    if (!picked) return undefined;
    if (!picked.entry) return this.pickFile();
    const report = await this.history.load(picked.entry.id);
    if (!report) {
      await this.history.remove(picked.entry.id);
      void vscode.window.showErrorMessage(`Gradient Lens: the stored report of ${picked.entry.fileName} can no longer be read; it was removed from the history.`);
      return undefined;
    }
    return { report, label: `${picked.entry.fileName} @ ${shortTime(picked.entry.createdAt)}`, entryId: picked.entry.id };
  }

  private async pickFile(): Promise<Picked | undefined> {
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Gradient Lens report': ['json'] }, title: 'Open a Gradient Lens JSON report' });
    const file = files?.[0];
    if (!file) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8'));
    } catch (e) {
      void vscode.window.showErrorMessage(`Gradient Lens: ${path.basename(file.fsPath)} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
    const problem = reportIncompatibility(value);
    if (problem) {
      void vscode.window.showErrorMessage(`Gradient Lens: ${path.basename(file.fsPath)}: ${problem}`);
      return undefined;
    }
    return { report: value as AnalysisReport, label: path.basename(file.fsPath) };
  }
}
