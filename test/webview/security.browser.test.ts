/**
 * The results webview in headless Chromium, under the exact HTML and Content-Security-Policy
 * the extension serves: crafted layer names render as text (no script, no dialog, no element
 * from them), no remote resource loads, an injected inline script is blocked by the CSP, and
 * malformed messages in either direction are ignored without breaking the page. Also, on the
 * same page, what only a rendered page shows: a block's stream units in its details.
 *
 * Needs the built bundle (dist/webview.js: scripts/setup.sh or `npm run compile`) and Debian's
 * chromium, both of which CI installs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildReportHtml, makeNonce } from '../../src/extension/webview/html';
import { parseWebviewMessage } from '../../src/protocol/webview';
import { mutableCopy, savedReport, withNames } from '../report/helpers';

const REPO = path.resolve(__dirname, __filename.endsWith('.ts') ? '../..' : '../../..');
const XSS = '<img src=x onerror=alert(1)>';

/** The browser globals the page functions below touch (this Node test has no DOM types). */
interface PageGlobals {
  __posted: { type: string }[];
  __pwned?: number;
  __inline?: number;
  postMessage(message: unknown, origin: string): void;
  document: { createElement(tag: string): { textContent: string }; body: { appendChild(node: unknown): void } };
}

let browser: Browser;
let server: http.Server;
let base = '';
const served: string[] = [];
let pageHtml = '';
let nonce = '';

/** Stands in for VS Code's acquireVsCodeApi: records what the page posts to the extension. */
const VSCODE_STUB = `window.__posted = []; window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => undefined });`;

before(async () => {
  const files: Record<string, { body: Buffer | string; type: string }> = {
    '/dist/webview.js': { body: readFileSync(path.join(REPO, 'dist', 'webview.js')), type: 'text/javascript' },
    '/media/webview.css': { body: readFileSync(path.join(REPO, 'media', 'webview.css')), type: 'text/css' },
    '/stub.js': { body: VSCODE_STUB, type: 'text/javascript' },
  };
  server = http.createServer((req, res) => {
    served.push(req.url ?? '');
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(pageHtml);
      return;
    }
    const f = files[req.url ?? ''];
    res.writeHead(f ? 200 : 404, { 'content-type': f?.type ?? 'text/plain' });
    res.end(f?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  nonce = makeNonce();
  // The extension's own page, with the stub loaded first under the same nonce.
  pageHtml = buildReportHtml({ cspSource: base, scriptUri: `${base}/dist/webview.js`, styleUri: `${base}/media/webview.css`, nonce }).replace(
    '<body>',
    `<body>\n<script nonce="${nonce}" src="${base}/stub.js"></script>`,
  );
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('crafted layer names are text, nothing remote loads, injected script is blocked, bad messages are ignored', async () => {
  const names = [XSS, `<img src="${base}/leak-name">`, `<script>window.__pwned = 1</script>`, `"><svg onload=alert(2)>`];
  const report = mutableCopy(withNames(savedReport(), names));
  report.warnings.push({ code: 'other', message: `<link rel=stylesheet href="${base}/leak-css">` });

  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  const cspViolations: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  try {
    await page.goto(`${base}/`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__posted.some((m) => m.type === 'ready'));

    // Malformed messages from the extension side: the page must shrug them off.
    await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      w.postMessage({ type: 'report', report: 'not a report' }, '*');
      w.postMessage({ type: 'no-such-message' }, '*');
      w.postMessage(42, '*');
    });
    await page.evaluate(
      (r) => (globalThis as unknown as PageGlobals).postMessage({ type: 'report', report: r }, '*'),
      report as unknown as Record<string, unknown>,
    );
    await page.locator('#block-table tr[data-block-index]').first().waitFor({ timeout: 20000 });

    const tableText = await page.locator('#block-table').innerText();
    assert.ok(tableText.includes(XSS), 'the crafted name is shown as text');
    assert.ok(tableText.includes('<script>window.__pwned = 1</script>'));
    assert.equal(await page.locator('#app img, #app iframe, #app svg[onload], #app script').count(), 0, 'no element was created from a name');
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned), undefined);

    // An inline script without the nonce is refused by the CSP.
    await page.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobals;
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.appendChild(s);
    });
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).__inline), undefined, 'inline script ran');

    await page.waitForTimeout(300);
    assert.deepEqual(dialogs, [], 'no dialog fires');
    const foreign = requests.filter((u) => !['/', '/dist/webview.js', '/media/webview.css', '/stub.js'].includes(u.replace(base, '')));
    assert.deepEqual(foreign, [], 'no request besides the page and its own assets');
    assert.ok(!served.some((u) => u.startsWith('/leak')), `a name reached the server: ${served.join(', ')}`);
    assert.ok(cspViolations.length > 0, 'the CSP reported the blocked inline script');
    assert.deepEqual(pageErrors, [], 'malformed messages broke the page');
  } finally {
    await context.close();
  }
});

