// Real VS Code, which files are models and where their reports go (issue #18, items 3 and 6):
// a TensorFlow.js model called emotion.json is recognised by its content (Explorer menu and the
// Analyze Model pick list), package.json is not; two files called model.onnx in two folders
// get report titles with their folder, pick lists show relative paths, and every report opens
// as a tab in the one report column instead of a new column each.
//
//   node test/e2e/modelFiles.e2e.mjs [--vsix FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, log, runTest, afterPaint, startVsCode, waitUntil, normalize } from './harness.mjs';

const args = process.argv.slice(2);
const VSIX = path.resolve(args.includes('--vsix') ? args[args.indexOf('--vsix') + 1] : path.join(REPO, 'gradient-lens.vsix'));
const MODELS = path.join(REPO, 'test', 'fixtures', 'models');
const SHOTS = path.join(REPO, 'test-results', 'screenshots-modelFiles');

await runTest('modelFiles', 420, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-e2e-models-'));
  for (const d of ['emotion', 'a', 'b']) fs.mkdirSync(path.join(workspace, d));
  fs.copyFileSync(path.join(MODELS, 'mlp_relu', 'tfjs', 'model.json'), path.join(workspace, 'emotion', 'emotion.json'));
  fs.copyFileSync(path.join(MODELS, 'mlp_relu', 'tfjs', 'weights.bin'), path.join(workspace, 'emotion', 'weights.bin'));
  fs.copyFileSync(path.join(MODELS, 'linear_orthogonal', 'model.onnx'), path.join(workspace, 'a', 'model.onnx'));
  fs.copyFileSync(path.join(MODELS, 'mlp_relu', 'model.onnx'), path.join(workspace, 'b', 'model.onnx'));
  fs.writeFileSync(path.join(workspace, 'package.json'), JSON.stringify({ name: 'not-a-model', version: '1.0.0' }, null, 2));
  const settings = { 'gradientLens.batchSize': 4, 'gradientLens.probes': 4, 'gradientLens.blockMatrix': false };
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, settings, shots: SHOTS }));
  const { page } = vscode;

  // 3. emotion.json: Analyze Model in its Explorer menu (the name alone would not offer it).
  await vscode.waitForLog(/found \d+ models in the workspace \(1 TensorFlow\.js by content\)/, 90000, 'the workspace scan');
  await vscode.contextMenu(await vscode.revealInExplorer('emotion/emotion.json'), 'Analyze Model');
  await vscode.waitForResults('emotion/emotion.json', 240000);
  log('emotion.json analysed from its Explorer menu; the report is titled "Gradient Lens: emotion/emotion.json"');

  // package.json is JSON but not a model: no Analyze Model in its menu.
  const menu = page.locator('.monaco-menu').last();
  await (await vscode.revealInExplorer('package.json')).click({ button: 'right' });
  await menu.waitFor({ state: 'visible' });
  const pkgLabels = (await menu.locator('.action-label').allInnerTexts()).map((s) => s.trim()).filter(Boolean);
  await vscode.shot('package-json-menu');
  await page.keyboard.press('Escape');
  if (pkgLabels.length === 0 || pkgLabels.includes('Analyze Model')) throw new Error(`package.json's menu: ${pkgLabels.join(' | ')}`);

  // The Analyze Model pick list: relative paths, emotion.json among the models, package.json not.
  await vscode.runCommand('View: Close All Editors');
  await page.locator('.tab').first().waitFor({ state: 'detached', timeout: 10000 });
  await vscode.runCommand('Gradient Lens: Analyze Model');
  const picker = await vscode.quickInputTitled('Analyze Model');
  const rows = await waitUntil(
    async () => {
      const texts = (await picker.locator('.monaco-list-row').allInnerTexts()).map((t) => normalize(t).replace(/\s+/g, ' ').trim());
      return texts.length >= 3 ? texts : false;
    },
    30000,
    'the models in the pick list',
  );
  log(`pick list: ${rows.join(' | ')}`);
  await afterPaint(page);
  await vscode.shot('analyze-pick-list');
  for (const expected of ['a/model.onnx', 'b/model.onnx', 'emotion/emotion.json'])
    if (!rows.some((r) => r.startsWith(expected))) throw new Error(`"${expected}" is not in the pick list: ${rows.join(' | ')}`);
  if (rows.some((r) => r.includes('package.json'))) throw new Error('package.json is offered as a model');
  await vscode.pickInQuickInput('Analyze Model', 'a/model.onnx');
  await vscode.waitForResults('a/model.onnx', 240000);

  // 6. The second model.onnx: its own title, and a tab in the same column as the first report.
  await vscode.contextMenu(await vscode.revealInExplorer('b/model.onnx'), 'Analyze Model');
  await vscode.waitForResults('b/model.onnx', 240000);
  await afterPaint(page);
  await vscode.shot('two-reports-one-column');
  const groupsWithReports = await page
    .locator('.editor-group-container')
    .evaluateAll((groups) => groups.filter((g) => [...g.querySelectorAll('.tab')].some((t) => (t.textContent ?? '').includes('Gradient Lens:'))).length);
  const groups = await page.locator('.editor-group-container').count();
  log(`${groups} editor groups, ${groupsWithReports} with reports`);
  if (groupsWithReports !== 1) throw new Error(`the reports are spread over ${groupsWithReports} editor groups`);
  // 8. b/model.onnx is mlp_relu: ReLUs flagged pseudo-linear. Flagged rows stand out, the Flags
  // cell says what each flag is measured on, and the table fits the panel (the column wraps).
  const frame = vscode.webviewFrame();
  const table = await waitUntil(
    async () => {
      try {
        return await frame.locator('body').evaluate(() => {
          const rows = [...document.querySelectorAll('#block-table tbody tr')];
          if (rows.length === 0) return false;
          const flagged = rows.filter((r) => r.classList.contains('flagged'));
          const scroll = document.querySelector('#block-table')?.closest('.table-scroll');
          return {
            rows: rows.length,
            flagged: flagged.length,
            flagText: flagged[0]?.querySelector('td[data-column="flags"]')?.textContent ?? '',
            unflaggedText: rows.find((r) => !r.classList.contains('flagged'))?.querySelector('td[data-column="flags"]')?.textContent ?? '',
            overflow: scroll ? scroll.scrollWidth - scroll.clientWidth : -1,
            // The first flagged row's Flags cell lies inside the visible part of the table.
            flagsVisible: (() => {
              const cell = flagged[0]?.querySelector('td[data-column="flags"]');
              if (!cell || !scroll) return false;
              return cell.getBoundingClientRect().right <= scroll.getBoundingClientRect().right + 1;
            })(),
          };
        });
      } catch {
        return false;
      }
    },
    60000,
    'the block table of b/model.onnx',
  );
  log(`block table: ${JSON.stringify(table)}`);
  await frame.locator('#block-table').scrollIntoViewIfNeeded();
  await afterPaint(page);
  await vscode.shot('flagged-rows');
  if (table.flagged === 0) throw new Error('no flagged row is highlighted');
  if (!/pseudo-linear: Relu k [\d.]+ > 3/.test(table.flagText)) throw new Error(`the Flags cell does not say what it measures: ${table.flagText}`);
  if (!table.flagsVisible) throw new Error('the Flags column is cut off at the right edge of the panel');
  if (table.unflaggedText.trim() !== '') throw new Error(`an unflagged row has flags: ${table.unflaggedText}`);
  // 9. The verdict in plain words at the top of the page.
  const verdictText = normalize(await frame.locator('#verdict').innerText());
  log(`verdict: ${verdictText.replace(/\s+/g, ' ')}`);
  if (!/^(Gradients explode|Gradients grow|No gradient explosion)/.test(verdictText)) throw new Error(`no verdict at the top: ${verdictText}`);
  if (!/Per block: a factor of/.test(verdictText)) throw new Error('the verdict does not say how much per block');
  await frame.locator('#verdict').scrollIntoViewIfNeeded();
  await afterPaint(page);
  await vscode.shot('verdict');
  const titles = await page.locator('.tab', { hasText: 'Gradient Lens:' }).allInnerTexts();
  log(`report tabs: ${titles.map((t) => normalize(t).trim()).join(' | ')}`);
  fs.rmSync(workspace, { recursive: true, force: true });
});
