// Real VS Code: the first chart before the block matrix is done. A long analysis (many probes
// for the block matrix; the GSC to the output of the 10-class example is exact and cheap)
// shows its GSC-to-output chart, with the other charts "computing…", while the progress
// notification still runs; then the final report replaces the page. Waits for states only.
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
  const settings = { 'gradientLens.batchSize': 32, 'gradientLens.probes': 128, 'gradientLens.kPrecision': 0 };
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace: path.join(REPO, 'examples'), settings, shots: SHOTS }));
  const { page } = vscode;
  await vscode.waitForLog(/activation ([\d.]+) ms/, 30000, 'activation line');
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');

  await vscode.waitForLog(/model\.onnx: GSC to the output measured \((\d+) blocks\)/, 300000, 'the partial report in the log');
  await vscode.waitForResults('resnet/model.onnx', 60000);
  const frame = vscode.webviewFrame();
  await frame.locator('#app[data-state="partial"] #gsc-frame canvas').waitFor({ timeout: 60000 });
  const computing = frame.locator('[data-state="computing"]');
  await waitUntil(async () => (await computing.count()) === 3, 20000, 'three charts computing');
  await afterPaint(frame);
  // Read after the page was drawn: the analysis is still running (no report yet).
  const toast = page.locator('.notification-toast', { hasText: 'Gradient Lens' });
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
  const partialAt = logText.search(/GSC to the output measured/);
  const finishedAt = logText.search(/analysis of model\.onnx finished/);
  if (!(partialAt >= 0 && partialAt < finishedAt)) throw new Error('the partial line does not precede the finished line in the log');
  fs.writeFileSync(path.join(SHOTS, 'summary.json'), JSON.stringify({ firstChartWhileRunning: stillRunning, progressAtFirstChart: progress }, null, 2));
});
