// Real VS Code: install the .vsix, open examples/, right-click the example model, Analyze,
// wait for the results webview, read its block table, and check the numbers equal the CLI's
// JSON for the same settings. Writes screenshots of every chart to test-results/screenshots/.
//
//   node test/e2e/analyze.e2e.mjs [--vsix FILE] [--model examples/resnet/model.onnx]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, afterPaint, log, normalize, runTest, startVsCode, waitUntil } from './harness.mjs';
import { compareBlockTable, readTablesInPage, waitForBlockTables } from './blockTable.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const VSIX = path.resolve(opt('--vsix', path.join(REPO, 'gradient-lens.vsix')));
const MODEL_REL = opt('--model', 'resnet/model.onnx'); // relative to examples/
const SHOTS = path.join(REPO, 'test-results', 'screenshots');
// Not the defaults, so the test also shows that settings reach the engine.
const SETTINGS = { batchSize: 8, probes: 6, seed: 7 };

await runTest('analyze', 420, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = path.join(REPO, 'examples');
  const modelPath = path.join(workspace, MODEL_REL);

  // The CLI's report for the same settings (same engine, run outside VS Code).
  const cliJson = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gl-cli-')), 'report.json');
  const t0 = Date.now();
  const cli = spawnSync(
    process.execPath,
    [
      path.join(REPO, 'bin', 'gradient-lens.js'),
      'analyze',
      modelPath,
      '--batch',
      String(SETTINGS.batchSize),
      '--probes',
      String(SETTINGS.probes),
      '--seed',
      String(SETTINGS.seed),
      '--json',
      cliJson,
      '--quiet',
    ],
    { encoding: 'utf8', timeout: 300000 },
  );
  if (cli.status !== 0) throw new Error(`CLI failed (${cli.status}): ${cli.stderr}`);
  const cliReport = JSON.parse(fs.readFileSync(cliJson, 'utf8'));
  log(`CLI: ${cliReport.blocks.length} blocks in ${Date.now() - t0} ms on ${cliReport.backend.name}`);

  const settings = Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [`gradientLens.${k}`, v]));
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, settings, shots: SHOTS }));
  const { page } = vscode;

  // The workspace contains models, so the extension activates on its own (workspaceContains).
  const activation = await vscode.waitForLog(/activation ([\d.]+) ms \(bundle load ([\d.]+) ms, activate\(\) ([\d.]+) ms\)/, 30000, 'activation line');
  log(`activation: ${activation[1]} ms (bundle load ${activation[2]} ms, activate() ${activation[3]} ms)`);

  const row = await vscode.revealInExplorer(MODEL_REL);
  const labels = await vscode.contextMenu(row, 'Analyze Model');
  log(`context menu: ${labels.join(' | ')}`);

  const toast = page.locator('.notification-toast', { hasText: 'Gradient Lens' });
  try {
    await toast.waitFor({ timeout: 20000 });
    await waitUntil(async () => /forward|probe|row|block/i.test(await toast.innerText()), 20000, 'a progress message');
    await afterPaint(page);
    log(`progress: ${normalize(await toast.innerText()).replace(/\s+/g, ' ')}`);
    await vscode.shot('progress');
  } catch (e) {
    log(`progress notification not captured (${e.message.split('\n')[0]})`);
  }

  await vscode.waitForResults(MODEL_REL.split('/').slice(-2).join('/'), 300000);
  const frame = vscode.webviewFrame();
  const tables = await waitForBlockTables(frame, 'a block table with GSC columns inside the webview');
  await afterPaint(frame);
  await vscode.shot('results');

  const cmp = compareBlockTable(tables[0], cliReport);
  log(`block table: headers ${JSON.stringify(tables[0].headers)} -> fields ${JSON.stringify(cmp.columnFields)}`);
  log(`compared ${cmp.checked} numbers with the CLI JSON`);
  if (cmp.checked < cliReport.blocks.length) throw new Error(`only ${cmp.checked} numbers could be compared`);
  if (cmp.mismatches.length > 0) throw new Error(`the webview's block table differs from the CLI:\n${cmp.mismatches.join('\n')}`);

  // One screenshot per chart shown (the trend chart stays hidden until a model has two
  // analyses), scrolled into view.
  const canvases = frame.locator('canvas:visible');
  const n = await canvases.count();
  if (n === 0) throw new Error('no charts (canvas elements) in the results page');
  for (let i = 0; i < n; i++) {
    const c = canvases.nth(i);
    const name = (await c.evaluate((el) => el.getAttribute('aria-label') || el.id || el.closest('section, figure, div[id]')?.id || '')) || `chart-${i + 1}`;
    await c.scrollIntoViewIfNeeded();
    await afterPaint(frame);
    await vscode.shot(`chart-${String(i + 1).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '_').slice(0, 40)}`, c);
  }
  log(`wrote ${n} chart screenshots to ${path.relative(REPO, SHOTS)}`);

  // Read before the reload: each window session writes a new log file.
  const finished = await vscode.waitForLog(/analysis of \S+ finished in (\d+) ms/, 5000);

  // Selecting a block reveals where it is defined: the model opens beside the results panel.
  const firstRow = frame.locator('tr[data-block-index]').first();
  await firstRow.scrollIntoViewIfNeeded();
  await firstRow.click();
  // examples/resnet has the model's PyTorch source, so its mapped line in model.py opens (code
  // annotations); a model without source opens itself.
  await waitUntil(
    async () =>
      (await page.locator('.tab', { hasText: path.basename(MODEL_REL) }).count()) >= 2 || (await page.locator('.tab', { hasText: /^model\.py/ }).count()) >= 1,
    20000,
    "the block's source (or the model file) opened by selecting a block",
  );
  if ((await page.locator('.editor-group-container').count()) < 2) throw new Error('the model opened over the results panel instead of beside it');
  await vscode.shot('reveal-block');
  log('selecting block 1 opened the model beside the panel');

  // The panel comes back after a window reload (serializer + stored report).
  await vscode.reloadWindow();
  await waitUntil(
    async () => {
      try {
        const t = await vscode.webviewFrame().locator('body').evaluate(readTablesInPage);
        return t.length > 0 && t[0].rows.length === cliReport.blocks.length;
      } catch {
        return false;
      }
    },
    60000,
    'the results panel restored after the reload',
  );
  await vscode.shot('restored-after-reload');
  log('results panel restored after Reload Window');

  const summary = {
    activationMs: Number(activation[1]),
    bundleLoadMs: Number(activation[2]),
    activateMs: Number(activation[3]),
    analysisMs: Number(finished[1]),
    numbersCompared: cmp.checked,
    charts: n,
    headers: tables[0].headers,
  };
  fs.writeFileSync(path.join(SHOTS, 'summary.json'), JSON.stringify(summary, null, 2));
  log(`summary: ${normalize(JSON.stringify(summary))}`);
});
