/**
 * Per tfjs kernel (Conv2D, Transpose, Slice, ...): where 4 reverse passes from the model output
 * to every block boundary spend their time, from tf.profile (wasm runs kernels synchronously,
 * so a kernel's time is its compute). Finer than profile.ts, which times the engine's ops.
 * Usage: npx tsx bench/kprof.ts <model.onnx> <input.bin>   (BATCH=16; DETAIL=Conv2D lists calls)
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { loadModel } from '../src/loaders';
import { toChannelsLast } from '../src/graph/layout';
import { initBackend } from '../src/engine/backend';
import { Executor } from '../src/engine/executor';
import { partitionBlocks } from '../src/metrics/blocks';
import { referenceOutput } from '../src/engine/analyze';
import { SeededRandom } from '../src/engine/random';
async function main(): Promise<void> {
  const [modelPath, inputPath] = process.argv.slice(2);
  const batch = Number(process.env.BATCH ?? 16);
  await initBackend('wasm');
  // The graph the analysis runs: convolutional regions channels-last (src/graph/layout.ts).
  const graph = toChannelsLast((await loadModel(modelPath)).graph);
  const input = graph.inputs.find((i) => !graph.constants.has(i.name))!;
  const shape = [batch, ...(input.shape ?? []).slice(1).map((d) => (typeof d === 'number' ? d : 1))];
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(readFileSync(inputPath).buffer.slice(0, size * 4));
  const exec = new Executor(graph);
  const x = tf.tensor(data, shape);
  const feeds = new Map([[input.name, x]]);
  const acts = exec.forward(feeds);
  const out = referenceOutput(graph);
  const { boundaries } = partitionBlocks(graph, input.name, out);
  const rng = new SeededRandom(2);
  const y = acts.get(out)!;
  const warm = exec.vjp(acts, new Map([[out, tf.onesLike(y)]]), boundaries.slice(0, -1));
  warm.forEach((g) => g.dispose());
  const t0 = performance.now();
  const info = await tf.profile(() => {
    for (let p = 0; p < 4; p++) {
      const seed = tf.tensor(rng.gaussian(y.size), y.shape);
      const grads = exec.vjp(acts, new Map([[out, seed]]), boundaries.slice(0, -1));
      seed.dispose();
      grads.forEach((g) => g.dispose());
    }
  });
  console.log('4 passes ms', (performance.now() - t0).toFixed(0));
  const by = new Map<string, [number, number]>();
  for (const k of info.kernels) {
    const key = k.name;
    const e = by.get(key) ?? [0, 0];
    e[0] += k.kernelTimeMs as number; e[1]++;
    by.set(key, e);
  }
  for (const [k, [ms, c]] of [...by].sort((a, b) => b[1][0] - a[1][0])) console.log(k.padEnd(30), ms.toFixed(0).padStart(7), String(c).padStart(6));
  if (process.env.DETAIL) for (const k of info.kernels.filter((k) => k.name === process.env.DETAIL)) console.log(k.name, (k.kernelTimeMs as number).toFixed(1), JSON.stringify(k.inputShapes));
}
main();
