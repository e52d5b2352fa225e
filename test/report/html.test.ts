/**
 * HTML export in headless Chromium: it opens with no request besides itself, the charts draw
 * the report's numbers, and a layer name written as markup shows as text.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { HTML_CSP, reportToHtml } from '../../src/report/export/html';
import type { AnalysisReport } from '../../src/report/schema';
import { mutableCopy, savedReport, withNames } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const XSS = '<img src=x onerror=alert(1)>';

let browser: Browser | undefined;
let server: http.Server;
let base = '';
/** Every path the local server was asked for (a leak from the page would show up here too). */
const served: string[] = [];
const pages = new Map<string, string>();

before(async () => {
  server = http.createServer((req, res) => {
    served.push(req.url ?? '');
    const body = pages.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: the HTML report tests need Chromium (scripts/setup.sh installs it)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A report whose names try to load from the local server if they were ever parsed as markup. */
function hostileReport(): AnalysisReport {
  const names = [XSS, `<img src="${base}/leak-name">`, `"><svg onload=alert(2)>`, `</td></tr></table><iframe src="${base}/leak-frame">`, 'a&b'];
  const report = mutableCopy(withNames(savedReport(), names));
  report.warnings.push({ code: 'other', message: `<link rel=stylesheet href="${base}/leak-css">`, where: '<script>alert(3)</script>' });
  report.model.fileName = `<style>@import "${base}/leak-import";</style>.onnx`;
  return report;
}

interface Opened {
  readonly requests: string[];
  readonly dialogs: string[];
  readonly page: import('playwright-core').Page;
}

async function open(name: string, html: string): Promise<Opened> {
  assert.ok(browser);
  pages.set(`/${name}`, html);
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests: string[] = [];
  const dialogs: string[] = [];
  const url = `${base}/${name}`;
  await context.route('**/*', async (route) => {
    requests.push(route.request().url());
    if (route.request().url() === url) await route.continue();
    else await route.abort();
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(200); // give a stray onerror/onload the chance to fire
  return { requests, dialogs, page };
}

test('the HTML report opens with no request but itself, and a crafted name is text', async () => {
  const report = hostileReport();
  const html = reportToHtml(report);
  assert.doesNotMatch(html, /<script|<img|<iframe|<link|<style>@import/i, 'no markup from names in the source');
  const { requests, dialogs, page } = await open('hostile.html', html);
  try {
    assert.deepEqual(requests, [`${base}/hostile.html`]);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(
      served.filter((u) => u.startsWith('/leak')),
      [],
    );
    assert.equal(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content'), HTML_CSP);
    assert.equal(await page.locator('img, iframe, script, link').count(), 0);
    const names = await page.locator('table.blocks td.name').allTextContents();
    assert.deepEqual(
      names,
      report.blocks.map((b) => b.name),
    );
    assert.equal(names[0], XSS);
    assert.equal(await page.title(), `Gradient Lens: ${report.model.fileName}`);
  } finally {
    await page.context().close();
  }
});

test('the charts render and encode the report numbers', async () => {
  const report = savedReport();
  const { requests, page } = await open('charts.html', reportToHtml(report));
  try {
    assert.deepEqual(requests, [`${base}/charts.html`]);
    const charts = page.locator('svg.chart');
    assert.equal(await charts.count(), 3);
    for (let i = 0; i < 3; i++) {
      const box = await charts.nth(i).boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, `chart ${i} has a size`);
    }
    // GSC chart: one point per boundary, higher GSC drawn higher (smaller y).
    const gsc = charts.nth(0);
    const ys = (await gsc.locator('circle.point').evaluateAll((els) => els.map((e) => Number(e.getAttribute('cy'))))) as number[];
    const values = report.boundaries.map((b) => b.gscToOutput.value);
    assert.equal(ys.length, values.length);
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < values.length; j++) {
        if (values[i] > values[j] * 1.001) assert.ok(ys[i] < ys[j], `boundary ${i} above boundary ${j}`);
      }
    }
    assert.equal(await gsc.locator('line.fit:not(.key)').count(), 1);
    // k chart: one k_lin marker per block.
    assert.equal(await charts.nth(1).locator('.k-lin').count(), report.blocks.length);
    // Heatmap: one cell per computed entry; GSC above 1 is red-ish, below 1 blue-ish.
    const matrix = report.blockMatrix;
    assert.ok(matrix);
    const entries = matrix.gsc.flatMap((row) => row.filter((v): v is number => v !== null));
    const cells = (await charts
      .nth(2)
      .locator('rect.cell')
      .evaluateAll((els) => els.map((e) => ({ fill: e.getAttribute('fill') ?? '', title: e.querySelector('title')?.textContent ?? '' })))) as {
      fill: string;
      title: string;
    }[];
    assert.equal(cells.length, entries.length);
    for (const c of cells) {
      const m = /GSC\((\d+) → (\d+)\)/.exec(c.title);
      assert.ok(m, c.title);
      const v = matrix.gsc[Number(m[1])][Number(m[2])];
      assert.ok(v !== null);
      const [r, , b] = (/rgb\((\d+),(\d+),(\d+)\)/.exec(c.fill) ?? []).slice(1).map(Number);
      if (v > 1.05) assert.ok(r > b, `${c.title} is red-ish (${c.fill})`);
      if (v < 0.95) assert.ok(b > r, `${c.title} is blue-ish (${c.fill})`);
    }
    assert.equal(await page.locator('table.blocks tbody tr').count(), report.blocks.length);
  } finally {
    await page.context().close();
  }
});
