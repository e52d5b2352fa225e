/**
 * Families of reverse passes on ONNX Runtime (Executor.vjpFamily, measureJacobianSquaresFamily):
 * the block matrix's rows recorded into one graph that one session runs give each row the
 * squares it gets alone on the eager path, from its own random stream; and in a whole analysis
 * the block matrix costs one family session and the per-block phase another (Executor.computeFamily),
 * with the same report as job by job.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend';
import { loadModel } from '../../src/loaders';
import { partitionBlocks } from '../../src/metrics/blocks';
import { fixtureForward } from '../helpers/fixtureForward';
import { activePassRunner, ortPassRunner, setPassRunner } from '../../src/runtime/ortGraph';
import { loadOnnxRuntime } from '../../src/runtime/ortSession';
import { setConvExecutor, tfjsConvExecutor } from '../../src/ops/convCore';
import { streamFor } from '../../src/runtime/random';
import { measureJacobianSquares, measureJacobianSquaresFamily, type JacobianSquares } from '../../src/metrics/jacobian';
import { analyzeModel } from '../../src/engine/analyze';
import { familyUnits } from '../../src/engine/parallel/pool';
import { lazyTransposeStats } from '../../src/graph/constants';
import type { AnalysisJob } from '../../src/engine/parallel/jobs';
import type { AnalysisReport } from '../../src/report/schema';
import { fixtureDir, repoRoot } from '../helpers/fixtures';
import { PerSampleExecutor } from '../../src/runtime/perSampleExecutor';
import { Executor, familyChunks } from '../../src/runtime/executor';
import { toChannelsLast } from '../../src/passes/layout';
import { exactLinearPart, linearPartNow, planLinearPart } from '../../src/metrics/blockJvp';
import { miniStem } from '../helpers/graphs';
import { randn } from '../helpers/gradcheck';
import { maxRelDiff as maxTensorDiff } from '../helpers/maxRelDiff';

before(async () => {
  await initBackend('wasm');
  setConvExecutor(tfjsConvExecutor);
});

/** Largest relative difference between two sets of rows' squares (same rows, wrt, probes, samples). */
function maxRelDiff(a: readonly JacobianSquares[], b: readonly JacobianSquares[]): number {
  let worst = 0;
  let compared = 0;
  a.forEach((row, r) => {
    for (const [w, probes] of row) {
      const other = b[r].get(w);
      assert.ok(other !== undefined, `row ${r} has ${w}`);
      assert.equal(other.length, probes.length);
      probes.forEach((samples, p) =>
        samples.forEach((v, s) => {
          compared++;
          worst = Math.max(worst, Math.abs(v - other[p][s]) / Math.max(Math.abs(v), 1e-30));
        }),
      );
    }
  });
  assert.ok(compared > 0, 'something was compared');
  return worst;
}

