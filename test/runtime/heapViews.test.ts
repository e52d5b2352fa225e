/**
 * ONNX Runtime reading and writing wasm tensors in place (src/runtime/heapViews.ts): a wasm
 * tensor is fed as a view of the wasm memory, not a copy; ORT's output lands in a tensor
 * allocated on the heap; a host-held weight is fed as its own array.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend';
import { heapOutput, valuesForRun } from '../../src/runtime/heapViews';
import { keepHostValues, tensorFromValues } from '../../src/ops/hostValues';
import { encodeModel } from '../../src/runtime/ortModel';
import { loadOnnxRuntime, sessionOptions } from '../../src/runtime/ortSession';

before(async () => {
  await initBackend('wasm');
});

test('a wasm tensor is fed as a view of the wasm memory', () => {
  const t = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const view = valuesForRun(t);
  assert.deepEqual(Array.from(view), [1, 2, 3, 4, 5, 6]);
  // A view: its buffer is the whole wasm memory, far larger than the six values.
  assert.ok(view.buffer.byteLength > 1 << 20, `buffer of ${view.buffer.byteLength} bytes`);
  assert.notEqual(view.buffer, t.dataSync().buffer, 'dataSync is a copy, the view is not');
  t.dispose();
});

test('a host-held weight is fed as its own array', () => {
  keepHostValues(true);
  try {
    const values = Float32Array.from([1, -2, 3]);
    const w = tensorFromValues(values, [3]);
    assert.equal(valuesForRun(w), values);
    w.dispose();
  } finally {
    keepHostValues(false);
  }
});

test('ONNX Runtime writes its output into a tensor on the wasm heap', () => {
  const ort = loadOnnxRuntime();
  const spec = { nodes: [{ op: 'Mul', inputs: ['a', 'a'], outputs: ['y'] }], inputs: [{ name: 'a', shape: [2, 4] }], outputs: [{ name: 'y', shape: [2, 4] }] };
  const session = ort.newSession(encodeModel(spec), sessionOptions(1));
  const out = heapOutput([2, 4])!;
  const x = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
  try {
    assert.ok(out !== undefined, 'the active backend is a wasm heap');
    session.run({ a: new ort.Tensor('float32', valuesForRun(x), [2, 4]) }, { y: new ort.Tensor('float32', out.view(), [2, 4]) }, {});
    assert.deepEqual(Array.from(out.tensor.dataSync()), [1, 4, 9, 16, 25, 36, 49, 64]);
    assert.deepEqual(out.tensor.shape, [2, 4]);
  } finally {
    [x, out.tensor].forEach((t) => t.dispose());
    session.dispose();
  }
});
