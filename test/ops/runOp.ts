/** Runs one op forward through the executor, for forward-value checks of the kernels. */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import type { Attributes, ConstTensor, DType } from '../../src/graph/ir';
import { Executor } from '../../src/runtime/executor';
import { singleNodeGraph } from '../helpers/gradcheck';

/** An input given as plain values: a tensor fed at run time, or omitted (null). */
export type OpInput = tf.Tensor | null;

export interface OpResult {
  readonly shape: number[];
  readonly dtype: DType;
  readonly values: number[];
}

/** Runs `op` on the given inputs (fed as feeds, not constants) and returns every output. */
export function runOp(op: string, inputs: readonly OpInput[], attrs: Attributes = {}, nOut = 1): OpResult[] {
  const graph = singleNodeGraph(
    op,
    attrs,
    inputs.map((t) => (t === null ? { omitted: true } : { value: t })),
    nOut,
  );
  const exec = new Executor(graph);
  try {
    const feeds = new Map<string, tf.Tensor>();
    inputs.forEach((t, i) => t !== null && feeds.set(`in${i}`, t));
    const acts = exec.forward(feeds);
    const results = graph.nodes[0].outputs.map((o) => {
      const t = acts.get(o)!;
      return { shape: t.shape, dtype: t.dtype as DType, values: Array.from(t.dataSync() as ArrayLike<number>) };
    });
    exec.disposeActivations(acts, feeds);
    return results;
  } finally {
    exec.dispose();
  }
}

export function run1(op: string, inputs: readonly OpInput[], attrs: Attributes = {}): OpResult {
  return runOp(op, inputs, attrs, 1)[0];
}

export function f32(values: number[], shape: number[] = [values.length]): tf.Tensor {
  return tf.tensor(values, shape, 'float32');
}

export function i32(values: number[], shape: number[] = [values.length]): tf.Tensor {
  return tf.tensor(values, shape, 'int32');
}

export function bool(values: boolean[], shape: number[] = [values.length]): tf.Tensor {
  return tf.tensor(
    values.map((v) => (v ? 1 : 0)),
    shape,
    'bool',
  );
}

export function tensorConst(t: tf.Tensor): ConstTensor {
  const data = t.dataSync();
  if (t.dtype === 'int32') return { dtype: 'int32', shape: t.shape, data: Int32Array.from(data) };
  if (t.dtype === 'bool') return { dtype: 'bool', shape: t.shape, data: Uint8Array.from(data) };
  return { dtype: 'float32', shape: t.shape, data: Float32Array.from(data) };
}

/** Asserts shape, dtype and values (floats to `tol` absolute). */
export function assertResult(r: OpResult, shape: number[], values: number[], dtype?: DType, tol = 1e-5): void {
  assert.deepEqual(r.shape, shape, `shape [${r.shape}] != [${shape}]`);
  if (dtype !== undefined) assert.equal(r.dtype, dtype);
  assert.equal(r.values.length, values.length);
  r.values.forEach((v, i) => {
    const ok = Number.isNaN(values[i]) ? Number.isNaN(v) : Math.abs(v - values[i]) <= tol * Math.max(1, Math.abs(values[i]));
    assert.ok(ok, `value ${i}: got ${v}, expected ${values[i]} (all: [${r.values}])`);
  });
}

/**
 * Distinct values 0.25 apart in a seeded order, so that the maximum of every window is
 * unique and stays put under the finite-difference step.
 */
export function spreadOut(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.25);
  let state = seed;
  for (let i = n - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [values[i], values[j]] = [values[j], values[i]];
  }
  return f32(values, shape);
}
