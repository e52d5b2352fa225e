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
import { ortPassRunner, setPassRunner, type PassRunner, type PassRunnerOptions } from '../../src/runtime/ortGraph';
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

/** `compute`'s results computed eagerly, and as a graph the runner recorded from the same call and ran. */
function eagerAndRecorded(
  acts: Map<string, tf.Tensor>,
  seeds: Map<string, tf.Tensor>,
  compute: () => Map<string, tf.Tensor>,
): { eager: Map<string, tf.Tensor>; out: Map<string, tf.Tensor> } {
  const eager = compute();
  const out = runner.vjp({ acts, seeds, wrt: [...eager.keys()], probes: 1, weightedNodes: 1, constants: new Set(), family: true, run: compute });
  assert.ok(out !== undefined, `recorded: ${runner.stats.fallbackReasons.join('; ')}`);
  return { eager, out };
}

test('tf.expandDims records as a Reshape at the axis it names, counted from the end when negative', () => {
  const x = tf.tensor(
    Array.from({ length: 6 }, (_, i) => i + 1),
    [2, 3],
  );
  const seed = tf.tensor([0.5, -1, 2], [1, 3]);
  const before = { ...runner.stats };
  const axes = [0, 1, 2, -1, -2, -3];
  const shapes = axes.map((axis) => tf.expandDims(x, axis).shape);
  // A product that only lines up when each axis landed where tf.expandDims puts it.
  const compute = (): Map<string, tf.Tensor> =>
    new Map(
      axes.map((axis, i) => [
        `axis ${axis}`,
        tf.sum(
          tf.mul(
            tf.expandDims(x, axis),
            tf.reshape(
              seed,
              shapes[i].map((d, j) => (d === 3 && j === shapes[i].lastIndexOf(3) ? 3 : 1)),
            ),
          ),
        ),
      ]),
    );
  const { eager, out } = eagerAndRecorded(new Map([['x', x]]), new Map([['u', seed]]), compute);
  assert.equal(runner.stats.runs, before.runs + 1);
  for (const [name, t] of eager) {
    assert.deepEqual(Array.from(out.get(name)!.dataSync()), Array.from(t.dataSync()), name);
    assert.ok(Math.abs(t.dataSync()[0] - 13.5) < 1e-5, `${name}: ${t.dataSync()[0]}`);
  }
  [x, seed, ...eager.values(), ...out.values()].forEach((t) => t.dispose());
});

test('tf.logicalNot records as Not (a dilated max pool JVP takes each window tap not yet taken)', () => {
  const x = tf.tensor([1, -2, 3, 0]);
  const compute = (): Map<string, tf.Tensor> => new Map([['kept', tf.where(tf.logicalNot(tf.greater(x, 0)), x, tf.zerosLike(x))]]);
  const { eager, out } = eagerAndRecorded(new Map([['x', x]]), new Map(), compute);
  assert.deepEqual(Array.from(out.get('kept')!.dataSync()), [0, -2, 0, 0]);
  assert.deepEqual(Array.from(eager.get('kept')!.dataSync()), [0, -2, 0, 0]);
  [x, ...eager.values(), ...out.values()].forEach((t) => t.dispose());
});

/**
 * One stacked-probe reverse pass of resnet_cifar8 from its output to every block boundary,
 * recorded by two runners built with different options: `check` gets both runners and the
 * largest relative difference between their cotangents.
 */
async function twoRunners(
  probes: number,
  seedOf: number,
  options: readonly [PassRunnerOptions, PassRunnerOptions],
  check: (a: PassRunner, b: PassRunner, maxDiff: number) => void,
): Promise<void> {
  const fixture = await fixtureForward('resnet_cifar8');
  const { graph, exec, acts } = fixture;
  const target = graph.outputs[0].name;
  const wrt = partitionBlocks(graph, fixture.inputName, target).boundaries.slice(0, -1);
  const y = acts.get(target)!;
  const seed = tf.tensor(new SeededRandom(seedOf).gaussian(probes * y.size), [probes * y.shape[0], ...y.shape.slice(1)]);
  const seeds = new Map([[target, seed]]);
  const runners = options.map((o) => ortPassRunner(loadOnnxRuntime(), 2, 0, o));
  try {
    const [a, b] = runners.map((r) => {
      setPassRunner(r);
      return exec.vjp(acts, seeds, wrt, undefined, probes);
    });
    setPassRunner(undefined);
    for (const r of runners) assert.equal(r.stats.runs, 1, `ran on ONNX Runtime: ${r.stats.fallbackReasons.join('; ')}`);
    check(runners[0], runners[1], Math.max(...wrt.map((w) => maxRelDiff(b.get(w)!, a.get(w)!))));
    [...a.values(), ...b.values()].forEach((t) => t.dispose());
  } finally {
    setPassRunner(undefined);
    runners.forEach((r) => r.dispose());
    seed.dispose();
    fixture.dispose();
  }
}

test('resnet_cifar8: constants folded before the session give the numbers ORT folds itself', () =>
  twoRunners(2, 9, [{ foldConstants: false }, { foldConstants: true }], (byOrt, folded, maxDiff) => {
    assert.equal(byOrt.stats.constantsFolded, 0);
    // Every convolution's kernel Transpose and every batch norm's scale, at least.
    assert.ok(folded.stats.constantsFolded >= 8, `${folded.stats.constantsFolded} nodes folded`);
    assert.ok(maxDiff < 1e-6, `cotangents differ by ${maxDiff}`);
  }));

test('resnet_cifar8: convolutions chained channels-first give the same numbers with fewer Transposes', () =>
  twoRunners(3, 5, [{ channelsFirstChains: false }, { channelsFirstChains: true }], (plain, chained, maxDiff) => {
    assert.equal(plain.stats.transposesRemoved, 0);
    // resnet_cifar8's reverse pass goes through 8 convolutions in a row, 3 blocks with ReLU masks, batch norms and skips.
    assert.ok(chained.stats.transposesRemoved >= 4, `${chained.stats.transposesRemoved} Transposes removed`);
    // It only moves where data is permuted: the same float32 operations in the same order.
    assert.equal(maxDiff, 0);
  }));
