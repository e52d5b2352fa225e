// Real VS Code, a model whose output is blocked by an unsupported op (issue #16): Analyze shows
// the refusal with "Pick Output Tensor…"; the pick list of the model's tensors (read by the
// worker, op types shown) has the last tensor before the TopK first; picking it and the model
// input runs the analysis cut there. "Analyze Up To Tensor…" from the Explorer then chooses a
// start tensor too, and a plain Analyze afterwards uses the cut remembered for the file.
//
//   node test/e2e/cut.e2e.mjs [--vsix FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, log, normalize, runTest, afterPaint, startVsCode, waitUntil } from './harness.mjs';

const args = process.argv.slice(2);
const VSIX = path.resolve(args.includes('--vsix') ? args[args.indexOf('--vsix') + 1] : path.join(REPO, 'gradient-lens.vsix'));
const SHOTS = path.join(REPO, 'test-results', 'screenshots-cut');
const LOGITS = '/body/body.4/Gemm_output_0';
const REL = 'detector/model.onnx';

await runTest('cut', 420, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-e2e-cut-'));
  fs.mkdirSync(path.join(workspace, 'detector'));
  fs.copyFileSync(path.join(REPO, 'test', 'fixtures', 'cut', 'model.onnx'), path.join(workspace, REL));
  const settings = { 'gradientLens.batchSize': 4, 'gradientLens.probes': 4, 'gradientLens.blockMatrix': false, 'gradientLens.cache.enabled': false };
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, settings, shots: SHOTS }));
  const { page } = vscode;
  const runs = () => vscode.extensionLog().match(/analysing \S+detector\/model\.onnx \([^)]*\)[^\n]*/g) ?? [];

  // 1. The automatic output is blocked by TopK: the error offers the pick list.
  await vscode.contextMenu(await vscode.revealInExplorer(REL), 'Analyze Model');
  const toast = page.locator('.notification-toast', { hasText: 'TopK' }).filter({ has: page.getByRole('button', { name: 'Pick Output Tensor…' }) });
  await toast.first().waitFor({ timeout: 120000 });
  await afterPaint(page);
  await vscode.shot('refused');
  const refusal = normalize(await toast.first().innerText()).replace(/\s+/g, ' ');
  log(`refusal: ${refusal}`);
  if (refusal.includes('--output')) throw new Error('the notification quotes a CLI flag');
  await toast.first().hover();
  await toast.first().getByRole('button', { name: 'Pick Output Tensor…' }).click();

  // 2. The output pick list: the suggested tensor first, with its op; TopK's outputs not offered.
  const widget = await vscode.quickInputTitled('up to tensor', 60000);
  const rows = widget.locator('.monaco-list-row');
  await rows.first().waitFor({ state: 'visible' });
  await afterPaint(page);
  await vscode.shot('output-pick');
  const first = normalize(await rows.first().innerText()).replace(/\s+/g, ' ');
  log(`first row: ${first}`);
  if (!first.includes(LOGITS) || !first.includes('Gemm')) throw new Error(`the first row is not the suggested ${LOGITS} (Gemm): ${first}`);
  const all = normalize(await widget.locator('.quick-input-list').innerText());
  if (/TopK/.test(all)) throw new Error('a tensor behind the TopK is offered');
  await vscode.pickInQuickInput('up to tensor', LOGITS);
  await vscode.pickInQuickInput('start the analysis', 'The model input');
  await vscode.waitForResults(REL, 120000);
  await vscode.waitForLog(/analysis of model\.onnx finished/, 60000, 'the cut analysis to finish');
  const cutRun = runs().at(-1) ?? '';
  if (!cutRun.includes(`up to tensor ${LOGITS}`) || cutRun.includes('from tensor')) throw new Error(`the run was not cut at ${LOGITS} only: ${cutRun}`);
  await afterPaint(page);
  await vscode.shot('cut-report');
  log(`ran: ${cutRun}`);

  // 3. "Analyze Up To Tensor…" from the Explorer: the current output is marked; choose a start.
  await vscode.runCommand('Notifications: Clear All Notifications');
  await vscode.contextMenu(await vscode.revealInExplorer(REL), 'Analyze Up To Tensor…');
  const again = await vscode.quickInputTitled('up to tensor', 60000);
  const current = again.locator('.monaco-list-row', { hasText: 'current' });
  await current.first().waitFor({ state: 'visible' });
  if (!normalize(await current.first().innerText()).includes(LOGITS)) throw new Error('the remembered output is not marked current');
  await vscode.pickInQuickInput('up to tensor', LOGITS);
  const start = await vscode.quickInputTitled('start the analysis', 30000);
  const startRows = start.locator('.monaco-list-row');
  await startRows.nth(2).waitFor({ state: 'visible' });
  await afterPaint(page);
  await vscode.shot('start-pick');
  const from = '/body/body.1/Tanh_output_0';
  await vscode.pickInQuickInput('start the analysis', from);
  await waitUntil(() => runs().length >= 3 && runs().at(-1).includes(`from tensor ${from}`), 60000, 'a run from the chosen start');
  await vscode.waitForLog(/(?:analysis of model\.onnx finished[\s\S]*){2}/, 120000, 'the second cut analysis to finish');
  log(`ran: ${runs().at(-1)}`);

  // 4. A plain Analyze now uses the cut remembered for the file: no refusal.
  await vscode.runCommand('Notifications: Clear All Notifications');
  await vscode.contextMenu(await vscode.revealInExplorer(REL), 'Analyze Model');
  await waitUntil(() => runs().length >= 4, 60000, 'a fourth run');
  if (!runs().at(-1).includes(`up to tensor ${LOGITS}, from tensor ${from}`)) throw new Error(`the remembered cut was not used: ${runs().at(-1)}`);
  await vscode.waitForLog(/(?:analysis of model\.onnx finished[\s\S]*){3}/, 120000, 'the remembered-cut analysis to finish');
  if ((await toast.count()) > 0) throw new Error('refused again despite the remembered cut');
  await afterPaint(page);
  await vscode.shot('remembered');
  log('a plain Analyze used the remembered cut');
  fs.rmSync(workspace, { recursive: true, force: true });
});
