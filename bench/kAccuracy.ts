/**
 * How close k_lin is to the exact value at default settings: every fixture model of
 * test/fixtures/models (whose reference.json holds k_lin computed exactly in float64 from all
 * n^2 Jacobian-vector products) analysed with several seeds. Writes the median relative error,
 * the share of blocks within 10%, the coverage of the 99% intervals and the wall time of each
 * analysis to bench/k-accuracy.json (a benchmark: nothing here asserts).
 * Usage: node out/bench/kAccuracy.js [--seeds 5] [--label name] [fixture ...]
 * Run with GRADIENT_LENS_THREADS=1 for comparable times on a shared machine.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeModel } from '../src/engine/analyze';
import { initBackend } from '../src/runtime/backend';
import { median } from '../src/metrics/stats';
import { FIXTURE_NAMES, fixtureDir, loadReference, repoRoot } from '../test/helpers/fixtures';

interface BlockResult {
  readonly fixture: string;
  readonly seed: number;
  readonly block: number;
  readonly exact: number;
  readonly value: number;
  readonly ci99: readonly [number, number] | null;
  readonly method: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const seeds = Number(arg('--seeds') ?? 5);
  const label = arg('--label') ?? 'current';
  const named = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
  const fixtures = named.length > 0 ? named : [...FIXTURE_NAMES];
  const rows: BlockResult[] = [];
  const times: Record<string, number[]> = {};
  for (const name of fixtures) {
    const ref = loadReference(name);
    const dir = fixtureDir(name);
    for (let seed = 1; seed <= seeds; seed++) {
      const t0 = performance.now();
      const report = await analyzeModel({
        modelPath: path.join(dir, ref.files.onnx[0].file),
        inputFile: path.join(dir, 'input.bin'),
        settings: { backend: 'wasm', seed },
      });
      (times[name] ??= []).push(performance.now() - t0);
      report.blocks.forEach((b, i) => {
        const exact = ref.blocks[i].linearisation.k_lin;
        const lin = b.linearisation;
        if (exact === null || lin.kLin === null) return;
        rows.push({ fixture: name, seed, block: b.index, exact, value: lin.kLin, ci99: lin.kLinCi99, method: lin.qSv.method });
      });
    }
    console.error(`${name}: ${times[name].map((t) => t.toFixed(0)).join(' ')} ms`);
  }
  const errors = rows.map((r) => Math.abs(r.value - r.exact) / Math.abs(r.exact));
  // Exact-mode values have zero-width intervals and differ from float64 by float32 rounding only:
  // coverage is counted over the estimated ones.
  const estimated = rows.filter((r) => r.method !== 'exact' && r.ci99 !== null);
  const covers = (r: BlockResult): boolean => r.ci99![0] <= r.exact && r.exact <= r.ci99![1];
  const halfWidths = estimated.map((r) => (r.ci99![1] - r.ci99![0]) / 2 / Math.abs(r.exact));
  const summary = {
    label,
    date: new Date().toISOString(),
    seeds,
    blocks: rows.length,
    medianRelError: median(errors),
    maxRelError: Math.max(...errors),
    within10: errors.filter((e) => e <= 0.1).length / errors.length,
    within5: errors.filter((e) => e <= 0.05).length / errors.length,
    estimatedBlocks: estimated.length,
    coverage99: estimated.filter(covers).length / estimated.length,
    missed: estimated.filter((r) => !covers(r)).map((r) => `${r.fixture} seed ${r.seed} block ${r.block}: ${r.value} [${r.ci99!.join(', ')}] vs ${r.exact}`),
    medianRelHalfWidth99: median(halfWidths),
    medianMsByFixture: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(median(v))])),
    worst: rows
      .map((r, i) => ({ ...r, relError: errors[i] }))
      .sort((a, b) => b.relError - a.relError)
      .slice(0, 5),
  };
  console.log(JSON.stringify({ ...summary, worst: undefined }, null, 1));
  const file = path.join(repoRoot(), 'bench', 'k-accuracy.json');
  const previous: Record<string, unknown> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, JSON.stringify({ ...previous, [label]: summary }, null, 1) + '\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
