/**
 * k_lin from S v_i measured by finite-difference JVPs (src/metrics/dilution.ts): the block-local
 * forward pass it uses (Executor.forwardFrom), S v against explicit Jacobians of a small block,
 * and k_lin at default settings against the exact float64 values of the fixtures' references
 * over several seeds: error and coverage of the 99% intervals.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { fixtureDir, loadReference } from '../helpers/fixtures';
import { GraphBuilder, gaussianMatrix, miniStem } from '../helpers/graphs';
import { randn } from '../helpers/gradcheck';
import { Executor } from '../../src/runtime/executor';
import { toChannelsLast } from '../../src/passes/layout';
import { loadModel } from '../../src/loaders';
import { partitionBlocks } from '../../src/metrics/blocks';
import { referenceOutput } from '../../src/graph/queries';
import { linearPartByJvp, linearise } from '../../src/metrics/dilution';
import { exactLinearPart } from '../../src/metrics/blockJvp';
import { oneHotRows } from '../../src/metrics/jacobian';
import { SeededRandom } from '../../src/runtime/random';
import { median } from '../../src/metrics/stats';
import { analyzeModel } from '../../src/engine/analyze';
import type { LinearisationInfo } from '../../src/report/schema';

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0]);
}

/** S v_i = mean_j J(v_j) v_i as [n, dOut], every J(v_j) in full from one VJP per output unit (one-hot on every sample). */
function linearPartFromOneHots(exec: Executor, acts: Map<string, tf.Tensor>, input: string, output: string): tf.Tensor2D {
  const v = acts.get(input)!;
  const f = acts.get(output)!;
  const n = v.shape[0];
  const dIn = v.size / n;
  const dOut = f.size / n;
  const vs = v.dataSync();
  const jac: number[][][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < dOut; k++) {
    const seed = tf.tensor(oneHotRows(n, dOut, k), f.shape);
    const g = exec.vjp(acts, new Map([[output, seed]]), [input]).get(input)!;
    const gs = g.dataSync();
    for (let j = 0; j < n; j++) jac[j].push(Array.from(gs.slice(j * dIn, (j + 1) * dIn)));
    [seed, g].forEach((t) => t.dispose());
  }
  const expected: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dOut; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) for (let e = 0; e < dIn; e++) s += jac[j][k][e] * vs[i * dIn + e];
      expected.push(s / n);
    }
  }
  return tf.tensor2d(expected, [n, dOut]);
}

