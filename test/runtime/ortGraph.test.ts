/**
 * Whole reverse passes as one ONNX Runtime graph (src/runtime/ortGraph.ts), recorded from the
 * same kernels the eager path runs: on the fixture models, the cotangents from the output to
 * every block boundary, with stacked probes, equal the eager TensorFlow.js wasm pass within
 * float32 rounding, and the graph really ran (a silent fallback would pass the numbers too).
 * A pass with a kernel the recording lacks runs eagerly and says why.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend';
import { partitionBlocks } from '../../src/metrics/blocks';
import { ortPassRunner, setPassRunner, type PassRunner } from '../../src/runtime/ortGraph';
import { loadOnnxRuntime } from '../../src/runtime/ortSession';
import { setConvExecutor, tfjsConvExecutor } from '../../src/ops/convCore';
import { SeededRandom } from '../../src/runtime/random';
import { fixtureForward } from '../helpers/fixtureForward';
import { maxRelDiff } from '../helpers/maxRelDiff';

let runner: PassRunner;
/** Weights fed as graph inputs rather than initializers (GRADIENT_LENS_ORT_PACK=0). */
let unpacked: PassRunner;

before(async () => {
  await initBackend('wasm');
  setConvExecutor(tfjsConvExecutor);
  runner = ortPassRunner(loadOnnxRuntime(), 2, 0);
  unpacked = ortPassRunner(loadOnnxRuntime(), 2, 0, { packWeights: false });
});

async function compare(name: string, probes: number, runWith: () => PassRunner = () => runner): Promise<void> {
  const runner = runWith();
  const fixture = await fixtureForward(name);
  const { graph, exec, acts } = fixture;
  const target = graph.outputs[0].name;
  const wrt = partitionBlocks(graph, fixture.inputName, target).boundaries.slice(0, -1);
  const y = acts.get(target)!;
  const seed = tf.tensor(new SeededRandom(3).gaussian(probes * y.size), [probes * y.shape[0], ...y.shape.slice(1)]);
  const seeds = new Map([[target, seed]]);
  try {
    setPassRunner(undefined);
    const eager = exec.vjp(acts, seeds, wrt, undefined, probes);
    const before = { ...runner.stats };
    setPassRunner(runner);
    const recorded = exec.vjp(acts, seeds, wrt, undefined, probes);
    setPassRunner(undefined);
    assert.equal(runner.stats.fallbacks, before.fallbacks, `${name} fell back: ${runner.stats.fallbackReasons.join('; ')}`);
    assert.equal(runner.stats.runs, before.runs + 1, `${name}: ONNX Runtime ran the pass`);
    assert.ok(wrt.length >= 2, `${name}: ${wrt.length} tensors compared`);
    for (const w of wrt) {
      assert.deepEqual(recorded.get(w)!.shape, eager.get(w)!.shape, `${name}: shape of the cotangent of ${w}`);
      const d = maxRelDiff(recorded.get(w)!, eager.get(w)!);
      assert.ok(d <= 2e-5, `${name}: cotangent of ${w} differs by ${d.toExponential(2)}`);
    }
    [...eager.values(), ...recorded.values()].forEach((t) => t.dispose());
  } finally {
    setPassRunner(undefined);
    seed.dispose();
    fixture.dispose();
  }
}

for (const [name, probes] of [
  ['resnet_cifar8', 3],
  ['mlp_bn_relu', 4],
  ['resmlp_relu', 2],
  ['mlp_tanh', 1],
  ['mlp_ln_tanh', 3],
  ['tiny_transformer', 2],
] as const) {
  test(`${name}: a reverse pass recorded into one ONNX Runtime graph equals the eager pass (${probes} probes)`, async () => {
    await compare(name, probes);
  });
}

test('resnet_cifar8 with the weights fed as inputs: the same pass', async () => {
  await compare('resnet_cifar8', 2, () => unpacked);
});

test('a pass with a kernel the recording lacks runs eagerly, and the runner says why', () => {
  const before = runner.stats.fallbacks;
  const x = tf.tensor([1, 2, 3]);
  const out = runner.vjp({
    acts: new Map([['x', x]]),
    seeds: new Map(),
    wrt: ['x'],
    probes: 1,
    weightedNodes: 1,
    constants: new Set(),
    // Cumsum has no recording kernel.
    run: () => new Map([['x', tf.cumsum(x)]]),
  });
  assert.equal(out, undefined);
  assert.equal(runner.stats.fallbacks, before + 1);
  assert.match(runner.stats.fallbackReasons.join('\n'), /Cumsum/);
  assert.equal(tf.getBackend(), 'wasm', 'the compute backend is restored');
  x.dispose();
});