for (const [name, probes] of [
  ['resnet_cifar8', 5],
  ['mlp_bn_relu', 3],
] as const) {
  test(`${name}: the block matrix's rows as one ONNX Runtime family (one session) equal each row measured eagerly`, async () => {
    const fixture = await fixtureForward(name);
    const { graph, exec, acts } = fixture;
    const { boundaries } = partitionBlocks(graph, fixture.inputName, graph.outputs[0].name);
    const rows = boundaries.slice(1, -1).map((target, i) => ({ target, wrt: boundaries.slice(0, i + 1), key: `block-matrix-${i + 1}` }));
    assert.ok(rows.length >= 2, `${name}: ${rows.length} rows`);
    const plan = (key: string): { exact: false; probes: number; rng: ReturnType<typeof streamFor> } => ({ exact: false, probes, rng: streamFor(11, key) });
    const runner = ortPassRunner(loadOnnxRuntime(), 2, 0, { families: true });
    try {
      setPassRunner(undefined);
      const eager: JacobianSquares[] = [];
      for (const r of rows) eager.push((await measureJacobianSquares(exec, acts, r.target, r.wrt, plan(r.key))).squares);
      assert.equal(exec.passFamiliesPay(acts), false, 'no families without ONNX Runtime graphs');
      setPassRunner(runner);
      assert.equal(exec.passFamiliesPay(acts), true);
      const family = await measureJacobianSquaresFamily(
        exec,
        acts,
        rows.map((r) => ({ target: r.target, wrt: r.wrt, plan: plan(r.key) })),
      );
      setPassRunner(undefined);
      assert.equal(runner.stats.fallbacks, 0, runner.stats.fallbackReasons.join('; '));
      // One graph and session for every row, or for each run of rows within the family cap.
      const chunks = familyChunks(rows.map((r) => exec.weightedNodesBetween(new Map([[r.target, null]]), r.wrt))).length;
      assert.equal(runner.stats.recorded, chunks, `${chunks} graphs and sessions for ${rows.length} rows`);
      assert.equal(runner.stats.familiesRecorded, chunks);
      assert.ok(runner.stats.runs >= 1, 'ONNX Runtime ran the family');
      assert.deepEqual(
        family.map((f) => f.method),
        rows.map(() => `probes:${probes}`),
      );
      const d = maxRelDiff(
        eager,
        family.map((f) => f.squares),
      );
      assert.ok(d <= 1e-4, `${name}: squares differ by ${d.toExponential(2)}`);
    } finally {
      setPassRunner(undefined);
      runner.dispose();
      fixture.dispose();
    }
  });
}

test('familyUnits: the block matrix rows form one unit at the place of the first, the per-block jobs another; exact jobs and other squares stay alone', () => {
  const squares = (key: string, phase: Extract<AnalysisJob, { kind: 'squares' }>['phase'], exact = false): AnalysisJob => ({
    kind: 'squares',
    key,
    phase,
    target: key,
    wrt: ['x'],
    exact,
    probes: 8,
  });
  const linearise = (key: string, block: number, exact = false): AnalysisJob => ({
    kind: 'linearise',
    key,
    phase: { kind: 'linearise', block },
    input: 'x',
    output: key,
    exact,
    probes: 8,
    affine: false,
  });
  const residual = (key: string, block: number): AnalysisJob => ({
    kind: 'residual',
    key,
    phase: { kind: 'residual-parts', block },
    tensors: { input: 'x', merge: 'm', branch: 'b', skip: 'x' },
    exact: false,
    probes: 8,
  });
  const queue: AnalysisJob[] = [
    squares('gsc-to-output', { kind: 'gsc-to-output' }),
    squares('block-matrix-3', { kind: 'block-matrix', row: 3 }),
    squares('stream-unit-1.1', { kind: 'stream-unit', block: 1, unit: 0 }),
    squares('block-matrix-1', { kind: 'block-matrix', row: 1 }, true),
    linearise('linearise-2', 2),
    squares('block-matrix-2', { kind: 'block-matrix', row: 2 }),
    residual('residual-2', 2),
    linearise('linearise-1', 1, true),
    linearise('linearise-3', 3),
  ];
  assert.deepEqual(
    familyUnits(queue).map((u) => u.map((j) => j.key)),
    [
      ['gsc-to-output'],
      ['block-matrix-3', 'block-matrix-2'],
      ['stream-unit-1.1'],
      ['block-matrix-1'],
      ['linearise-2', 'residual-2', 'linearise-3'],
      ['linearise-1'],
    ],
  );
});

async function analyse(families: boolean): Promise<{ report: AnalysisReport; familiesRecorded: number }> {
  const dir = fixtureDir('resnet_cifar8');
  const saved = process.env.GRADIENT_LENS_ORT_FAMILIES;
  process.env.GRADIENT_LENS_ORT_FAMILIES = families ? '1' : '0';
  try {
    const report = await analyzeModel({
      modelPath: path.join(dir, 'model.onnx'),
      inputFile: path.join(dir, 'input.bin'),
      settings: { backend: 'ort', exact: 'off', probes: 4 },
      threads: 1,
    });
    return { report, familiesRecorded: activePassRunner()?.stats.familiesRecorded ?? -1 };
  } finally {
    if (saved === undefined) delete process.env.GRADIENT_LENS_ORT_FAMILIES;
    else process.env.GRADIENT_LENS_ORT_FAMILIES = saved;
  }
}