describe('block-local forward and JVPs', () => {
  before(useTestBackend);

  test('a block that reshapes with the batch read from outside its input is moved one point at a time', async () => {
    // h = tanh(x W); y = tanh(sum_row(Reshape(h, [batch of x, -1]))): stacked points through
    // the Reshape would fold k points into each row (no error, wrong size), so S v must come
    // from one point at a time and equal that of the same block without the outside shape.
    const d = 4;
    const make = (outsideShape: boolean): { exec: Executor; y: string } => {
      const b = new GraphBuilder('x', ['batch', d]);
      const h = b.node('Tanh', [b.node('MatMul', ['x', b.constant(gaussianMatrix(d, d, 3, 0.5), [d, d])])], {}, 'h');
      const shape = b.node('Concat', [b.node('Shape', ['x'], { end: 1 }), b.intConstant([-1])], { axis: 0 });
      const r = outsideShape ? b.node('Reshape', [h, shape]) : h;
      const y = b.node('Tanh', [b.node('ReduceSum', [r, b.intConstant([1])], { keepdims: 1 })]);
      return { exec: new Executor(b.build(y).graph), y };
    };
    const x = randn([5, d], 4);
    const feeds = new Map([['x', x]]);
    const results = [true, false].map((outside) => {
      const { exec, y } = make(outside);
      const acts = exec.forward(feeds);
      return { exec, acts, sv: linearPartByJvp(exec, acts, 'h_output_0', y) };
    });
    const [withOutside, plain] = await Promise.all(results.map((r) => r.sv));
    assert.ok(withOutside !== null && plain !== null);
    assert.deepEqual(withOutside.shape, [5, 1]);
    const diff = maxRelDiff(withOutside, plain);
    assert.ok(diff < 1e-5, `S v differs from the block without the outside shape by ${diff}: ${withOutside.dataSync().join()} vs ${plain.dataSync().join()}`);
    [withOutside, plain].forEach((t) => t.dispose());
    results.forEach((r) => r.exec.disposeActivations(r.acts, feeds));
    x.dispose();
  });

  test('forwardFrom recomputes only the block, at a stacked batch too, and frees what it made', async () => {
    const { graph } = await loadModel(path.join(fixtureDir('resmlp_relu'), 'model.onnx'));
    const input = graph.inputs.find((i) => !graph.constants.has(i.name))!;
    const exec = new Executor(graph);
    const x = randn([3, 100], 1);
    const feeds = new Map([[input.name, x]]);
    const acts = exec.forward(feeds);
    const { boundaries } = partitionBlocks(graph, input.name, referenceOutput(graph));
    const [from, to] = [boundaries[2], boundaries[4]];
    const before = tf.memory().numTensors;
    const same = exec.forwardFrom(acts, new Map([[from, acts.get(from)!]]), [to]).get(to)!;
    assert.ok(maxRelDiff(same, acts.get(to)!) < 1e-6);
    // Two copies of the batch, the second moved: the first half must be unchanged.
    const moved = tf.tidy(() => tf.concat([acts.get(from)!, tf.mul(acts.get(from)!, 1.5)], 0));
    const out = exec.forwardFrom(acts, new Map([[from, moved]]), [to]).get(to)!;
    assert.deepEqual(out.shape, [6, 100]);
    assert.ok(tf.tidy(() => maxRelDiff(tf.slice(out, 0, 3), acts.get(to)!)) < 1e-6);
    assert.ok(tf.tidy(() => maxRelDiff(tf.slice(out, 3, 3), acts.get(to)!)) > 1e-2);
    [same, moved, out].forEach((t) => t.dispose());
    assert.equal(tf.memory().numTensors, before, 'tensors left behind');
    exec.disposeActivations(acts, feeds);
    x.dispose();
    exec.dispose();
  });

  test('S v_i from JVPs matches the explicit batch-mean Jacobian of tanh(W x)', async () => {
    const d = 6;
    const n = 5;
    const b = new GraphBuilder('x', ['batch', d]);
    const w = gaussianMatrix(d, d, 3, 0.8);
    const y = b.node('Tanh', [b.node('MatMul', ['x', b.constant(w, [d, d])])]);
    const exec = new Executor(b.build(y).graph);
    const xs = new SeededRandom(4).gaussian(n * d);
    const x = tf.tensor2d(xs, [n, d]);
    const feeds = new Map([['x', x]]);
    const acts = exec.forward(feeds);
    const sv = (await linearPartByJvp(exec, acts, 'x', y))!;
    // S = mean_j diag(1 - tanh(z_j)^2) W^T (MatMul: z = x W), in float64.
    const z = (j: number, o: number): number => xs.slice(j * d, (j + 1) * d).reduce((s, xi, i) => s + xi * w[i * d + o], 0);
    const expected: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < d; o++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += (1 - Math.tanh(z(j, o)) ** 2) * xs.slice(i * d, (i + 1) * d).reduce((t, xk, k) => t + xk * w[k * d + o], 0);
        expected.push(s / n);
      }
    }
    const want = tf.tensor2d(expected, [n, d]);
    const err = maxRelDiff(sv, want);
    assert.ok(err < 5e-3, `S v differs from the explicit one by ${err}`);
    // And k_lin from it carries an interval around the explicit value.
    const info = await linearise(exec, acts, 'x', y, { exact: false, probes: 8, rng: new SeededRandom(1) }, 1, false);
    const f = tf.tensor2d(
      expected.map((_, k) => Math.tanh(z(Math.floor(k / d), k % d))),
      [n, d],
    );
    const kExplicit = tf.tidy(() => Math.sqrt(tf.sum(tf.square(want)).dataSync()[0] / tf.sum(tf.square(tf.sub(f, want))).dataSync()[0]));
    assert.match(info.qSv.method, /^jvp/);
    assert.ok(Math.abs(info.kLin! / kExplicit - 1) < 5e-3, `k_lin ${info.kLin} vs explicit ${kExplicit}`);
    assert.ok(info.kLinCi99![0] <= kExplicit && kExplicit <= info.kLinCi99![1], `interval ${info.kLinCi99} misses ${kExplicit}`);
    [sv, want, f, x].forEach((t) => t.dispose());
    exec.disposeActivations(acts, feeds);
    exec.dispose();
  });
});

