/**
 * The memory guard's plan against the measured peak (issue 20): analyses one model in this
 * process and prints one JSON line with the report's memory figures (planned, limit, peak
 * resident set of the process), the batch and threads analysed and the time. Run one process
 * per model (the peak is the process's): bench/memory-plan.sh drives it.
 * Usage: node out/bench/memoryPlan.js MODEL [--batch N] [--probes P] [--threads T] [--dim NAME=SIZE]
 *        [--memory-limit-mb M] [--backend B] [--no-block-matrix] [--label L]
 */
import { analyzeModel } from '../src/engine/analyze';
import type { AnalysisSettings } from '../src/report/schema';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const modelPath = process.argv[2];
  const dimOverrides: Record<string, number> = {};
  process.argv.forEach((a, i) => {
    if (a !== '--dim') return;
    const [k, v] = process.argv[i + 1].split('=');
    dimOverrides[k] = Number(v);
  });
  const settings: Partial<AnalysisSettings> = {
    ...(arg('--batch') !== undefined && { batch: Number(arg('--batch')) }),
    ...(arg('--probes') !== undefined && { probes: Number(arg('--probes')) }),
    ...(arg('--memory-limit-mb') !== undefined && { memoryLimitMb: Number(arg('--memory-limit-mb')) }),
    backend: (arg('--backend') ?? 'wasm') as AnalysisSettings['backend'],
    ...(process.argv.includes('--no-block-matrix') && { blockMatrix: false }),
    dimOverrides,
  };
  const threads = arg('--threads');
  const t0 = Date.now();
  const report = await analyzeModel({ modelPath, settings, ...(threads !== undefined && { threads: Number(threads) }) });
  const m = report.memory;
  console.log(
    JSON.stringify({
      label: arg('--label') ?? modelPath,
      batch: report.settings.batch,
      probes: report.settings.probes,
      threads: report.backend.threads ?? 1,
      backend: report.backend.name,
      limitMb: m?.limitMb,
      plannedMb: m?.plannedMb,
      peakMb: m?.peakMb,
      peakOverPlan: m ? Math.round((m.peakMb / m.plannedMb) * 100) / 100 : null,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
