/**
 * Per tfjs kernel (Conv2D, Transpose, Slice, ...): where a reverse pass of PROBES (8) stacked
 * probes from the model output to every block boundary spends its time, from tf.profile
 * (wasm runs kernels synchronously, so a kernel's time is its compute). Finer than
 * profile.ts, which times the engine's ops.
 * Usage: npx tsx bench/kprof.ts <model.onnx> <input.bin>   (BATCH=16; DETAIL=Conv2D lists calls)
 */
import * as tf from '@tensorflow/tfjs-core';
import { Executor } from '../src/runtime/executor';
import { SeededRandom } from '../src/runtime/random';
import { benchFeeds, benchGraph, reversePassTargets } from './profileSession';

async function main(): Promise<void> {
  const [modelPath, inputPath] = process.argv.slice(2);
  const graph = await benchGraph(modelPath);
  const { input, feeds } = benchFeeds(graph, Number(process.env.BATCH ?? 16), inputPath);
  const exec = new Executor(graph);
  const acts = exec.forward(feeds);
  const { out, wrt, y } = reversePassTargets(exec, graph, input, acts);
  const rng = new SeededRandom(2);
  // As the analysis runs them: PROBES probes stacked into one reverse pass (probeStacking.ts).
  const probes = Number(process.env.PROBES ?? 8);
  const t0 = performance.now();
  const info = await tf.profile(() => {
    const seed = tf.tensor(rng.gaussian(probes * y.size), [probes * y.shape[0], ...y.shape.slice(1)]);
    const grads = exec.vjp(acts, new Map([[out, seed]]), wrt, undefined, probes);
    seed.dispose();
    grads.forEach((g) => g.dispose());
  });
  console.log(`one pass of ${probes} stacked probes: ${(performance.now() - t0).toFixed(0)} ms`);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += k.kernelTimeMs as number;
    e.calls++;
    byKernel.set(k.name, e);
  }
  for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(name.padEnd(30), e.ms.toFixed(0).padStart(7), String(e.calls).padStart(6));
  }
  const detail = process.env.DETAIL;
  for (const k of info.kernels.filter((k) => k.name === detail)) console.log(k.name, (k.kernelTimeMs as number).toFixed(1), JSON.stringify(k.inputShapes));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