test('resnet_cifar8 analysis on ONNX Runtime: the block matrix and the per-block phase are a family session each, and the report is the one measured pass by pass', async () => {
  const alone = await analyse(false);
  const stats = { ...lazyTransposeStats };
  const together = await analyse(true);
  // ONNX Runtime reads the kernels channels-first: the layout pass's channels-last copies,
  // made lazily, are never made (graph/constants.ts lazyTransposeConst).
  assert.ok(lazyTransposeStats.created >= stats.created + 8, `${lazyTransposeStats.created - stats.created} kernels made channels-last lazily`);
  assert.equal(lazyTransposeStats.made, stats.made, 'no channels-last kernel was made');
  assert.equal(alone.familiesRecorded, 0);
  assert.equal(together.familiesRecorded, 2, 'one session for the block matrix, one for the linearisations and residual parts');
  const a = alone.report.blockMatrix!;
  const b = together.report.blockMatrix!;
  let compared = 0;
  a.gsc.forEach((row, k) =>
    row.forEach((g, l) => {
      const h = b.gsc[k][l];
      if (g === null || h === null) return assert.equal(h, g, `GSC(${k} -> ${l}) present in both`);
      compared++;
      assert.ok(Math.abs(g - h) <= 1e-4 * Math.abs(g), `GSC(${k} -> ${l}): ${g} row by row, ${h} as a family`);
      assert.equal(b.method[k][l], a.method[k][l]);
    }),
  );
  assert.ok(compared >= 10, `${compared} block-matrix entries compared`);
  // The GSC to the output: squared inside the recorded graph (a reduced pass of its own) with
  // families on, from the cotangents read back without.
  alone.report.boundaries.forEach((bd, k) => {
    const [g, h] = [bd.gscToOutput.value, together.report.boundaries[k].gscToOutput.value];
    assert.ok(Math.abs(g - h) <= 1e-4 * Math.abs(g), `GSC(${k} -> output): ${g} read back, ${h} reduced in the graph`);
  });
  // The per-block phase: every linearisation (its exact linear part computed inside the graph)
  // and every residual part from the same cotangents as job by job.
  const close = (what: string, g: number | null, h: number | null, tolerance: number): void => {
    if (g === null || h === null) return assert.equal(h, g, `${what} present in both`);
    assert.ok(Math.abs(g - h) <= tolerance * Math.abs(g), `${what}: ${g} job by job, ${h} as a family`);
  };
  let residuals = 0;
  alone.report.blocks.forEach((blk, i) => {
    const other = together.report.blocks[i];
    const [l, m] = [blk.linearisation, other.linearisation];
    close(`block ${blk.index} k_lin`, l.kLin, m.kLin, 1e-4);
    close(`block ${blk.index} Q||S v||`, l.qSv.value, m.qSv.value, 1e-4);
    close(`block ${blk.index} ||S||_F^2`, l.sFrob2.value, m.sFrob2.value, 1e-4);
    // J_f - S's GSC subtracts two sums of squares: float32 rounding, amplified.
    close(`block ${blk.index} GSC of the nonlinear part`, l.relation.gscNonlinear, m.relation.gscNonlinear, 1e-3);
    assert.equal(m.qSv.method, l.qSv.method);
    if (blk.residual === null) return;
    residuals++;
    for (const part of ['gscMerge', 'gscBranch', 'gscSkip'] as const)
      close(`block ${blk.index} ${part}`, blk.residual[part].value, other.residual![part].value, 1e-4);
  });
  assert.ok(residuals >= 2, `${residuals} residual blocks compared`);
  await initBackend('wasm');
  setConvExecutor(tfjsConvExecutor);
});

