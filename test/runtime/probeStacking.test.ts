/**
 * Reverse passes with several probes stacked along axis 0 (Executor.vjp's `probes`,
 * src/runtime/probeStacking.ts) give, probe by probe, the cotangents of one pass per probe:
 * on every fixture model (tanh, SELU, BN, LayerNorm, residual, convolutional, transformer,
 * at batch 1 too) and on single ops in each stacking mode, broadcasting operands included.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { fixtureDir } from '../helpers/fixtures';
import { floatConst, randn, singleNodeGraph, intConst, type GradCheckInput } from '../helpers/gradcheck';
import { Executor } from '../../src/runtime/executor';
import { loadModel } from '../../src/loaders';
import { partitionBlocks } from '../../src/metrics/blocks';
import { referenceOutput } from '../../src/graph/queries';
import type { Graph } from '../../src/graph/ir';
import type { Attributes } from '../../src/graph/ir';
import { kernelFor } from '../../src/ops/registry';
import type { OpKernel } from '../../src/ops/kernel';

const PROBES = 3;

/** Largest |a - b| relative to the largest |b| (1 when b is all zeros). */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-30, tf.max(tf.abs(b)).dataSync()[0]));
}

/**
 * Compares vjp(probes = PROBES) with PROBES single passes: `seedShape` is the target's shape;
 * returns how many wrt tensors were compared.
 */
function compareStacked(exec: Executor, acts: Map<string, tf.Tensor>, target: string, wrt: readonly string[], seed: number): number {
  const y = acts.get(target)!;
  const seeds = Array.from({ length: PROBES }, (_, p) => randn(y.shape, seed + p));
  const single = seeds.map((s) => exec.vjp(acts, new Map([[target, s]]), wrt));
  const stackedSeed = tf.concat(seeds, 0);
  assert.ok(exec.canStackProbes(acts, wrt));
  const stacked = exec.vjp(acts, new Map([[target, stackedSeed]]), wrt, undefined, PROBES);
  for (const w of wrt) {
    const expected = tf.concat(
      single.map((g) => g.get(w)!),
      0,
    );
    const got = stacked.get(w)!;
    assert.deepEqual(got.shape, expected.shape, `${w}: shape`);
    const d = relDiff(got, expected);
    assert.ok(d < 1e-5, `${w}: stacked differs from one pass per probe by ${d}`);
    expected.dispose();
  }
  [...seeds, stackedSeed].forEach((t) => t.dispose());
  single.forEach((m) => m.forEach((t) => t.dispose()));
  stacked.forEach((t) => t.dispose());
  return wrt.length;
}

