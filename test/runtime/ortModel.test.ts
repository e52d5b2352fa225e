/**
 * Models built for ONNX Runtime (src/runtime/ortModel.ts): large initializers travel as
 * in-memory external data, the very arrays, and a session built so computes what the same
 * model with the values inline computes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeModel, type ModelSpec } from '../../src/runtime/ortModel';
import { loadOnnxRuntime, sessionOptions } from '../../src/runtime/ortSession';

/** y = x @ w + b, w [k, 4] and b [4]. */
function matMulModel(k: number): { spec: ModelSpec; w: Float32Array; b: Float32Array } {
  const w = Float32Array.from({ length: k * 4 }, (_, i) => Math.sin(i) / k);
  const b = Float32Array.from([0.5, -0.25, 1, 2]);
  const spec: ModelSpec = {
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'b'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', shape: ['batch', k] }],
    outputs: [{ name: 'y', shape: ['batch', 4] }],
    initializers: [
      { name: 'w', shape: [k, 4], data: w },
      { name: 'b', shape: [4], data: b },
    ],
  };
  return { spec, w, b };
}

test('a large initializer is external data (the array itself), a small one stays inline', () => {
  const { spec, w } = matMulModel(8192);
  const encoded = encodeModel(spec);
  assert.equal(encoded.externalData.length, 1);
  assert.equal(encoded.externalData[0].data.buffer, w.buffer, 'no copy of the weights');
  assert.equal(encoded.externalData[0].data.byteLength, w.byteLength);
  assert.ok(encoded.bytes.byteLength < 4096, `model without its weights: ${encoded.bytes.byteLength} bytes`);
  assert.equal(encodeModel(matMulModel(16).spec).externalData.length, 0);
});

test('a session built with external data computes the product', () => {
  const ort = loadOnnxRuntime();
  const k = 8192;
  const { spec, w, b } = matMulModel(k);
  const session = ort.newSession(encodeModel(spec), sessionOptions(1));
  try {
    const x = Float32Array.from({ length: 2 * k }, (_, i) => Math.cos(i));
    const y = session.run({ x: new ort.Tensor('float32', x, [2, k]) }, { y: null }, {}).y.data as Float32Array;
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 4; c++) {
        let want = b[c];
        for (let i = 0; i < k; i++) want += x[r * k + i] * w[i * 4 + c];
        assert.ok(Math.abs(y[r * 4 + c] - want) <= 1e-4 * (1 + Math.abs(want)), `y[${r}, ${c}] = ${y[r * 4 + c]}, expected ${want}`);
      }
    }
  } finally {
    session.dispose();
  }
});
