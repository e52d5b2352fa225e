// Real VS Code, a model with a dynamic input size (issue #18, item 4): Analyze asks for the size
// in an input box (default 32 for a sequence), runs with it, and remembers it for that file only:
// a second file with the same dimension name is asked again; the first runs again unasked.
//
//   node test/e2e/dynamicDims.e2e.mjs [--vsix FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, log, runTest, afterPaint, startVsCode, waitUntil } from './harness.mjs';
import { writeDynamicSeqModel } from './dynamicModel.mjs';

const args = process.argv.slice(2);
const VSIX = path.resolve(args.includes('--vsix') ? args[args.indexOf('--vsix') + 1] : path.join(REPO, 'gradient-lens.vsix'));
const SHOTS = path.join(REPO, 'test-results', 'screenshots-dynamicDims');

await runTest('dynamicDims', 360, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-e2e-dims-'));
  writeDynamicSeqModel(path.join(workspace, 'seqnet', 'model.onnx'));
  writeDynamicSeqModel(path.join(workspace, 'other', 'model.onnx'));
  const settings = { 'gradientLens.batchSize': 4, 'gradientLens.probes': 4, 'gradientLens.blockMatrix': false, 'gradientLens.cache.enabled': false };
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, settings, shots: SHOTS }));
  const { page } = vscode;
  const offer = page.locator('.notification-toast', { hasText: 'has dynamic sizes' });

  /** Analyze from the Explorer, answer "Set Sizes…" and the one input box; returns the box's default. */
  async function analyzeAnswering(rel, size) {
    await vscode.contextMenu(await vscode.revealInExplorer(rel), 'Analyze Model');
    await offer.first().waitFor({ timeout: 120000 });
    await afterPaint(page);
    await vscode.shot(`asked-${rel.split('/')[0]}`);
    if (await page.locator('.notification-toast', { hasText: '--dim' }).count()) throw new Error('the notification still quotes a CLI flag');
    await offer.first().getByRole('button', { name: 'Set Sizes…' }).click();
    const box = await vscode.quickInputTitled('size of "seq"');
    const dflt = await box.locator('input').inputValue();
    await vscode.shot(`size-box-${rel.split('/')[0]}`);
    await vscode.answerInputBox('size of "seq"', String(size));
    await vscode.waitForResults(rel, 120000);
    return dflt;
  }

  const dflt = await analyzeAnswering('seqnet/model.onnx', 48);
  log(`asked for seq (default ${dflt}); seqnet/model.onnx analysed with 48`);
  if (dflt !== '32') throw new Error(`the default size is ${dflt}, expected 32 for a sequence`);
  await vscode.waitForLog(/analysing \S+seqnet\/model\.onnx \([^)]*dims seq=48/, 20000, 'a run of seqnet with seq=48');

  // Another file with the same dimension name: asked again (sizes are per file, not per name).
  await vscode.runCommand('Notifications: Clear All Notifications');
  await analyzeAnswering('other/model.onnx', 16);
  await vscode.waitForLog(/analysing \S+other\/model\.onnx \([^)]*dims seq=16/, 20000, 'a run of other with seq=16');

  // The first file again: runs with its remembered size, no question.
  await vscode.runCommand('Notifications: Clear All Notifications');
  // Through the pick list: the Explorer now shows two rows called model.onnx.
  await vscode.runCommandAndPick('Gradient Lens: Analyze Model', ['Analyze Model', 'seqnet/model.onnx']);
  await waitUntil(
    () => (vscode.extensionLog().match(/analysing \S+seqnet\/model\.onnx \([^)]*dims seq=48/g) ?? []).length >= 2,
    60000,
    'a second run of seqnet with seq=48',
  );
  await vscode.waitForLog(/(?:analysis of model\.onnx finished[\s\S]*){3}/, 120000, 'the third run to finish');
  if ((await offer.count()) > 0) throw new Error('asked again for a size already given for this file');
  await afterPaint(page);
  await vscode.shot('remembered');
  log('seqnet/model.onnx ran again with seq=48 without asking');
  fs.rmSync(workspace, { recursive: true, force: true });
});
