/**
 * The Compare Reports panel: the same page bundle as the results panel (dist/webview.js,
 * same CSP), given a {type:'comparison'} message instead of a report. One panel, reused. The
 * last comparison is kept in workspace state, so the panel comes back after a window reload.
 */
import * as vscode from 'vscode';
import { blockMatrixRatio } from '../../report/compareTrend';
import { parseWebviewMessage, type ExtensionToWebview } from '../../protocol/webview';
import { compareReports } from '../../report/compare';
import type { AnalysisReport } from '../../report/schema';
import type { Log } from '../output';
import { loadWebviewPage } from '../webview/pageHtml';

export const COMPARE_VIEW_TYPE = 'gradientLens.compare';
const STATE_KEY = 'gradientLens.lastComparison';

type ComparisonMessage = Extract<ExtensionToWebview, { type: 'comparison' }>;

function isComparisonMessage(value: unknown): value is ComparisonMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; comparison?: { blocks?: unknown } };
  return m.type === 'comparison' && typeof m.comparison === 'object' && m.comparison !== null && Array.isArray(m.comparison.blocks);
}

export class ComparePanel implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private panel: vscode.WebviewPanel | undefined;
  private message: ComparisonMessage | undefined;
  private readonly registration: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Log,
    private readonly memento: vscode.Memento,
  ) {
    this.registration = vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, this);
  }

  show(a: AnalysisReport, b: AnalysisReport, labels: { readonly a: string; readonly b: string }): void {
    const comparison = compareReports(a, b, labels);
    this.message = { type: 'comparison', comparison, matrixRatio: blockMatrixRatio(a, b) };
    void Promise.resolve(this.memento.update(STATE_KEY, this.message)).catch((e: unknown) =>
      this.log.warn(`could not keep the comparison for a reload: ${String(e)}`),
    );
    const s = comparison.summary;
    this.log.info(
      `comparing ${labels.a} with ${labels.b}: ${s.better} better, ${s.worse} worse, ${s.unchanged} unchanged of ${s.compared} blocks (matched by ${comparison.matchedBy})`,
    );
    const title = panelTitle(this.message);
    if (this.panel) {
      this.panel.title = title;
      void this.panel.webview.postMessage(this.message);
      this.panel.reveal(undefined, true);
      return;
    }
    // In the active group, full width: the comparison table has many columns.
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, this.options());
    this.attach(panel);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    const saved = this.memento.get<unknown>(STATE_KEY);
    if (!isComparisonMessage(saved) || this.panel) {
      panel.dispose();
      return;
    }
    this.message = saved;
    panel.webview.options = this.options();
    panel.title = panelTitle(saved);
    this.attach(panel);
    this.log.info('restored the Compare Reports panel');
  }

  dispose(): void {
    this.registration.dispose();
    this.panel?.dispose();
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
      enableFindWidget: true,
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    const webview = panel.webview;
    loadWebviewPage(webview, this.extensionUri);
    const subscription = webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseWebviewMessage(raw);
      // The page asks for its content on every load; nothing else it sends applies here.
      if (message?.type === 'ready' && this.message) void webview.postMessage(this.message);
    });
    panel.onDidDispose(() => {
      subscription.dispose();
      if (this.panel === panel) this.panel = undefined;
    });
  }
}

function panelTitle(m: ComparisonMessage): string {
  return `Compare: ${m.comparison.a.modelFileName} ↔ ${m.comparison.b.modelFileName}`;
}
