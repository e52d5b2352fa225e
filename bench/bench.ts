/**
 * npm run bench: wall time, CPU time and peak memory of a full analysis of each fixture model,
 * of a ResNet-18-sized and of a MobileNetV2-sized model (generated on demand, see
 * gen-resnet18.ts, gen-mobilenetv2.ts), on each backend asked for (default: ort, then wasm),
 * back to back with the same work done by PyTorch (bench/pytorch_reference.py) when a python3
 * with torch and onnx is installed; written to bench/results.json (a benchmark, not a test:
 * nothing here asserts a time).
 *
 * Each run is its own child process so that peak RSS is that analysis's own.
 * Usage: node out/bench/bench.js [--probes P] [--batch N] [--backend ort,wasm|ort-conv|ort-graph|cpu|node] [--threads T,...]
 *        ('ort-conv': --backend ort with GRADIENT_LENS_ORT_GRAPH=0, one ORT session per convolution;
 *        'ort-graph': --backend ort with whole reverse passes as ORT graphs, the default, the block
 *        matrix's rows as one family; 'ort-rows': the same with one graph per row, GRADIENT_LENS_ORT_FAMILIES=0)
 *        (T goes to the analysis as GRADIENT_LENS_THREADS)
 *        [--no-torch] [--update] [--repeat N] [model ...]
 * --update replaces only the rows of the models (thread counts, backends) run, keeping the others.
 * --repeat N runs every configuration and PyTorch N times, in rounds (each round: every backend,
 * then PyTorch), and keeps the run of median wall time of each: on a shared VM one pair of runs
 * can differ by 30% either way, so the ratio is taken between medians (every run's wall time is
 * kept in `wallMsRuns`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultResnet18Dir, ensureResnet18 } from './gen-resnet18';
import { defaultMobilenetv2Dir, ensureMobilenetv2 } from './gen-mobilenetv2';
import { THREADS_ENV } from '../src/engine/parallel/pool';
import { ORT_GRAPH_ENV } from '../src/runtime/backend';
import { withAllocatorTunables } from '../src/engine/allocator';

interface BenchCase {
  readonly name: string;
  readonly model: string;
  readonly input?: string;
}

/** What bench/pytorch_reference.py writes. */
interface TorchResult {
  readonly torch: string;
  readonly threads: number;
  readonly loadMs: number;
  readonly forwardMs: number;
  readonly gscToOutputMs: number;
  readonly blockMatrixMs: number;
  readonly blocksMs: number;
  readonly analysisMs: number;
  readonly totalMs: number;
  readonly peakRssMb: number;
  /** User + system CPU time of the process, all threads. */
  readonly cpuMs: number;
  readonly maxRelDiffGscToOutput: number;
  /** Where both measure S v exactly (forward mode), k_lin agrees to float32 rounding. */
  readonly maxRelDiffKLin?: number;
}

/** The parts of our report the bench reads. */
interface BenchReport {
  readonly blocks: unknown[];
  readonly timings: Record<string, number>;
  readonly backend: { readonly name: string };
  readonly settings: { readonly batch: number; readonly probes: number; readonly threads?: number };
}

interface BenchResult {
  readonly name: string;
  readonly model: string;
  readonly backend: string;
  readonly threads: string;
  readonly batch: number;
  readonly probes: number;
  readonly blocks: number;
  readonly wallMs: number;
  /** User + system CPU time of the process, all threads (less sensitive than wall time to other load). */
  readonly cpuMs: number;
  readonly analysisMs: number;
  readonly peakRssMb: number;
  /** Size of the wasm memory at exit (it only grows, so this is its peak); -1 off wasm. */
  readonly wasmHeapMb: number;
  readonly timings: Record<string, number>;
  /** Wall time of every run (--repeat); the other figures are the median run's. */
  readonly wallMsRuns: readonly number[];
  /** The same VJPs in PyTorch (null when python3 with torch is not installed). */
  readonly pytorch: TorchRun | null;
}

type TorchRun = TorchResult & { readonly wallMs: number; readonly wallMsRuns?: readonly number[] };

/** The run of median wall time (the lower middle one of an even count). */
function medianRun<T extends { readonly wallMs: number }>(runs: readonly T[]): T {
  return [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor((runs.length - 1) / 2)];
}

/** The repository's fixture models (this file runs from out/bench). */
function fixtureModels(): string {
  return path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'models');
}

const FIXTURES = ['mlp_relu', 'mlp_tanh', 'mlp_selu', 'mlp_bn_relu', 'mlp_ln_tanh', 'resmlp_relu', 'linear_orthogonal', 'resnet_cifar8', 'tiny_transformer'];
const RESNET18 = 'resnet18_64';
const MOBILENETV2 = 'mobilenetv2_64';

