// Real VS Code, code annotations (issue #5): a workspace with examples/resnet/model.onnx and
// the PyTorch source it was exported from (model.py), a low GSC threshold in the workspace
// settings. Analyze -> selecting a block in the report reveals its line in model.py; the
// gutter icons and end-of-line numbers sit on the expected lines; the hover (opened with the
// keyboard) shows the block's numbers; "Open in report" selects the block in the panel; the
// Problems panel lists the blocks above the threshold; editing the file marks the annotations
// stale and undoing the edit clears it; the toggle command hides and shows them.
// Expected numbers come from the CLI's JSON for the same settings.
//
//   node test/e2e/annotations.e2e.mjs [--vsix FILE]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO, log, normalize, runTest, afterPaint, startVsCode, waitUntil } from './harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const VSIX = path.resolve(opt('--vsix', path.join(REPO, 'gradient-lens.vsix')));
const SHOTS = path.join(REPO, 'test-results', 'screenshots', 'annotations');
const SETTINGS = { batchSize: 8, probes: 6, seed: 7 };
// Low enough that some blocks of this small ResNet (GSC to the output 0.29 .. 1.04) exceed it.
const GSC_THRESHOLD = 0.6;
// Low enough that some of its ReLUs (k 1.13 .. 1.67) are flagged pseudo-linear.
const PSEUDO_LINEAR_K = 1.2;

/** The product's one number formatter (src/report/format.ts, compiled by npm run build). */
const { formatNumber: fmt } = createRequire(import.meta.url)(path.join(REPO, 'out', 'src', 'report', 'format.js'));

/** Reads, inside the page, the annotations of the editor showing `fileName`. */
function readEditor(fileName) {
  const editors = [...document.querySelectorAll('.monaco-editor[data-uri]')].filter((e) => (e.getAttribute('data-uri') ?? '').endsWith(`/${fileName}`));
  const editor = editors.find((e) => e.offsetParent !== null) ?? editors[0];
  if (!editor) return null;
  const rows = [...editor.querySelectorAll('.margin-view-overlays .line-numbers')].map((el) => ({
    line: Number(el.textContent.trim()),
    top: el.getBoundingClientRect().top,
  }));
  const lineAt = (top) => rows.reduce((best, r) => (Math.abs(r.top - top) < Math.abs(best.top - top) ? r : best), { line: NaN, top: Infinity }).line;
  const ced = (el) => [...el.classList].find((c) => c.startsWith('ced-'));
  const gutter = [...editor.querySelectorAll('.margin [class*="ced-"]')].map((el) => ({
    line: lineAt(el.getBoundingClientRect().top),
    cls: ced(el),
    icon: (/annotations(?:\/|%2F)([a-z]+)\.svg/i.exec(getComputedStyle(el).backgroundImage) ?? [])[1] ?? getComputedStyle(el).backgroundImage,
  }));
  const after = [...editor.querySelectorAll('.view-lines [class*="ced-"]')]
    .map((el) => {
      const content = getComputedStyle(el, '::after').content;
      const text = content && content !== 'none' && content !== 'normal' ? content.replace(/^"|"$/g, '') : el.textContent;
      return { line: lineAt(el.getBoundingClientRect().top), text: text.trim(), color: getComputedStyle(el, '::after').color };
    })
    .filter((a) => a.text.length > 0);
  const lenses = [...editor.querySelectorAll('.codelens-decoration a')].map((a) => a.textContent.trim());
  return { gutter, after, lenses, visible: rows.map((r) => r.line) };
}

/** Every file under `dir` (relative paths, sorted) with its size and mtime. */
function listFiles(dir) {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort()
    .map((f) => {
      const st = fs.statSync(path.join(dir, f));
      return `${f} ${st.size} ${st.mtimeMs}`;
    });
}

