/**
 * The results webview: one panel per model, opened beside the active editor. Every message
 * from the page is validated with parseWebviewMessage; the report goes to the page only by
 * postMessage (never into the HTML), so names from model files are never parsed as markup.
 * Panels come back after a window reload through the serializer and the ReportStore.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { parseWebviewMessage, type ExtensionToWebview, type WebviewToExtension } from '../../protocol/webview';
import { reportIncompatibility, type AnalysisReport, type PartialReport } from '../../report/schema';
import type { Log } from '../output';
import type { ReportStore } from '../reportStore';
import { reportPanelTitle } from '../displayPath';
import { loadWebviewPage } from './pageHtml';
import { findLayerEntry, findNameOccurrence } from './reveal';
import { statusText } from '../statusText';

export const REPORT_VIEW_TYPE = 'gradientLens.report';

export interface PanelActions {
  /** "Re-run with settings…" from the page. */
  rerun(modelUri: vscode.Uri): void;
  /** Messages sent after the report (e.g. its trend across analyses). */
  extras?(report: AnalysisReport): Promise<readonly ExtensionToWebview[]>;
  /** The page's Export buttons (all formats). */
  exportReport?(report: AnalysisReport, format: 'md' | 'html' | 'json' | 'csv'): Promise<unknown>;
  /** A report was shown (new analysis, Show Report, restored panel): e.g. annotate its code. */
  shown?(report: AnalysisReport): void;
  /** Reveals a block's source line; false lets the panel fall back to the model file. */
  revealSource?(report: AnalysisReport, blockIndex: number, viewColumn: vscode.ViewColumn): Promise<boolean>;
}

/** What the webview may have stored with vscode.setState (untrusted: checked before use). */
function modelPathFromState(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as { modelPath?: unknown; report?: { model?: { path?: unknown } } };
  if (typeof s.modelPath === 'string') return s.modelPath;
  const p = s.report?.model?.path;
  return typeof p === 'string' ? p : undefined;
}

/**
 * One model's panel: its last finished report (none while its first analysis runs), and the
 * partial report of a running analysis, which the page shows until the report replaces it.
 */
interface PanelEntry {
  readonly panel: vscode.WebviewPanel;
  report: AnalysisReport | undefined;
  partial: PartialReport | undefined;
}

