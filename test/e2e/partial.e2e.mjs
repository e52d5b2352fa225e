// Real VS Code: the first chart before the block matrix is done. A long analysis (many probes
// for the block matrix; the GSC to the output of the 10-class example is exact and cheap)
// shows its GSC-to-output chart, with the other charts "computing…", while the progress
// notification still runs; then the final report replaces the page. Cancel after the first
// chart: with no earlier report the panel closes; with one, the panel shows it again.
// Waits for states only.
//
//   node test/e2e/partial.e2e.mjs [--vsix FILE]
import fs from 'node:fs';
import path from 'node:path';
import { REPO, afterPaint, log, runTest, startVsCode, waitUntil } from './harness.mjs';

const args = process.argv.slice(2);
const VSIX = path.resolve(args.includes('--vsix') ? args[args.indexOf('--vsix') + 1] : path.join(REPO, 'gradient-lens.vsix'));
const SHOTS = path.join(REPO, 'test-results', 'screenshots-partial');

await runTest('partial', 900, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  // The block matrix's rows take 128 probes each (minutes on a 2-core machine); exact mode auto keeps the GSC to the output exact.
  // The cache is off so that the third run computes again instead of serving the second's report.
  const settings = { 'gradientLens.batchSize': 32, 'gradientLens.probes': 128, 'gradientLens.kPrecision': 0, 'gradientLens.cache.enabled': false };
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace: path.join(REPO, 'examples'), settings, shots: SHOTS }));
  const { page } = vscode;
  await vscode.waitForLog(/activation ([\d.]+) ms/, 30000, 'activation line');
  const toast = page.locator('.notification-toast', { hasText: 'Gradient Lens' });
  const count = (pattern) => (vscode.extensionLog().match(pattern) ?? []).length;
  const partials = () => count(/model\.onnx: GSC to the output measured \(\d+ blocks\)/g);
  const cancels = () => count(/analysis of model\.onnx cancelled/g);
  const tab = page.locator('.tab', { hasText: 'Gradient Lens: resnet/model.onnx' });
  const analyze = async () => vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');
  /** Cancel from the progress notification once the n-th partial report is in; waits for the cancellation (the c-th). */
  const cancelAfterPartial = async (n, c) => {
    await waitUntil(() => partials() >= n, 300000, `partial report ${n} in the log`);
    await vscode.waitForResults('resnet/model.onnx', 60000);
    await vscode.webviewFrame().locator('#app[data-state="partial"] #gsc-frame canvas').waitFor({ timeout: 60000 });
    await vscode.shot(`partial-${n}-before-cancel`);
    await toast.first().hover();
    await toast.first().getByRole('button', { name: 'Cancel' }).click();
    await waitUntil(() => cancels() >= c, 30000, `cancellation ${c} in the log`);
  };

  // 1. Cancel after the first chart, no earlier report: the panel the partial report opened closes.
  await analyze();
  await cancelAfterPartial(1, 1);
  await waitUntil(async () => (await tab.count()) === 0, 30000, 'the partial panel to close after Cancel');
  log('cancel after the first chart with no earlier report: the panel closed');

  // 2. The full run: the first chart while the rest runs, then the final report.
  await analyze();
  await waitUntil(() => partials() >= 2, 300000, 'the partial report in the log');
  await vscode.waitForResults('resnet/model.onnx', 60000);
  const frame = vscode.webviewFrame();
  await frame.locator('#app[data-state="partial"] #gsc-frame canvas').waitFor({ timeout: 60000 });
  const computing = frame.locator('[data-state="computing"]');
  await waitUntil(async () => (await computing.count()) === 3, 20000, 'three charts computing');
  await afterPaint(frame);
  // Read after the page was drawn: the analysis is still running (no report yet).
  const stillRunning = !/analysis of model\.onnx finished/.test(vscode.extensionLog());
  const progress = (await toast.count()) > 0 ? (await toast.first().innerText()).replace(/\s+/g, ' ') : '(no notification)';
  log(`first chart shown; analysis still running: ${stillRunning}; progress: ${progress}`);
  await vscode.shot('first-chart');
  if (!stillRunning) throw new Error('the final report was in before the first chart was seen: make the run longer');
  const status = await frame.locator('#partial-status').innerText();
  log(`status line: ${status}`);

  // The final report replaces the page: every chart drawn, nothing computing.
  await frame.locator('#app[data-state="report"]').waitFor({ timeout: 900000 });
  await vscode.waitForLog(/analysis of model\.onnx finished in (\d+) ms/, 30000, 'the finished line');
  if ((await frame.locator('[data-state="computing"]').count()) !== 0) throw new Error('charts still computing after the report came');
  await frame.locator('#heatmap-frame canvas').waitFor({ timeout: 20000 });
  await afterPaint(frame);
  await vscode.shot('final-report');
  const logText = vscode.extensionLog();
  // The full run's partial line (the second in the log) precedes its finished line.
  const finishedAt = logText.search(/analysis of model\.onnx finished/);
  const partialsBefore = (logText.slice(0, Math.max(finishedAt, 0)).match(/GSC to the output measured/g) ?? []).length;
  if (!(finishedAt >= 0 && partialsBefore === 2)) throw new Error("the full run's partial line does not precede its finished line in the log");

  // 3. Cancel after the first chart of a new run: the panel shows the earlier report again.
  await analyze();
  await cancelAfterPartial(3, 2);
  await frame.locator('#app[data-state="report"]').waitFor({ timeout: 60000 });
  await frame.locator('#heatmap-frame canvas').waitFor({ timeout: 20000 });
  if ((await frame.locator('[data-state="computing"]').count()) !== 0) throw new Error('charts still computing after the cancelled run was abandoned');
  if ((await tab.count()) === 0) throw new Error('the panel closed although it had a report to show again');
  await afterPaint(frame);
  await vscode.shot('after-cancel-restored');
  log('cancel after the first chart with an earlier report: the panel shows that report again');
  fs.writeFileSync(path.join(SHOTS, 'summary.json'), JSON.stringify({ firstChartWhileRunning: stillRunning, progressAtFirstChart: progress }, null, 2));
});
