/**
 * One 3x3 convolution (N=128 by default: 16 samples x 8 stacked probes, 16x16, 64 channels)
 * through the convolution primitive on each executor, TensorFlow.js (wasm) and ONNX Runtime,
 * with the cost of the copies across. Wall and CPU time (CPU time is the steadier figure on a
 * shared machine). Usage: N=.. H=.. C=.. T=<ORT threads> node out/bench/convExecutors.js
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/runtime/backend';
import { convValid, setConvExecutor, tfjsConvExecutor } from '../src/ops/convCore';
import { ortConvExecutor } from '../src/runtime/ortConv';
import { loadOnnxRuntime } from '../src/runtime/ortSession';
import { SeededRandom } from '../src/runtime/random';

async function main(): Promise<void> {
  await initBackend('wasm');
  const rng = new SeededRandom(1);
  const [n, h, c] = [Number(process.env.N ?? 128), Number(process.env.H ?? 16), Number(process.env.C ?? 64)];
  const x = tf.tensor(rng.gaussian(n * h * h * c), [n, h, h, c]);
  const w = tf.keep(tf.tensor(rng.gaussian(9 * c * c), [3, 3, c, c]));
  const flops = 2 * n * h * h * c * c * 9;
  const ort = ortConvExecutor(loadOnnxRuntime(), Number(process.env.T ?? 2));
  for (const ex of [tfjsConvExecutor, ort, tfjsConvExecutor, ort]) {
    setConvExecutor(ex);
    tf.dispose(convValid(x, w, [1, 1], [1, 1], { begin: [1, 1], end: [1, 1] }));
    const t = performance.now();
    const c0 = process.cpuUsage();
    const reps = 5;
    for (let i = 0; i < reps; i++) tf.dispose(convValid(x, w, [1, 1], [1, 1], { begin: [1, 1], end: [1, 1] }));
    const ms = (performance.now() - t) / reps;
    const cu = process.cpuUsage(c0);
    const cpu = (cu.user + cu.system) / 1000 / reps;
    console.log(
      ex.name,
      ms.toFixed(1),
      'ms',
      (flops / ms / 1e6).toFixed(0),
      'GFLOP/s wall; cpu',
      cpu.toFixed(1),
      'ms',
      (flops / cpu / 1e6).toFixed(0),
      'GFLOP/cpu-s',
    );
  }
  let t = performance.now();
  for (let i = 0; i < 5; i++) x.dataSync();
  console.log('dataSync', ((performance.now() - t) / 5).toFixed(1));
  const d = x.dataSync() as Float32Array;
  t = performance.now();
  for (let i = 0; i < 5; i++) tf.dispose(tf.tensor(d, x.shape));
  console.log('tf.tensor', ((performance.now() - t) / 5).toFixed(1));
}
main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
