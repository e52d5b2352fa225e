/**
 * Values kernels derive from forward activations (derivedFromActivation, e.g. a max pool's
 * arg-max) are computed once per forward pass, reused by every reverse pass over it, never
 * reused for another forward pass, and released with the activations.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { singleNodeGraph } from '../helpers/gradcheck';
import { Executor } from '../../src/runtime/executor';

describe('values derived from activations', () => {
  before(useTestBackend);

  // One 2x2 max pool over a 1x1x4x4 image: each window's cotangent goes to its maximum.
  const graph = (): ReturnType<typeof singleNodeGraph> =>
    singleNodeGraph('MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }, [{ value: tf.zeros([1, 1, 4, 4]) }]);
  const dy = [1, 2, 3, 4];

  function gradient(exec: Executor, acts: Map<string, tf.Tensor>, cotangent: number[]): number[] {
    const seed = tf.tensor(cotangent, [1, 1, 2, 2]);
    const g = exec.vjp(acts, new Map([['out0', seed]]), ['in0']);
    const values = Array.from(g.get('in0')!.dataSync());
    g.forEach((t) => t.dispose());
    seed.dispose();
    return values;
  }

  /** Where a 4x4 image has its window maxima: position (r, c) of window w gets value 10 + w. */
  function image(maxAt: readonly [number, number][]): tf.Tensor {
    const data = new Float32Array(16).map((_, i) => -i / 16);
    maxAt.forEach(([r, c], w) => (data[r * 4 + c] = 10 + w));
    return tf.tensor(data, [1, 1, 4, 4]);
  }

  test('every reverse pass over one forward pass routes to the same maxima; a new forward pass gets its own', () => {
    const g = graph();
    const before = tf.memory().numTensors;
    const exec = new Executor(g);
    const first = image([
      [0, 1],
      [1, 3],
      [2, 0],
      [3, 3],
    ]);
    let acts = exec.forward(new Map([['in0', first]]));
    const expectFirst = new Array<number>(16).fill(0);
    [
      [0, 1],
      [1, 3],
      [2, 0],
      [3, 3],
    ].forEach(([r, c], w) => (expectFirst[r * 4 + c] = dy[w]));
    assert.deepEqual(gradient(exec, acts, dy), expectFirst);
    // A second pass (cached arg-max) with another cotangent.
    assert.deepEqual(
      gradient(
        exec,
        acts,
        dy.map((v) => -2 * v),
      ),
      expectFirst.map((v) => (v === 0 ? 0 : -2 * v)),
    );
    exec.disposeActivations(acts, new Map([['in0', first]]));

    const second = image([
      [1, 0],
      [0, 2],
      [3, 1],
      [2, 2],
    ]);
    acts = exec.forward(new Map([['in0', second]]));
    const expectSecond = new Array<number>(16).fill(0);
    [
      [1, 0],
      [0, 2],
      [3, 1],
      [2, 2],
    ].forEach(([r, c], w) => (expectSecond[r * 4 + c] = dy[w]));
    assert.deepEqual(gradient(exec, acts, dy), expectSecond);
    exec.disposeActivations(acts, new Map([['in0', second]]));
    first.dispose();
    second.dispose();
    // Nothing derived outlives the activations it came from.
    assert.equal(tf.memory().numTensors, before);
    exec.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
