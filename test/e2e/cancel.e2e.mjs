// Real VS Code: start a long analysis (large batch and many probes), press Cancel on the
// progress notification, and check that the analysis stops: the notification goes away, the
// extension logs the cancellation, and the worker process it ran in no longer exists.
//
//   node test/e2e/cancel.e2e.mjs [--vsix FILE]
import fs from 'node:fs';
import path from 'node:path';
import { REPO, isAlive, log, runTest, startVsCode, waitUntil } from './harness.mjs';

const args = process.argv.slice(2);
const VSIX = path.resolve(args.includes('--vsix') ? args[args.indexOf('--vsix') + 1] : path.join(REPO, 'gradient-lens.vsix'));
const SHOTS = path.join(REPO, 'test-results', 'screenshots-cancel');

await runTest('cancel', 300, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  // Settings that make the example take minutes; exact mode off so probes count.
  const settings = { 'gradientLens.batchSize': 256, 'gradientLens.probes': 512, 'gradientLens.exactMode': 'off' };
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace: path.join(REPO, 'examples'), settings, shots: SHOTS }));
  const { page } = vscode;

  const activation = await vscode.waitForLog(/activation ([\d.]+) ms \(bundle load ([\d.]+) ms, activate\(\) ([\d.]+) ms\)/, 30000, 'activation line');
  log(`activation: ${activation[1]} ms (bundle load ${activation[2]} ms, activate() ${activation[3]} ms)`);
  const row = await vscode.revealInExplorer('resnet/model.onnx');
  await vscode.contextMenu(row, 'Analyze Model');

  const pidMatch = await vscode.waitForLog(/analysis runs in worker pid (\d+)/, 30000, 'worker pid in the log');
  const pid = Number(pidMatch[1]);
  log(`analysis worker pid ${pid}`);
  const toast = page.locator('.notification-toast', { hasText: 'Gradient Lens' });
  await toast.waitFor({ timeout: 20000 });
  // Wait until the engine is in its probe loop, so Cancel interrupts the computation itself.
  await waitUntil(async () => /probe|row/i.test(await toast.innerText()), 120000, 'progress into the probe / block-matrix loop');
  log(`progress before cancel: ${(await toast.innerText()).replace(/\s+/g, ' ')}`);
  await vscode.shot('before-cancel');
  if (!isAlive(pid)) throw new Error('the worker is not running before Cancel');

  const t0 = Date.now();
  await toast.hover();
  await toast.getByRole('button', { name: 'Cancel' }).click();
  await toast.waitFor({ state: 'hidden', timeout: 10000 });
  await vscode.waitForLog(/cancelled; the worker process has exited/, 10000, 'cancellation in the log');
  await waitUntil(() => !isAlive(pid), 5000, `worker pid ${pid} to exit`);
  const stoppedMs = Date.now() - t0;
  await vscode.shot('after-cancel');
  const killed = /did not stop within/.test(vscode.extensionLog());
  log(`stopped ${stoppedMs} ms after Cancel (${killed ? 'killed after the grace period' : 'the worker stopped by itself'})`);

  // No results panel appeared for the cancelled run (the log line above is written once the
  // run has been settled as cancelled: no panel can open after it).
  if (await page.locator('.tab', { hasText: 'Gradient Lens: resnet/model.onnx' }).count()) throw new Error('a results panel opened for a cancelled run');

  // A crash of the worker (killed from outside, as the OOM killer would) is reported, and the
  // next analysis runs in a fresh process.
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');
  const pid2 = Number((await vscode.waitForLog(new RegExp(`analysis runs in worker pid (?!${pid}\\b)(\\d+)`), 30000, 'a second worker'))[1]);
  const toast2 = page.locator('.notification-toast', { hasText: 'Gradient Lens: model.onnx' });
  await toast2.waitFor({ timeout: 20000 });
  // Killed once the worker is computing (its progress names a phase), not while it starts.
  await waitUntil(async () => /forward|probe|row|block|load/i.test(await toast2.innerText()), 120000, 'progress from the second worker');
  process.kill(pid2, 'SIGKILL');
  const crashToast = page.locator('.notification-toast', { hasText: 'stopped unexpectedly' });
  await crashToast.waitFor({ timeout: 20000 });
  if (!(await crashToast.getByRole('button', { name: 'Show details' }).count())) throw new Error('the crash message has no "Show details"');
  await vscode.shot('crash-reported');
  log(`crash reported: ${(await crashToast.innerText()).replace(/\s+/g, ' ')}`);
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');
  const pid3 = Number((await vscode.waitForLog(new RegExp(`analysis runs in worker pid (?!(?:${pid}|${pid2})\\b)(\\d+)`), 30000, 'a third worker'))[1]);
  if (!isAlive(pid3)) throw new Error('the fresh worker is not running');
  log(`after the crash the next analysis runs in a fresh worker (pid ${pid3})`);
  await vscode.runCommand('Gradient Lens: Cancel Analysis');
  await waitUntil(() => !isAlive(pid3), 10000, `worker ${pid3} to stop after Cancel Analysis`);
  log('Gradient Lens: Cancel Analysis (palette) stopped it');
  fs.writeFileSync(
    path.join(SHOTS, 'summary.json'),
    JSON.stringify({ workerPid: pid, stoppedMs, killedAfterGrace: killed, crashedPid: pid2, freshPid: pid3 }, null, 2),
  );
});
