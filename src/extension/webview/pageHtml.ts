/**
 * Loads the one webview page (dist/webview.js + media/webview.css, under the CSP of html.ts)
 * into a panel. The results, comparison and examples panels all show this page; what it
 * renders depends only on the messages it is sent.
 */
import * as vscode from 'vscode';
import { buildReportHtml, makeNonce } from './html';

export function loadWebviewPage(webview: vscode.Webview, extensionUri: vscode.Uri): void {
  webview.html = buildReportHtml({
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview.css')).toString(),
    nonce: makeNonce(),
  });
}