test('a block with stream units lists them in its details, with their GSCs (or why not measured)', async () => {
  const report = mutableCopy(savedReport());
  const block = report.blocks[1];
  const unit = (name: string) => ({
    name,
    inputTensor: block.inputTensor,
    outputTensor: block.outputTensor,
    nodes: ['n1', 'n2'],
    opTypes: ['Conv', 'Relu', 'Add'],
  });
  // Test data: two units, one measured with a residual connection, one left unmeasured.
  Object.assign(block, {
    streamUnits: [
      {
        ...unit('head2.unit1'),
        kind: 'residual',
        residual: {
          skipKind: 'identity',
          mergeTensor: 'm',
          skipTensor: 's',
          branchTensor: 'b',
          mergeNode: 'add',
          gscBranch: { value: 0.5, stderr: 0.01, ci99: [0.47, 0.53], method: 'probes (8)' },
          gscSkip: { value: 1, stderr: 0, ci99: [1, 1], method: 'identity' },
        },
        gscUnit: { value: 0.9171, stderr: 0.004, ci99: [0.9064, 0.9278], method: 'probes (8)' },
      },
      { ...unit('head2.unit2'), kind: 'plain', residual: null, unmeasured: 'its input also reaches its output through Concat_7' },
    ],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${base}/`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__posted.some((m) => m.type === 'ready'));
    await page.evaluate(
      (r) => (globalThis as unknown as PageGlobals).postMessage({ type: 'report', report: r }, '*'),
      report as unknown as Record<string, unknown>,
    );
    await page.locator('#block-table tr[data-block-index]').first().waitFor({ timeout: 20000 });
    await page.evaluate((i) => (globalThis as unknown as PageGlobals).postMessage({ type: 'selectBlock', index: i }, '*'), block.index);
    const details = page.locator('#details');
    await details.getByText('Stream units off the main path').waitFor({ timeout: 20000 });
    const text = await details.innerText();
    assert.match(text, /head2\.unit1/);
    assert.match(text, /residual \(identity\) · GSC 0\.917\d* \[0\.906\d*, 0\.92[78]\d*\] · branch 0\.5 \[0\.47, 0\.53\] · skip 1 \(identity\)/);
    assert.match(text, /head2\.unit2[\s\S]*not measured: its input also reaches its output through Concat_7/);
  } finally {
    await context.close();
  }
});

test('messages from the webview are validated: unknown or malformed ones are dropped', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'revealBlock', index: 3 }), { type: 'revealBlock', index: 3 });
  assert.deepEqual(parseWebviewMessage({ type: 'export', format: 'md' }), { type: 'export', format: 'md' });
  for (const bad of [
    null,
    'ready',
    { type: 'revealBlock', index: '3' },
    { type: 'revealBlock', index: -1 },
    { type: 'revealBlock', index: 1.5 },
    { type: 'export', format: 'exe' },
    { type: 'runCommand', command: 'workbench.action.terminal.new' },
    { index: 2 },
  ]) {
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  }
});
