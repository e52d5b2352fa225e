/**
 * The size guard refuses a node whose output would be absurd before anything is allocated,
 * and its bound is never below what the kernel really produces (so no honest model is refused).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes, Graph } from '../../src/graph/ir';
import { Executor } from '../../src/runtime/executor';
import { ResourceError } from '../../src/engine/api';
import { outputElementBound, TensorSizeError } from '../../src/runtime/sizeGuard';
import { MemoryBudget } from '../../src/runtime/memoryBudget';
import { useTestBackend } from '../helpers/backend';
import { GraphBuilder } from '../helpers/graphs';
import { singleNodeGraph, type GradCheckInput } from '../helpers/gradcheck';
import { f32, i32, runOp, tensorConst } from '../ops/runOp';

/** Runs one node with a per-tensor element limit; inputs given as feeds or constants. */
function runLimited(op: string, inputs: readonly GradCheckInput[], attrs: Attributes, limit: number): tf.Tensor | Error {
  const graph = singleNodeGraph(op, attrs, inputs);
  const exec = new Executor(graph, limit);
  const feeds = new Map<string, tf.Tensor>();
  inputs.forEach((inp, i) => inp.value && feeds.set(`in${i}`, inp.value));
  try {
    const acts = exec.forward(feeds);
    const out = acts.get('out0')!.clone();
    exec.disposeActivations(acts, feeds);
    return out;
  } catch (e) {
    return e as Error;
  } finally {
    exec.dispose();
  }
}

const intC = (values: number[]): GradCheckInput => ({ constant: { dtype: 'int32', shape: [values.length], data: Int32Array.from(values) } });
const floatC = (values: number[]): GradCheckInput => ({ constant: { dtype: 'float32', shape: [values.length], data: Float32Array.from(values) } });

describe('size guard', () => {
  before(async () => {
    await useTestBackend();
  });

  const hostile: [string, string, () => GradCheckInput[], Attributes][] = [
    ['Expand to [1e6, 1e6]', 'Expand', () => [{ value: f32([1]) }, intC([1_000_000, 1_000_000])], {}],
    ['Tile by 1e9 on both axes', 'Tile', () => [{ value: f32([1, 2], [1, 2]) }, intC([1_000_000_000, 1_000_000_000])], {}],
    ['ConstantOfShape [2^20, 2^20]', 'ConstantOfShape', () => [intC([2 ** 20, 2 ** 20])], {}],
    ['Range over 1e12 steps', 'Range', () => [floatC([0]), floatC([1e12]), floatC([1])], {}],
    [
      'Resize by 1e5 on both spatial axes',
      'Resize',
      () => [{ value: f32([1, 2, 3, 4], [1, 1, 2, 2]) }, { omitted: true }, floatC([1, 1, 1e5, 1e5])],
      { mode: 'nearest' },
    ],
    ['Pad by 2^30 each side', 'Pad', () => [{ value: f32([1, 2, 3, 4], [2, 2]) }, intC([2 ** 30, 2 ** 30, 2 ** 30, 2 ** 30])], {}],
    ['an outer-product MatMul [1e5,1] x [1,1e5]', 'MatMul', () => [{ value: tf.zeros([100_000, 1]) }, { value: tf.zeros([1, 100_000]) }], {}],
    ['a broadcasting Add [1e5,1] + [1,1e5]', 'Add', () => [{ value: tf.zeros([100_000, 1]) }, { value: tf.zeros([1, 100_000]) }], {}],
  ];
  for (const [what, op, inputs, attrs] of hostile) {
    test(`${what} is refused before allocation, naming the node`, () => {
      const before = tf.memory().numBytes;
      const given = inputs();
      const inputBytes = tf.memory().numBytes - before;
      const result = runLimited(op, given, attrs, 2 ** 31 - 1);
      given.forEach((g) => g.value?.dispose());
      assert.ok(result instanceof TensorSizeError, `expected a TensorSizeError, got ${String(result)}`);
      assert.ok(result instanceof ResourceError, 'handled like every other memory refusal');
      assert.match(result.message, new RegExp(`node "test_${op}" \\(${op}\\)`));
      assert.equal(result.nodeName, `test_${op}`);
      assert.ok(result.elements > 2 ** 31 - 1);
      assert.ok(inputBytes < 1e8, 'the test inputs themselves are small');
      assert.equal(tf.memory().numBytes, before, 'nothing left allocated');
    });
  }

  test('the limit follows the memory limit: a 4x5 output is refused under a 10-element cap, allowed under 20', () => {
    const make = (): GradCheckInput[] => [{ value: f32([1, 2, 3, 4], [4, 1]) }, intC([4, 5])];
    const refused = runLimited('Expand', make(), {}, 10);
    assert.ok(refused instanceof TensorSizeError);
    assert.equal(refused.elements, 20);
    const ok = runLimited('Expand', make(), {}, 20);
    assert.ok(ok instanceof tf.Tensor, String(ok));
    assert.deepEqual(ok.shape, [4, 5]);
    ok.dispose();
  });

  // The bound must never be below the real output size, or honest models would be refused;
  // and it should not be wildly loose either (a loose bound refuses models that would fit).
  const honest: [string, string, () => (tf.Tensor | null)[], Attributes][] = [
    [
      'Conv with pads and stride',
      'Conv',
      () => [tf.randomNormal([2, 3, 7, 6], 0, 1, 'float32', 1), tf.randomNormal([4, 3, 3, 3], 0, 1, 'float32', 2)],
      { pads: [1, 2, 1, 0], strides: [2, 1] },
    ],
    [
      'channels-last Conv',
      'Conv',
      () => [tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 1), tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 2)],
      { channelsLast: true, pads: [1, 1, 1, 1] },
    ],
    [
      'ConvTranspose stride 2 with output_padding',
      'ConvTranspose',
      () => [tf.randomNormal([1, 2, 4, 5], 0, 1, 'float32', 1), tf.randomNormal([2, 3, 3, 3], 0, 1, 'float32', 2)],
      { strides: [2, 2], output_padding: [1, 1] },
    ],
    [
      'grouped ConvTranspose',
      'ConvTranspose',
      () => [tf.randomNormal([1, 4, 3, 3], 0, 1, 'float32', 1), tf.randomNormal([4, 3, 2, 2], 0, 1, 'float32', 2)],
      { group: 2, strides: [3, 3] },
    ],
    ['MaxPool with pads', 'MaxPool', () => [tf.randomNormal([1, 2, 5, 5], 0, 1, 'float32', 1)], { kernel_shape: [2, 2], pads: [1, 1, 1, 1] }],
    ['Gemm transposed', 'Gemm', () => [tf.randomNormal([3, 4], 0, 1, 'float32', 1), tf.randomNormal([5, 3], 0, 1, 'float32', 2)], { transA: 1, transB: 1 }],
    ['batched MatMul', 'MatMul', () => [tf.randomNormal([2, 1, 3, 4], 0, 1, 'float32', 1), tf.randomNormal([5, 4, 6], 0, 1, 'float32', 2)], {}],
    ['Gather axis 1', 'Gather', () => [tf.randomNormal([3, 4, 2], 0, 1, 'float32', 1), i32([0, 3, 1, 1, 2, 0], [2, 3])], { axis: 1 }],
    ['Where broadcasting', 'Where', () => [tf.tensor([1, 0, 1], [3, 1], 'bool'), tf.randomNormal([1, 4], 0, 1, 'float32', 1), f32([2])], {}],
  ];
  for (const [what, op, inputs, attrs] of honest) {
    test(`${what}: the bound is not below the real output`, () => {
      const given = inputs();
      const real = runOp(op, given, attrs)[0];
      const elements = real.shape.reduce((a, b) => a * b, 1);
      const graph = singleNodeGraph(
        op,
        attrs,
        given.map((t) => (t === null ? { omitted: true } : { value: t })),
      );
      const exec = new Executor(graph);
      const bound = outputElementBound(
        graph.nodes[0],
        given.map((t) => t ?? undefined),
        exec,
      );
      exec.dispose();
      given.forEach((t) => t?.dispose());
      assert.ok(bound !== undefined, `${op} has a bound`);
      assert.ok(bound.elements >= elements, `bound ${bound.elements} below the real ${elements} (${real.shape.join('x')})`);
      assert.ok(bound.elements <= 3 * elements, `bound ${bound.elements} more than 3x the real ${elements}`);
    });
  }

  test('a tiled constant input is checked too (constants are read, not only feeds)', () => {
    const x = tensorConst(f32([1, 2], [1, 2]));
    const result = runLimited('Tile', [{ constant: x }, intC([3, 4])], {}, 23);
    assert.ok(result instanceof TensorSizeError);
    assert.equal(result.elements, 24);
  });
});

