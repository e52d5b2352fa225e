// Real VS Code, bundled examples: run "Gradient Lens: Analyze All Examples" in an EMPTY
// workspace, wait for the figure (GSC to the output against depth, one line per network),
// read the summary table's numbers from the webview's DOM and check the paper's claims, then
// "Open Example…" -> residual ReLU -> model.py opens -> Analyze ONNX -> its report. The
// workspace must stay empty (examples live in the extension's global storage).
// Screenshots go to test-results/screenshots/examples/.
//
//   node test/e2e/examples.e2e.mjs [--vsix FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, afterPaint, log, normalize, runTest, startVsCode, waitUntil } from './harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const VSIX = path.resolve(opt('--vsix', path.join(REPO, 'gradient-lens.vsix')));
const SHOTS = path.join(REPO, 'test-results', 'screenshots', 'examples');
/** The residual MLP's GSC(input -> output) must be at least this many times below the tanh MLP's. */
const RESIDUAL_VS_TANH = 50;
const EXAMPLE_IDS = ['mlp_relu', 'mlp_tanh', 'mlp_selu', 'mlp_bn_relu', 'mlp_ln_tanh', 'resmlp_relu', 'linear_orthogonal'];

/** Runs inside the webview page: the summary table and the per-depth table as plain data. */
function readFigureInPage() {
  const num = (el) => (el ? Number(el.getAttribute('data-value')) : NaN);
  const rows = [...document.querySelectorAll('#examples-table tr[data-example]')].map((tr) => {
    const ci = tr.querySelector('td[data-field="ci99"]');
    return {
      id: tr.getAttribute('data-example'),
      status: tr.getAttribute('data-status'),
      gsc: num(tr.querySelector('td[data-field="gscInputToOutput"]')),
      blocks: num(tr.querySelector('td[data-field="blocks"]')),
      rate: num(tr.querySelector('td[data-field="rate"]')),
      method: tr.querySelector('td[data-field="method"]')?.textContent ?? null,
      ciLow: ci ? Number(ci.getAttribute('data-low')) : NaN,
      ciHigh: ci ? Number(ci.getAttribute('data-high')) : NaN,
    };
  });
  const depthCells = [...document.querySelectorAll('#examples-depth-table td[data-example]')].map((td) => ({
    id: td.getAttribute('data-example'),
    depth: Number(td.getAttribute('data-depth')),
    value: Number(td.getAttribute('data-value')),
  }));
  const canvas = document.querySelector('#examples-figure canvas');
  return {
    status: document.querySelector('#examples-status')?.getAttribute('data-status') ?? null,
    statusText: document.querySelector('#examples-status')?.textContent ?? '',
    rows,
    depthCells,
    canvas: canvas ? { width: canvas.width, height: canvas.height } : null,
  };
}

/**
 * The palette on a freshly loaded (and busy) workbench can miss the first keystrokes, and the
 * extension's commands are listed only once it has activated: retry until the row is offered.
 */
async function runCommandWithRetry(vscode, title) {
  for (let attempt = 1; ; attempt++) {
    try {
      await vscode.runCommand(title);
      return;
    } catch (e) {
      if (attempt >= 4) throw e;
      log(`command palette did not offer "${title}" (attempt ${attempt}); retrying`);
      await vscode.page.keyboard.press('Escape');
      await vscode.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    }
  }
}

