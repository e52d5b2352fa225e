/**
 * A linear layer (MatMul of activations by a 2-D weight, Gemm with transB) must reach the
 * backend as plain 2-D products: on wasm only an unbatched, untransposed product runs on
 * XNNPACK, anything else in a loop about 10x slower (bench/scale-results.md: BERT-base's reverse
 * passes took ten times its forward pass). The kernels' calls are read from the engine, so
 * these tests hold on every backend, and fail when a product goes back to a transposed or
 * batched form. The values are checked against the plain formula as well.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../../src/graph/ir';
import { Executor } from '../../src/runtime/executor';
import { useTestBackend } from '../helpers/backend';
import { singleNodeGraph } from '../helpers/gradcheck';
import { maxRelDiff } from '../helpers/maxRelDiff';

before(async () => {
  await useTestBackend();
});

interface KernelCall {
  readonly name: string;
  readonly shapes: number[][];
  readonly attrs: Record<string, unknown>;
}

/** The kernels `run` sends to the engine (tf.matMul and tf.transpose both go through runKernel). */
function kernelCalls<T>(run: () => T): { result: T; calls: KernelCall[] } {
  const engine = tf.engine();
  const original = engine.runKernel;
  const calls: KernelCall[] = [];
  engine.runKernel = function (this: typeof engine, name, inputs, attrs) {
    const shapes = Object.values(inputs).map((t) => [...(t as tf.Tensor).shape]);
    calls.push({ name, shapes, attrs: { ...(attrs ?? {}) } });
    return original.call(this, name, inputs, attrs);
  } as typeof original;
  try {
    return { result: run(), calls };
  } finally {
    engine.runKernel = original;
  }
}

/** Products that leave XNNPACK's path on wasm: a transposed operand, or a batch of more than one. */
function slowProducts(calls: readonly KernelCall[]): KernelCall[] {
  return calls.filter(
    (c) => c.name === 'BatchMatMul' && (c.attrs.transposeA === true || c.attrs.transposeB === true || c.shapes.some((s) => s.length === 3 && s[0] > 1)),
  );
}

function seeded(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}

/** One node `op` of an input [2, 5, 6] (flattened to [10, 6] for Gemm) by a constant weight. */
function linearCase(op: 'MatMul' | 'Gemm', weightShape: number[], attrs: Attributes = {}) {
  const weight = seeded(weightShape, 2);
  const graph = singleNodeGraph(op, attrs, [
    { value: tf.zeros(op === 'Gemm' ? [10, 6] : [2, 5, 6]) },
    { constant: { dtype: 'float32', shape: weightShape, data: weight } },
  ]);
  return { graph, weight: tf.tensor(weight, weightShape) };
}

test('MatMul by a 2-D weight: forward and reverse passes are untransposed 2-D products, W^T made once', () => {
  const { graph, weight } = linearCase('MatMul', [6, 4]);
  const exec = new Executor(graph);
  const x = tf.tensor(seeded([2, 5, 6], 1), [2, 5, 6]);
  const feeds = new Map([['in0', x]]);
  try {
    const forward = kernelCalls(() => exec.forward(feeds));
    const acts = forward.result;
    assert.deepEqual(slowProducts(forward.calls), [], 'forward');
    const expectedY = tf.reshape(tf.matMul(tf.reshape(x, [10, 6]), weight), [2, 5, 4]);
    assert.ok(maxRelDiff(acts.get('out0')!, expectedY) < 1e-6);

    // Two reverse passes (the second with 3 stacked probes): the first makes W^T, the second reuses it.
    const u = tf.tensor(seeded([2, 5, 4], 3), [2, 5, 4]);
    const stacked = tf.concat([u, tf.mul(u, 2), tf.neg(u)], 0);
    const first = kernelCalls(() => exec.vjp(acts, new Map([['out0', u]]), ['in0']));
    const second = kernelCalls(() => exec.vjp(acts, new Map([['out0', stacked]]), ['in0'], undefined, 3));
    for (const pass of [first, second]) assert.deepEqual(slowProducts(pass.calls), [], 'reverse pass');
    assert.equal(first.calls.filter((c) => c.name === 'Transpose').length, 1, 'W^T is made by the first pass');
    assert.equal(second.calls.filter((c) => c.name === 'Transpose').length, 0, 'and cached for the next');

    const expectedDx = tf.reshape(tf.matMul(tf.reshape(u, [10, 4]), weight, false, true), [2, 5, 6]);
    assert.ok(maxRelDiff(first.result.get('in0')!, expectedDx) < 1e-6);
    assert.ok(maxRelDiff(tf.slice(second.result.get('in0')!, [2, 0, 0], [2, 5, 6]), tf.mul(expectedDx, 2)) < 1e-6);
    exec.disposeActivations(acts, feeds);
  } finally {
    exec.dispose();
  }
});

test('Gemm with transB (a PyTorch Linear): the forward pass multiplies by a cached B^T, the VJP by B', () => {
  const { graph, weight } = linearCase('Gemm', [4, 6], { transB: 1 });
  const exec = new Executor(graph);
  const x = tf.tensor(seeded([10, 6], 1), [10, 6]);
  const feeds = new Map([['in0', x]]);
  try {
    const forward = kernelCalls(() => exec.forward(feeds));
    const acts = forward.result;
    assert.deepEqual(slowProducts(forward.calls), []);
    assert.ok(maxRelDiff(acts.get('out0')!, tf.matMul(x, weight, false, true)) < 1e-6);
    const u = tf.tensor(seeded([10, 4], 3), [10, 4]);
    const reverse = kernelCalls(() => exec.vjp(acts, new Map([['out0', u]]), ['in0']));
    assert.deepEqual(slowProducts(reverse.calls), []);
    assert.ok(maxRelDiff(reverse.result.get('in0')!, tf.matMul(u, weight)) < 1e-6);
    exec.disposeActivations(acts, feeds);
  } finally {
    exec.dispose();
  }
});

test('Gemm without transB: the VJP multiplies by a cached B^T', () => {
  const { graph, weight } = linearCase('Gemm', [6, 4]);
  const exec = new Executor(graph);
  const x = tf.tensor(seeded([10, 6], 1), [10, 6]);
  const feeds = new Map([['in0', x]]);
  try {
    const acts = exec.forward(feeds);
    const u = tf.tensor(seeded([10, 4], 3), [10, 4]);
    const reverse = kernelCalls(() => exec.vjp(acts, new Map([['out0', u]]), ['in0']));
    assert.deepEqual(slowProducts(reverse.calls), []);
    assert.ok(maxRelDiff(reverse.result.get('in0')!, tf.matMul(u, weight, false, true)) < 1e-6);
    exec.disposeActivations(acts, feeds);
  } finally {
    exec.dispose();
  }
});