describe('live activations against the memory budget', () => {
  before(async () => {
    await useTestBackend();
  });

  /** x [1] expanded `count` times, each to `elements` values, all kept by the forward pass, then summed. */
  function expands(count: number, elements: number): Graph {
    const b = new GraphBuilder('x', [1]);
    const shape = b.constant(new Float32Array(0), [0], 'shape');
    const outs: string[] = [];
    for (let i = 0; i < count; i++) outs.push(b.node('Expand', ['x', shape], {}, `expand${i}`));
    const y = b.node('Sum', outs, {}, 'sum');
    const { graph } = b.build(y);
    return { ...graph, constants: new Map([[shape, { dtype: 'int32', shape: [1], data: Int32Array.of(elements) }]]) };
  }

  test('twenty Expands each under the per-tensor bound are refused together, naming the node that passes the limit', () => {
    const limitBytes = 16 * 1024 ** 2;
    const budget = new MemoryBudget(limitBytes);
    // 2^20 elements (4 MB) each: a quarter of the per-tensor bound; twenty take 80 MB.
    const exec = new Executor(expands(20, 2 ** 20), limitBytes / 4, budget);
    const feeds = new Map([['x', tf.tensor1d([1])]]);
    const before = tf.memory().numBytes;
    try {
      assert.throws(
        () => exec.forward(feeds),
        (e: unknown) =>
          e instanceof ResourceError &&
          /node "expand3" \(Expand\): its output would take 4\.0 MB on top of 12 MB already held, over the memory limit of 16 MB/.test(e.message),
      );
      assert.equal(tf.memory().numBytes, before, 'what the pass allocated is freed');
      assert.equal(budget.usedBytes, 4, 'only the constant stays charged (the pass released its activations)');
    } finally {
      exec.dispose();
      feeds.get('x')!.dispose();
    }
    assert.equal(budget.usedBytes, 0);
  });

  test('the same graph runs under a limit that holds it, and its activations are released after', () => {
    const budget = new MemoryBudget(128 * 1024 ** 2);
    const exec = new Executor(expands(20, 2 ** 20), 2 ** 31 - 1, budget);
    const feeds = new Map([['x', tf.tensor1d([1])]]);
    try {
      const acts = exec.forward(feeds);
      // 20 Expands and their sum, 4 MB each, the input and the shape constant.
      assert.equal(budget.usedBytes, 21 * 4 * 2 ** 20 + 4 + 4);
      exec.disposeActivations(acts, feeds);
      assert.equal(budget.usedBytes, 4);
    } finally {
      exec.dispose();
      feeds.get('x')!.dispose();
    }
  });
});
