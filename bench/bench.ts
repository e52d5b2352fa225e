/**
 * npm run bench: wall time and peak memory of a full analysis of each fixture model, written
 * to bench/results.json (a benchmark, not a test: nothing here asserts a time).
 *
 * Each model runs in its own child process so that peak RSS is that analysis's own.
 * Usage: node out/bench/bench.js [--probes P] [--batch N] [--backend wasm|cpu|node] [fixture ...]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface BenchCase {
  readonly name: string;
  readonly model: string;
  readonly input?: string;
}

interface BenchResult {
  readonly name: string;
  readonly model: string;
  readonly backend: string;
  readonly batch: number;
  readonly probes: number;
  readonly blocks: number;
  readonly wallMs: number;
  readonly analysisMs: number;
  readonly peakRssMb: number;
  readonly timings: Record<string, number>;
}

function sharedFixtures(): string {
  return path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures');
}

function fixtureCases(filter: readonly string[]): BenchCase[] {
  const names = ['mlp_relu', 'mlp_tanh', 'mlp_selu', 'mlp_bn_relu', 'mlp_ln_tanh', 'resmlp_relu', 'linear_orthogonal', 'resnet_cifar8', 'tiny_transformer'];
  return names
    .filter((n) => filter.length === 0 || filter.includes(n))
    .map((n) => ({ name: n, model: path.join(sharedFixtures(), n, 'model.onnx'), input: path.join(sharedFixtures(), n, 'input.bin') }));
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (flag: string, dflt: string): string => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] !== undefined ? args.splice(i, 2)[1] : dflt;
  };
  const probes = opt('--probes', '8');
  const batch = opt('--batch', '16');
  const backend = opt('--backend', 'wasm');
  const cases = fixtureCases(args);
  const cli = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
  const tmp = path.join(os.tmpdir(), 'gradient-lens-bench');
  mkdirSync(tmp, { recursive: true });
  const results: BenchResult[] = [];
  for (const c of cases) {
    const json = path.join(tmp, `${c.name}.json`);
    const started = Date.now();
    // The child reports its own peak RSS (maxRSS, in kB) on exit; /usr/bin/time is not everywhere.
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `process.on('exit', () => process.stderr.write('\\nPEAK_RSS_KB=' + process.resourceUsage().maxRSS + '\\n'));
         require(${JSON.stringify(cli)}).main(${JSON.stringify(cliArgs(c, json, probes, backend, batch))}).then((code) => process.exit(code));`,
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const wallMs = Date.now() - started;
    if (child.status !== 0) throw new Error(`${c.name}: analysis failed:\n${child.stderr}`);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      blocks: unknown[];
      timings: Record<string, number>;
      backend: { name: string };
      settings: { batch: number; probes: number };
    };
    const rssLine = /PEAK_RSS_KB=(\d+)/.exec(child.stderr);
    results.push({
      name: c.name,
      model: path.relative(process.cwd(), c.model),
      backend: report.backend.name,
      batch: report.settings.batch,
      probes: report.settings.probes,
      blocks: report.blocks.length,
      wallMs,
      analysisMs: report.timings.totalMs,
      peakRssMb: rssLine ? Math.round(Number(rssLine[1]) / 1024) : -1,
      timings: report.timings,
    });
    process.stdout.write(`${c.name.padEnd(20)} ${String(wallMs).padStart(7)} ms wall  ${String(report.timings.totalMs).padStart(7)} ms analysis\n`);
  }
  const file = path.resolve('bench', 'results.json');
  writeFileSync(file, JSON.stringify({ machine: { cpus: os.cpus().length, node: process.version }, date: new Date().toISOString(), results }, null, 2));
  process.stdout.write(`results written to ${file}\n`);
}

function cliArgs(c: BenchCase, json: string, probes: string, backend: string, batch: string): string[] {
  const input = c.input ? ['--input', c.input] : ['--batch', batch];
  return ['analyze', c.model, '--probes', probes, '--backend', backend, '--json', json, '--quiet', ...input];
}

main();
