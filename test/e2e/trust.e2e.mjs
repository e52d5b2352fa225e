// Real VS Code with Workspace Trust on: in a folder opened in Restricted Mode, Analyze Model
// asks for trust (a modal naming the reason, with "Manage Workspace Trust") and starts no
// analysis process.
//
//   node test/e2e/trust.e2e.mjs [--vsix FILE]
import fs from 'node:fs';
import path from 'node:path';
import { REPO, log, normalize, runTest, startVsCode } from './harness.mjs';

const args = process.argv.slice(2);
const VSIX = path.resolve(args.includes('--vsix') ? args[args.indexOf('--vsix') + 1] : path.join(REPO, 'gradient-lens.vsix'));
const SHOTS = path.join(REPO, 'test-results', 'screenshots-trust');

await runTest('trust', 240, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace: path.join(REPO, 'examples'), shots: SHOTS, trust: false }));
  const { page } = vscode;
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'only when you trust the workspace' });
  await dialog.waitFor({ timeout: 20000 });
  const buttons = (await dialog.locator('.monaco-button').allInnerTexts()).map((t) => t.trim());
  log(`trust dialog: ${normalize(await dialog.innerText()).replace(/\s+/g, ' ')}`);
  await vscode.shot('trust-dialog');
  if (!buttons.includes('Manage Workspace Trust')) throw new Error(`no "Manage Workspace Trust" button: ${buttons.join(' | ')}`);
  await page.keyboard.press('Escape');
  // The extension logs its refusal once the dialog has answered; a worker would start before it.
  await vscode.waitForLog(/not analysing \S+model\.onnx: the workspace is not trusted/, 20000, 'the refusal in the log');
  if (/worker started/.test(vscode.extensionLog())) throw new Error('an analysis process was started in an untrusted workspace');
  log('Cancel: no analysis process was started');

  // Again, but this time trust the folder from the Workspace Trust editor: the analysis runs.
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');
  await dialog.waitFor({ timeout: 20000 });
  await dialog.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).click();
  const trustButton = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust/ }).first();
  await trustButton.waitFor({ timeout: 20000 });
  await vscode.shot('trust-editor');
  await trustButton.click();
  await vscode.waitForLog(/analysis runs in worker pid \d+/, 30000, 'the analysis to start once trusted');
  log('after trusting the folder the requested analysis started');
  await vscode.runCommand('Gradient Lens: Cancel Analysis');
});
