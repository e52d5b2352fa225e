// Real VS Code: "Gradient Lens: Analyze With Data…" from the model's context menu, an image
// folder with class sub-folders picked in the open dialog, class names as labels, the error
// layer as reference. The results header names the data and the reference layer, and the
// block table equals the CLI's JSON for the same data and settings (the worker read the images).
//
//   node test/e2e/data.e2e.mjs [--vsix FILE]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { REPO, log, normalize, runTest, afterPaint, startVsCode, waitUntil } from './harness.mjs';
import { compareBlockTable, readTablesInPage } from './blockTable.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const VSIX = path.resolve(opt('--vsix', path.join(REPO, 'gradient-lens.vsix')));
const SHOTS = path.join(REPO, 'test-results', 'screenshots', 'data');
const SETTINGS = { batchSize: 4, probes: 4, seed: 3, blockMatrix: false, 'data.mean': [0.5], 'data.std': [0.25] };

/** A workspace with a small CIFAR-style model and images/{airplane,cat}/*.png of other sizes. */
function makeWorkspace() {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-data-ws-'));
  fs.copyFileSync(path.join(REPO, 'test', 'fixtures', 'models', 'resnet_cifar8', 'model.onnx'), path.join(ws, 'model.onnx'));
  ['airplane', 'cat'].forEach((cls, k) => {
    fs.mkdirSync(path.join(ws, 'images', cls), { recursive: true });
    for (let j = 0; j < 2; j++) {
      const png = new PNG({ width: 20 + j, height: 24 });
      for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : (i * (5 + j) + 70 * k) % 256;
      fs.writeFileSync(path.join(ws, 'images', cls, `${j}.png`), PNG.sync.write(png));
    }
  });
  return ws;
}

/** Picks the quick-pick row whose label starts with `label`. */
async function pickItem(page, label) {
  const row = page.locator(`.quick-input-widget .monaco-list-row[aria-label^="${label}"]`).first();
  await row.waitFor({ timeout: 15000 });
  await row.click();
}

await runTest('data', 420, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = makeWorkspace();
  const images = path.join(workspace, 'images');

  const cliJson = path.join(workspace, 'cli-report.json');
  const cli = spawnSync(
    process.execPath,
    [
      path.join(REPO, 'bin', 'gradient-lens.js'),
      'analyze',
      path.join(workspace, 'model.onnx'),
      '--data',
      images,
      '--mean',
      '0.5',
      '--std',
      '0.25',
      '--reference',
      'error',
      '--batch',
      '4',
      '--probes',
      '4',
      '--seed',
      '3',
      '--no-block-matrix',
      '--json',
      cliJson,
      '--quiet',
    ],
    { encoding: 'utf8', timeout: 300000 },
  );
  if (cli.status !== 0) throw new Error(`CLI failed (${cli.status}): ${cli.stderr}`);
  const cliReport = JSON.parse(fs.readFileSync(cliJson, 'utf8'));
  fs.rmSync(cliJson);
  log(`CLI: ${cliReport.blocks.length} blocks, reference ${cliReport.reference.kind}/${cliReport.reference.loss}`);

  const settings = Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [`gradientLens.${k}`, v]));
  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, settings, shots: SHOTS }));
  const { page } = vscode;
  await vscode.waitForLog(/activation ([\d.]+) ms/, 30000, 'activation line');

  const row = await vscode.revealInExplorer('model.onnx');
  await vscode.contextMenu(row, 'Analyze With Data…');
  await pickItem(page, 'Folder of images…');
  // The open dialog (VS Code's own in the browser): type the folder's path and accept it.
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  // The dialog first shows "/" and fills in its start folder later, overwriting what was typed
  // in between: type once it shows a real folder and its listing.
  await waitUntil(
    async () => (await input.inputValue()).length > 1 && (await page.locator('.quick-input-widget .monaco-list-row').count()) > 0,
    30000,
    'the open dialog showing its start folder',
  );
  // With a trailing slash the dialog lists the folder's contents; OK then accepts the folder.
  await input.fill(`${images}/`);
  await page.locator('.quick-input-widget .monaco-list-row[aria-label^="airplane"]').first().waitFor({ timeout: 15000 });
  await vscode.shot('open-dialog');
  await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).first().click();
  await pickItem(page, 'Class sub-folder names');
  await vscode.shot('reference-layer');
  await pickItem(page, 'Error layer');

  await vscode.waitForResults('model.onnx', 300000);
  const frame = vscode.webviewFrame();
  const header = await waitUntil(
    async () => {
      try {
        const data = normalize(await frame.locator('#header-data').innerText());
        const ref = normalize(await frame.locator('#header-reference').innerText());
        return data && ref ? { data, ref } : false;
      } catch {
        return false;
      }
    },
    60000,
    'the Data and GSC to items in the results header',
  );
  log(`header: ${JSON.stringify(header)}`);
  if (!/images\/ \(4, labelled\)/.test(header.data)) throw new Error(`header Data: ${header.data}`);
  if (!/error layer \(softmax cross-entropy\)/.test(header.ref)) throw new Error(`header GSC to: ${header.ref}`);
  await afterPaint(frame);
  await vscode.shot('results');

  const tables = await frame.locator('body').evaluate(readTablesInPage);
  const cmp = compareBlockTable(tables[0], cliReport);
  log(`compared ${cmp.checked} numbers with the CLI JSON`);
  if (cmp.checked < cliReport.blocks.length) throw new Error(`only ${cmp.checked} numbers could be compared`);
  if (cmp.mismatches.length > 0) throw new Error(`the webview's block table differs from the CLI:\n${cmp.mismatches.join('\n')}`);
  const logText = vscode.extensionLog();
  if (!logText.includes(`sample data ${images}`)) throw new Error('the extension log does not record the sample data');
  fs.rmSync(workspace, { recursive: true, force: true });
});