export class ReportPanels implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private readonly panels = new Map<string, PanelEntry>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Block to select once the page (re)loads, per model ("Open in report" from the editor). */
  private readonly pendingSelection = new Map<string, number>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ReportStore,
    private readonly log: Log,
    private readonly actions: PanelActions,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, this),
      vscode.window.onDidChangeActiveColorTheme(() => this.broadcast({ type: 'theme', kind: themeKind() })),
    );
  }

  /** Opens (or updates and reveals) the panel for the report's model. */
  show(report: AnalysisReport): void {
    const key = report.model.path;
    this.actions.shown?.(report);
    const existing = this.panels.get(key);
    if (existing) {
      existing.report = report;
      existing.partial = undefined;
      existing.panel.title = panelTitle(report.model.path);
      void this.post(existing.panel, { type: 'report', report }).then(() =>
        this.postExtras(existing.panel, report).catch((e: unknown) => this.log.warn(`could not send the trend: ${String(e)}`)),
      );
      existing.panel.reveal(undefined, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW_TYPE,
      panelTitle(report.model.path),
      { viewColumn: this.reportColumn(), preserveFocus: true },
      this.webviewOptions(),
    );
    this.attach(panel, key, report);
  }

  /**
   * Shows the first chart of a running analysis: in the model's panel (opened if there is
   * none), until show() brings the report or abandonPartial() the previous state back.
   */
  showPartial(partial: PartialReport): void {
    const key = partial.model.path;
    const existing = this.panels.get(key);
    if (existing) {
      existing.partial = partial;
      void this.post(existing.panel, { type: 'partial', partial });
      existing.panel.reveal(undefined, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW_TYPE,
      panelTitle(key),
      { viewColumn: this.reportColumn(), preserveFocus: true },
      this.webviewOptions(),
    );
    this.attach(panel, key, undefined, partial);
  }

  /** The analysis behind a partial report failed or was cancelled: its panel shows its last report again, or closes. */
  abandonPartial(modelPath: string): void {
    const entry = this.panels.get(modelPath);
    if (entry?.partial === undefined) return;
    entry.partial = undefined;
    if (entry.report) void this.post(entry.panel, { type: 'report', report: entry.report });
    else entry.panel.dispose();
  }

  /** Where a new report opens: the column of the reports already open (a tab beside them), else beside the editor. */
  private reportColumn(): vscode.ViewColumn {
    for (const { panel } of this.panels.values()) if (panel.viewColumn !== undefined) return panel.viewColumn;
    return vscode.ViewColumn.Beside;
  }

  /** Selects the block in the model's panel now, and again when its page next loads. */
  selectBlock(modelPath: string, index: number): void {
    this.pendingSelection.set(modelPath, index);
    const entry = this.panels.get(modelPath);
    if (entry) void this.post(entry.panel, { type: 'selectBlock', index });
  }

  /** The report of the results panel that has the focus, if one has. */
  activeReport(): AnalysisReport | undefined {
    for (const { panel, report } of this.panels.values()) if (panel.active && report) return report;
    return undefined;
  }

  /** Whether a results panel is open for this model. */
  has(modelPath: string): boolean {
    return this.panels.has(modelPath);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const fromState = modelPathFromState(state);
    let report = fromState !== undefined ? this.store.get(fromState) : undefined;
    if (!report) {
      // The page may have saved the whole report; it is checked like any other JSON.
      const saved = (state as { report?: unknown } | undefined)?.report;
      if (saved !== undefined && reportIncompatibility(saved) === undefined) report = saved as AnalysisReport;
    }
    report ??= this.store.all().find((e) => !this.panels.has(e.modelPath))?.report;
    if (!report) {
      this.log.warn('a results panel could not be restored: no stored report');
      panel.dispose();
      return;
    }
    this.log.info(`restored the results panel for ${report.model.path}`);
    panel.webview.options = this.webviewOptions();
    this.actions.shown?.(report);
    this.attach(panel, report.model.path, report);
  }

  dispose(): void {
    for (const { panel } of this.panels.values()) panel.dispose();
    this.disposables.forEach((d) => d.dispose());
  }

  private webviewOptions(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      // Only the built webview bundle and its stylesheet can be loaded.
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
      enableFindWidget: true,
    };
  }

  private attach(panel: vscode.WebviewPanel, key: string, report: AnalysisReport | undefined, partial?: PartialReport): void {
    const entry: PanelEntry = { panel, report, partial };
    this.panels.set(key, entry);
    const webview = panel.webview;
    loadWebviewPage(webview, this.extensionUri);
    const subscription = webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseWebviewMessage(raw);
      if (!message) {
        this.log.warn(`ignored a malformed message from the results webview: ${safePreview(raw)}`);
        return;
      }
      void this.onMessage(panel, entry, message).catch((e: unknown) =>
        this.log.error(`handling '${message.type}' from the webview failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    });
    panel.onDidDispose(() => {
      subscription.dispose();
      if (this.panels.get(key)?.panel === panel) this.panels.delete(key);
    });
  }

  private async onMessage(panel: vscode.WebviewPanel, entry: PanelEntry, message: WebviewToExtension): Promise<void> {
    if (message.type === 'ready' && entry.partial) {
      // A running analysis: its first chart (the report follows with show()).
      await this.post(panel, { type: 'theme', kind: themeKind() });
      await this.post(panel, { type: 'partial', partial: entry.partial });
      return;
    }
    const report = entry.report;
    // The buttons of a page with only a partial report do nothing until the report is in.
    if (!report) return;
    switch (message.type) {
      case 'ready':
        // Sent on every load of the page (also when a hidden panel is shown again).
        await this.post(panel, { type: 'theme', kind: themeKind() });
        await this.post(panel, { type: 'report', report });
        await this.postExtras(panel, report);
        if (this.pendingSelection.has(report.model.path)) {
          await this.post(panel, { type: 'selectBlock', index: this.pendingSelection.get(report.model.path) ?? 1 });
          this.pendingSelection.delete(report.model.path);
        }
        return;
      case 'revealBlock':
        this.pendingSelection.delete(report.model.path); // the user chose another block since
        await this.revealBlock(panel, report, message.index);
        return;
      case 'rerun':
        this.actions.rerun(vscode.Uri.file(report.model.path));
        return;
      case 'export':
        await this.exportReport(report, message.format);
        return;
    }
  }

  private async revealBlock(panel: vscode.WebviewPanel, report: AnalysisReport, index: number): Promise<void> {
    const block = report.blocks.find((b) => b.index === index);
    if (!block) return;
    const uri = vscode.Uri.file(report.model.path);
    // Never cover the results panel: use the first group, or the one beside the panel.
    const viewColumn = panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    vscode.window.setStatusBarMessage(statusText(`block ${block.index} `, block.name), 5000);
    // The mapped source line; for a binary model without one, an explanation (not the binary).
    if (await this.actions.revealSource?.(report, index, viewColumn)) return;
    let doc: vscode.TextDocument;
    try {
      doc = await vscode.workspace.openTextDocument(uri);
    } catch {
      // A binary model VS Code will not show as text: open it the default way.
      await vscode.commands.executeCommand('vscode.open', uri, { viewColumn, preserveFocus: true });
      return;
    }
    // Until source mapping lands: model.json -> the layer's "name" entry; other formats -> the
    // first place the node's name occurs in the file (ONNX stores names as plain strings).
    const isJson = path.basename(report.model.path).toLowerCase().endsWith('.json');
    const found = isJson ? findLayerEntry(doc.getText(), block) : findNameOccurrence(doc.getText(), block);
    const selection = found && new vscode.Range(found.line, found.character, found.line, found.character + found.length);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn, preserveFocus: true, selection });
    if (selection) editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private async exportReport(report: AnalysisReport, format: 'md' | 'html' | 'json' | 'csv'): Promise<void> {
    if (this.actions.exportReport) {
      await this.actions.exportReport(report, format);
      return;
    }
    if (format !== 'json') {
      void vscode.window.showInformationMessage(`Gradient Lens: export as ${format.toUpperCase()} is not available yet; JSON is.`);
      return;
    }
    const base = report.model.path.replace(/\.(onnx|json)$/i, '');
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(`${base}.gradient-lens.json`),
      filters: { 'Gradient Lens report': ['json'] },
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(report, null, 2), 'utf8'));
    this.log.info(`report written to ${target.fsPath}`);
  }

  private async postExtras(panel: vscode.WebviewPanel, report: AnalysisReport): Promise<void> {
    const extras = this.actions.extras ? await this.actions.extras(report) : [];
    for (const message of extras) await this.post(panel, message);
  }

  private post(panel: vscode.WebviewPanel, message: ExtensionToWebview): Thenable<boolean> {
    return panel.webview.postMessage(message);
  }

  private broadcast(message: ExtensionToWebview): void {
    for (const { panel } of this.panels.values()) void this.post(panel, message);
  }
}

function panelTitle(modelPath: string): string {
  return reportPanelTitle(vscode.workspace.asRelativePath(modelPath, false));
}

function themeKind(): 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' {
  switch (vscode.window.activeColorTheme.kind) {
    case vscode.ColorThemeKind.Dark:
      return 'dark';
    case vscode.ColorThemeKind.HighContrast:
      return 'high-contrast';
    case vscode.ColorThemeKind.HighContrastLight:
      return 'high-contrast-light';
    default:
      return 'light';
  }
}

function safePreview(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 200);
  } catch {
    return typeof value;
  }
}