/** Pages through the focused editor from the top, collecting what readEditor sees on each page. */
async function readWholeEditor(page, lineCount, minLabels) {
  const seen = new Map();
  const merged = { gutter: [], after: [], lenses: [] };
  await page.keyboard.press('Control+Home');
  let previousFirst = -1;
  for (let i = 0; i < 20; i++) {
    // A page is read once the editor shows other lines than the last one read, and painted them.
    const a = await waitUntil(
      async () => {
        const r = await page.evaluate(readEditor, 'model.py');
        if (!r) throw new Error('no editor shows model.py');
        return r.visible.length > 0 && Math.min(...r.visible) !== previousFirst ? r : false;
      },
      15000,
      `page ${i + 1} of model.py`,
    );
    await afterPaint(page);
    const painted = await page.evaluate(readEditor, 'model.py');
    Object.assign(a, painted ?? {});
    previousFirst = Math.min(...a.visible);
    for (const g of a.gutter) if (!merged.gutter.some((x) => x.line === g.line)) merged.gutter.push(g);
    for (const x of a.after) if (!merged.after.some((y) => y.line === x.line)) merged.after.push(x);
    for (const l of a.lenses) if (!merged.lenses.includes(l)) merged.lenses.push(l);
    for (const n of a.visible) seen.set(n, true);
    if (seen.has(lineCount)) break;
    await page.keyboard.press('PageDown');
  }
  if (!seen.has(lineCount)) throw new Error(`could not page to the end of model.py (saw ${seen.size} lines)`);
  if (merged.after.length < minLabels) throw new Error(`only ${merged.after.length} end-of-line labels in model.py`);
  await page.keyboard.press('Control+Home');
  return merged;
}

