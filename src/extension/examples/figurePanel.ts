/**
 * The "Analyze All Examples" panel: the same page (dist/webview.js) and Content-Security-Policy
 * as the report panel, showing the figure it is sent ('examplesFigure'). One panel; a new run
 * reuses it. Every message from the page is validated; 'ready' resends the figure and
 * 'openExample' (a known example id) runs Open Example for it. The last finished figure is
 * kept in the extension's global state, so the panel comes back after a window reload.
 */
import * as vscode from 'vscode';
import { parseWebviewMessage, type ExtensionToWebview } from '../../protocol/webview';
import { loadWebviewPage } from '../webview/pageHtml';
import type { Log } from '../output';
import { COMMANDS } from '../commands/ids';
import type { ExamplesFigure } from '../../report/figureData';
import { EXAMPLES } from '../../examples/catalog';

export const EXAMPLES_VIEW_TYPE = 'gradientLens.examples';
const LAST_FIGURE_KEY = 'gradientLens.examplesFigure';

/** A stored figure this version can show (global state may hold an older one, or garbage). */
function isFigure(value: unknown): value is ExamplesFigure {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as Partial<ExamplesFigure>;
  return typeof f.status === 'string' && f.status !== 'running' && typeof f.message === 'string' && Array.isArray(f.series) && Array.isArray(f.pending);
}

export class ExamplesFigurePanel implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private panel: vscode.WebviewPanel | undefined;
  private figure: ExamplesFigure | undefined;
  private readonly registration: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Log,
    private readonly memento: vscode.Memento,
  ) {
    this.registration = vscode.window.registerWebviewPanelSerializer(EXAMPLES_VIEW_TYPE, this);
  }

  /** Opens (or reveals) the panel and shows the figure. */
  show(figure: ExamplesFigure): void {
    this.figure = figure;
    // A run in progress dies with the window; only finished figures are worth restoring.
    if (figure.status !== 'running') void this.memento.update(LAST_FIGURE_KEY, figure);
    if (this.panel) {
      // A new run brings the panel forward; updates during a run do not steal the view.
      if (figure.status === 'running' && figure.series.length === 0) this.panel.reveal(undefined, true);
      void this.post({ type: 'examplesFigure', figure });
      return;
    }
    const panel = vscode.window.createWebviewPanel(EXAMPLES_VIEW_TYPE, 'Gradient Lens: Examples', { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
      enableFindWidget: true,
      retainContextWhenHidden: false,
    });
    this.attach(panel);
  }

  /** After a window reload: the last finished figure, or nothing to restore (the tab closes). */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    const stored = this.memento.get<unknown>(LAST_FIGURE_KEY);
    if (!isFigure(stored)) {
      panel.dispose();
      return;
    }
    this.figure = stored;
    this.attach(panel);
    this.log.info('restored the examples figure after a reload');
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    loadWebviewPage(panel.webview, this.extensionUri);
    const subscription = panel.webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseWebviewMessage(raw);
      if (!message) {
        this.log.warn('ignored a malformed message from the examples webview');
        return;
      }
      // The page posts 'ready' on every load (also after it was hidden): send the figure again.
      if (message.type === 'ready' && this.figure) void this.post({ type: 'examplesFigure', figure: this.figure });
      if (message.type === 'openExample' && EXAMPLES.some((e) => e.id === message.id)) void vscode.commands.executeCommand(COMMANDS.openExample, message.id);
    });
    panel.onDidDispose(() => {
      subscription.dispose();
      if (this.panel === panel) this.panel = undefined;
    });
  }

  dispose(): void {
    this.registration.dispose();
    this.panel?.dispose();
  }

  private post(message: ExtensionToWebview): Thenable<boolean> {
    return this.panel ? this.panel.webview.postMessage(message) : Promise.resolve(false);
  }
}
