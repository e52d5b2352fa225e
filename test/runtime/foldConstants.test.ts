/**
 * Constants folded before ONNX Runtime sees a model (src/runtime/foldConstants.ts) and the
 * one transpose of constant arrays (src/graph/constants.ts): the folded model computes what
 * the original computes, shared folds become one initializer, and what must stay a node does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transposeConst, transposeValues } from '../../src/graph/constants';
import { foldConstants } from '../../src/runtime/foldConstants';
import { encodeModel, type ModelSpec } from '../../src/runtime/ortModel';
import { loadOnnxRuntime, sessionOptions } from '../../src/runtime/ortSession';

/** numpy.transpose by definition: out[i...] = x[i permuted back...]. */
function naiveTranspose(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides: number[] = [];
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let k = 0; k < out.length; k++) {
    out[k] = data[index.reduce((src, v, d) => src + v * inStrides[perm[d]], 0)];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

test('transposeConst permutes like numpy.transpose, over tile edges and size-1 axes', () => {
  const cases: [number[], number[]][] = [
    [
      [2, 3, 4],
      [2, 0, 1],
    ],
    [
      [3, 3, 70, 40],
      [3, 2, 0, 1],
    ],
    [
      [5, 7],
      [1, 0],
    ],
    [
      [2, 3, 4, 5],
      [0, 2, 3, 1],
    ],
    [
      [4, 1, 33, 2],
      [2, 3, 1, 0],
    ],
    [
      [40, 2, 36],
      [2, 1, 0],
    ],
    [
      [3, 3, 2, 5],
      [0, 1, 3, 2],
    ],
    [
      [2, 35, 3],
      [1, 0, 2],
    ],
  ];
  for (const [shape, perm] of cases) {
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i);
    const t = transposeConst({ dtype: 'float32', shape, data }, perm);
    assert.deepEqual(
      t.shape,
      perm.map((p) => shape[p]),
    );
    assert.deepEqual(Array.from(t.data), Array.from(naiveTranspose(data, shape, perm)), `${shape} by ${perm}`);
  }
  const ints = Int32Array.from([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(transposeConst({ dtype: 'int32', shape: [2, 3], data: ints }, [1, 0]).data), [1, 4, 2, 5, 3, 6]);
});

test('a kernel made channels-last is found channels-first again without a copy, and a transpose is computed once', () => {
  const oihw = Float32Array.from({ length: 4 * 3 * 2 * 2 }, (_, i) => i);
  const hwio = transposeConst({ dtype: 'float32', shape: [4, 3, 2, 2], data: oihw }, [2, 3, 1, 0]);
  // What the recorded convolution asks for: [kh, kw, I, O] -> [O, I, kh, kw].
  assert.equal(transposeValues(hwio.data, hwio.shape, [3, 2, 0, 1]), oihw);
  const once = transposeValues(oihw, [4, 3, 2, 2], [1, 0, 2, 3]);
  assert.equal(transposeValues(oihw, [4, 3, 2, 2], [1, 0, 2, 3]), once);
  assert.equal(transposeValues(oihw, [4, 3, 2, 2], [0, 1, 2, 3]), oihw, 'the identity is no copy');
});

/** A convolution with a channels-last kernel, a batch-norm-like scale and a gather by int32 indices, as the recorded passes build them. */
function recordedLike(): ModelSpec {
  const kernel = Float32Array.from({ length: 3 * 3 * 2 * 4 }, (_, i) => Math.sin(i));
  const variance = Float32Array.from([0.5, 1, 2, 4]);
  const gamma = Float32Array.from([1, -1, 0.5, 2]);
  return {
    nodes: [
      { op: 'Transpose', inputs: ['x'], outputs: ['xc'], attrs: { perm: [0, 3, 1, 2] } },
      { op: 'Transpose', inputs: ['w'], outputs: ['wc'], attrs: { perm: [3, 2, 0, 1] } },
      { op: 'Conv', inputs: ['xc', 'wc'], outputs: ['yc'], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      // The same kernel transposed again by a second pass of a family.
      { op: 'Transpose', inputs: ['w'], outputs: ['wc2'], attrs: { perm: [3, 2, 0, 1] } },
      { op: 'Conv', inputs: ['xc', 'wc2'], outputs: ['yc2'], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      { op: 'Add', inputs: ['var', 'eps'], outputs: ['ve'] },
      { op: 'Sqrt', inputs: ['ve'], outputs: ['sd'] },
      { op: 'Reciprocal', inputs: ['sd'], outputs: ['inv'] },
      { op: 'Mul', inputs: ['inv', 'gamma'], outputs: ['scale'] },
      { op: 'Reshape', inputs: ['scale', 'shape'], outputs: ['scale4'] },
      { op: 'Mul', inputs: ['yc', 'scale4'], outputs: ['scaled'] },
      { op: 'Add', inputs: ['scaled', 'yc2'], outputs: ['sum'] },
      { op: 'Cast', inputs: ['idx'], outputs: ['idx64'], attrs: { to: 7 } },
      { op: 'Gather', inputs: ['sum', 'idx64'], outputs: ['picked'], attrs: { axis: 1 } },
      { op: 'Expand', inputs: ['zero', 'big'], outputs: ['zeros'] },
      { op: 'Add', inputs: ['picked', 'zeros'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', shape: [1, 5, 5, 2] }],
    outputs: [{ name: 'y', shape: [1, 4, 5, 5] }],
    initializers: [
      { name: 'w', shape: [3, 3, 2, 4], data: kernel },
      { name: 'var', shape: [4], data: variance },
      { name: 'eps', shape: [], data: Float32Array.of(1e-5) },
      { name: 'gamma', shape: [4], data: gamma },
      { name: 'shape', shape: [4], data: BigInt64Array.from([1n, 4n, 1n, 1n]), dtype: 'int64' },
      { name: 'idx', shape: [4], data: Int32Array.from([3, 2, 1, 0]), dtype: 'int32' },
      { name: 'zero', shape: [], data: Float32Array.of(0) },
      { name: 'big', shape: [4], data: BigInt64Array.from([1n, 4n, 5n, 5n]), dtype: 'int64' },
    ],
  };
}

test('the folded model has no node that reads only constants but its fills, and one initializer per distinct fold', () => {
  const folded = foldConstants(recordedLike());
  const ops = folded.nodes.map((n) => n.op);
  assert.deepEqual(ops, ['Transpose', 'Conv', 'Conv', 'Mul', 'Add', 'Gather', 'Expand', 'Add']);
  const convs = folded.nodes.filter((n) => n.op === 'Conv');
  assert.equal(convs[0].inputs[1], convs[1].inputs[1], 'both passes read one transposed kernel');
  const names = new Set(folded.initializers!.map((t) => t.name));
  for (const gone of ['w', 'var', 'gamma', 'idx']) assert.ok(!names.has(gone), `${gone} is only read by folded nodes`);
  const gathered = folded.initializers!.find((t) => t.name === folded.nodes.find((n) => n.op === 'Gather')!.inputs[1])!;
  assert.equal(gathered.dtype, 'int64');
  assert.deepEqual(Array.from(gathered.data as BigInt64Array), [3n, 2n, 1n, 0n]);
});

test('the folded model computes what ONNX Runtime computes from the original', () => {
  const ort = loadOnnxRuntime();
  const x = Float32Array.from({ length: 50 }, (_, i) => Math.cos(i * 0.7));
  const run = (spec: ModelSpec): Float32Array => {
    const session = ort.newSession(encodeModel(spec), sessionOptions(1));
    try {
      return session.run({ x: new ort.Tensor('float32', x, [1, 5, 5, 2]) }, { y: null }, {}).y.data as Float32Array;
    } finally {
      session.dispose();
    }
  };
  const original = run(recordedLike());
  const folded = run(foldConstants(recordedLike()));
  assert.equal(folded.length, 100);
  for (let i = 0; i < folded.length; i++) assert.ok(Math.abs(folded[i] - original[i]) <= 1e-6 * Math.max(1, Math.abs(original[i])), `element ${i}`);
});
