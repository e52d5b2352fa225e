// Real VS Code: before a long run the extension says how long it will take and offers cheaper
// settings (#18 item 5). With gradientLens.estimateThresholdSeconds at 1 the example ResNet
// (an estimate of tens of seconds from its timed forward pass) gets the offer; choosing
// "Block matrix off" restarts the run without it, and the report and a notification say the
// settings were reduced.
//
//   node test/e2e/estimate.e2e.mjs [--vsix FILE]
import fs from 'node:fs';
import path from 'node:path';
import { REPO, afterPaint, log, normalize, runTest, startVsCode } from './harness.mjs';

const args = process.argv.slice(2);
const VSIX = path.resolve(args.includes('--vsix') ? args[args.indexOf('--vsix') + 1] : path.join(REPO, 'gradient-lens.vsix'));
const SHOTS = path.join(REPO, 'test-results', 'screenshots-estimate');

await runTest('estimate', 420, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const settings = { 'gradientLens.estimateThresholdSeconds': 1, 'gradientLens.blockMatrix': true };
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace: path.join(REPO, 'examples'), settings, shots: SHOTS }));
  const { page } = vscode;
  await vscode.waitForLog(/activation ([\d.]+) ms/, 30000, 'activation line');
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');

  const offer = page.locator('.notification-toast', { hasText: 'will take about' });
  await offer.waitFor({ timeout: 180000 });
  const offerText = normalize(await offer.innerText()).replace(/\s+/g, ' ');
  log(`offer: ${offerText}`);
  if (
    !/analyzing resnet\/model\.onnx will take about \d+ (s|min) \(estimated from its forward pass/.test(offerText) &&
    !/analyzing model\.onnx will take about/.test(offerText)
  )
    throw new Error(`unexpected offer: ${offerText}`);
  await vscode.waitForLog(/model\.onnx: estimated about \d+ (s|min) in all \(forward pass \d+ ms/, 10000, 'the estimate in the Output channel');
  if (!/block matrix off: about \d+ (s|min)[;)]/.test(offerText)) throw new Error(`the offer does not give the cheaper run's time: ${offerText}`);
  const matrixOff = offer.getByRole('button', { name: 'Block Matrix Off' });
  if ((await matrixOff.count()) !== 1) throw new Error(`no "Block matrix off" button: ${offerText}`);
  if ((await offer.getByRole('button', { name: 'Run anyway' }).count()) !== 1) throw new Error('no "Run anyway" button');
  await afterPaint(page);
  await vscode.shot('offer');
  await offer.hover();
  await matrixOff.click();
  await vscode.waitForLog(/restarting with block matrix off/, 30000, 'the restart in the Output channel');

  const notice = page.locator('.notification-toast', { hasText: 'was analyzed with reduced settings' });
  await notice.waitFor({ timeout: 300000 });
  const noticeText = normalize(await notice.innerText()).replace(/\s+/g, ' ');
  log(`notice: ${noticeText}`);
  if (!/settings reduced before the run, as offered for an estimated about \d+ (s|min): block matrix off/.test(noticeText))
    throw new Error(`the notification does not say what was reduced: ${noticeText}`);
  if ((await page.locator('.notification-toast', { hasText: 'will take about' }).count()) !== 0) throw new Error('the reduced run was offered again');

  const frame = vscode.webviewFrame();
  const warnings = frame.locator('#warnings');
  await warnings.waitFor({ timeout: 60000 });
  const warningText = normalize(await warnings.innerText()).replace(/\s+/g, ' ');
  if (!warningText.includes('settings reduced before the run')) throw new Error(`the report's warnings do not say so: ${warningText}`);
  log(`report warning: ${warningText.slice(0, 200)}`);
  await afterPaint(frame);
  await vscode.shot('reduced-report');
});
