/**
 * The results webview's HTML. Security model: Content-Security-Policy default-src 'none';
 * scripts only with this page's nonce (and the only script is the extension's own bundle);
 * styles, images and fonts only from the webview resource origin (the extension's built
 * assets, the only localResourceRoots). Nothing from the model file is put into this HTML:
 * the report reaches the page by postMessage and the UI renders its strings as text.
 */
import { randomBytes } from 'node:crypto';

export interface ReportHtmlParts {
  /** webview.cspSource */
  readonly cspSource: string;
  /** asWebviewUri(dist/webview.js) as a string */
  readonly scriptUri: string;
  /** asWebviewUri(media/webview.css) as a string */
  readonly styleUri: string;
  readonly nonce: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src ${cspSource}`, `img-src ${cspSource} data:`, `font-src ${cspSource}`].join('; ');
}

const escapeAttribute = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function buildReportHtml(parts: ReportHtmlParts): string {
  const csp = escapeAttribute(contentSecurityPolicy(parts.cspSource, parts.nonce));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(parts.styleUri)}">
<title>Gradient Lens</title>
</head>
<body>
<div id="app" aria-live="polite"></div>
<script nonce="${escapeAttribute(parts.nonce)}" src="${escapeAttribute(parts.scriptUri)}"></script>
</body>
</html>`;
}