test('resnet_cifar8: constants folded before the session give the numbers ORT folds itself', async () => {
  const fixture = await fixtureForward('resnet_cifar8');
  const { graph, exec, acts } = fixture;
  const target = graph.outputs[0].name;
  const wrt = partitionBlocks(graph, fixture.inputName, target).boundaries.slice(0, -1);
  const y = acts.get(target)!;
  const probes = 2;
  const seed = tf.tensor(new SeededRandom(9).gaussian(probes * y.size), [probes * y.shape[0], ...y.shape.slice(1)]);
  const seeds = new Map([[target, seed]]);
  const byOrt = ortPassRunner(loadOnnxRuntime(), 2, 0, { foldConstants: false });
  const folded = ortPassRunner(loadOnnxRuntime(), 2, 0, { foldConstants: true });
  try {
    setPassRunner(byOrt);
    const a = exec.vjp(acts, seeds, wrt, undefined, probes);
    setPassRunner(folded);
    const b = exec.vjp(acts, seeds, wrt, undefined, probes);
    setPassRunner(undefined);
    for (const r of [byOrt, folded]) assert.equal(r.stats.runs, 1, `ran on ONNX Runtime: ${r.stats.fallbackReasons.join('; ')}`);
    assert.equal(byOrt.stats.constantsFolded, 0);
    // Every convolution's kernel Transpose and every batch norm's scale, at least.
    assert.ok(folded.stats.constantsFolded >= 8, `${folded.stats.constantsFolded} nodes folded`);
    for (const w of wrt) assert.ok(maxRelDiff(b.get(w)!, a.get(w)!) < 1e-6, `cotangent of ${w}`);
    [...a.values(), ...b.values()].forEach((t) => t.dispose());
  } finally {
    setPassRunner(undefined);
    byOrt.dispose();
    folded.dispose();
    seed.dispose();
    fixture.dispose();
  }
});

test('resnet_cifar8: convolutions chained channels-first give the same numbers with fewer Transposes', async () => {
  const fixture = await fixtureForward('resnet_cifar8');
  const { graph, exec, acts } = fixture;
  const target = graph.outputs[0].name;
  const wrt = partitionBlocks(graph, fixture.inputName, target).boundaries.slice(0, -1);
  const y = acts.get(target)!;
  const probes = 3;
  const seed = tf.tensor(new SeededRandom(5).gaussian(probes * y.size), [probes * y.shape[0], ...y.shape.slice(1)]);
  const seeds = new Map([[target, seed]]);
  const plain = ortPassRunner(loadOnnxRuntime(), 2, 0, { channelsFirstChains: false });
  const chained = ortPassRunner(loadOnnxRuntime(), 2, 0, { channelsFirstChains: true });
  try {
    setPassRunner(plain);
    const a = exec.vjp(acts, seeds, wrt, undefined, probes);
    setPassRunner(chained);
    const b = exec.vjp(acts, seeds, wrt, undefined, probes);
    setPassRunner(undefined);
    for (const r of [plain, chained]) assert.equal(r.stats.runs, 1, `ran on ONNX Runtime: ${r.stats.fallbackReasons.join('; ')}`);
    assert.equal(plain.stats.transposesRemoved, 0);
    // resnet_cifar8's reverse pass goes through 8 convolutions in a row, 3 blocks with ReLU masks, batch norms and skips.
    assert.ok(chained.stats.transposesRemoved >= 4, `${chained.stats.transposesRemoved} Transposes removed`);
    // It only moves where data is permuted: the same float32 operations in the same order.
    for (const w of wrt) assert.equal(maxRelDiff(b.get(w)!, a.get(w)!), 0, `cotangent of ${w}`);
    [...a.values(), ...b.values()].forEach((t) => t.dispose());
  } finally {
    setPassRunner(undefined);
    plain.dispose();
    chained.dispose();
    seed.dispose();
    fixture.dispose();
  }
});
