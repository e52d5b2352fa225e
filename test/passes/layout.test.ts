/**
 * The channels-last layout pass (src/passes/layout.ts): the rewritten graph computes the same
 * outputs and the same input cotangents as the original, on the convolutional fixtures, on the
 * ResNet-18 bench model when present, and on small graphs around each op the pass moves into a
 * region; the analysis sees the same blocks; and a region costs only its entry/exit Transposes.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes, ConstTensor, Graph, GraphNode } from '../../src/graph/ir';
import { toChannelsLast } from '../../src/passes/layout';
import { isSynthetic } from '../../src/graph/queries';
import { transposeConst } from '../../src/graph/constants';
import { Executor } from '../../src/runtime/executor';
import { loadModel } from '../../src/loaders';
import { hideSyntheticNodes, partitionBlocks } from '../../src/metrics/blocks';
import { perSampleNorms } from '../../src/metrics/jacobian';
import { SeededRandom } from '../../src/runtime/random';
import { useTestBackend } from '../helpers/backend';
import { fixturesDir } from '../helpers/fixtures';

const RTOL = 1e-5;
const CHANNELS_LAST_OPS = [
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'BatchNormalization',
  'InstanceNormalization',
  'LRN',
  'DepthToSpace',
  'SpaceToDepth',
];

function gaussianConst(shape: number[], seed: number, scale = 1): ConstTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: new SeededRandom(seed).gaussian(n).map((v) => v * scale) };
}

function seededTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(new SeededRandom(seed).gaussian(shape.reduce((a, b) => a * b, 1)), shape, 'float32');
}

/** Largest |a - b| relative to the largest |a|. */
function relError(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(b.shape, a.shape, 'shapes');
  const x = a.dataSync();
  const y = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(x[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

interface Comparison {
  readonly original: Graph;
  readonly transformed: Graph;
  readonly input: tf.Tensor;
}

/**
 * Forward passes and a VJP from every graph output (seeded cotangents) to the model input in
 * both graphs agree; per-sample norms of `normsOf` tensors (block boundaries) agree too.
 */
function assertSameFunction({ original, transformed, input }: Comparison, normsOf: readonly string[] = []): void {
  const inputName = original.inputs[0].name;
  const feeds = new Map([[inputName, input]]);
  const execA = new Executor(original);
  const execB = new Executor(transformed);
  const actsA = execA.forward(feeds);
  const actsB = execB.forward(feeds);
  try {
    const seeds = new Map<string, tf.Tensor>();
    original.outputs.forEach((o, j) => {
      const yA = actsA.get(o.name)!;
      const yB = actsB.get(o.name);
      assert.ok(yB !== undefined, `output ${o.name} missing from the transformed graph`);
      assert.ok(relError(yA, yB) <= RTOL, `output ${o.name}: rel error ${relError(yA, yB)}`);
      seeds.set(o.name, seededTensor(yA.shape, 100 + j));
    });
    for (const t of normsOf) {
      const a = perSampleNorms(actsA.get(t)!);
      const b = perSampleNorms(actsB.get(t)!);
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= RTOL * Math.max(v, 1e-30), `norm of ${t} sample ${i}: ${v} vs ${b[i]}`));
    }
    const gA = execA.vjp(actsA, seeds, [inputName]).get(inputName)!;
    const gB = execB.vjp(actsB, seeds, [inputName]).get(inputName)!;
    assert.ok(relError(gA, gB) <= RTOL, `input cotangent: rel error ${relError(gA, gB)}`);
    seeds.forEach((s) => s.dispose());
    gA.dispose();
    gB.dispose();
  } finally {
    execA.disposeActivations(actsA, feeds);
    execB.disposeActivations(actsB, feeds);
    execA.dispose();
    execB.dispose();
  }
}

function node(name: string, op: string, inputs: string[], outputs: string[], attrs: Attributes = {}): GraphNode {
  return { name, op, inputs, outputs, attrs, origin: { name, sourceOp: op } };
}

function graphOf(nodes: GraphNode[], constants: Record<string, ConstTensor>, inputShape: number[], outputs: string[]): Graph {
  return {
    description: { formatLabel: 'test', format: 'onnx' },
    inputs: [{ name: 'x', dtype: 'float32', shape: inputShape }],
    outputs: outputs.map((name) => ({ name, dtype: 'float32', shape: null })),
    nodes,
    constants: new Map(Object.entries(constants)),
  };
}

function transposes(g: Graph): GraphNode[] {
  return g.nodes.filter((n) => n.op === 'Transpose');
}

/** Checks a small graph: same function, and the named nodes compute channels-last. */
function checkSmallGraph(g: Graph, inputShape: number[], channelsLastNodes: readonly string[], seed = 1): Graph {
  const t = toChannelsLast(g);
  assert.notEqual(t, g, 'the graph has a convolution region');
  for (const name of channelsLastNodes) {
    const n = t.nodes.find((m) => m.name === name)!;
    // Inside a region a node reads region tensors, never the output of an exit Transpose.
    const source = t.nodes.find((m) => m.outputs.includes(n.inputs[0]));
    assert.ok(source === undefined || !isSynthetic(source) || source.name.includes('::to_nhwc'), `${name} reads an NCHW tensor`);
    if (CHANNELS_LAST_OPS.includes(n.op)) assert.equal(n.attrs.channelsLast, true, `${name} is not channels-last`);
  }
  const input = seededTensor(inputShape, seed);
  assertSameFunction({ original: g, transformed: t, input });
  input.dispose();
  return t;
}

/** Conv (given attributes and kernel shape [O, I/g, k...]) followed by `op` on its output. */
function convThen(
  kernel: number[],
  convAttrs: Attributes,
  inputShape: number[],
  op?: { op: string; attrs?: Attributes; extra?: Record<string, ConstTensor> },
): Graph {
  const cout = kernel[0];
  const nodes = [node('conv', 'Conv', ['x', 'w', 'b'], [op ? 'c' : 'y'], convAttrs)];
  const constants: Record<string, ConstTensor> = { w: gaussianConst(kernel, 11, 0.3), b: gaussianConst([cout], 12, 0.1), ...(op?.extra ?? {}) };
  if (op) nodes.push(node('op', op.op, ['c', ...Object.keys(op.extra ?? {})], ['y'], op.attrs ?? {}));
  return graphOf(nodes, constants, inputShape, ['y']);
}

describe('layout pass: single ops in a region', () => {
  before(async () => {
    await useTestBackend();
  });

  const convCases: [string, number[], Attributes, number[]][] = [
    ['3x3 pads', [4, 3, 3, 3], { pads: [1, 1, 1, 1] }, [2, 3, 7, 6]],
    ['strides, asymmetric pads', [5, 3, 3, 2], { strides: [2, 1], pads: [0, 1, 1, 0] }, [2, 3, 9, 8]],
    ['dilations', [4, 2, 3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }, [2, 2, 8, 8]],
    ['groups', [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }, [2, 4, 6, 6]],
    ['depthwise', [4, 1, 3, 3], { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] }, [2, 4, 7, 7]],
    ['SAME_UPPER', [3, 3, 2, 2], { auto_pad: 'SAME_UPPER', strides: [2, 2] }, [2, 3, 5, 5]],
    ['1-D', [4, 3, 3], { pads: [1, 1] }, [2, 3, 10]],
    ['3-D', [2, 2, 2, 2, 2], { pads: [1, 0, 1, 1, 0, 1] }, [2, 2, 4, 3, 4]],
  ];
  for (const [what, kernel, attrs, inputShape] of convCases) {
    test(`Conv ${what}`, () => {
      const t = checkSmallGraph(convThen(kernel, attrs, inputShape), inputShape, ['conv']);
      // The loaded kernel is untouched; the region reads a TF-layout copy.
      const conv = t.nodes.find((n) => n.name === 'conv')!;
      assert.equal(conv.inputs[1], 'w::tf');
      assert.deepEqual(t.constants.get('w::tf')!.shape, [...kernel.slice(2), kernel[1], kernel[0]]);
      assert.equal(t.constants.has('w'), false, 'the unused ONNX-layout kernel is dropped');
      assert.equal(transposes(t).length, 2);
    });
  }

  test('ConvTranspose (stride 2, output_padding, groups)', () => {
    // ONNX ConvTranspose kernel: [Cin, Cout/g, kH, kW].
    const g = graphOf(
      [
        node('conv', 'Conv', ['x', 'w1'], ['c'], { pads: [1, 1, 1, 1] }),
        node('deconv', 'ConvTranspose', ['c', 'w2', 'b2'], ['y'], { strides: [2, 2], pads: [1, 0, 1, 0], output_padding: [1, 1], group: 2 }),
      ],
      { w1: gaussianConst([4, 3, 3, 3], 1, 0.3), w2: gaussianConst([4, 3, 3, 3], 2, 0.3), b2: gaussianConst([6], 3, 0.1) },
      [2, 3, 5, 6],
      ['y'],
    );
    checkSmallGraph(g, [2, 3, 5, 6], ['conv', 'deconv']);
  });

  const following: [string, string, Attributes, Record<string, ConstTensor>][] = [
    ['MaxPool', 'MaxPool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, {}],
    ['MaxPool ceil_mode', 'MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, {}],
    ['AveragePool', 'AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 0 }, {}],
    ['GlobalAveragePool', 'GlobalAveragePool', {}, {}],
    ['GlobalMaxPool', 'GlobalMaxPool', {}, {}],
    [
      'BatchNormalization',
      'BatchNormalization',
      { epsilon: 1e-3 },
      {
        s: gaussianConst([4], 21),
        bb: gaussianConst([4], 22),
        m: gaussianConst([4], 23, 0.1),
        v: { dtype: 'float32', shape: [4], data: Float32Array.from([0.5, 1, 1.5, 2]) },
      },
    ],
    ['InstanceNormalization', 'InstanceNormalization', {}, { s: gaussianConst([4], 24), bb: gaussianConst([4], 25) }],
    ['LRN', 'LRN', { size: 3 }, {}],
    ['DepthToSpace', 'DepthToSpace', { blocksize: 2, mode: 'CRD' }, {}],
    ['SpaceToDepth', 'SpaceToDepth', { blocksize: 2 }, {}],
    // [C, 1, 1] per-channel constant: permuted to [1, 1, C] (rank-padded to [1, 1, 1, C]).
    ['Mul by a per-channel constant', 'Mul', {}, { k: gaussianConst([4, 1, 1], 26) }],
    ['Add a scalar', 'Add', {}, { k: gaussianConst([1], 27) }],
    ['PRelu', 'PRelu', {}, { k: gaussianConst([4, 1, 1], 28, 0.2) }],
    ['Relu', 'Relu', {}, {}],
    ['Clip', 'Clip', {}, { lo: gaussianConst([], 29, 0.1), hi: { dtype: 'float32', shape: [], data: Float32Array.from([0.5]) } }],
    [
      'Resize (nearest, scales)',
      'Resize',
      { mode: 'nearest' },
      { roi: { dtype: 'float32', shape: [0], data: new Float32Array(0) }, sc: { dtype: 'float32', shape: [4], data: Float32Array.from([1, 1, 2, 1.5]) } },
    ],
    [
      'Resize (linear, axes)',
      'Resize',
      { mode: 'linear', axes: [2, 3] },
      { roi: { dtype: 'float32', shape: [0], data: new Float32Array(0) }, sc: { dtype: 'float32', shape: [2], data: Float32Array.from([1.5, 2]) } },
    ],
  ];
  for (const [what, op, attrs, extra] of following) {
    test(`Conv then ${what}`, () => {
      const inputShape = [2, 3, 8, 6];
      const g = convThen([4, 3, 3, 3], { pads: [1, 1, 1, 1] }, inputShape, { op, attrs, extra });
      const t = checkSmallGraph(g, inputShape, ['conv', 'op']);
      assert.equal(transposes(t).length, 2, 'one entry and one exit');
    });
  }

  test('residual Add, channel Concat, and a region read from outside and inside', () => {
    // x -> conv1 -> relu -> {conv2 -> add(relu) -> concat(relu) -> y ; relu -> Flatten -> flat}
    const g = graphOf(
      [
        node('conv1', 'Conv', ['x', 'w1'], ['c1'], { pads: [1, 1, 1, 1] }),
        node('relu', 'Relu', ['c1'], ['r']),
        node('conv2', 'Conv', ['r', 'w2'], ['c2'], { pads: [1, 1, 1, 1] }),
        node('add', 'Add', ['c2', 'r'], ['a']),
        node('cat', 'Concat', ['a', 'r'], ['y'], { axis: 1 }),
        node('flat', 'Flatten', ['r'], ['f']),
      ],
      { w1: gaussianConst([4, 3, 3, 3], 1, 0.3), w2: gaussianConst([4, 4, 3, 3], 2, 0.3) },
      [2, 3, 5, 5],
      ['y', 'f'],
    );
    const t = checkSmallGraph(g, [2, 3, 5, 5], ['conv1', 'conv2', 'add', 'cat']);
    // The outside reader (Flatten) and the outputs read NCHW tensors under the original names.
    const flat = t.nodes.find((n) => n.name === 'flat')!;
    assert.deepEqual(flat.inputs, ['r']);
    assert.equal(t.nodes.find((n) => n.outputs.includes('r'))!.op, 'Transpose');
    assert.deepEqual(t.nodes.find((n) => n.name === 'conv2')!.inputs[0], 'r::nhwc');
    assert.equal(transposes(t).length, 3, 'entry of x, exits of r and y');
    assert.ok(transposes(t).every(isSynthetic));
    assert.ok(t.nodes.filter((n) => n.op !== 'Transpose').every((n) => !isSynthetic(n)));
  });

  test('squeeze-excite: ReduceMean keepdims, 1x1 convolutions, Sigmoid, Mul broadcasting two region tensors', () => {
    const g = graphOf(
      [
        node('conv', 'Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }),
        node('squeeze', 'ReduceMean', ['c', 'hw'], ['m']),
        node('fc1', 'Conv', ['m', 'w1'], ['z']),
        node('relu', 'Relu', ['z'], ['r']),
        node('fc2', 'Conv', ['r', 'w2'], ['s']),
        node('gate', 'Sigmoid', ['s'], ['g']),
        node('excite', 'Mul', ['c', 'g'], ['y']),
      ],
      {
        w: gaussianConst([4, 3, 3, 3], 1, 0.3),
        hw: { dtype: 'int32', shape: [2], data: Int32Array.from([2, -1]) },
        w1: gaussianConst([2, 4, 1, 1], 2, 0.5),
        w2: gaussianConst([4, 2, 1, 1], 3, 0.5),
      },
      [2, 3, 6, 5],
      ['y'],
    );
    const t = checkSmallGraph(g, [2, 3, 6, 5], ['conv', 'squeeze', 'fc1', 'relu', 'fc2', 'gate', 'excite']);
    assert.equal(transposes(t).length, 2);
    assert.deepEqual(Array.from(t.constants.get(t.nodes.find((n) => n.name === 'squeeze')!.inputs[1])!.data), [1, 2]);
  });

  const reductions: [string, number[], number][] = [
    ['over H and W: [N, C] in both layouts, no exit Transpose', [2, 3], 1],
    ['over C: [N, H, W] in both layouts', [1], 1],
    ['over H only: [N, C, W] is not [N, W, C], the region ends before it', [2], 2],
  ];
  for (const [what, axes, count] of reductions) {
    test(`ReduceMean without keepdims ${what}`, () => {
      const g = graphOf(
        [node('conv', 'Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }), node('mean', 'ReduceMean', ['c', 'axes'], ['y'], { keepdims: 0 })],
        { w: gaussianConst([4, 3, 3, 3], 1, 0.3), axes: { dtype: 'int32', shape: [axes.length], data: Int32Array.from(axes) } },
        [2, 3, 6, 5],
        ['y'],
      );
      const t = checkSmallGraph(g, [2, 3, 6, 5], count === 1 ? ['conv', 'mean'] : ['conv']);
      assert.equal(transposes(t).length, count);
    });
  }

  for (const pool of ['GlobalAveragePool', 'MaxPool']) {
    test(`classifier head: Flatten after ${pool}`, () => {
      const g = graphOf(
        [
          node('conv', 'Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }),
          node('pool', pool, ['c'], ['p'], pool === 'MaxPool' ? { kernel_shape: [2, 2], strides: [2, 2] } : {}),
          node('flat', 'Flatten', ['p'], ['f']),
          node('fc', 'Gemm', ['f', 'wf'], ['y'], { transB: 1 }),
        ],
        { w: gaussianConst([4, 3, 3, 3], 1, 0.3), wf: gaussianConst([5, pool === 'MaxPool' ? 24 : 4], 2, 0.3) },
        [2, 3, 4, 6],
        ['y'],
      );
      const t = checkSmallGraph(g, [2, 3, 4, 6], ['conv', 'pool']);
      // [N, 1, 1, C] flattens like [N, C, 1, 1]; a 2x3 map does not.
      assert.equal(transposes(t).length, pool === 'MaxPool' ? 2 : 1);
    });
  }

  test('a region entered from the middle of the graph: the outside producer writes <t>::nchw', () => {
    // x [2, 48] -> Reshape [2, 3, 4, 4] -> Conv -> y
    const g = graphOf(
      [node('reshape', 'Reshape', ['x', 'shape'], ['r']), node('conv', 'Conv', ['r', 'w'], ['y'], { pads: [1, 1, 1, 1] })],
      { shape: { dtype: 'int32', shape: [4], data: Int32Array.from([2, 3, 4, 4]) }, w: gaussianConst([2, 3, 3, 3], 5, 0.3) },
      [2, 48],
      ['y'],
    );
    const t = checkSmallGraph(g, [2, 48], ['conv']);
    assert.deepEqual(t.nodes.find((n) => n.name === 'reshape')!.outputs, ['r::nchw']);
    assert.deepEqual(t.nodes.find((n) => n.name === 'conv')!.inputs[0], 'r');
  });

  test('graphs without a convolution, or already channels-last, are returned as they are', () => {
    const pool = graphOf([node('pool', 'MaxPool', ['x'], ['y'], { kernel_shape: [2, 2] })], {}, [2, 3, 4, 4], ['y']);
    assert.equal(toChannelsLast(pool), pool);
    const tfConv = graphOf([node('conv', 'Conv', ['x', 'w'], ['y'], { channelsLast: true })], { w: gaussianConst([3, 3, 3, 2], 1) }, [2, 4, 4, 3], ['y']);
    assert.equal(toChannelsLast(tfConv), tfConv);
  });

  test('transposeConst moves axes like tf.transpose', () => {
    const c = gaussianConst([2, 3, 4, 5], 9);
    for (const perm of [
      [0, 2, 3, 1],
      [2, 3, 1, 0],
      [3, 1, 0, 2],
    ]) {
      const p = transposeConst(c, perm);
      const expected = tf.transpose(tf.tensor(c.data, [...c.shape]), perm);
      assert.deepEqual(p.shape, expected.shape);
      assert.deepEqual(Array.from(p.data), Array.from(expected.dataSync()));
      expected.dispose();
    }
  });
});

/** ONNX fixtures (and the bench model) whose graphs hold a convolution. */
function convolutionalModels(): string[] {
  const dir = fixturesDir();
  const files = readdirSync(dir).flatMap((f) =>
    existsSync(path.join(dir, f)) && !f.endsWith('.md')
      ? readdirSync(path.join(dir, f))
          .filter((m) => m.endsWith('.onnx'))
          .map((m) => path.join(dir, f, m))
      : [],
  );
  const bench = path.resolve(__dirname, '../../bench/models/resnet18_64/model.onnx');
  return existsSync(bench) ? [...files, bench] : files;
}

function readBatch(file: string, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const buf = readFileSync(file);
  return tf.tensor(new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + size * 4)), shape, 'float32');
}

describe('layout pass: whole models', () => {
  before(async () => {
    await useTestBackend();
  });

  test('at least resnet_cifar8 is convolutional', async () => {
    const names: string[] = [];
    for (const file of convolutionalModels()) {
      const { graph } = await loadModel(file);
      if (graph.nodes.some((n) => n.op === 'Conv')) names.push(path.basename(path.dirname(file)));
    }
    assert.ok(names.includes('resnet_cifar8'), `convolutional models: ${names.join(', ')}`);
  });

  for (const file of convolutionalModels()) {
    const label = `${path.basename(path.dirname(file))}/${path.basename(file)}`;
    test(`${label}: same outputs, boundary norms, input cotangent and block partition`, async (t) => {
      const { graph } = await loadModel(file);
      const transformed = toChannelsLast(graph);
      if (!graph.nodes.some((n) => n.op === 'Conv')) {
        assert.equal(transformed, graph, 'no convolution: unchanged');
        return;
      }
      const input = graph.inputs[0];
      // Two samples of the stored batch keep the 64x64 ResNet-18 fast.
      const shape = [2, ...input.shape!.slice(1).map((d) => (typeof d === 'number' ? d : 1))];
      const x = readBatch(path.join(path.dirname(file), 'input.bin'), shape);
      const output = graph.outputs[0].name;
      const before = partitionBlocks(graph, input.name, output);
      const after = hideSyntheticNodes(partitionBlocks(transformed, input.name, output), transformed);
      // Same blocks: tensors, node names, residual structure (synthetic Transposes hidden).
      assert.deepEqual(after.boundaries, before.boundaries);
      const describe = (g: Graph, p: typeof before): unknown => p.blocks.map((b) => ({ ...b, nodeIndices: b.nodeIndices.map((i) => g.nodes[i].name) }));
      assert.deepEqual(describe(transformed, after), describe(graph, before));
      assertSameFunction({ original: graph, transformed, input: x }, before.boundaries);
      x.dispose();

      const count = transposes(transformed).length;
      t.diagnostic(`${label}: ${graph.nodes.length} nodes, ${count} Transposes after the pass (${transposes(graph).length} before)`);
      assert.ok(count <= 2 + transposes(graph).length, `${count} Transposes`);
      // ResNets: one region from the input to the pooled features, entered once, left by Flatten.
      if (/resnet/.test(label)) assert.equal(count, 1);
      // The loaded graph is not mutated: its kernels keep the ONNX layout.
      const conv = graph.nodes.find((n) => n.op === 'Conv')!;
      assert.equal(conv.attrs.channelsLast, undefined);
      assert.ok(graph.constants.has(conv.inputs[1]));
    });
  }
});