await runTest('examples', 600, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-e2e-examples-'));
  fs.writeFileSync(path.join(workspace, 'README.txt'), 'an otherwise empty workspace\n');
  // Batch 64 (4x the default) gives each example a few seconds, so that the cancel below lands
  // inside a run rather than after it (at 16 a warm worker ran all seven in about 2 s).
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, settings: { 'gradientLens.backend': 'wasm', 'gradientLens.batchSize': 64 }, shots: SHOTS }));
  const { page } = vscode;

  const t0 = Date.now();
  await runCommandWithRetry(vscode, 'Gradient Lens: Analyze All Examples');
  const toast = page.locator('.notification-toast', { hasText: 'Gradient Lens' });
  try {
    await toast.waitFor({ timeout: 30000 });
    await waitUntil(async () => /of 7/.test(await toast.innerText()), 60000, 'a progress message naming the example');
    await afterPaint(page);
    log(`progress: ${normalize(await toast.innerText()).replace(/\s+/g, ' ')}`);
    await vscode.shot('progress');
  } catch (e) {
    log(`progress notification not captured (${e.message.split('\n')[0]})`);
  }

  await vscode.waitForResults('Examples', 120000);
  const frame = vscode.webviewFrame();
  let last;
  const figure = await waitUntil(
    async () => {
      try {
        last = await frame.locator('body').evaluate(readFigureInPage);
      } catch {
        return false;
      }
      if (last.status === 'failed') throw new Error(`the run failed: ${last.statusText}`);
      return last.status === 'done' ? last : false;
    },
    480000,
    'the figure of all seven examples',
  );
  log(`all examples analysed in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${normalize(figure.statusText)}`);
  await afterPaint(frame);
  await vscode.shot('figure-page');
  await vscode.shot('figure', frame.locator('#examples-figure'));

  // The numbers, as the page shows them.
  for (const r of figure.rows)
    log(
      `  ${r.id.padEnd(18)} GSC(input -> output) ${r.gsc.toPrecision(5).padStart(10)}  ${r.method}  [${r.ciLow.toPrecision(5)}, ${r.ciHigh.toPrecision(5)}]  rate ${r.rate.toPrecision(4)}  ${r.blocks} blocks`,
    );
  const ids = figure.rows.map((r) => r.id);
  if (JSON.stringify(ids) !== JSON.stringify(EXAMPLE_IDS)) throw new Error(`table rows ${ids.join(', ')}`);
  if (figure.rows.some((r) => r.status !== 'done' || !(r.gsc > 0))) throw new Error('a row without a finished positive GSC');
  if (!figure.canvas || figure.canvas.width < 200) throw new Error(`the chart canvas is missing or tiny: ${JSON.stringify(figure.canvas)}`);
  const g = Object.fromEntries(figure.rows.map((r) => [r.id, r]));

  // The paper's claims on the real engine's numbers.
  const factor = g.mlp_tanh.gsc / g.resmlp_relu.gsc;
  log(`residual vs tanh: ${factor.toFixed(1)}x lower`);
  if (!(factor > RESIDUAL_VS_TANH)) throw new Error(`the residual MLP's GSC is only ${factor}x below the tanh MLP's`);
  const lin = g.linear_orthogonal;
  if (!(lin.ciLow <= 1 && lin.ciHigh >= 1 && Math.abs(lin.gsc - 1) < 0.1))
    throw new Error(`linear orthogonal: ${lin.gsc} [${lin.ciLow}, ${lin.ciHigh}] does not sit at 1`);
  if (!(g.mlp_bn_relu.gsc > 1000 && g.mlp_bn_relu.gsc > 10 * Math.max(g.mlp_tanh.gsc, g.mlp_ln_tanh.gsc)))
    throw new Error('batch-norm ReLU does not explode most');
  if (!(Math.min(g.mlp_tanh.gsc, g.mlp_ln_tanh.gsc) > 5 * g.mlp_selu.gsc)) throw new Error('tanh / layer-norm tanh not above SELU');
  if (!(g.mlp_selu.gsc > 2 * Math.max(g.mlp_relu.gsc, g.resmlp_relu.gsc))) throw new Error('SELU not above ReLU and residual');
  // The data table holds every plotted point, and depth 0 is the summary's number.
  for (const r of figure.rows) {
    const cells = figure.depthCells.filter((c) => c.id === r.id);
    if (cells.length !== r.blocks + 1) throw new Error(`${r.id}: ${cells.length} plotted points for ${r.blocks} blocks`);
    const atInput = cells.find((c) => c.depth === 0);
    if (!atInput || atInput.value !== r.gsc) throw new Error(`${r.id}: the depth-0 cell ${atInput?.value} differs from the summary ${r.gsc}`);
  }
  log(`${figure.depthCells.length} plotted values in the data table`);

  // The table's Open button on the tanh row opens that example's model.py (Open Example with the id)...
  await frame.locator('button[data-open-example="mlp_tanh"]').click();
  await page
    .locator('.tab', { hasText: /^model\.py/ })
    .first()
    .waitFor({ timeout: 30000 });
  await page.locator('.notification-toast', { hasText: '"tanh"' }).waitFor({ timeout: 20000 });
  log('the Open button of the tanh row opened mlp_tanh/model.py');
  await runCommandWithRetry(vscode, 'Notifications: Clear All Notifications');
  await runCommandWithRetry(vscode, 'View: Close All Editors');

  // ...and Open Example… -> the residual MLP's model.py -> Analyze ONNX -> its report.
  await runCommandWithRetry(vscode, 'Gradient Lens: Open Example…');
  const quick = page.locator('.quick-input-widget');
  await quick.locator('.monaco-list-row', { hasText: 'residual ReLU' }).first().click();
  await page
    .locator('.tab', { hasText: /^model\.py/ })
    .first()
    .waitFor({ timeout: 30000 });
  const offer = page.locator('.notification-toast', { hasText: 'residual ReLU' });
  await offer.waitFor({ timeout: 20000 });
  // The copy in the extension's storage opens read-only (edits there would be kept silently).
  if (!normalize(await offer.innerText()).includes('This copy is read-only')) throw new Error('Open Example does not say the copy is read-only');
  await afterPaint(page);
  await vscode.shot('open-example');
  await offer.getByRole('button', { name: 'Analyze ONNX' }).click();
  await vscode.waitForResults('resmlp_relu/model.onnx', 240000);
  const report = vscode.webviewFrame();
  const gscCell = await waitUntil(
    async () => {
      const v = await report
        .locator('tr[data-boundary="0"] td[data-field="gscToOutput.value"]')
        .first()
        .getAttribute('data-value', { timeout: 1000 })
        .catch(() => null);
      return v ?? false;
    },
    60000,
    'the residual example report',
  );
  log(`report of resmlp_relu/model.onnx: GSC(input -> output) ${gscCell}`);
  await afterPaint(report);
  await vscode.shot('example-report');
  // The sidecar next to model.onnx points the source mapper at model.py (informational: the
  // mapping itself is the source-annotation feature's, tested there).
  const unplaced = page.locator('.notification-toast', { hasText: 'could not be placed' });
  log(
    (await unplaced.count()) > 0
      ? `source mapping: ${normalize(await unplaced.first().innerText()).replace(/\s+/g, ' ')}`
      : 'source mapping: no unplaced-blocks notification',
  );
  if (Math.abs(Number(gscCell) / g.resmlp_relu.gsc - 1) > 1e-9) throw new Error(`the report says ${gscCell}, the figure ${g.resmlp_relu.gsc}`);

  // Cancel: a run stopped from the notification after its first example keeps the finished
  // line(s), marks the rest as not analysed, and says so. A warm worker analyses all seven in
  // about 2 s, so a run can end between the progress state and the click: then it runs again.
  const figureNow = () =>
    vscode
      .webviewFrame()
      .locator('body')
      .evaluate(readFigureInPage)
      .catch(() => null);
  const running = page.locator('.notification-toast', { hasText: 'Gradient Lens: examples' });
  let cancelled;
  for (let attempt = 1; cancelled === undefined; attempt++) {
    if (attempt > 5) throw new Error('five runs of all examples each ended before Cancel took effect');
    await runCommandWithRetry(vscode, 'View: Close All Editors');
    await page.locator('.tab').first().waitFor({ state: 'detached' });
    await runCommandWithRetry(vscode, 'Gradient Lens: Analyze All Examples');
    await vscode.waitForResults('Examples', 60000);
    // Past the first example (its line is finished) and still running, or already done.
    const state = await waitUntil(
      async () => {
        const text = await running
          .first()
          .innerText()
          .catch(() => '');
        if (/\(([2-7]) of 7\)/.test(text)) return 'running';
        const f = await figureNow();
        return f && f.status === 'done' ? 'done' : false;
      },
      120000,
      'a later example of the run, or its end',
    );
    if (state === 'running') {
      await running
        .first()
        .hover()
        .catch(() => undefined);
      await running
        .first()
        .getByRole('button', { name: 'Cancel' })
        .click({ timeout: 5000 })
        .catch(() => undefined);
    }
    const ended = await waitUntil(
      async () => {
        const f = await figureNow();
        return f && (f.status === 'cancelled' || f.status === 'done') ? f : false;
      },
      30000,
      'the figure to say cancelled or done',
    );
    if (ended.status === 'cancelled') cancelled = ended;
    else log(`run ${attempt} ended before Cancel took effect; running again`);
  }
  const finished = cancelled.rows.filter((r) => r.status === 'done').length;
  log(`cancelled: ${normalize(cancelled.statusText)} (${finished} finished, ${cancelled.rows.length - finished} not analysed)`);
  if (finished < 1 || finished > 6 || cancelled.rows.length !== 7) throw new Error(`after cancel: ${finished} finished of ${cancelled.rows.length}`);
  await vscode.shot('cancelled');

  const left = fs.readdirSync(workspace);
  if (left.length !== 1) throw new Error(`the workspace gained files: ${left.join(', ')}`);
  log('the workspace is untouched');

  // Reload Window: the examples panel comes back with the last finished (here: cancelled) figure.
  await vscode.reloadWindow();
  await vscode.waitForLog(/restored the examples figure after a reload/, 60000, 'the examples panel deserialized');
  const restored = await waitUntil(
    async () => {
      const f = await vscode
        .webviewFrame()
        .locator('body')
        .evaluate(readFigureInPage)
        .catch(() => null);
      return f && f.rows.length === 7 ? f : false;
    },
    60000,
    'the restored examples figure',
  );
  const restoredDone = restored.rows.filter((r) => r.status === 'done').length;
  if (restored.status !== 'cancelled' || restoredDone !== finished)
    throw new Error(`restored figure: ${restored.status}, ${restoredDone} finished (expected cancelled, ${finished})`);
  log(`examples figure restored after Reload Window (${restoredDone} finished line(s), status ${restored.status})`);
  await vscode.shot('restored');
});
