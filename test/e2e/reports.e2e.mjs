// Real VS Code, issue #6 in the extension: Export Report… (palette, Markdown, and the page's
// JSON button), the analysis cache (Analyze again -> served from the cache, the worker is not
// asked), Show History… (lists and reopens without recomputing), Compare Reports… (two runs
// side by side: per-block differences read from the DOM), and Watch Model (a checkpoint is
// overwritten with other weights -> re-analysed -> the trend chart has 2 points).
//
//   node test/e2e/reports.e2e.mjs [--vsix FILE]
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, afterPaint, log, normalize, readJsonWhenComplete, runTest, startVsCode, waitUntil } from './harness.mjs';
import { agreesAtShownPrecision, compareBlockTable, readTablesInPage } from './blockTable.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const VSIX = path.resolve(opt('--vsix', path.join(REPO, 'gradient-lens.vsix')));
const SHOTS = path.join(REPO, 'test-results', 'screenshots-reports');
const SETTINGS = { 'gradientLens.batchSize': 4, 'gradientLens.probes': 4, 'gradientLens.seed': 7 };

/** The resnet example with every convolution but the first scaled by 1.5: a "later checkpoint" of the same architecture. */
function scaledCheckpoint(src, dest) {
  const { onnx } = createRequire(path.join(REPO, 'package.json'))('onnx-proto');
  const model = onnx.ModelProto.decode(fs.readFileSync(src));
  let scaled = 0;
  model.graph.initializer.forEach((t, i) => {
    if (t.dataType !== 1 || t.dims.length !== 4 || i <= 2) return;
    const raw = Buffer.from(t.rawData);
    const f = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    for (let j = 0; j < f.length; j++) f[j] *= 1.5;
    t.rawData = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    scaled++;
  });
  if (scaled < 3) throw new Error(`only ${scaled} convolution weights scaled`);
  // Written to a temporary name and renamed, as a training script saving a checkpoint would.
  fs.writeFileSync(`${dest}.tmp`, onnx.ModelProto.encode(model).finish());
  fs.renameSync(`${dest}.tmp`, dest);
  return scaled;
}

/** Count of a pattern in the extension's log. */
const count = (text, re) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

