/**
 * Real models from npm packages, analysed one at a time by the CLI (not part of npm test: the
 * models are not in the repository). Finds every TF.js model JSON (model.json, or the
 * <name>.json + <name>.bin pairs of @vladmandic/human) and every .onnx under the folders given,
 * runs `gradient-lens analyze` at batch 2, 2 probes (or --batch, --probes), without the block
 * matrix, exact off and no k_lin refinement (light settings: the sweep measures whether a model
 * analyses), each in its own
 * child process under /usr/bin/time (peak RSS) with a timeout and a memory limit, and writes
 * bench/real-models.json and bench/real-models.md: model, status, blocks, the largest block's
 * op count, residual blocks, time, peak MB, and the error of a refusal.
 *
 * nsfwjs ships its models as browserify bundles (model.min.js, group1-shard*.min.js); they are
 * turned back into model.json + .bin files in a cache folder by parsing the JS object literal
 * with acorn and reading only literal nodes (nothing from the package is executed).
 *
 * Usage: node out/bench/realModels.js [--timeout S] [--memory-limit-mb M] [--batch N]
 *        [--probes P] [--only SUBSTR] [--skip SUBSTR]... [--update] FOLDER...
 * --update keeps the rows of models not run this time; --skip leaves out models whose label
 * contains SUBSTR (repeatable).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as acorn from 'acorn';

/** Options a model needs: sizes of dynamic dimensions, an output before post-processing. */
interface ModelOptions {
  readonly args: readonly string[];
  /** Why these options (shown in the table). */
  readonly note: string;
}

/**
 * Per-model options, keyed by a suffix of the model's path. Dynamic sizes are small (fast) but
 * valid for the architecture (multiples of the network's stride); outputs are chosen only
 * where post-processing inside the graph blocks the analysis, and the note says why.
 */
const UPSCALER: ModelOptions = { args: ['--dim', 'dim1=16', '--dim', 'dim2=16'], note: 'dynamic height and width: 16x16' };
const OPTIONS: ReadonlyArray<readonly [string, ModelOptions]> = [
  ['upscalerjs-', UPSCALER],
  [
    'faceboxes.json',
    {
      args: ['--dim', 'dim1=256', '--dim', 'dim2=256', '--output', 'postprocessing/clip_by_value_1'],
      note: 'dynamic height and width: 256x256; cut at the decoded, clipped boxes before the NMS loop (TensorArray control flow)',
    },
  ],
  ['centernet.json', { args: ['--output', 'tower_0/Reshape'], note: 'cut at the flattened class heatmap before TopKV2 and the box decoding' }],
  [
    'handtrack.json',
    {
      args: ['--from', 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack', '--output', 'Identity_6'],
      note: 'from the stacked 320x320 images after the preprocessing map over the batch (TensorList loop) to the raw box regressions before NMS',
    },
  ],
  [
    'movenet-multipose.json',
    {
      args: ['--dim', 'dim1=256', '--dim', 'dim2=256', '--output', 'StatefulPartitionedCall/Reshape_2'],
      note: 'dynamic height and width: 256x256; cut at the flattened centre heatmap before TopKV2 and the pose decoding',
    },
  ],
  ['rvm.json', { args: ['--dim', 'dim1=256', '--dim', 'dim2=256'], note: 'dynamic height and width: 256x256' }],
  [
    'ch_PP-OCRv4_det_infer.onnx',
    { args: ['--dim', 'p2o.DynamicDimension.1=160', '--dim', 'p2o.DynamicDimension.2=160'], note: 'dynamic height and width: 160x160' },
  ],
  ['ch_PP-OCRv4_rec_infer.onnx', { args: ['--dim', 'p2o.DynamicDimension.1=160'], note: 'dynamic width: 160' }],
  // silero VAD: 512-sample chunks at 16 kHz (sr and the state are fixed by the loader).
  ['silero_vad_legacy.onnx', { args: ['--dim', 'sequence=512'], note: 'dynamic length: 512 samples; sr = 16000, h, c = zeros' }],
  ['silero_vad_v5.onnx', { args: ['--dim', 'dim1=512'], note: 'dynamic length: 512 samples; sr = 16000, state = zeros' }],
  ['silero_vad_v6.onnx', { args: ['--dim', 'dim1=512'], note: 'dynamic length: 512 samples; sr = 16000, state = zeros' }],
  ['models/silero_vad.onnx', { args: ['--dim', 'sequence=512'], note: 'dynamic length: 512 samples; sr = 16000, h, c = zeros' }],
  // openWakeWord feeds 1280-sample chunks (80 ms at 16 kHz) to the mel spectrogram.
  ['melspectrogram.onnx', { args: ['--dim', 'samples=1280'], note: 'dynamic length: 1280 samples (one openWakeWord chunk)' }],
  // The If runs a second classifier only when the first one's score p1 passes a threshold: a
  // data-dependent branch, so the analysis stops at the first classifier's score.
  ['hey_jarvis_v0.1.onnx', { args: ['--output', 'p1.1'], note: 'output p1.1: the first classifier (a data-dependent If follows)' }],
  [
    'ch_ppocr_mobile_v2.0_cls_infer.onnx',
    { args: ['--dim', 'p2o.DynamicDimension.1=48', '--dim', 'p2o.DynamicDimension.2=192'], note: 'dynamic height and width: 48x192 (as PP-OCR feeds it)' },
  ],
];

interface Row {
  readonly model: string;
  readonly status: 'ok' | 'refused' | 'timeout' | 'crash';
  readonly options: string;
  readonly note: string;
  readonly blocks: number | null;
  readonly largestBlockOps: number | null;
  readonly residualBlocks: number | null;
  readonly sampleBySample: boolean | null;
  readonly inputShape: readonly number[] | null;
  readonly output: string | null;
  readonly seconds: number;
  readonly peakMb: number;
  readonly error: string | null;
}

interface ReportShape {
  readonly model: {
    readonly inputShape: readonly number[];
    readonly outputName: string;
    readonly sampleBySample?: boolean;
  };
  readonly blocks: ReadonlyArray<{ readonly opTypes: readonly string[]; readonly kind: string }>;
}

function findModels(root: string, out: string[]): void {
  for (const entry of readdirSync(root).sort()) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const p = path.join(root, entry);
    const st = statSync(p);
    if (st.isDirectory()) {
      findModels(p, out);
    } else if (entry.endsWith('.onnx')) {
      out.push(p);
    } else if (entry === 'model.json') {
      out.push(p);
    } else if (entry.endsWith('.json') && existsSync(p.slice(0, -5) + '.bin')) {
      // @vladmandic/human: <name>.json beside <name>.bin
      out.push(p);
    } else if (entry === 'model.min.js') {
      out.push(p);
    }
  }
}

