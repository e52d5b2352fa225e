// Real VS Code, TensorFlow.js model: right-click a model.json (a fixture from
// test/fixtures/models copied into a temporary workspace), Analyze, wait for the results, select
// a block, and check the editor beside the panel selects that layer's "name" entry.
//
//   node test/e2e/tfjs.e2e.mjs [--vsix FILE] [--fixture resnet_cifar8]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, log, normalize, runTest, afterPaint, startVsCode, waitUntil } from './harness.mjs';
import { readTablesInPage, waitForBlockTables } from './blockTable.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const VSIX = path.resolve(opt('--vsix', path.join(REPO, 'gradient-lens.vsix')));
const FIXTURE = path.resolve(REPO, 'test', 'fixtures', 'models', opt('--fixture', 'resnet_cifar8'), 'tfjs');
const SHOTS = path.join(REPO, 'test-results', 'screenshots-tfjs');

await runTest('tfjs', 300, async (keep) => {
  if (!fs.existsSync(path.join(FIXTURE, 'model.json'))) throw new Error(`fixture not found: ${FIXTURE}`);
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-e2e-tfjs-'));
  fs.cpSync(FIXTURE, path.join(workspace, 'tfjs'), { recursive: true });
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, settings: { 'gradientLens.batchSize': 4, 'gradientLens.probes': 4 }, shots: SHOTS }));
  const { page } = vscode;

  await vscode.contextMenu(await vscode.revealInExplorer('tfjs/model.json'), 'Analyze Model');
  await vscode.waitForResults('tfjs/model.json', 240000);
  const frame = vscode.webviewFrame();
  const tables = await waitForBlockTables(frame, 'the block table');
  log(`${tables[0].rows.length} blocks in the table`);
  await vscode.shot('results');

  // Select the second block (the first may be a stem with an odd name); the model.json opens
  // beside the panel with the layer's "name" entry selected.
  const row = frame.locator('tr[data-block-index]').nth(Math.min(1, tables[0].rows.length - 1));
  await row.click();
  const editorTab = page.locator('.tab', { hasText: /^model\.json/ }).filter({ hasNotText: 'Gradient Lens' });
  await editorTab.first().waitFor({ timeout: 20000 });
  // The reveal keeps focus in the panel; focusing the editor group (without clicking, which
  // would move the cursor) makes the status bar show its selection.
  await page
    .locator('.tab.active', { hasText: /^model\.json/ })
    .first()
    .waitFor({ timeout: 20000 });
  await page.keyboard.press('Control+2'); // workbench.action.focusSecondEditorGroup
  const status = await waitUntil(
    async () => {
      const t = await page
        .locator('.statusbar-item', { hasText: /Ln \d+, Col \d+ \(\d+ selected\)/ })
        .first()
        .innerText()
        .catch(() => '');
      return /Ln \d+/.test(t) ? normalize(t) : false;
    },
    15000,
    'a selection in the model.json editor',
  );
  const [, ln, col, n] = /Ln (\d+), Col (\d+) \((\d+) selected\)/.exec(status).map(Number);
  const line = fs.readFileSync(path.join(workspace, 'tfjs', 'model.json'), 'utf8').split('\n')[ln - 1] ?? '';
  // The selection ends at the cursor: the selected text is the n characters before it.
  const selected = line.slice(col - 1 - n, col - 1);
  log(`selection: line ${ln}, ${JSON.stringify(selected)}`);
  if (!/^"name"\s*:\s*".*"$/.test(selected)) throw new Error(`the selection is ${JSON.stringify(selected)}, not a "name" entry`);
  await afterPaint(page);
  await vscode.shot('reveal-layer');

  // Re-run With Settings…: change the seed in the picker, run, and the panel gets the new run.
  await vscode.runCommandAndPick('Gradient Lens: Re-run With Settings…', ['with settings', 'Seed']);
  await vscode.answerInputBox('Seed', '5');
  await vscode.quickInputTitled('with settings');
  await vscode.shot('rerun-picker');
  await vscode.pickInQuickInput('with settings', 'Run analysis');
  await vscode.waitForLog(/analysing \S+model\.json \(batch 4, 4 probes, seed 5,/, 20000, 'a run with seed 5');
  await vscode.waitForLog(/analysis of model\.json finished[^\n]*\n(?:.*\n)*.*analysis of model\.json finished/, 120000, 'the second run to finish');
  log('Re-run With Settings… ran with seed 5');

  // Show Report brings the panel back after it was closed.
  await vscode.runCommand('View: Close All Editors');
  await page.locator('.tab').first().waitFor({ state: 'detached', timeout: 10000 });
  await vscode.runCommand('Gradient Lens: Show Report');
  await vscode.waitForResults('tfjs/model.json', 20000);
  await waitUntil(
    async () => {
      try {
        return (await vscode.webviewFrame().locator('body').evaluate(readTablesInPage))[0]?.rows.length === tables[0].rows.length;
      } catch {
        return false;
      }
    },
    30000,
    'the report shown again',
  );
  log('Show Report reopened the results panel');
  fs.rmSync(workspace, { recursive: true, force: true });
});
