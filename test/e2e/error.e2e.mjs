// Real VS Code: analysing a file that is not a valid model shows an error notification with
// "Show details", and that button opens the Gradient Lens Output channel with the details.
// Uses the command palette's quick pick of workspace models (the other entry point).
//
//   node test/e2e/error.e2e.mjs [--vsix FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, log, normalize, runTest, startVsCode, waitUntil } from './harness.mjs';

const args = process.argv.slice(2);
const VSIX = path.resolve(args.includes('--vsix') ? args[args.indexOf('--vsix') + 1] : path.join(REPO, 'gradient-lens.vsix'));
const SHOTS = path.join(REPO, 'test-results', 'screenshots-error');

await runTest('error', 240, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-e2e-ws-'));
  fs.writeFileSync(path.join(workspace, 'broken.onnx'), Buffer.from('this is not a protobuf model, just text\n'.repeat(20)));
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, shots: SHOTS }));
  const { page } = vscode;

  const activation = await vscode.waitForLog(/activation ([\d.]+) ms \(bundle load ([\d.]+) ms, activate\(\) ([\d.]+) ms\)/, 30000, 'activation line');
  log(`activation: ${activation[1]} ms (bundle load ${activation[2]} ms, activate() ${activation[3]} ms)`);
  // A model file open in an editor has the Analyze button in the editor title bar and the
  // command in the editor's context menu.
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
  await page.keyboard.type('broken.onnx');
  await page.locator('.quick-input-widget .monaco-list-row[aria-label^="broken.onnx"]').first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.editor-group-container.active .tab.active[data-resource-name="broken.onnx"]').waitFor();
  const titleButton = page.locator('.editor-group-container.active .editor-actions .action-label[aria-label^="Analyze Model"]');
  await titleButton.waitFor({ timeout: 10000 });
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click({ button: 'right' });
  const editorMenu = page.locator('.monaco-menu').last();
  await editorMenu.waitFor({ state: 'visible', timeout: 10000 });
  const editorMenuLabels = (await editorMenu.locator('.action-label').allInnerTexts()).map((t) => t.trim());
  await vscode.shot('editor-context-menu');
  await page.keyboard.press('Escape');
  if (!editorMenuLabels.includes('Analyze Model')) throw new Error(`editor context menu lacks Analyze Model: ${editorMenuLabels.join(' | ')}`);
  log('editor title button and editor context menu offer Analyze Model');
  // With no model editor active, the palette command offers a quick pick of workspace models.
  await vscode.runCommand('View: Close All Editors');
  await page.locator('.editor-group-container .tab').first().waitFor({ state: 'detached', timeout: 10000 });
  await vscode.runCommand('Gradient Lens: Analyze Model');
  const pick = page.locator('.quick-input-widget .monaco-list-row[aria-label^="broken.onnx"]');
  await pick.waitFor({ timeout: 20000 });
  await vscode.shot('quick-pick');
  await pick.click();

  const toast = page.locator('.notification-toast', { hasText: 'broken.onnx' }).filter({ has: page.getByRole('button', { name: 'Show details' }) });
  await toast.waitFor({ timeout: 120000 });
  const text = normalize(await toast.innerText()).replace(/\s+/g, ' ');
  log(`error notification: ${text}`);
  await vscode.shot('error');
  await toast.hover();
  await toast.getByRole('button', { name: 'Show details' }).click();
  // The Output view is open on the "Gradient Lens" channel and shows the error.
  const channel = page.locator('.part.panel .monaco-select-box');
  await waitUntil(
    async () => (await channel.count()) > 0 && /Gradient Lens/.test(await channel.first().evaluate((el) => el.value ?? el.title ?? el.textContent)),
    20000,
    'Output showing the Gradient Lens channel',
  );
  const output = page.locator('.part.panel .monaco-editor .view-lines:visible').last();
  // The view is virtualised and scrolled to the end (the worker's stderr): any text will do.
  await waitUntil(async () => normalize(await output.innerText()).trim().length > 0, 20000, 'text in the Output channel');
  await vscode.shot('output');
  if (!/broken\.onnx/.test(vscode.extensionLog())) throw new Error('the log has no line about broken.onnx');
  log(
    `output channel (last lines): ${normalize(await output.innerText())
      .trim()
      .split('\n')
      .slice(-2)
      .join(' / ')}`,
  );
  fs.rmSync(workspace, { recursive: true, force: true });
});