type LiteralValue = string | number | boolean | null | LiteralValue[] | { [k: string]: LiteralValue };

/** Evaluates an acorn node that may only be a literal (object, array, string, number, -x, !0). */
function literalValue(node: acorn.AnyNode): LiteralValue {
  switch (node.type) {
    case 'Literal':
      if (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean') {
        return node.value;
      }
      if (node.value === null) return null;
      throw new Error('unsupported literal');
    case 'UnaryExpression': {
      const v = literalValue(node.argument);
      if (node.operator === '-' && typeof v === 'number') return -v;
      if (node.operator === '!' && typeof v === 'number') return !v; // minifiers write !0 / !1
      throw new Error(`unsupported unary ${node.operator}`);
    }
    case 'ArrayExpression':
      return node.elements.map((e) => {
        if (e === null || e.type === 'SpreadElement') throw new Error('unsupported array element');
        return literalValue(e);
      });
    case 'ObjectExpression': {
      const o: { [k: string]: LiteralValue } = {};
      for (const p of node.properties) {
        if (p.type !== 'Property' || p.computed) throw new Error('unsupported property');
        const key = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'Literal' ? String(p.key.value) : null;
        if (key === null) throw new Error('unsupported key');
        o[key] = literalValue(p.value);
      }
      return o;
    }
    default:
      throw new Error(`not a literal: ${node.type}`);
  }
}

/** The value assigned to `<x>.exports = …` inside a browserify bundle, as a literal. */
function bundleExport(file: string): LiteralValue {
  const src = readFileSync(file, 'utf8');
  const ast = acorn.parse(src, { ecmaVersion: 2020 });
  let found: LiteralValue | undefined;
  const visit = (n: unknown): void => {
    if (found !== undefined || n === null || typeof n !== 'object') return;
    const node = n as acorn.AnyNode;
    if (
      node.type === 'AssignmentExpression' &&
      node.left.type === 'MemberExpression' &&
      node.left.property.type === 'Identifier' &&
      node.left.property.name === 'exports' &&
      (node.right.type === 'ObjectExpression' || node.right.type === 'Literal')
    ) {
      found = literalValue(node.right);
      return;
    }
    for (const v of Object.values(node)) {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') visit(v);
    }
  };
  visit(ast);
  if (found === undefined) throw new Error(`${file}: no module.exports literal`);
  return found;
}