test('a batch run sample by sample never asks for families, and vjpFamily there gives each pass its own vjp, reduced', async () => {
  const fixed = (await loadModel(path.join(repoRoot(), 'test', 'fixtures', 'fixed_batch', 'model-batch1.onnx'))).graph;
  const exec = new PerSampleExecutor(fixed);
  const x = tf.randomNormal([3, 4, 3], 0, 1, 'float32', 5);
  const feeds = new Map([['x', x]]);
  const acts = exec.forward(feeds);
  const runner = ortPassRunner(loadOnnxRuntime(), 2, 0, { families: true });
  setPassRunner(runner);
  try {
    assert.equal(exec.passFamiliesPay(acts), false);
    const u = tf.randomNormal([3, 5], 0, 1, 'float32', 6);
    const reduce = (g: tf.Tensor): tf.Tensor => tf.sum(tf.square(tf.reshape(g, [g.shape[0], -1])), 1);
    const [got] = exec.vjpFamily(acts, [{ seeds: new Map([['y', u]]), wrt: ['x'] }], reduce);
    const want = tf.tidy(() => reduce(exec.vjp(acts, new Map([['y', u]]), ['x']).get('x')!));
    const a = got.get('x')!.dataSync();
    const b = want.dataSync();
    assert.equal(a.length, 3);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5 * Math.abs(b[i]), `sample ${i}: ${v} vs ${b[i]}`));
    assert.equal(runner.stats.familiesRecorded, 0);
    [u, want, ...got.values()].forEach((t) => t.dispose());
  } finally {
    setPassRunner(undefined);
    runner.dispose();
    exec.disposeActivations(acts, feeds);
    x.dispose();
    exec.dispose();
  }
});

test('familyChunks: consecutive passes within the cap, a pass larger than the cap alone', () => {
  assert.deepEqual(familyChunks([100, 100, 100, 30], 256), [
    [0, 1],
    [2, 3],
  ]);
  assert.deepEqual(familyChunks([300, 10, 10], 256), [[0], [1, 2]]);
  assert.deepEqual(familyChunks([10, 300, 10], 256), [[0], [1], [2]]);
  assert.deepEqual(familyChunks([], 256), []);
});

test('a ResNet stem’s exact linear part (ReLU, then a max pool averaging its JVPs) computed inside a recorded family equals the eager one', async () => {
  const n = 5;
  const { model, output: y } = miniStem();
  const exec = new Executor(toChannelsLast(model.graph));
  const x = randn([n, 3, 8, 8], 8);
  const feeds = new Map([['x', x]]);
  const acts = exec.forward(feeds);
  const runner = ortPassRunner(loadOnnxRuntime(), 2, 0, { families: true });
  try {
    const eager = (await exactLinearPart(exec, acts, 'x', y))!;
    const plan = planLinearPart(exec, acts, 'x', y)!;
    let recordedPool = 0;
    const nodeJvpMean = exec.nodeJvpMean.bind(exec);
    exec.nodeJvpMean = (...args) => {
      const out = nodeJvpMean(...args);
      if (out !== undefined && exec.recording) recordedPool++;
      return out;
    };
    setPassRunner(runner);
    const [got] = exec.computeFamily(acts, [
      { feeds: [], outputs: ['sv'], weightedNodes: 1, compute: () => new Map([['sv', linearPartNow(exec, acts, plan)]]) },
    ]);
    setPassRunner(undefined);
    assert.equal(runner.stats.fallbacks, 0, runner.stats.fallbackReasons.join('; '));
    assert.equal(runner.stats.runs, 1, 'ONNX Runtime ran the graph');
    assert.equal(recordedPool, 1, 'the pool averaged its JVPs inside the recording');
    const d = maxTensorDiff(got.get('sv')!, eager);
    assert.ok(d <= 1e-5, `S v differs by ${d.toExponential(2)}`);
    [eager, x, ...got.values()].forEach((t) => t.dispose());
  } finally {
    setPassRunner(undefined);
    runner.dispose();
    exec.disposeActivations(acts, feeds);
    exec.dispose();
  }
});