await runTest('annotations', 420, async (keep) => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-e2e-annotations-'));
  fs.mkdirSync(path.join(workspace, 'resnet'));
  for (const f of ['model.onnx', 'model.py']) fs.copyFileSync(path.join(REPO, 'examples', 'resnet', f), path.join(workspace, 'resnet', f));
  fs.mkdirSync(path.join(workspace, '.vscode'));
  const settings = {
    ...Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [`gradientLens.${k}`, v])),
    'gradientLens.thresholds.gsc': GSC_THRESHOLD,
    'gradientLens.thresholds.pseudoLinearK': PSEUDO_LINEAR_K,
  };
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  const modelPy = fs.readFileSync(path.join(workspace, 'resnet', 'model.py'), 'utf8').split('\n');
  const lineOf = (re) => {
    const i = modelPy.findIndex((l) => re.test(l));
    if (i < 0) throw new Error(`model.py has no line matching ${re}`);
    return i + 1;
  };

  // The CLI's report for the same settings: the numbers the annotations must show.
  const cliJson = path.join(workspace, '..', `${path.basename(workspace)}-cli.json`);
  const cli = spawnSync(
    process.execPath,
    [
      path.join(REPO, 'bin', 'gradient-lens.js'),
      'analyze',
      path.join(workspace, 'resnet', 'model.onnx'),
      '--batch',
      String(SETTINGS.batchSize),
      '--probes',
      String(SETTINGS.probes),
      '--seed',
      String(SETTINGS.seed),
      '--pseudo-linear-k',
      String(PSEUDO_LINEAR_K),
      '--json',
      cliJson,
      '--quiet',
    ],
    { encoding: 'utf8', timeout: 300000 },
  );
  if (cli.status !== 0) throw new Error(`CLI failed (${cli.status}): ${cli.stderr}`);
  const cliReport = JSON.parse(fs.readFileSync(cliJson, 'utf8'));
  fs.rmSync(cliJson, { force: true });
  const block = (name) => {
    const b = cliReport.blocks.find((x) => x.name === name);
    if (!b) throw new Error(`the CLI report has no block ${name}: ${cliReport.blocks.map((x) => x.name).join(', ')}`);
    return b;
  };
  const kOf = (b) => (b.residual ? `k_skip ${fmt(b.residual.kSkip)}` : b.linearisation.linear ? 'k_lin ∞' : `k_lin ${fmt(b.linearisation.kLin)}`);
  const gscRange = (bs) => {
    const v = bs.map((b) => b.gscToOutput.value);
    return `GSC ${fmt(Math.min(...v))}–${fmt(Math.max(...v))} · ${bs.length} blocks`;
  };
  // Where the blocks are defined in model.py, and the end-of-line label each site must show.
  const residual = ['layer1', 'layer2', 'layer3'].map(block);
  // The reference layer's GSC of 1 is so by definition, and labelled as such (#18).
  const gscText = (b) => (b.gscToOutput.method === 'identity' ? '1 (reference layer)' : fmt(b.gscToOutput.value));
  const single = (name, re) => ({ line: lineOf(re), blocks: [block(name)], label: `GSC ${gscText(block(name))} · ${kOf(block(name))}` });
  // The BasicBlock class line shows the range of its three instances; each instance's own
  // numbers sit on the self.layerN = BasicBlock(...) line that created it.
  const classSite = { line: lineOf(/^class BasicBlock\(/), blocks: residual, label: gscRange(residual) };
  const fcSite = single('fc', /self\.fc = nn\.Linear/);
  const expected = [
    single('stem', /^class Stem\(/),
    classSite,
    ...['layer1', 'layer2', 'layer3'].map((name) => single(name, new RegExp(`self\\.${name} = BasicBlock\\(`))),
    fcSite,
  ].sort((a, b) => a.line - b.line);
  // Threshold <= 1: two levels. The reference layer's own GSC (1 by definition) is never exploding.
  const measured = (b) => b.gscToOutput.method !== 'identity';
  const severityOf = (bs) => (bs.some((b) => measured(b) && b.gscToOutput.value >= GSC_THRESHOLD) ? 'exploding' : 'ok');
  const overThreshold = cliReport.blocks.filter((b) => measured(b) && b.gscToOutput.value > GSC_THRESHOLD);
  const flaggedNonlinearities = cliReport.nonlinearities.filter((n) => n.pseudoLinear || n.collapsed);
  log(`expected sites: ${expected.map((e) => `line ${e.line} "${e.label}" (${severityOf(e.blocks)})`).join('; ')}`);
  log(
    `expected Problems: ${overThreshold.length} block(s) over GSC ${GSC_THRESHOLD} (${overThreshold.map((b) => b.name).join(', ')}), ${flaggedNonlinearities.length} flagged nonlinearities`,
  );
  if (overThreshold.length === 0) throw new Error('no block exceeds the threshold: the Problems check would be empty');
  if (flaggedNonlinearities.length === 0) throw new Error('no nonlinearity is flagged: the pseudo-linear check would be empty');

  const vscode = keep(await startVsCode({ vsix: VSIX, workspace, shots: SHOTS }));
  const { page } = vscode;

  // The workspace holds a model, so the extension activates by itself; wait for it.
  await vscode.waitForLog(/activation [\d.]+ ms/, 60000, 'the activation line');
  await vscode.contextMenu(await vscode.revealInExplorer('resnet/model.onnx'), 'Analyze Model');
  await vscode.waitForResults('resnet/model.onnx', 300000);
  const placedLine = await vscode.waitForLog(
    /code annotations for model\.onnx: searched ([^\n]*?); (\d+) of (\d+) blocks placed at (\d+) site\(s\) in (\d+) file\(s\)/,
    60000,
    'the code annotations log line',
  );
  log(`log: ${placedLine[0]}`);
  if (placedLine[2] !== placedLine[3]) throw new Error(`only ${placedLine[2]} of ${placedLine[3]} blocks were placed`);

  // Selecting block "fc" in the report reveals its line in model.py beside the panel.
  const frame = vscode.webviewFrame();
  const fc = block('fc');
  const row = frame.locator(`tr[data-block-index="${fc.index}"]`);
  await row.waitFor({ timeout: 60000 });
  await row.click();
  const pyTab = page.locator('.tab', { hasText: /^model\.py/ });
  await pyTab.first().waitFor({ timeout: 20000 });
  await page
    .locator('.tab.active', { hasText: /^model\.py/ })
    .first()
    .waitFor({ timeout: 20000 });
  await pyTab.first().click(); // focus the editor without moving its cursor
  const cursorLine = async () => {
    const t = await page
      .locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ })
      .first()
      .innerText()
      .catch(() => '');
    const m = /Ln (\d+), Col (\d+)/.exec(normalize(t));
    return m ? Number(m[1]) : false;
  };
  const revealed = await waitUntil(cursorLine, 15000, 'a cursor in model.py');
  log(`selecting block ${fc.index} (fc) revealed model.py line ${revealed}`);
  if (revealed !== fcSite.line) throw new Error(`selecting fc revealed line ${revealed}, expected ${fcSite.line} (${modelPy[fcSite.line - 1].trim()})`);

  // The gutter icons and end-of-line labels on the expected lines: the editor renders only the
  // visible lines, so it is read page by page from the top.
  await page.keyboard.press('Control+b'); // hide the side bar: room for the labels
  const annotations = await readWholeEditor(page, modelPy.length, expected.length);
  log(`gutter: ${JSON.stringify(annotations.gutter)}`);
  log(`after: ${JSON.stringify(annotations.after)}`);
  log(`code lenses: ${JSON.stringify(annotations.lenses)}`);
  await vscode.shot('gutter-and-labels');
  const afterLines = annotations.after.map((a) => a.line).sort((x, y) => x - y);
  const gutterLines = annotations.gutter.map((g) => g.line).sort((x, y) => x - y);
  const want = expected.map((e) => e.line);
  if (JSON.stringify(afterLines) !== JSON.stringify(want)) throw new Error(`end-of-line labels on lines ${afterLines.join(', ')}, expected ${want.join(', ')}`);
  if (JSON.stringify(gutterLines) !== JSON.stringify(want)) throw new Error(`gutter icons on lines ${gutterLines.join(', ')}, expected ${want.join(', ')}`);
  for (const e of expected) {
    const a = annotations.after.find((x) => x.line === e.line);
    if (a.text !== e.label) throw new Error(`line ${e.line}: label ${JSON.stringify(a.text)}, expected ${JSON.stringify(e.label)}`);
    const g = annotations.gutter.find((x) => x.line === e.line);
    if (g.icon !== severityOf(e.blocks)) throw new Error(`line ${e.line}: gutter icon ${g.icon}, expected ${severityOf(e.blocks)}`);
  }
  if (annotations.lenses.filter((l) => l.startsWith('Gradient Lens:')).length !== expected.length)
    throw new Error(`expected ${expected.length} CodeLenses, got ${JSON.stringify(annotations.lenses)}`);
  log(`gutter icons and labels on lines ${want.join(', ')} as expected`);

  // The hover on the BasicBlock line, opened with the keyboard (Show Hover), lists every block's numbers.
  const site = classSite;
  await page.keyboard.press('Control+g');
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
  await page.keyboard.type(`${site.line}:7`);
  await page.keyboard.press('Enter');
  await waitUntil(async () => (await cursorLine()) === site.line, 15000, `the cursor on line ${site.line}`);
  await page.keyboard.press('Control+k');
  await page.keyboard.press('Control+i');
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'Gradient Lens' }).first();
  await hover.waitFor({ state: 'visible', timeout: 15000 });
  // The Problems part shows at once; the provider's part (the numbers) follows.
  const hoverText = await waitUntil(
    async () => {
      const t = normalize(await hover.innerText());
      return /Instances \(/.test(t) ? t : false;
    },
    15000,
    'the Gradient Lens part of the hover',
  );
  log(`hover: ${hoverText.replace(/\s+/g, ' ').slice(0, 400)}`);
  for (const b of site.blocks) {
    for (const want of [`${b.index} ${b.name}`, fmt(b.gscToOutput.value), fmt(b.gscBlock.value), `k_skip ${fmt(b.residual.kSkip)}`]) {
      if (!hoverText.includes(want)) throw new Error(`the hover lacks "${want}" (block ${b.index}):\n${hoverText}`);
    }
  }
  if (!/99% CI/.test(hoverText) || !/Instances \(3\)/.test(hoverText) || !/Placed by/.test(hoverText))
    throw new Error(`the hover lacks the interval, instances or placement:\n${hoverText}`);
  // layer3's block also holds the pooling and flattening after it: the hover says so (#18).
  const layer3 = block('layer3');
  if (
    layer3.nodes.some((n) => !n.startsWith('/layer3/')) &&
    !/layer3 is more than layer3: it also includes .*\(GlobalAveragePool\)/.test(hoverText.replace(/\s+/g, ' '))
  )
    throw new Error(`the hover does not say what layer3's block covers beyond layer3:\n${hoverText}`);
  await vscode.shot('hover');

  // "Open in report" in the hover selects the (first) block of the site in the panel.
  await hover.locator('a', { hasText: 'Open in report' }).click();
  const first = site.blocks[0];
  await waitUntil(
    async () =>
      (await vscode
        .webviewFrame()
        .locator(`tr[data-block-index="${first.index}"][aria-selected="true"]`)
        .count()
        .catch(() => 0)) === 1,
    15000,
    `block ${first.index} selected in the report`,
  );
  log(`"Open in report" selected block ${first.index} in the report`);
  await vscode.shot('open-in-report');

  // The Problems panel: one entry per source line and kind, listing its blocks ("3 blocks (2–4): …")
  // or naming its one block; every block over the threshold and every flagged ReLU is covered.
  await page.keyboard.press('Control+Shift+m');
  const markers = page.locator('.markers-panel .monaco-list-row');
  const flaggedLines = [
    ...new Set(flaggedNonlinearities.map((n) => lineOf(new RegExp(`self\\.${n.sourceName.split('/').filter(Boolean).slice(-2, -1)[0]} = `)))),
  ];
  const parseEntry = (t) => {
    const group = /(\d+) blocks \(([^)]*)\):/.exec(t);
    const blocks = group
      ? group[2].split(', ').flatMap((part) => {
          const [a, b] = part.split('–').map(Number);
          return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
        })
      : [Number(/block (\d+) "/.exec(t)?.[1])];
    return { text: t, blocks, kind: /GSC to the output/.test(t) ? 'gsc' : 'pseudo-linear', line: Number(/\[Ln (\d+),/.exec(t)?.[1]) };
  };
  const covered = (entries, kind) => new Set(entries.filter((e) => e.kind === kind).flatMap((e) => e.blocks));
  const problemTexts = await waitUntil(
    async () => {
      const texts = (await markers.allInnerTexts()).map((t) => normalize(t).replace(/\s+/g, ' ').trim());
      const parsed = texts.filter((t) => /GSC to the output|pseudo-linear|collapsed/.test(t)).map(parseEntry);
      return covered(parsed, 'gsc').size >= overThreshold.length &&
        covered(parsed, 'pseudo-linear').size >= new Set(flaggedNonlinearities.map((n) => n.block)).size
        ? texts
        : false;
    },
    20000,
    'the Problems entries',
  );
  const entries = problemTexts.filter((t) => /GSC to the output|pseudo-linear|collapsed/.test(t)).map(parseEntry);
  log(`Problems: ${JSON.stringify(problemTexts)}`);
  const gscBlocks = [...covered(entries, 'gsc')].sort((a, b) => a - b);
  if (JSON.stringify(gscBlocks) !== JSON.stringify(overThreshold.map((b) => b.index).sort((a, b) => a - b)))
    throw new Error(`the GSC entries cover blocks ${gscBlocks.join(', ')}, expected ${overThreshold.map((b) => b.index).join(', ')}`);
  for (const b of overThreshold) {
    const entry = entries.find((e) => e.kind === 'gsc' && e.blocks.includes(b.index));
    const want = entry.blocks.length === 1 ? `block ${b.index} "${b.name}": GSC to the output is ${fmt(b.gscToOutput.value)}` : 'GSC to the output';
    if (!entry.text.includes(want)) throw new Error(`the entry of block ${b.index} does not say "${want}": ${entry.text}`);
  }
  // A flagged ReLU is listed at its own layer line (self.relu1 = ... / self.relu2 = ...), one entry per line.
  for (const n of flaggedNonlinearities) {
    const b = cliReport.blocks.find((x) => x.index === n.block);
    const attr = n.sourceName.split('/').filter(Boolean).slice(-2, -1)[0]; // "/layer1/relu2/Relu" -> relu2
    const line = lineOf(new RegExp(`self\\.${attr} = `));
    const entry = entries.find((e) => e.kind === 'pseudo-linear' && e.line === line && e.blocks.includes(b.index));
    if (!entry) throw new Error(`no pseudo-linear entry for block ${b.index} at line ${line} (self.${attr})`);
    const want =
      entry.blocks.length === 1
        ? `block ${b.index} "${b.name}": Relu ${n.sourceName} is pseudo-linear: k = ${fmt(n.k)} > ${fmt(PSEUDO_LINEAR_K)}`
        : 'Relu pseudo-linear, k ';
    if (!entry.text.includes(want)) throw new Error(`"${want}" is not in the entry: ${entry.text}`);
  }
  const pseudoEntries = entries.filter((e) => e.kind === 'pseudo-linear');
  if (pseudoEntries.length !== flaggedLines.length)
    throw new Error(`${pseudoEntries.length} pseudo-linear entries, expected one per line (${flaggedLines.length})`);
  const gscLines = entries.filter((e) => e.kind === 'gsc').map((e) => e.line);
  if (new Set(gscLines).size !== gscLines.length) throw new Error(`two GSC entries on one line: ${gscLines.join(', ')}`);
  await vscode.shot('problems');
  log(`the Problems panel lists ${entries.length} entries`);

  // Editing model.py marks its annotations stale; undoing the edit makes them fresh again.
  await page.keyboard.press('Control+Shift+m'); // close the panel again
  await pyTab.first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('# edited');
  await page.keyboard.press('Control+Home');
  await waitUntil(
    async () => {
      const a = await page.evaluate(readEditor, 'model.py');
      return (
        a &&
        a.after.length > 0 &&
        a.after.every((x) => x.text.endsWith('(stale)')) &&
        a.gutter.length === a.after.length &&
        a.gutter.every((g) => g.icon === 'stale')
      );
    },
    15000,
    'the annotations marked stale after an edit',
  );
  await afterPaint(page);
  await vscode.shot('stale');
  log('an edit marked the annotations stale');
  for (let i = 0; i < 8; i++) await page.keyboard.press('Control+z');
  await waitUntil(
    async () => {
      const a = await page.evaluate(readEditor, 'model.py');
      return a && a.after.length > 0 && a.after.every((x) => !x.text.includes('(stale)')) && a.gutter.every((g) => g.icon !== 'stale');
    },
    15000,
    'the annotations fresh again after undo',
  );
  log('undoing the edit made them fresh again');

  // The toggle command hides every annotation, and shows them again.
  await vscode.runCommand('Gradient Lens: Toggle Code Annotations');
  await waitUntil(
    async () => {
      const a = await page.evaluate(readEditor, 'model.py');
      return a && a.after.length === 0 && a.gutter.length === 0;
    },
    10000,
    'annotations hidden by the toggle',
  );
  await vscode.runCommand('Gradient Lens: Toggle Code Annotations');
  await waitUntil(
    async () => {
      const a = await page.evaluate(readEditor, 'model.py');
      return a && a.after.length > 0 && a.after.length === a.gutter.length;
    },
    10000,
    'annotations shown again by the toggle',
  );
  log('Toggle Code Annotations hid and showed them');

  // A model whose code is not in the workspace: the blocks that could not be placed are named
  // in the Output channel and an information message; "Configure…" offers the sidecar format
  // in a read-only help document and writes nothing into the workspace.
  fs.mkdirSync(path.join(workspace, 'nosource'));
  fs.copyFileSync(path.join(REPO, 'test', 'fixtures', 'models', 'linear_orthogonal', 'model.onnx'), path.join(workspace, 'nosource', 'linear.onnx'));
  const filesBefore = listFiles(workspace);
  await page.keyboard.press('Control+b'); // the Explorer again
  await vscode.contextMenu(await vscode.revealInExplorer('nosource/linear.onnx'), 'Analyze Model');
  const unplacedToast = page.locator('.notification-toast', { hasText: 'could not be placed in the source code' });
  await unplacedToast.waitFor({ timeout: 240000 });
  const toastText = normalize(await unplacedToast.innerText()).replace(/\s+/g, ' ');
  log(`message: ${toastText}`);
  const toasts = await page.locator('.notification-toast', { hasText: /could not be placed|has no place/ }).count();
  if (toasts !== 1) throw new Error(`${toasts} "could not be placed" notifications side by side, expected one`);
  const m = /(\d+) of (\d+) blocks of linear\.onnx could not be placed/.exec(toastText);
  if (!m || m[1] !== m[2]) throw new Error(`expected every block of the sourceless model unplaced: ${toastText}`);
  const unplacedLog = await vscode.waitForLog(
    /block (\d+) "([^"\n]*)" could not be placed in the source: ([^\n]+)/,
    10000,
    'an unplaced block in the Output channel',
  );
  log(`Output: ${unplacedLog[0]}`);
  await vscode.shot('unplaced-message');
  await unplacedToast.getByRole('button', { name: 'Configure…' }).click();
  const quick = page.locator('.quick-input-widget');
  await quick.locator('.monaco-list-row[aria-label*="Show the sidecar file format"]').click();
  const untitled = page.locator('.tab', { hasText: /where is the code of linear\.onnx/ });
  await untitled.first().waitFor({ timeout: 15000 });
  const helpText = await waitUntil(
    async () => {
      // Markdown wraps words, so compare with the line breaks folded into spaces.
      const t = normalize(
        await page
          .locator('.editor-group-container.active .view-lines')
          .first()
          .innerText()
          .catch(() => ''),
      ).replace(/\s+/g, ' ');
      return t.includes('where is the code of linear.onnx') ? t : false;
    },
    15000,
    'the sidecar help text',
  );
  if (!helpText.replace(/\s+/g, '').includes('linear.onnx.gradient-lens.json'))
    throw new Error(`the help text does not name the sidecar file:\n${helpText.slice(0, 600)}`);
  await vscode.shot('sidecar-help');
  const filesAfter = listFiles(workspace);
  if (JSON.stringify(filesAfter) !== JSON.stringify(filesBefore))
    throw new Error(`files changed in the workspace: ${JSON.stringify(filesBefore)} -> ${JSON.stringify(filesAfter)}`);
  if ((await untitled.first().getAttribute('class')).includes('dirty')) throw new Error('the help document is a dirty (unsaved) editor');
  log('Configure… showed the sidecar format in a read-only help document; no file was written');

  // Selecting one of its blocks explains there is no source line instead of opening the binary.
  await page.locator('.tab', { hasText: 'Gradient Lens: nosource/linear.onnx' }).click();
  const frame2 = vscode.webviewFrame();
  await frame2.locator('tr[data-block-index="1"]').click();
  const noPlace = page.locator('.notification-toast', { hasText: 'has no place in the source code' });
  await noPlace.waitFor({ timeout: 15000 });
  log(`selecting block 1: ${normalize(await noPlace.innerText()).replace(/\s+/g, ' ')}`);
  const binaryTabs = await page.locator('.tab', { hasText: /^(model|linear)\.onnx/ }).count();
  if (binaryTabs > 0) throw new Error('the binary model.onnx was opened');
  await vscode.shot('no-place');
  fs.rmSync(workspace, { recursive: true, force: true });
});