/** model.min.js + shards -> cacheDir/model.json + .bin files; returns the model.json path. */
function unbundle(minJs: string, cacheRoot: string): string {
  const dir = path.dirname(minJs);
  const outDir = path.join(cacheRoot, path.basename(dir));
  const modelJson = path.join(outDir, 'model.json');
  if (existsSync(modelJson)) return modelJson;
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.min.js') || f === 'model.min.js') continue;
    const b64 = bundleExport(path.join(dir, f));
    if (typeof b64 !== 'string') throw new Error(`${f}: shard is not a base64 string`);
    writeFileSync(path.join(outDir, f.replace(/\.min\.js$/, '')), Buffer.from(b64, 'base64'));
  }
  writeFileSync(modelJson, JSON.stringify(bundleExport(minJs)));
  return modelJson;
}

function optionsFor(model: string): ModelOptions {
  const norm = model.split(path.sep).join('/');
  for (const [key, o] of OPTIONS) if (norm.endsWith(key) || (key.endsWith('-') && norm.includes(key))) return o;
  return { args: [], note: '' };
}

function firstLine(s: string): string {
  const lines = s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('error') || l.startsWith('gradient-lens:') || /refus|unsupported|Error/.test(l));
  const line = lines[0] ?? s.trim().split('\n').slice(-1)[0] ?? '';
  return line.length > 400 ? line.slice(0, 400) + '…' : line;
}

/** Analysis settings of a sweep (the table header states them). */
interface Sweep {
  readonly batch: number;
  readonly probes: number;
  readonly timeoutS: number;
  readonly memMb: number;
}