describe('exact JVPs of a block (blockJvp.ts)', () => {
  before(useTestBackend);

  test('S v_i through conv, ReLU, max pool and a skip equals mean_j J(v_j) v_i from one-hot VJPs', async () => {
    // Conv -> Relu -> MaxPool -> Conv, plus a max-pooled skip, then Relu: affine ops before, between
    // and after three nonlinear ones (the kinks a finite difference crosses).
    const n = 6;
    const b = new GraphBuilder('x', ['batch', 2, 6, 6]);
    const conv = (x: string, cin: number, cout: number, seed: number): string =>
      b.node('Conv', [x, b.constant(gaussianMatrix(cout, cin * 9, seed, 0.5), [cout, cin, 3, 3]), b.constant(gaussianMatrix(1, cout, seed + 1, 0.3), [cout])], {
        pads: [1, 1, 1, 1],
      });
    const pool = (x: string): string => b.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    const branch = conv(pool(b.node('Relu', [conv('x', 2, 3, 1)])), 3, 2, 3);
    const y = b.node('Relu', [b.node('Add', [branch, pool('x')])]);
    const exec = new Executor(b.build(y).graph);
    const x = randn([n, 2, 6, 6], 7);
    const feeds = new Map([['x', x]]);
    const acts = exec.forward(feeds);
    const sv = (await exactLinearPart(exec, acts, 'x', y))!;
    assert.ok(sv !== null, 'every op of the block has an exact rule');
    const want = linearPartFromOneHots(exec, acts, 'x', y);
    const err = maxRelDiff(sv, want);
    assert.ok(err < 1e-5, `S v differs from the one-hot VJPs' by ${err}`);
    [sv, want, x].forEach((t) => t.dispose());
    exec.disposeActivations(acts, feeds);
    exec.dispose();
  });

  test('a block ending in ReLU and max pool (a ResNet stem, channels-last) averages the pool JVPs without the n^2 rows', async () => {
    const n = 5;
    const { model, relu, output: y } = miniStem();
    // The pool alone too: its tangents are the same at every point (no slope).
    for (const input of ['x', relu]) {
      const exec = new Executor(toChannelsLast(model.graph));
      let averaged = 0;
      const nodeJvpMean = exec.nodeJvpMean.bind(exec);
      exec.nodeJvpMean = (...args) => {
        const out = nodeJvpMean(...args);
        if (out !== undefined) averaged++;
        return out;
      };
      const x = randn([n, 3, 8, 8], 8);
      const feeds = new Map([['x', x]]);
      const acts = exec.forward(feeds);
      const sv = (await exactLinearPart(exec, acts, input, y))!;
      assert.equal(averaged, 1, 'the pool averaged its own JVPs');
      const want = linearPartFromOneHots(exec, acts, input, y);
      const err = maxRelDiff(sv, want);
      assert.ok(err < 1e-5, `S v from ${input} differs from the one-hot VJPs' by ${err}`);
      [sv, want, x].forEach((t) => t.dispose());
      exec.disposeActivations(acts, feeds);
      exec.dispose();
    }
  });

  test('a block with a product of two data tensors has no exact rule: null, and k_lin falls back to finite differences', async () => {
    const b = new GraphBuilder('x', ['batch', 4]);
    const h = b.node('MatMul', ['x', b.constant(gaussianMatrix(4, 4, 2, 0.7), [4, 4])]);
    const y = b.node('Mul', [h, b.node('Tanh', [h])]);
    const exec = new Executor(b.build(y).graph);
    const x = randn([5, 4], 3);
    const feeds = new Map([['x', x]]);
    const acts = exec.forward(feeds);
    assert.equal(await exactLinearPart(exec, acts, 'x', y), null);
    const info = await linearise(exec, acts, 'x', y, { exact: false, probes: 8, rng: new SeededRandom(1) }, 1, false);
    assert.match(info.qSv.method, /^jvp \(finite differences/);
    exec.disposeActivations(acts, feeds);
    x.dispose();
    exec.dispose();
  });
});

describe('adaptive precision of k_lin', () => {
  before(useTestBackend);

  async function lineariseMlpBlock(plan: { targetPrecision?: number; deadline?: number; maxProbes?: number; exactJvp?: boolean }): Promise<LinearisationInfo> {
    const { graph } = await loadModel(path.join(fixtureDir('mlp_relu'), 'model.onnx'));
    const input = graph.inputs.find((i) => !graph.constants.has(i.name))!;
    const exec = new Executor(graph);
    const x = randn([16, 100], 2);
    const feeds = new Map([[input.name, x]]);
    const acts = exec.forward(feeds);
    const { boundaries } = partitionBlocks(graph, input.name, referenceOutput(graph));
    try {
      return await linearise(exec, acts, boundaries[4], boundaries[5], { exact: false, probes: 8, rng: new SeededRandom(1), ...plan }, 1, false);
    } finally {
      exec.disposeActivations(acts, feeds);
      x.dispose();
      exec.dispose();
    }
  }

  test('a reachable target is met without refinement and recorded', async () => {
    const info = await lineariseMlpBlock({ targetPrecision: 0.05 });
    assert.deepEqual(info.kLinPrecision && { ...info.kLinPrecision, reached: 0 }, { target: 0.05, reached: 0, met: true, probes: 8, central: false });
    const [lo, hi] = info.kLinCi99!;
    assert.ok((hi - lo) / 2 / info.kLin! === info.kLinPrecision!.reached);
  });

  test('an unreachable target refines (central differences, more probes) up to the cap and is flagged', async () => {
    // With finite differences (a block without exact JVP rules): central ones first.
    const plain = await lineariseMlpBlock({ exactJvp: false });
    const info = await lineariseMlpBlock({ targetPrecision: 1e-9, maxProbes: 24, exactJvp: false });
    const p = info.kLinPrecision!;
    assert.equal(p.met, false);
    assert.equal(p.central, true);
    assert.equal(p.probes, 24);
    assert.equal(p.stoppedBy, 'probe-cap');
    assert.match(info.qSv.method, /central/);
    assert.ok(info.kLinCi99![0] <= info.kLin! && info.kLin! <= info.kLinCi99![1]);
    assert.ok(Math.abs(info.kLin! / plain.kLin! - 1) < 0.01, `central ${info.kLin} vs forward ${plain.kLin}`);
    // Without a target nothing is refined or recorded.
    assert.equal(plain.kLinPrecision, undefined);
  });

  test('with exact JVPs an unreachable target adds probes only, up to the cap', async () => {
    const info = await lineariseMlpBlock({ targetPrecision: 1e-9, maxProbes: 24 });
    const p = info.kLinPrecision!;
    assert.match(info.qSv.method, /exact forward mode/);
    assert.deepEqual([p.met, p.central, p.probes, p.stoppedBy], [false, false, 24, 'probe-cap']);
  });

  test('a spent time budget stops refinement before it starts', async () => {
    const info = await lineariseMlpBlock({ targetPrecision: 1e-9, deadline: performance.now() - 1 });
    assert.equal(info.kLinPrecision!.stoppedBy, 'time-budget');
    assert.equal(info.kLinPrecision!.probes, 8);
  });
});

describe('k_lin at default settings against the exact float64 reference', () => {
  before(useTestBackend);

  // The fixtures whose blocks are too wide for exact mode at default settings (all but the
  // transformer's are estimated): 3 seeds each; the ResNet once (it is the slowest).
  const runs: [string, number[]][] = [
    ['mlp_relu', [1, 2, 3]],
    ['mlp_bn_relu', [1, 2, 3]],
    ['mlp_selu', [1, 2]],
    ['mlp_ln_tanh', [1, 2]],
    ['resmlp_relu', [1, 2, 3]],
    ['resnet_cifar8', [1]],
  ];

  test('median error <= 1%, every block within 5%, 99% intervals hold the exact value >= 98% of the time', async () => {
    const errors: number[] = [];
    const misses: string[] = [];
    let estimated = 0;
    for (const [name, seeds] of runs) {
      const ref = loadReference(name);
      for (const seed of seeds) {
        const report = await analyzeModel({
          modelPath: path.join(fixtureDir(name), 'model.onnx'),
          inputFile: path.join(fixtureDir(name), 'input.bin'),
          settings: { backend: 'wasm', seed, blockMatrix: false },
        });
        report.blocks.forEach((b, i) => {
          const exact = ref.blocks[i].linearisation.k_lin;
          const lin = b.linearisation;
          if (exact === null || lin.kLin === null || lin.qSv.method === 'exact') return;
          estimated++;
          errors.push(Math.abs(lin.kLin / exact - 1));
          const [lo, hi] = lin.kLinCi99!;
          if (!(lo <= exact && exact <= hi)) misses.push(`${name} seed ${seed} block ${b.index}: ${lin.kLin} [${lo}, ${hi}] vs ${exact}`);
        });
      }
    }
    assert.ok(estimated >= 100, `only ${estimated} estimated blocks`);
    assert.ok(median(errors) <= 0.01, `median relative error ${median(errors)}`);
    assert.ok(Math.max(...errors) <= 0.05, `largest relative error ${Math.max(...errors)}`);
    assert.ok(misses.length <= 0.02 * estimated, `${misses.length} of ${estimated} intervals miss:\n${misses.join('\n')}`);
  });
});
