/**
 * Calibrates and checks the run-time estimate (src/engine/estimate.ts): analyses each model at
 * default settings and writes, per model, the estimate sent after the forward pass, the time the
 * reverse passes really took (from that event to the end), and their ratio, to `--out` (JSON).
 * REVERSE_PASS_FACTOR is chosen from these ratios. Usage:
 * node out/bench/estimate.js --out bench/estimate.json model.onnx ... (GRADIENT_LENS_THREADS=1
 * for the single-thread figure).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { analyzeModel } from '../src/engine/analyze';
import type { RunEstimate } from '../src/engine/estimate';
import { REVERSE_PASS_FACTOR } from '../src/engine/estimate';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const out = arg('--out') ?? 'estimate.json';
  const models = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
  const rows: Record<string, unknown> = {};
  for (const modelPath of models) {
    let estimate: RunEstimate | undefined;
    let at = 0;
    const t0 = performance.now();
    const report = await analyzeModel(
      { modelPath, settings: { seed: 1 } },
      {
        onProgress: (e) => {
          if (e.estimate) {
            estimate = e.estimate;
            at = performance.now();
          }
        },
      },
    );
    const end = performance.now();
    if (!estimate) throw new Error(`${modelPath}: no estimate was sent`);
    const reverseMeasured = end - at;
    const reverseEstimated = estimate.totalMs - estimate.forwardMs;
    rows[modelPath] = {
      backend: report.backend.name,
      threads: estimate.threads,
      forwardMs: estimate.forwardMs,
      estimatedTotalMs: Math.round(estimate.totalMs),
      measuredTotalMs: Math.round(end - t0),
      reverseEstimatedMs: Math.round(reverseEstimated),
      reverseMeasuredMs: Math.round(reverseMeasured),
      // The factor that would have made this estimate exact.
      impliedFactor: Number(((reverseMeasured / reverseEstimated) * REVERSE_PASS_FACTOR).toFixed(2)),
      options: estimate.options.map((o) => `${o.label}: ${Math.round(o.totalMs)} ms`),
    };
    console.log(modelPath, JSON.stringify(rows[modelPath]));
  }
  const previous: Record<string, unknown> = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(
    out,
    JSON.stringify({ ...previous, [new Date().toISOString()]: { factor: REVERSE_PASS_FACTOR, cpus: os.cpus().length, models: rows } }, null, 1) + '\n',
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
