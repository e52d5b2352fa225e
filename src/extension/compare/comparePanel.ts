/**
 * The Compare Reports panel: the same page bundle as the results panel (dist/webview.js,
 * same CSP), given a {type:'comparison'} message instead of a report. One panel, reused.
 */
import * as vscode from 'vscode';
import { blockMatrixRatio } from '../../protocol/compareTrend';
import { parseWebviewMessage, type ExtensionToWebview } from '../../protocol/webview';
import { compareReports } from '../../report/compare';
import type { AnalysisReport } from '../../report/schema';
import type { Log } from '../output';
import { buildReportHtml, makeNonce } from '../webview/html';

export const COMPARE_VIEW_TYPE = 'gradientLens.compare';

export class ComparePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private message: ExtensionToWebview | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Log,
  ) {}

  show(a: AnalysisReport, b: AnalysisReport, labels: { readonly a: string; readonly b: string }): void {
    const comparison = compareReports(a, b, labels);
    this.message = { type: 'comparison', comparison, matrixRatio: blockMatrixRatio(a, b) };
    const s = comparison.summary;
    this.log.info(`comparing ${labels.a} with ${labels.b}: ${s.better} better, ${s.worse} worse, ${s.unchanged} unchanged of ${s.compared} blocks (matched by ${comparison.matchedBy})`);
    const title = `Compare: ${a.model.fileName} ↔ ${b.model.fileName}`;
    if (this.panel) {
      this.panel.title = title;
      void this.panel.webview.postMessage(this.message);
      this.panel.reveal(undefined, true);
      return;
    }
    // In the active group, full width: the comparison table has many columns.
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
      enableFindWidget: true,
    });
    this.panel = panel;
    const webview = panel.webview;
    webview.html = buildReportHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'webview.css')).toString(),
      nonce: makeNonce(),
    });
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

  dispose(): void {
    this.panel?.dispose();
  }
}