function benchCases(filter: readonly string[]): BenchCase[] {
  const wanted = (n: string): boolean => filter.length === 0 || filter.includes(n);
  const cases: BenchCase[] = FIXTURES.filter(wanted).map((n) => ({
    name: n,
    model: path.join(fixtureModels(), n, 'model.onnx'),
    input: path.join(fixtureModels(), n, 'input.bin'),
  }));
  if (wanted(RESNET18)) cases.push({ name: RESNET18, ...ensureResnet18(defaultResnet18Dir()) });
  if (wanted(MOBILENETV2)) cases.push({ name: MOBILENETV2, ...ensureMobilenetv2(defaultMobilenetv2Dir()) });
  return cases;
}

/** A python3 that imports torch and onnx (Debian's python3-torch lives in /usr/bin/python3), or null. */
function findTorchPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch, onnx'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

function runOurs(
  c: BenchCase,
  json: string,
  probes: string,
  backend: string,
  batch: string,
  threads: string,
): { wallMs: number; cpuMs: number; peakRssMb: number; wasmHeapMb: number } {
  const cli = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
  const started = Date.now();
  // The child reports its own peak RSS (maxRSS, in kB) and wasm memory size on exit.
  const child = spawnSync(
    process.execPath,
    [
      '-e',
      `process.on('exit', () => {
         let heap = -1;
         try { const b = require('@tensorflow/tfjs-core').backend(); if (b && b.wasm) heap = b.wasm.HEAPU8.length; } catch {}
         const u = process.resourceUsage();
         process.stderr.write('\\nPEAK_RSS_KB=' + u.maxRSS + ' WASM_HEAP=' + heap + ' CPU_US=' + (u.userCPUTime + u.systemCPUTime) + '\\n');
       });
       require(${JSON.stringify(cli)}).main(${JSON.stringify(cliArgs(c, json, probes, backend, batch))}).then((code) => process.exit(code));`,
    ],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      cwd: path.resolve(__dirname, '..', '..'),
      // As the CLI and the extension's worker start: with the allocator settings (engine/allocator.ts).
      env: {
        ...withAllocatorTunables(process.env),
        ...(threads === '' ? {} : { [THREADS_ENV]: threads }),
        // 'ort-conv' / 'ort-graph': ONNX Runtime without / with whole reverse passes as graphs (runtime/backend.ts ORT_GRAPH_ENV).
        ...(backend === 'ort-conv' ? { [ORT_GRAPH_ENV]: '0' } : backend === 'ort-graph' || backend === 'ort-rows' ? { [ORT_GRAPH_ENV]: '1' } : {}),
        // 'ort-rows': whole-pass graphs, but one per block-matrix row rather than one family (runtime/ortGraph.ts).
        ...(backend === 'ort-rows' ? { GRADIENT_LENS_ORT_FAMILIES: '0' } : {}),
      },
    },
  );
  const wallMs = Date.now() - started;
  if (child.status !== 0) throw new Error(`${c.name}: analysis failed:\n${child.stderr}`);
  const m = /PEAK_RSS_KB=(\d+) WASM_HEAP=(-?\d+) CPU_US=(\d+)/.exec(child.stderr);
  return {
    wallMs,
    cpuMs: m ? Math.round(Number(m[3]) / 1000) : -1,
    peakRssMb: m ? Math.round(Number(m[1]) / 1024) : -1,
    wasmHeapMb: m && Number(m[2]) >= 0 ? Math.round(Number(m[2]) / 1024 ** 2) : -1,
  };
}

function runTorch(py: string, c: BenchCase, reportJson: string, tmp: string): TorchRun | null {
  if (c.input === undefined) return null;
  const out = path.join(tmp, `${c.name}.torch.json`);
  const script = path.resolve(__dirname, '..', '..', 'bench', 'pytorch_reference.py');
  const started = Date.now();
  const child = spawnSync(py, [script, c.model, c.input, reportJson, out], { encoding: 'utf8', maxBuffer: 64 << 20, env: torchEnv() });
  const wallMs = Date.now() - started;
  if (child.status !== 0) {
    process.stderr.write(`${c.name}: the PyTorch reference failed:\n${child.stderr}\n`);
    return null;
  }
  return { ...(JSON.parse(readFileSync(out, 'utf8')) as TorchResult), wallMs };
}

/**
 * The OpenBLAS core-type overrides some machines set for old OpenBLAS builds slow a current
 * one down; PyTorch is measured without them (env/README: unset both together).
 */
function torchEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (flag: string, dflt: string): string => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] !== undefined ? args.splice(i, 2)[1] : dflt;
  };
  const flag = (name: string): boolean => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  const probes = opt('--probes', '8');
  const batch = opt('--batch', '16');
  // A comma-separated list runs each model once per backend, back to back with PyTorch.
  const backends = opt('--backend', 'ort,wasm').split(',');
  // A comma-separated list runs each model once per thread count (PyTorch once).
  const threadCounts = opt('--threads', '').split(',');
  const py = flag('--no-torch') ? null : findTorchPython();
  const update = flag('--update');
  const repeat = Math.max(1, Number(opt('--repeat', '1')) || 1);
  if (py === null) process.stdout.write('no python3 with torch and onnx: PyTorch comparison skipped\n');
  const cases = benchCases(args);
  const tmp = path.join(os.tmpdir(), 'gradient-lens-bench');
  mkdirSync(tmp, { recursive: true });
  const results: BenchResult[] = [];
  const file = path.resolve('bench', 'results.json');
  const old = update && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { results: BenchResult[] }).results : [];
  // Written after every model, so that an interrupted bench keeps what it measured.
  const save = (): void => {
    const key = (r: BenchResult): string => `${r.name}/${r.threads}/${r.backend}`;
    const fresh = new Set(results.map(key));
    const rows = [...old.filter((r) => !fresh.has(key(r))), ...results];
    const machine = { cpus: os.cpus().length, node: process.version, loadavg: os.loadavg() };
    writeFileSync(file, JSON.stringify({ machine, date: new Date().toISOString(), results: rows }, null, 2));
  };
  for (const c of cases) {
    const configs = threadCounts.flatMap((threads) => backends.map((backend) => ({ threads, backend })));
    const ours = configs.map(() => [] as { run: ReturnType<typeof runOurs>; report: BenchReport }[]);
    const torchRuns: TorchRun[] = [];
    for (let round = 0; round < repeat; round++) {
      configs.forEach(({ threads, backend }, i) => {
        const json = path.join(tmp, `${c.name}.${i}.json`);
        const run = runOurs(c, json, probes, backend, batch, threads);
        ours[i].push({ run, report: JSON.parse(readFileSync(json, 'utf8')) as BenchReport });
        // PyTorch reads the block boundaries from our report: once per round, after the first configuration.
        if (i === 0 && py !== null) {
          const torch = runTorch(py, c, json, tmp);
          if (torch !== null) torchRuns.push(torch);
        }
      });
    }
    const torch: TorchRun | null = torchRuns.length === 0 ? null : { ...medianRun(torchRuns), wallMsRuns: torchRuns.map((t) => t.wallMs) };
    configs.forEach(({ threads, backend }, i) => {
      const median = medianRun(ours[i].map((o) => ({ ...o, wallMs: o.run.wallMs })));
      const { run, report } = median;
      results.push({
        name: c.name,
        model: path.relative(process.cwd(), c.model),
        backend: backend.startsWith('ort-') && report.backend.name === 'ort' ? backend : report.backend.name,
        threads: threads === '' ? 'default' : threads,
        batch: report.settings.batch,
        probes: report.settings.probes,
        blocks: report.blocks.length,
        wallMs: run.wallMs,
        cpuMs: run.cpuMs,
        analysisMs: report.timings.totalMs,
        peakRssMb: run.peakRssMb,
        wasmHeapMb: run.wasmHeapMb,
        timings: report.timings,
        wallMsRuns: ours[i].map((o) => o.run.wallMs),
        pytorch: torch,
      });
      const of = repeat > 1 ? ` (median of ${repeat})` : '';
      const theirs = torch
        ? `   pytorch ${String(torch.wallMs).padStart(7)} ms wall ${String(torch.cpuMs).padStart(7)} ms cpu ${String(torch.peakRssMb).padStart(5)} MB   ratio ${(run.wallMs / torch.wallMs).toFixed(2)}x   k_lin diff ${(torch.maxRelDiffKLin ?? Number.NaN).toExponential(1)}`
        : '';
      process.stdout.write(
        `${c.name.padEnd(20)} ${(backend.startsWith('ort-') ? backend : report.backend.name).padEnd(8)} threads ${threads || 'default'} ${String(run.wallMs).padStart(7)} ms wall${of} ${String(run.cpuMs).padStart(7)} ms cpu ${String(report.timings.totalMs).padStart(7)} ms analysis ${String(run.peakRssMb).padStart(5)} MB${theirs}\n`,
      );
      save();
    });
  }
  process.stdout.write(`results written to ${file}\n`);
}

function cliArgs(c: BenchCase, json: string, probes: string, backend: string, batch: string): string[] {
  const input = c.input ? ['--input', c.input] : ['--batch', batch];
  return ['analyze', c.model, '--probes', probes, '--backend', backend.startsWith('ort-') ? 'ort' : backend, '--json', json, '--quiet', ...input];
}

main();
