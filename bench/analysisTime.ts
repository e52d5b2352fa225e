/**
 * Wall and CPU time of whole analyses at default settings, for comparing two builds of the
 * engine on the same machine (k_lin's cost, issue 15): after one warm-up analysis, each model is
 * analysed `--runs` times in this process and the medians are appended to `--out` (JSON) under
 * `--label`. CPU time (process.cpuUsage) is less disturbed than wall time by other processes on
 * a shared machine. Usage: node out/bench/analysisTime.js --label L --out FILE [--runs 3] model.onnx:input.bin ...
 * Run with GRADIENT_LENS_THREADS=1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeModel } from '../src/engine/analyze';
import { initBackend } from '../src/runtime/backend';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const label = arg('--label') ?? 'current';
  const out = arg('--out') ?? 'analysis-time.json';
  const runs = Number(arg('--runs') ?? 3);
  const models = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
  const rows: Record<string, { wallMs: number; cpuMs: number; wall: number[]; cpu: number[] }> = {};
  for (const spec of models) {
    const [modelPath, inputFile] = spec.split(':');
    const analyse = (): Promise<unknown> => analyzeModel({ modelPath, ...(inputFile ? { inputFile } : {}), settings: { backend: 'wasm', seed: 1 } });
    await analyse();
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < runs; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await analyse();
      wall.push(Math.round(performance.now() - t0));
      const c = process.cpuUsage(c0);
      cpu.push(Math.round((c.user + c.system) / 1000));
    }
    const name = path.basename(path.dirname(modelPath)) + '/' + path.basename(modelPath);
    rows[name] = { wallMs: median(wall), cpuMs: median(cpu), wall, cpu };
    console.log(label, name, JSON.stringify(rows[name]));
  }
  const previous: Record<string, unknown> = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(out, JSON.stringify({ ...previous, [label]: { date: new Date().toISOString(), runs, models: rows } }, null, 1) + '\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
