/**
 * Weights held in JavaScript for ONNX Runtime (ops/hostValues.ts): the same array is what
 * ORT reads, a TensorFlow.js op that reads the tensor still gets its values (moved to its
 * backend on first use), and disposal frees it.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend';
import { hostValuesOf, keepHostValues, knownHostTransposes, tensorFromLazyValues, tensorFromValues } from '../../src/ops/hostValues';
import { lazyTransposeConst, transposeConst, transposeValues } from '../../src/graph/constants';
import { constToTensor } from '../../src/runtime/executor';
import type { ConstTensor } from '../../src/graph/ir';
import { adjointKernel, adjointKernelValues } from '../../src/ops/convCore';

describe('host-held weights', () => {
  before(async () => {
    await initBackend('wasm');
  });
  after(() => keepHostValues(false));

  test('while kept: the very array, off the compute backend until an op reads it', () => {
    keepHostValues(true);
    const values = Float32Array.from([1, -2, 3, -4, 5, -6]);
    const before = tf.memory().numTensors;
    const t = tensorFromValues(values, [2, 3]);
    assert.equal(hostValuesOf(t), values, 'the array itself, not a copy');
    assert.notEqual(tf.engine().state.tensorInfo.get(t.dataId)?.backend, tf.backend(), 'not on the compute backend yet');
    const summed = tf.tidy(() => tf.sum(tf.abs(t), 1));
    assert.deepEqual(Array.from(summed.dataSync()), [6, 15], 'an op of TensorFlow.js reads the values');
    assert.equal(tf.engine().state.tensorInfo.get(t.dataId)?.backend, tf.backend(), 'moved on first use');
    assert.equal(hostValuesOf(t), values, 'still known after the move');
    assert.deepEqual(Array.from(t.dataSync()), Array.from(values));
    summed.dispose();
    t.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  test('while kept, a tensor that no op reads is disposed from where it is held', () => {
    keepHostValues(true);
    const before = tf.memory().numTensors;
    const t = tensorFromValues(new Float32Array(12), [3, 4]);
    assert.deepEqual(t.shape, [3, 4]);
    t.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.ok(t.isDisposed);
  });

  test('not kept: an ordinary tensor of the compute backend, no values remembered', () => {
    keepHostValues(false);
    const t = tensorFromValues(Float32Array.from([1, 2]), [2]);
    assert.equal(hostValuesOf(t), undefined);
    assert.equal(tf.engine().state.tensorInfo.get(t.dataId)?.backend, tf.backend());
    t.dispose();
  });

  test('the adjoint kernel of a kept weight is held too, with the values of the op form', () => {
    keepHostValues(true);
    const w = tf.keep(
      tensorFromValues(
        Float32Array.from({ length: 3 * 3 * 4 * 6 }, (_, i) => Math.sin(i)),
        [3, 3, 4, 6],
      ),
    );
    try {
      const fromValues = adjointKernelValues(w, 2);
      assert.ok(hostValuesOf(fromValues) !== undefined, 'held for ONNX Runtime');
      const fromOps = adjointKernel(w, 2);
      assert.deepEqual(fromValues.shape, fromOps.shape);
      assert.deepEqual(Array.from(fromValues.dataSync()), Array.from(fromOps.dataSync()));
      fromValues.dispose();
      fromOps.dispose();
    } finally {
      w.dispose();
    }
  });

  test('a lazy weight is made only when read, once; its known transposes are there before', () => {
    keepHostValues(true);
    let makes = 0;
    const values = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const transposed = Float32Array.from([1, 4, 2, 5, 3, 6]);
    const t = tensorFromLazyValues(
      () => {
        makes++;
        return values;
      },
      [2, 3],
      new Map([['1,0', transposed]]),
    );
    try {
      assert.equal(knownHostTransposes(t).get('1,0'), transposed);
      assert.equal(makes, 0, 'not made by being created or asked for a known transpose');
      assert.equal(hostValuesOf(t), values);
      assert.equal(hostValuesOf(t), values);
      assert.equal(makes, 1, 'made once');
      const summed = tf.tidy(() => tf.sum(t, 1));
      assert.deepEqual(Array.from(summed.dataSync()), [6, 15], 'an op of TensorFlow.js reads it');
      summed.dispose();
      assert.equal(makes, 1);
    } finally {
      t.dispose();
    }
    // Read first by TensorFlow.js (moved to its backend), before any host read.
    const u = tensorFromLazyValues(() => values, [2, 3], new Map());
    assert.deepEqual(Array.from(u.dataSync()), Array.from(values));
    u.dispose();
    keepHostValues(false);
    const v = tensorFromLazyValues(() => values, [2, 3], new Map([['1,0', transposed]]));
    assert.equal(knownHostTransposes(v).size, 0, 'not kept: an ordinary tensor');
    v.dispose();
  });

  test('the adjoint of a channels-last kernel the layout pass made lazily: the same values, from the channels-first ones', () => {
    keepHostValues(true);
    // ONNX [O = 6, I/g = 4, 3, 3] with 2 groups -> TF [3, 3, 4, 6], lazily.
    const onnx: ConstTensor = { dtype: 'float32', shape: [6, 4, 3, 3], data: Float32Array.from({ length: 6 * 4 * 9 }, (_, i) => Math.cos(i)) };
    const lazy = lazyTransposeConst(onnx, [2, 3, 1, 0]);
    const w = tf.keep(constToTensor(lazy));
    const eager = tf.keep(tensorFromValues(transposeConst(onnx, [2, 3, 1, 0]).data as Float32Array, [3, 3, 4, 6]));
    try {
      const fromOnnx = adjointKernelValues(w, 2);
      const known = knownHostTransposes(fromOnnx).get('3,2,0,1');
      assert.ok(known !== undefined, 'its channels-first values are there for ONNX Runtime');
      const reference = adjointKernelValues(eager, 2);
      assert.deepEqual(fromOnnx.shape, reference.shape);
      assert.deepEqual(Array.from(known), Array.from(transposeValues(hostValuesOf(reference)!, reference.shape, [3, 2, 0, 1])));
      assert.deepEqual(Array.from(fromOnnx.dataSync()), Array.from(reference.dataSync()), 'its own layout, made when read');
      fromOnnx.dispose();
      reference.dispose();
    } finally {
      w.dispose();
      eager.dispose();
    }
  });
});
