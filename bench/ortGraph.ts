/**
 * One reverse pass, from the model's output back to its input and every block boundary, with
 * stacked probes, on each execution path: TensorFlow.js wasm eagerly; wasm with ONNX Runtime
 * convolutions (one session per convolution); the whole pass as one ONNX Runtime graph
 * (src/runtime/ortGraph.ts; its first run records the graph and builds the session, later
 * runs reuse it). Prints wall and CPU milliseconds per path and the largest relative
 * difference from the eager pass; a benchmark, nothing here asserts a time.
 *
 * Usage: node out/bench/ortGraph.js [modelDir] [probes] [repeats]   (default bench/models/resnet18_64, 7, 2)
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { partitionBlocks } from '../src/metrics/blocks';
import { initBackend } from '../src/runtime/backend';
import { setPassRunner } from '../src/runtime/ortGraph';
import { setConvExecutor, tfjsConvExecutor } from '../src/ops/convCore';
import { SeededRandom } from '../src/runtime/random';
import { loadModelWithInput } from './modelWithInput';

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', 'bench', 'models', 'resnet18_64'));
  const probes = Number(process.argv[3] ?? 7);
  const repeats = Number(process.argv[4] ?? 2);
  const info = await initBackend('ort');
  const runner = info.ortGraph;
  const perConv = info.ort;
  if (runner === undefined || perConv === undefined) throw new Error(`ONNX Runtime did not load: ${info.notes.join('; ')}`);
  const { graph, exec, inputName, x } = await loadModelWithInput(dir);
  const n = x.shape[0];
  const feeds = new Map([[inputName, x]]);
  const acts = exec.forward(feeds);
  const target = graph.outputs[0].name;
  const blocks = partitionBlocks(graph, inputName, target);
  const wrt = blocks.boundaries.slice(0, -1);
  const y = acts.get(target)!;
  const rng = new SeededRandom(1);
  const seedData = rng.gaussian(probes * y.size);
  const seed = tf.tensor(seedData, [probes * y.shape[0], ...y.shape.slice(1)]);
  const seeds = new Map([[target, seed]]);

  const pass = (): Map<string, tf.Tensor> => exec.vjp(acts, seeds, wrt, undefined, probes);
  const best = new Map<string, { wall: number; cpu: number }>();
  const timed = (label: string, f: () => Map<string, tf.Tensor>): Map<string, tf.Tensor> => {
    const w0 = Date.now();
    const c0 = cpuMs();
    const out = f();
    out.forEach((t) => t.dataSync());
    const wall = Date.now() - w0;
    const cpu = Math.round(cpuMs() - c0);
    console.log(`${label}: wall ${wall} ms, CPU ${cpu} ms`);
    const b = best.get(label);
    best.set(label, { wall: Math.min(wall, b?.wall ?? Infinity), cpu: Math.min(cpu, b?.cpu ?? Infinity) });
    return out;
  };
  console.log(
    `${path.basename(dir)}: batch ${n}, ${probes} probes stacked, ${wrt.length} tensors to (load average ${(await import('node:os')).loadavg()[0].toFixed(1)})`,
  );

  setPassRunner(undefined);
  setConvExecutor(tfjsConvExecutor);
  const eager = timed('wasm, eager', pass);
  for (let i = 1; i < repeats; i++) timed('wasm, eager', pass).forEach((t) => t.dispose());
  setConvExecutor(perConv);
  for (let i = 0; i < repeats; i++) timed('wasm + ORT per convolution', pass).forEach((t) => t.dispose());
  setPassRunner(runner);
  for (let i = 0; i < repeats; i++) {
    const out = timed(i === 0 ? 'ORT graph, recorded + session + run' : 'ORT graph, cached session', pass);
    if (i === 0) {
      let worst = 0;
      for (const name of wrt) {
        const a = eager.get(name)!.dataSync();
        const b = out.get(name)!.dataSync();
        let scale = 0;
        let diff = 0;
        for (let j = 0; j < a.length; j++) {
          scale = Math.max(scale, Math.abs(a[j]));
          diff = Math.max(diff, Math.abs(a[j] - b[j]));
        }
        worst = Math.max(worst, diff / scale);
      }
      console.log(`  largest difference from the eager pass (relative to each tensor's max): ${worst.toExponential(2)}`);
    }
    out.forEach((t) => t.dispose());
  }
  console.log(`  ${JSON.stringify(runner.stats)}`);
  console.log('best of each (the machine is shared: the least disturbed run):');
  for (const [label, b] of best) console.log(`  ${label}: wall ${b.wall} ms, CPU ${b.cpu} ms`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