await runTest('reports', 600, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-e2e-reports-'));
  fs.mkdirSync(path.join(workspace, 'resnet'));
  fs.mkdirSync(path.join(workspace, 'watch'));
  fs.copyFileSync(path.join(REPO, 'examples', 'resnet', 'model.onnx'), path.join(workspace, 'resnet', 'model.onnx'));
  fs.copyFileSync(path.join(REPO, 'examples', 'resnet', 'model.onnx'), path.join(workspace, 'watch', 'ckpt.onnx'));
  const modelBytes = fs.readFileSync(path.join(workspace, 'resnet', 'model.onnx'));
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, settings: SETTINGS, shots: SHOTS }));
  const { page } = vscode;
  const quick = page.locator('.quick-input-widget');

  /** The inner frame of the webview that contains `selector` (several panels can be open). */
  const frameWith = async (selector, ms = 60000) =>
    waitUntil(
      async () => {
        const outer = page.locator('iframe.webview.ready');
        for (let i = (await outer.count()) - 1; i >= 0; i--) {
          const inner = outer.nth(i).contentFrame().locator('iframe#active-frame').contentFrame();
          try {
            if ((await inner.locator(selector).count()) > 0) return inner;
          } catch {
            /* frame not ready */
          }
        }
        return false;
      },
      ms,
      `a webview containing ${selector}`,
    );

  // ---- 1. Analyze resnet/model.onnx -------------------------------------------------------
  // The menus need the extension active (workspaceContains); on a loaded machine that takes a while.
  await vscode.waitForLog(/activation [\d.]+ ms/, 90000, 'the activation line');
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');
  await vscode.waitForResults('resnet/model.onnx', 300000);
  await vscode.waitForLog(/analysis of model\.onnx finished in \d+ ms/, 60000);
  const resultsFrame = await frameWith('tr[data-block-index]');
  await afterPaint(resultsFrame);
  await vscode.shot('analyzed');

  // ---- 2. Export from the page (JSON button) and from the palette (Markdown) ---------------
  const jsonPath = path.join(workspace, 'resnet', 'model.gradient-lens.json');
  await resultsFrame.locator('button[data-export="json"]').click();
  await quick.locator('input').waitFor({ state: 'visible' });
  await waitUntil(
    async () => (await quick.locator('input').inputValue()).endsWith('model.gradient-lens.json'),
    10000,
    'the save dialog proposing model.gradient-lens.json',
  );
  await vscode.shot('save-dialog-json');
  await page.keyboard.press('Enter');
  const seed7 = await readJsonWhenComplete(jsonPath, 20000, 'the JSON export');
  if (seed7.settings.seed !== 7 || seed7.blocks.length < 2)
    throw new Error(`unexpected JSON export: seed ${seed7.settings.seed}, ${seed7.blocks.length} blocks`);
  const table = (await resultsFrame.locator('body').evaluate(readTablesInPage))[0];
  const vsJson = compareBlockTable(table, seed7);
  if (vsJson.mismatches.length > 0 || vsJson.checked < seed7.blocks.length)
    throw new Error(`the exported JSON differs from the page: ${vsJson.mismatches.join('; ')}`);
  log(`Export JSON (page button): ${path.relative(workspace, jsonPath)}, ${seed7.blocks.length} blocks, equals the page's table (${vsJson.checked} numbers)`);

  await vscode.runCommandAndPick('Gradient Lens: Export Report…', ['Gradient Lens: Export Report', 'Markdown', () => vscode.shot('export-format-pick')]);
  const mdPath = path.join(workspace, 'resnet', 'model.gradient-lens.md');
  await waitUntil(
    async () => (await quick.locator('input').inputValue()).endsWith('model.gradient-lens.md'),
    10000,
    'the save dialog proposing model.gradient-lens.md',
  );
  await page.keyboard.press('Enter');
  await waitUntil(() => fs.existsSync(mdPath), 20000, 'the Markdown export');
  await vscode.waitForLog(/exported the report of model\.onnx as Markdown to \S+model\.gradient-lens\.md/, 10000);
  const md = fs.readFileSync(mdPath, 'utf8');
  // Parse the block table: rows "| k | `name` | kind | GSC to output | ..." and check each GSC against the JSON.
  const lines = md.split('\n');
  const headerAt = lines.findIndex((l) => /^\|\s*#\s*\|\s*block\s*\|.*GSC to output/.test(l));
  if (headerAt < 0) throw new Error('no block table in the Markdown');
  const tableEnd = lines.findIndex((l, i) => i > headerAt && !l.startsWith('|'));
  const blockRows = lines.slice(headerAt + 2, tableEnd).map((l) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim()),
  );
  if (blockRows.length !== seed7.blocks.length) throw new Error(`Markdown has ${blockRows.length} block rows, the report ${seed7.blocks.length} blocks`);
  for (const r of blockRows) {
    const b = seed7.blocks.find((x) => x.index === Number(r[0]));
    const shown = Number(r[3]);
    const digits = r[3].replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').length;
    if (!b || r[1] !== `\`${b.name}\`` || !agreesAtShownPrecision(shown, digits, b.gscToOutput.value))
      throw new Error(`Markdown row ${r.join(' | ')} does not match block ${r[0]} of the report`);
  }
  if (!md.includes('**seed:** 7')) throw new Error('the Markdown header does not state seed 7');
  if (!fs.readFileSync(path.join(workspace, 'resnet', 'model.onnx')).equals(modelBytes)) throw new Error('the model file changed');
  log(`Export Markdown (palette): ${blockRows.length} block rows, names and GSC to the output equal the JSON; model file untouched`);

  // HTML from the page's button: one self-contained file that loads nothing.
  const htmlPath = path.join(workspace, 'resnet', 'model.gradient-lens.html');
  await resultsFrame.locator('button[data-export="html"]').click();
  await waitUntil(
    async () => (await quick.locator('input').inputValue()).endsWith('model.gradient-lens.html'),
    10000,
    'the save dialog proposing model.gradient-lens.html',
  );
  await page.keyboard.press('Enter');
  // Complete once the closing tag is written (the file can exist before its last write).
  const html = await waitUntil(
    () => (fs.existsSync(htmlPath) && /<\/html>\s*$/.test(fs.readFileSync(htmlPath, 'utf8')) ? fs.readFileSync(htmlPath, 'utf8') : false),
    20000,
    'the HTML export',
  );
  if (!/<meta http-equiv="Content-Security-Policy" content="default-src (?:'|&#39;)none(?:'|&#39;)/.test(html))
    throw new Error('the HTML export has no default-src none CSP');
  if (/\s(src|href)\s*=\s*["']?(https?:|\/\/)/i.test(html) || /<script/i.test(html)) throw new Error('the HTML export loads something or has a script');
  if (!html.includes('<svg') || !seed7.blocks.every((b) => html.includes(b.name))) throw new Error('the HTML export lacks its charts or a block');
  log(`Export HTML (page button): ${html.length} characters, inline SVG charts, CSP default-src 'none', no script, no external URL`);

  // ---- 3. Analyze again: served from the cache, the worker is not asked --------------------
  const before = vscode.extensionLog();
  const runsBefore = count(before, /analysing \S+model\.onnx \(/);
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');
  const served = await vscode.waitForLog(
    /served model\.onnx from the cache \(sha256 (\w+), same settings[^\n]*no recomputation; hash and lookup took (\d+) ms/,
    20000,
    'the cache line',
  );
  const toast = page.locator('.notification-toast', { hasText: 'showing the cached report' });
  await toast.waitFor({ timeout: 10000 });
  if ((await toast.getByRole('button', { name: 'Re-run' }).count()) !== 1) throw new Error('the cache notification has no Re-run button');
  await afterPaint(page);
  await vscode.shot('served-from-cache');
  // The cache line above is written after the decision to serve: no analysis can start after it.
  const after = vscode.extensionLog();
  if (count(after, /analysing \S+model\.onnx \(/) !== runsBefore) throw new Error('the worker was asked to analyse again');
  if (served[1] !== seed7.model.contentHash.slice(0, 12)) throw new Error(`cache hash ${served[1]} is not the report's ${seed7.model.contentHash}`);
  log(`Analyze again: "${normalize(await toast.innerText()).replace(/\s+/g, ' ')}", served in ${served[2]} ms, no new worker run`);
  // "Re-run" on that notification computes again (the engine is deterministic: same numbers).
  await toast.getByRole('button', { name: 'Re-run' }).click();
  const finished = () => count(vscode.extensionLog(), /analysis of model\.onnx finished/);
  const finishedBefore = finished();
  await waitUntil(() => finished() > finishedBefore, 300000, 'the forced re-run');
  if (count(vscode.extensionLog(), /analysing \S+model\.onnx \(/) !== runsBefore + 1) throw new Error('Re-run did not start exactly one analysis');
  log('Re-run on the cache notification ran the analysis again');

  // gradientLens.cache.enabled unticked in the Settings editor -> Analyze computes.
  const setCacheSetting = async (want) => {
    await vscode.runCommand('Preferences: Open Settings (UI)');
    const search = page.locator('.settings-editor .suggest-input-container textarea, .settings-editor .settings-header input').first();
    await search.waitFor();
    await search.fill('gradientLens.cache.enabled');
    const item = page.locator('.settings-editor .setting-item-bool', { hasText: 'Cache: Enabled' }).first();
    await item.waitFor({ timeout: 15000 });
    const box = item.locator('.setting-value-checkbox');
    if ((await box.getAttribute('aria-checked')) !== String(want)) await box.click();
    await waitUntil(async () => (await box.getAttribute('aria-checked')) === String(want), 5000, `the cache setting ${want}`);
    // The checkbox flips before VS Code writes the setting: wait for the user settings file.
    await waitUntil(() => vscode.userSetting('gradientLens.cache.enabled', true) === want, 20000, `gradientLens.cache.enabled = ${want} in settings.json`);
    await vscode.runCommand('View: Close Editor');
    await page.locator('.tab', { hasText: 'Settings' }).waitFor({ state: 'detached' });
    // Focus may land in the results webview, which does not pass F1 on; give it to the workbench.
    await page.locator('.sidebar .title-label').first().click();
  };
  await setCacheSetting(false);
  const runsBeforeNoCache = count(vscode.extensionLog(), /analysing \S+model\.onnx \(/);
  const finishedBeforeNoCache = finished();
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');
  await waitUntil(() => finished() > finishedBeforeNoCache, 300000, 'an analysis with the cache off');
  if (count(vscode.extensionLog(), /analysing \S+model\.onnx \(/) !== runsBeforeNoCache + 1) throw new Error('with the cache off, Analyze did not compute');
  await setCacheSetting(true);
  log('gradientLens.cache.enabled false: Analyze computed again');

  // ---- 4. A second analysis with seed 5 (Re-run With Settings…) ----------------------------
  // Each step waits for the pick list or input box it acts on (by its title): typed into the
  // list before the input box replaced it, the seed landed in the list's filter (seen under load).
  await vscode.runCommandAndPick('Gradient Lens: Re-run With Settings…', ['with settings', 'Seed']);
  await vscode.answerInputBox('Seed', '5');
  await vscode.pickInQuickInput('with settings', 'Run analysis');
  await vscode.waitForLog(/analysing \S+model\.onnx \(batch 4, 4 probes, seed 5,/, 20000, 'a run with seed 5');
  await waitUntil(() => finished() > finishedBeforeNoCache + 1, 300000, 'the seed-5 run');
  log('second analysis (seed 5) finished');

  // ---- 5. Show History…: lists both, reopens seed 7 without recomputing --------------------
  const runsBeforeHistory = count(vscode.extensionLog(), /analysing \S+/);
  await vscode.runCommandAndPick('Gradient Lens: Show History…', [
    'Reopen an analysis',
    'seed 7',
    async (widget) => {
      await widget.locator('.monaco-list-row').first().waitFor({ timeout: 10000 });
      const historyRows = (await widget.locator('.monaco-list-row').allInnerTexts()).map((t) => normalize(t).replace(/\s+/g, ' '));
      log(`history: ${historyRows.join(' || ')}`);
      if (historyRows.length !== 2 || !historyRows[0].includes('seed 5') || !historyRows[1].includes('seed 7'))
        throw new Error('the history does not list the two runs newest first');
      await vscode.shot('history-pick');
    },
  ]);
  await vscode.waitForLog(/reopened model\.onnx \(analysed \S+\) from the history; no recomputation/, 10000);
  const reopened = await waitUntil(
    async () => {
      const f = await frameWith('tr[data-block-index]');
      const t = (await f.locator('body').evaluate(readTablesInPage))[0];
      const c = compareBlockTable(t, seed7);
      return c.mismatches.length === 0 && c.checked >= seed7.blocks.length ? c : false;
    },
    20000,
    'the seed-7 report shown again',
  );
  if (count(vscode.extensionLog(), /analysing \S+/) !== runsBeforeHistory) throw new Error('reopening from the history started an analysis');
  log(`History reopened the seed-7 report: ${reopened.checked} numbers equal the JSON export, no analysis`);

  // ---- 6. Compare Reports…: seed 7 (a) with seed 5 (b) -------------------------------------
  // Both pick lists list both runs: act on each only once its own title (1/2, 2/2) is shown.
  await vscode.runCommandAndPick('Gradient Lens: Compare Reports…', ['Compare Reports (1/2)', 'seed 7'], ['Compare Reports (2/2)', 'seed 5']);
  const cmpFrame = await frameWith('#compare-table tr[data-compare-block]');
  const cmp = await cmpFrame.locator('body').evaluate(() => ({
    rows: [...document.querySelectorAll('#compare-table tr[data-compare-block]')].map((tr) => ({
      index: Number(tr.getAttribute('data-compare-block')),
      verdict: tr.getAttribute('data-verdict'),
      a: Number(tr.querySelector('[data-field="gscToOutput.a"]').getAttribute('data-value')),
      b: Number(tr.querySelector('[data-field="gscToOutput.b"]').getAttribute('data-value')),
      ratio: Number(tr.querySelector('[data-field="gscToOutput.ratio"]').getAttribute('data-value')),
    })),
    summary: Object.fromEntries(
      ['better', 'worse', 'unchanged', 'compared'].map((k) => [k, Number(document.querySelector('#compare-summary').getAttribute(`data-${k}`))]),
    ),
    heat: document.querySelector('#compare-heatmap').getAttribute('data-kind'),
    heatCells: document.querySelectorAll('#compare-heatmap td[data-ratio]:not([data-ratio="null"])').length,
    notes: [...document.querySelectorAll('[data-note]')].map((n) => n.textContent),
  }));
  const seed5 = JSON.parse(
    fs.readFileSync(
      fs
        .readdirSync(path.join(vscode.dirs.ud, 'User', 'globalStorage'), { recursive: true })
        .map((f) => path.join(vscode.dirs.ud, 'User', 'globalStorage', f))
        .find((f) => f.endsWith('.json') && !f.endsWith('index.json') && JSON.parse(fs.readFileSync(f, 'utf8')).settings?.seed === 5),
      'utf8',
    ),
  );
  if (cmp.rows.length !== seed7.blocks.length) throw new Error(`the comparison has ${cmp.rows.length} rows, expected ${seed7.blocks.length}`);
  for (const r of cmp.rows) {
    const a = seed7.blocks.find((b) => b.index === r.index).gscToOutput.value;
    const b = seed5.blocks.find((x) => x.index === r.index).gscToOutput.value;
    if (r.a !== a || r.b !== b || Math.abs(r.ratio - b / a) > 1e-12 * Math.abs(b / a))
      throw new Error(`comparison row ${r.index}: ${JSON.stringify(r)} vs a ${a}, b ${b}`);
  }
  if (cmp.summary.better + cmp.summary.worse + cmp.summary.unchanged !== cmp.summary.compared)
    throw new Error(`summary does not add up: ${JSON.stringify(cmp.summary)}`);
  if (!cmp.notes.some((n) => /seed 7 vs 5/.test(n))) throw new Error(`no note about the seeds: ${cmp.notes.join('; ')}`);
  if (cmp.heat !== 'matrix' || cmp.heatCells < seed7.blocks.length) throw new Error(`heatmap ${cmp.heat} with ${cmp.heatCells} cells`);
  // Keyboard: focus the first heatmap cell, arrow right, and the readout names the next cell.
  await cmpFrame.locator('#compare-heatmap td[tabindex="0"]').focus();
  await page.keyboard.press('ArrowRight');
  // The key reaches the webview's frame asynchronously: wait for the readout it writes.
  const readout = await waitUntil(
    async () => {
      const text = await cmpFrame.locator('#compare-heatmap-readout').innerText();
      return /b\/a = /.test(text) ? text : false;
    },
    10000,
    'the heatmap readout after ArrowRight',
  );
  await vscode.clearNotifications();
  await afterPaint(page);
  await vscode.shot('compare');
  await vscode.shot('compare-blocks', cmpFrame.locator('#compare-blocks'));
  await cmpFrame.locator('#compare-heatmap-card').scrollIntoViewIfNeeded();
  await vscode.shot('compare-heatmap', cmpFrame.locator('#compare-heatmap-card'));
  // Theme-aware: switching to a dark theme recolours the heatmap (the page re-renders from the theme's variables).
  const cellColor = () => cmpFrame.locator('#compare-heatmap td[data-k="0"][data-l="1"]').evaluate((td) => td.style.background);
  const lightCell = await cellColor();
  await vscode.runCommand('Preferences: Color Theme');
  // The theme list replaces the palette; typing before it is there would filter the palette.
  await waitUntil(async () => /color theme/i.test((await quick.locator('input').getAttribute('placeholder')) ?? ''), 30000, 'the color theme pick list');
  await quick.locator('input').fill('Dark Modern');
  await quick.locator('.monaco-list-row[aria-label^="Dark Modern"]').first().click();
  const darkCell = await waitUntil(
    async () => {
      const c = await cellColor();
      return c !== lightCell ? c : false;
    },
    15000,
    'the heatmap recoloured for the dark theme',
  );
  await afterPaint(cmpFrame);
  await vscode.shot('compare-dark', cmpFrame.locator('#compare-heatmap-card'));
  log(`theme switch: heatmap cell ${lightCell} -> ${darkCell}`);
  log(
    `Compare: ${cmp.rows.length} blocks, GSC to the output a/b/ratio equal both reports; ${JSON.stringify(cmp.summary)}; heatmap ${cmp.heatCells} cells; readout "${readout}"`,
  );

  // A report from a file: a = the JSON export (Open a JSON report file…), b = the seed-5 run.
  await vscode.runCommandAndPick('Gradient Lens: Compare Reports…', ['Compare Reports (1/2)', 'Open a JSON report file']);
  await vscode.answerFileDialog('Open a Gradient Lens JSON report', jsonPath);
  await vscode.pickInQuickInput('Compare Reports (2/2)', 'seed 5');
  const fromFile = await waitUntil(
    async () => {
      const f = await frameWith('#compare-table tr[data-compare-block]');
      const label = await f.locator('dd[data-side="a"]').innerText();
      return label === 'model.gradient-lens.json' ? f : false;
    },
    20000,
    'a comparison with the JSON file as a',
  );
  const fileRows = await fromFile
    .locator('#compare-table tr[data-compare-block]')
    .evaluateAll((trs) => trs.map((tr) => Number(tr.querySelector('[data-field="gscToOutput.a"]').getAttribute('data-value'))));
  if (fileRows.some((v, i) => v !== seed7.blocks[i].gscToOutput.value)) throw new Error(`compare with the JSON file: a column ${fileRows.join(', ')}`);
  log("Compare Reports… with a JSON report file as a: its numbers are the file's");

  // ---- 7. Watch Model: overwrite the checkpoint -> re-analysed -> trend with 2 points -------
  await vscode.runCommandAndPick('Gradient Lens: Watch Model', ['Gradient Lens', 'watch/ckpt.onnx']);
  await vscode.waitForLog(/watching \S+ckpt\.onnx/, 10000);
  // Same content as resnet/model.onnx with the same settings: the first point comes from the cache.
  await vscode.waitForLog(/served ckpt\.onnx from the cache/, 30000);
  // Not "unchanged since": another file had this content.
  await vscode.waitForLog(/ckpt\.onnx has the same content as resnet\/model\.onnx/, 10000, 'the same-content message');
  await vscode.waitForResults('watch/ckpt.onnx', 30000);
  await page.locator('.statusbar-item', { hasText: 'Watching ckpt.onnx' }).waitFor({ timeout: 10000 });
  const scaled = scaledCheckpoint(path.join(workspace, 'watch', 'ckpt.onnx'), path.join(workspace, 'watch', 'ckpt.onnx'));
  log(`overwrote watch/ckpt.onnx with ${scaled} convolutions scaled by 1.5`);
  await vscode.waitForLog(/watch: analysing ckpt\.onnx \(changed, run 2\)/, 60000, 'the watcher to re-analyse');
  await vscode.waitForLog(/analysis of ckpt\.onnx finished/, 300000, 'the re-analysis');
  const trendFrame = await frameWith('#trend[data-points="2"]:not([hidden]) #trend-table', 30000);
  const trend = await trendFrame
    .locator('#trend-table')
    .evaluate((t) =>
      [...t.querySelectorAll('tr[data-trend-block]')].map((tr) =>
        [...tr.querySelectorAll('td[data-point]')].map((td) => Number(td.getAttribute('data-value'))),
      ),
    );
  if (trend.length !== seed7.blocks.length || trend.some((r) => r.length !== 2)) throw new Error(`trend table ${JSON.stringify(trend)}`);
  trend.forEach((r, i) => {
    if (r[0] !== seed7.blocks[i].gscToOutput.value)
      throw new Error(`trend point 1 of block ${i + 1} is ${r[0]}, the cached report has ${seed7.blocks[i].gscToOutput.value}`);
  });
  if (trend.every((r) => r[0] === r[1])) throw new Error('the second checkpoint gave the same GSC for every block');
  await vscode.clearNotifications();
  const canvas = trendFrame.locator('#trend canvas');
  await canvas.scrollIntoViewIfNeeded();
  await afterPaint(trendFrame);
  await vscode.shot('watching');
  // Keyboard: focus the chart, step to the second analysis; the readout gives the value and the change.
  await trendFrame.locator('#trend-frame').focus();
  await page.keyboard.press('ArrowRight');
  const trendReadout = await waitUntil(
    async () => {
      const text = await trendFrame.locator('#trend-readout').innerText();
      return /analysis #2 .*GSC to the output [\d.]+, ×[\d.]+ since #1/.test(text) ? text : false;
    },
    10000,
    'the trend readout after ArrowRight',
  );
  await afterPaint(trendFrame);
  await vscode.shot('trend-chart', trendFrame.locator('#trend'));
  log(`trend readout: ${trendReadout}`);
  log(`Watch: trend with 2 points per block, e.g. block 1 ${trend[0][0]} -> ${trend[0][1]}`);

  await vscode.runCommand('Gradient Lens: Stop Watching');
  await vscode.waitForLog(/stopped watching \S+ckpt\.onnx after 2 analyses/, 10000);
  log('Stop Watching');

  // ---- 8. Reload Window: the comparison panel comes back (workspace state + serializer) ------
  await vscode.reloadWindow();
  // Reports open as tabs of one group, and VS Code restores a webview only when its tab is shown:
  // show the Compare tab, as a user would.
  await page.locator('.tab', { hasText: 'Compare:' }).first().click();
  await vscode.waitForLog(/restored the Compare Reports panel/, 60000, 'the compare panel deserialized');
  let restored;
  try {
    restored = await frameWith('#compare-table tr[data-compare-block]', 45000);
  } catch {
    // Seen once in 5 runs on a loaded machine: the restored tab stayed blank (not even the page's
    // "waiting" text, so its document never loaded). Showing another tab and back reloads it.
    log('the restored Compare tab is blank after 45 s; switching tabs to reload its webview');
    await page.locator('.tab', { hasText: 'Gradient Lens: resnet/model.onnx' }).first().click();
    await page.locator('.tab.active', { hasText: 'Gradient Lens: resnet/model.onnx' }).waitFor();
    await page.locator('.tab', { hasText: 'Compare:' }).first().click();
    restored = await frameWith('#compare-table tr[data-compare-block]', 45000);
  }
  const restoredRows = await restored.locator('#compare-table tr[data-compare-block]').count();
  if (restoredRows !== seed7.blocks.length) throw new Error(`restored comparison has ${restoredRows} rows`);
  log(`Compare Reports panel restored after Reload Window (${restoredRows} rows)`);
  fs.rmSync(workspace, { recursive: true, force: true });
});