function runOne(cli: string, label: string, model: string, sweep: Sweep): Row {
  const { timeoutS, memMb } = sweep;
  const opts = optionsFor(label);
  const json = path.join(os.tmpdir(), `gl-real-${process.pid}.json`);
  const args = [
    '-f',
    'TIME_MAXRSS_KB=%M TIME_ELAPSED_S=%e',
    process.execPath,
    cli,
    'analyze',
    model,
    '--batch',
    String(sweep.batch),
    '--probes',
    String(sweep.probes),
    '--no-block-matrix',
    // Speed: probes everywhere (no one-hot cotangents), no k_lin refinement.
    '--exact',
    'off',
    '--k-precision',
    '0',
    '--memory-limit-mb',
    String(memMb),
    '--quiet',
    '--json',
    json,
    ...opts.args,
  ];
  writeFileSync(json, '');
  const r = spawnSync('/usr/bin/time', args, {
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  const stderr = r.stderr ?? '';
  const m = /TIME_MAXRSS_KB=(\d+) TIME_ELAPSED_S=([\d.]+)/.exec(stderr);
  const peakMb = m ? Math.round(Number(m[1]) / 1024) : -1;
  const seconds = m ? Number(m[2]) : timeoutS;
  const base = { model: label, options: opts.args.join(' '), note: opts.note, seconds, peakMb };
  const empty = { blocks: null, largestBlockOps: null, residualBlocks: null, sampleBySample: null, inputShape: null, output: null };
  if (r.error || r.signal) {
    return { ...base, ...empty, status: 'timeout', error: `no result within ${timeoutS} s` };
  }
  const text = readFileSync(json, 'utf8');
  if (r.status !== 0 || text === '') {
    const err = firstLine(stderr.replace(/TIME_MAXRSS_KB=.*$/m, ''));
    return { ...base, ...empty, status: r.status === 1 ? 'refused' : 'crash', error: err };
  }
  const report = JSON.parse(text) as ReportShape;
  return {
    ...base,
    status: 'ok',
    blocks: report.blocks.length,
    largestBlockOps: Math.max(0, ...report.blocks.map((b) => b.opTypes.length)),
    residualBlocks: report.blocks.filter((b) => b.kind === 'residual').length,
    sampleBySample: report.model.sampleBySample === true,
    inputShape: report.model.inputShape,
    output: report.model.outputName,
    error: null,
  };
}

function markdown(rows: readonly Row[], sweep: Sweep): string {
  const ok = rows.filter((r) => r.status === 'ok').length;
  const lines = [
    `# Real npm models: ${ok} of ${rows.length} analyse`,
    '',
    `batch ${sweep.batch}, ${sweep.probes} probes, \`--exact off --k-precision 0 --no-block-matrix\`, ${sweep.timeoutS} s timeout, one model at a time (bench/realModels.ts). ` +
      'With --update, rows of models not run again keep the settings of their own run (real-models.json has them per run).',
    '',
    '| model | status | options | blocks | largest block (ops) | residual | s | peak MB | error / note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const cells = [
      r.model,
      r.status + (r.sampleBySample ? ' (sample by sample)' : ''),
      // Rows kept from runs before the options column have none.
      (r.options ?? '') === '' ? '' : '`' + r.options + '`',
      r.blocks ?? '',
      r.largestBlockOps ?? '',
      r.residualBlocks ?? '',
      r.seconds.toFixed(1),
      r.peakMb,
      (r.error ?? r.note ?? '').replace(/\|/g, '\\|'),
    ];
    lines.push('| ' + cells.join(' | ') + ' |');
  }
  return lines.join('\n') + '\n';
}

function main(): void {
  const argv = process.argv.slice(2);
  let timeoutS = 900;
  let memMb = 4096;
  let only: string | null = null;
  let update = false;
  const skip: string[] = [];
  // Light settings by default: the sweep asks whether a model analyses, not for precise numbers.
  let batch = 2;
  let probes = 2;
  const roots: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--timeout') timeoutS = Number(argv[++i]);
    else if (a === '--memory-limit-mb') memMb = Number(argv[++i]);
    else if (a === '--only') only = argv[++i] ?? null;
    else if (a === '--update') update = true;
    else if (a === '--skip') skip.push(argv[++i] ?? '');
    else if (a === '--batch') batch = Number(argv[++i]);
    else if (a === '--probes') probes = Number(argv[++i]);
    else roots.push(a);
  }
  if (roots.length === 0) {
    process.stderr.write(
      'usage: node out/bench/realModels.js [--timeout S] [--memory-limit-mb M] [--batch N] [--probes P] [--only SUBSTR] [--skip SUBSTR]... [--update] FOLDER...\n',
    );
    process.exit(2);
  }
  const sweep: Sweep = { batch, probes, timeoutS, memMb };
  const repo = path.resolve(__dirname, '..', '..');
  const cli = path.join(repo, 'bin', 'gradient-lens.js');
  const cache = path.join(os.tmpdir(), 'gl-real-models-cache');
  const found: string[] = [];
  for (const r of roots) findModels(path.resolve(r), found);
  const jsonOut = path.join(repo, 'bench', 'real-models.json');
  const previous: Row[] = update && existsSync(jsonOut) ? (JSON.parse(readFileSync(jsonOut, 'utf8')) as { rows: Row[] }).rows : [];
  const rows = new Map<string, Row>(previous.map((r) => [r.model, r]));
  for (const file of found) {
    // Labels start at the package folder (the parent of the folder given), without npm pack's "package/".
    const root = roots.map((r) => path.resolve(r)).find((r) => file.startsWith(r + path.sep)) ?? '';
    const label = path
      .relative(path.dirname(root), file)
      .split(path.sep)
      .filter((part) => part !== 'package')
      .join('/');
    if (only !== null && !label.includes(only)) continue;
    if (skip.some((x) => x !== '' && label.includes(x))) continue;
    let model = file;
    if (file.endsWith('model.min.js')) {
      try {
        model = unbundle(file, cache);
      } catch (e) {
        rows.set(label, {
          model: label,
          status: 'crash',
          options: '',
          note: '',
          blocks: null,
          largestBlockOps: null,
          residualBlocks: null,
          sampleBySample: null,
          inputShape: null,
          output: null,
          seconds: 0,
          peakMb: 0,
          error: `unbundling: ${(e as Error).message}`,
        });
        continue;
      }
    }
    process.stderr.write(`${label} … `);
    const row = runOne(cli, label, model, sweep);
    process.stderr.write(`${row.status} ${row.seconds.toFixed(1)} s ${row.peakMb} MB ${row.error ?? ''}\n`);
    rows.set(label, row);
  }
  const all = [...rows.values()].sort((a, b) => a.model.localeCompare(b.model));
  const ok = all.filter((r) => r.status === 'ok').length;
  writeFileSync(
    jsonOut,
    JSON.stringify({ date: new Date().toISOString(), batch, probes, memoryLimitMb: memMb, timeoutS, analysed: ok, total: all.length, rows: all }, null, 1) +
      '\n',
  );
  writeFileSync(path.join(repo, 'bench', 'real-models.md'), markdown(all, sweep));
  process.stderr.write(`${ok} of ${all.length} analyse\n`);
}

main();