describe('stacked probes', () => {
  before(useTestBackend);

  for (const name of ['mlp_tanh', 'mlp_selu', 'mlp_bn_relu', 'mlp_ln_tanh', 'resmlp_relu', 'resnet_cifar8', 'tiny_transformer']) {
    for (const batch of [1, 3]) {
      test(`${name}, batch ${batch}: to every boundary from the output and from a middle boundary`, async () => {
        const { graph } = await loadModel(path.join(fixtureDir(name), 'model.onnx'));
        const input = graph.inputs.find((i) => !graph.constants.has(i.name))!;
        const shape = [batch, ...(input.shape ?? []).slice(1).map((d) => (typeof d === 'number' ? d : 4))];
        const x = randn(shape, 5);
        const exec = new Executor(graph);
        const feeds = new Map([[input.name, x]]);
        const acts = exec.forward(feeds);
        const { boundaries } = partitionBlocks(graph, input.name, referenceOutput(graph));
        const last = boundaries.length - 1;
        const middle = Math.max(1, Math.floor(last / 2));
        assert.ok(compareStacked(exec, acts, boundaries[last], boundaries.slice(0, last), 100) > 0);
        assert.ok(compareStacked(exec, acts, boundaries[middle], boundaries.slice(0, middle), 200) > 0);
        exec.disposeActivations(acts, feeds);
        x.dispose();
        exec.dispose();
      });
    }
  }

  /** A single-node graph whose `value` inputs are all differentiated. */
  function checkOp(op: string, attrs: Attributes, inputs: GradCheckInput[]): void {
    const graph: Graph = singleNodeGraph(op, attrs, inputs);
    const exec = new Executor(graph);
    const feeds = new Map<string, tf.Tensor>();
    inputs.forEach((inp, i) => inp.value && feeds.set(`in${i}`, inp.value));
    const acts = exec.forward(feeds);
    compareStacked(exec, acts, 'out0', [...feeds.keys()], 300);
    exec.disposeActivations(acts, feeds);
    exec.dispose();
  }

  const cases: [string, string, Attributes, () => GradCheckInput[]][] = [
    ['Add, both operands full', 'Add', {}, () => [{ value: randn([2, 3, 4], 1) }, { value: randn([2, 3, 4], 2) }]],
    ['Add, an activation broadcast over samples and spatial axes', 'Add', {}, () => [{ value: randn([2, 3, 4], 1) }, { value: randn([3, 1], 2) }]],
    ['Add at batch 1 against a batch-3 operand', 'Add', {}, () => [{ value: randn([1, 3], 1) }, { value: randn([4, 3], 2) }]],
    ['Sub with a constant bias', 'Sub', {}, () => [{ value: randn([2, 5], 1) }, { constant: floatConst([1, 2, 3, 4, 5], [5]) }]],
    ['Mul of two activations, broadcast', 'Mul', {}, () => [{ value: randn([2, 3, 4], 3) }, { value: randn([2, 1, 4], 4) }]],
    ['Div', 'Div', {}, () => [{ value: randn([2, 3], 5) }, { value: tf.add(tf.abs(randn([2, 3], 6)), 0.5) }]],
    ['Relu', 'Relu', {}, () => [{ value: randn([2, 3, 4], 7) }]],
    ['Tanh', 'Tanh', {}, () => [{ value: randn([2, 6], 8) }]],
    ['Sqrt', 'Sqrt', {}, () => [{ value: tf.add(tf.abs(randn([2, 6], 9)), 0.5) }]],
    [
      'Gemm, transB, bias',
      'Gemm',
      { transB: 1 },
      () => [
        { value: randn([3, 4], 10) },
        { constant: floatConst(Array.from(randn([5, 4], 11).dataSync()), [5, 4]) },
        { constant: floatConst([1, 2, 3, 4, 5], [5]) },
      ],
    ],
    ['Gemm with A transposed (per-probe passes)', 'Gemm', { transA: 1 }, () => [{ value: randn([4, 3], 12) }, { value: randn([4, 2], 13) }]],
    [
      'Conv 3x3 stride 2 pad 1',
      'Conv',
      { strides: [2, 2], pads: [1, 1, 1, 1] },
      () => [{ value: randn([2, 3, 7, 6], 14) }, { constant: floatConst(Array.from(randn([4, 3, 3, 3], 15).dataSync()), [4, 3, 3, 3]) }],
    ],
    [
      'Conv grouped, with weights differentiated (per-probe passes)',
      'Conv',
      { group: 2 },
      () => [{ value: randn([2, 4, 5, 5], 16) }, { value: randn([2, 2, 3, 3], 17) }],
    ],
    [
      'BatchNormalization',
      'BatchNormalization',
      {},
      () => [
        { value: randn([2, 3, 4, 4], 18) },
        { constant: floatConst([1, 2, 3], [3]) },
        { constant: floatConst([0, 1, 0], [3]) },
        { constant: floatConst([0.1, 0.2, 0.3], [3]) },
        { constant: floatConst([1, 2, 0.5], [3]) },
      ],
    ],
    ['Flatten', 'Flatten', { axis: 1 }, () => [{ value: randn([2, 3, 4], 19) }]],
    ['Flatten over the batch axis (per-probe passes)', 'Flatten', { axis: 0 }, () => [{ value: randn([2, 3], 20) }]],
    ['Reshape keeping axis 0', 'Reshape', {}, () => [{ value: randn([2, 3, 4], 21) }, { constant: intConst([2, 12]) }]],
    ['Reshape mixing axis 0 (per-probe passes)', 'Reshape', {}, () => [{ value: randn([2, 3, 4], 22) }, { constant: intConst([3, 8]) }]],
    ['Transpose keeping axis 0', 'Transpose', { perm: [0, 2, 1] }, () => [{ value: randn([2, 3, 4], 23) }]],
    ['Transpose moving axis 0 (per-probe passes)', 'Transpose', { perm: [1, 0, 2] }, () => [{ value: randn([2, 3, 4], 24) }]],
    ['GlobalAveragePool', 'GlobalAveragePool', {}, () => [{ value: randn([2, 3, 4, 5], 25) }]],
    ['MaxPool', 'MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }, () => [{ value: randn([2, 3, 4, 4], 26) }]],
    [
      'MaxPool 3x3 stride 2 pad 1, batch 1',
      'MaxPool',
      { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
      () => [{ value: randn([1, 2, 7, 6], 42) }],
    ],
    ['MaxPool 1-D', 'MaxPool', { kernel_shape: [3], strides: [2] }, () => [{ value: randn([2, 3, 9], 43) }]],
    [
      'MaxPool with windows wholly in padding',
      'MaxPool',
      { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 3, 3] },
      () => [{ value: randn([2, 1, 3, 3], 45) }],
    ],
    ['MaxPool dilated (per-probe passes)', 'MaxPool', { kernel_shape: [2, 2], dilations: [2, 2] }, () => [{ value: randn([2, 2, 6, 6], 44) }]],
    ['Softmax over the last axis', 'Softmax', { axis: -1 }, () => [{ value: randn([2, 3, 5], 27) }]],
    ['Softmax over a middle axis', 'Softmax', { axis: 1 }, () => [{ value: randn([2, 3, 5], 40) }]],
    ['LogSoftmax', 'LogSoftmax', { axis: 1 }, () => [{ value: randn([2, 4], 41) }]],
    [
      'MatMul by a 2-D weight',
      'MatMul',
      {},
      () => [{ value: randn([2, 3, 4], 29) }, { constant: floatConst(Array.from(randn([4, 5], 30).dataSync()), [4, 5]) }],
    ],
    ['MatMul of two activations (per-probe passes)', 'MatMul', {}, () => [{ value: randn([2, 3, 4], 31) }, { value: randn([2, 4, 2], 32) }]],
    ['ReduceMean over the last axis, keepdims', 'ReduceMean', {}, () => [{ value: randn([2, 3, 4], 33) }, { constant: intConst([-1]) }]],
    ['ReduceSum over axes 1 and 2, no keepdims', 'ReduceSum', { keepdims: 0 }, () => [{ value: randn([2, 3, 4], 34) }, { constant: intConst([1, 2]) }]],
    ['ReduceMean over the batch axis (per-probe passes)', 'ReduceMean', {}, () => [{ value: randn([2, 3], 35) }, { constant: intConst([0]) }]],
    ['ReduceMax (per-probe passes)', 'ReduceMax', {}, () => [{ value: randn([2, 3], 36) }, { constant: intConst([1]) }]],
    ['Pow with a constant exponent', 'Pow', {}, () => [{ value: tf.add(tf.abs(randn([2, 3], 37)), 0.5) }, { constant: floatConst([2], [1]) }]],
    [
      'Clip with min and max (ReLU6)',
      'Clip',
      {},
      () => [{ value: tf.mul(randn([2, 3, 4], 46), 4) }, { constant: floatConst([0], []) }, { constant: floatConst([6], []) }],
    ],
    ['Clip with a max only', 'Clip', {}, () => [{ value: randn([2, 5], 47) }, { constant: floatConst([], [0]) }, { constant: floatConst([0.5], []) }]],
    ['Pow of two activations, broadcast', 'Pow', {}, () => [{ value: tf.add(tf.abs(randn([2, 3], 38)), 0.5) }, { value: randn([1, 3], 39) }]],
  ];
  for (const [title, op, attrs, inputs] of cases) {
    test(`${title}: equals one pass per probe`, () => checkOp(op, attrs, inputs()));
  }

  test('stacking takes one kernel call per node where the kernel allows it, one per probe elsewhere', async () => {
    const { graph } = await loadModel(path.join(fixtureDir('resnet_cifar8'), 'model.onnx'));
    const calls = new Map<string, number>();
    const restore: (() => void)[] = [];
    for (const op of ['Conv', 'Relu', 'Add', 'GlobalAveragePool', 'MaxPool', 'Clip']) {
      const k = kernelFor(op) as { -readonly [K in keyof OpKernel]: OpKernel[K] };
      const original = k.vjp!;
      k.vjp = (args) => {
        calls.set(op, (calls.get(op) ?? 0) + 1);
        return original(args);
      };
      restore.push(() => (k.vjp = original));
    }
    try {
      const input = graph.inputs.find((i) => !graph.constants.has(i.name))!;
      const x = randn([2, ...(input.shape ?? []).slice(1).map((d) => (typeof d === 'number' ? d : 4))], 6);
      const exec = new Executor(graph);
      const feeds = new Map([[input.name, x]]);
      const acts = exec.forward(feeds);
      const out = referenceOutput(graph);
      const seed = randn([PROBES * acts.get(out)!.shape[0], ...acts.get(out)!.shape.slice(1)], 7);
      exec.vjp(acts, new Map([[out, seed]]), [input.name], undefined, PROBES).forEach((t) => t.dispose());
      const nodes = (op: string): number => graph.nodes.filter((n) => n.op === op).length;
      for (const op of ['Conv', 'Relu', 'Add', 'GlobalAveragePool']) assert.equal(calls.get(op) ?? 0, nodes(op), `${op}: one call per node`);
      exec.disposeActivations(acts, feeds);
      [x, seed].forEach((t) => t.dispose());
      exec.dispose();
      // A dilated max pool compares windows with the output probe by probe: one call per probe.
      const pool = singleNodeGraph('MaxPool', { kernel_shape: [2, 2], dilations: [2, 2] }, [{ value: randn([2, 1, 5, 5], 8) }]);
      const poolExec = new Executor(pool);
      const px = randn([2, 1, 5, 5], 8);
      const poolActs = poolExec.forward(new Map([['in0', px]]));
      const pseed = randn([PROBES * 2, 1, 3, 3], 9);
      poolExec.vjp(poolActs, new Map([['out0', pseed]]), ['in0'], undefined, PROBES).forEach((t) => t.dispose());
      assert.equal(calls.get('MaxPool'), PROBES, 'dilated MaxPool: one call per probe');
      poolExec.disposeActivations(poolActs, new Map([['in0', px]]));
      [px, pseed].forEach((t) => t.dispose());
      poolExec.dispose();
      // ReLU6 (Clip) broadcasts its mask against the stacked probes: one call per node.
      const clip = singleNodeGraph('Clip', {}, [{ value: randn([2, 3, 4], 10) }, { constant: floatConst([0], []) }, { constant: floatConst([6], []) }]);
      const clipExec = new Executor(clip);
      const cx = randn([2, 3, 4], 10);
      const clipActs = clipExec.forward(new Map([['in0', cx]]));
      const cseed = randn([PROBES * 2, 3, 4], 11);
      clipExec.vjp(clipActs, new Map([['out0', cseed]]), ['in0'], undefined, PROBES).forEach((t) => t.dispose());
      assert.equal(calls.get('Clip'), 1, 'Clip: one call for every probe');
      clipExec.disposeActivations(clipActs, new Map([['in0', cx]]));
      [cx, cseed].forEach((t) => t.dispose());
      clipExec.dispose();
    } finally {
      restore.forEach((r) => r());
    }
  });

  test('a rank-0 tensor on a data path rules stacking out', () => {
    const graph = singleNodeGraph('ReduceSum', { keepdims: 0 }, [{ value: randn([2, 3], 28) }]);
    const exec = new Executor(graph);
    const x = randn([2, 3], 28);
    const feeds = new Map([['in0', x]]);
    const acts = exec.forward(feeds);
    assert.equal(exec.canStackProbes(acts, ['in0']), false);
    exec.disposeActivations(acts, feeds);
    exec.dispose();
  });
});
