/**
 * The "Analyze All Examples" panel: the same page (dist/webview.js) and Content-Security-Policy
 * as the report panel, showing the figure it is sent ('examplesFigure'). One panel; a new run
 * reuses it. Every message from the page is validated; 'ready' resends the figure and
 * 'openExample' (a known example id) runs Open Example for it.
 */
import * as vscode from 'vscode';
import { parseWebviewMessage, type ExtensionToWebview } from '../../protocol/webview';
import { loadWebviewPage } from '../webview/pageHtml';
import type { Log } from '../output';
import { COMMANDS } from '../commands/ids';
import type { ExamplesFigure } from './figureData';
import { EXAMPLES } from './generate/catalog';

export const EXAMPLES_VIEW_TYPE = 'gradientLens.examples';

export class ExamplesFigurePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private figure: ExamplesFigure | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Log,
  ) {}

  /** Opens (or reveals) the panel and shows the figure. */
  show(figure: ExamplesFigure): void {
    this.figure = figure;
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
    this.panel?.dispose();
  }

  private post(message: ExtensionToWebview): Thenable<boolean> {
    return this.panel ? this.panel.webview.postMessage(message) : Promise.resolve(false);
  }
}
