/**
 * ONNX loader: the fixture models against their float64 reference outputs, tensor decoding
 * (every element type, int64 clamping, external data and where it may come from), graph
 * structure (names, order, shapes), and load errors that name the file and the cause.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadOnnxModel } from '../../src/loaders/onnx';
import { decodeTensorProto } from '../../src/loaders/onnx/tensor';
import { ModelLoadError, UnsupportedOperatorError } from '../../src/loaders/errors';
import { useTestBackend } from '../helpers/backend';
import { FIXTURE_NAMES, fixtureDir, loadReference } from '../helpers/fixtures';
import { forward, maxRelErr } from './tfjs-models';
import { T, encodeModel, float32Bytes, floatTensor, node, rawTensor, valueInfo, writeOnnx, type ModelSpec } from './onnx-models';

function readInput(file: string, shape: readonly number[]): tf.Tensor {
  const bytes = readFileSync(file);
  const data = new Float32Array(bytes.length / 4);
  for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(4 * i);
  return tf.tensor(data, [...shape]);
}

async function loadError(file: string): Promise<ModelLoadError> {
  try {
    await loadOnnxModel(file);
  } catch (e) {
    assert.ok(e instanceof ModelLoadError, `expected a ModelLoadError, got ${String(e)}`);
    return e;
  }
  assert.fail(`${file} loaded without error`);
}

const MODEL_FILES = [
  ...FIXTURE_NAMES.map((name) => path.join(fixtureDir(name), 'model.onnx')),
  path.join(fixtureDir('tiny_transformer'), 'model-opset17.onnx'),
];

describe('ONNX fixtures', () => {
  before(async () => {
    await useTestBackend();
  });

  for (const file of MODEL_FILES) {
    const name = path.basename(path.dirname(file));
    const label = `${name}/${path.basename(file)}`;
    test(`${label}: loads with its node names and matches the reference output`, async () => {
      const ref = loadReference(name);
      const graph = await loadOnnxModel(file);
      const opset = ref.files.onnx.find((o) => o.file === path.basename(file))!.opset;
      assert.equal(graph.description.format, 'onnx');
      assert.equal(graph.description.formatLabel, `ONNX (opset ${opset})`);
      assert.equal(graph.inputs.length, 1);
      assert.equal(graph.inputs[0].name, 'input');
      assert.equal(graph.inputs[0].shape?.[0], 'batch');
      const nodeNames = new Set(graph.nodes.map((n) => n.name));
      // reference.json names the nodes of model.onnx (the opset-17 file has other nodes).
      if (path.basename(file) === 'model.onnx') {
        // Constant nodes are folded into constants; every other node keeps its name.
        const named = ref.blocks.flatMap((b) => b.onnx_nodes).filter((n) => !/\/Constant(_\d+)?$/.test(n));
        assert.ok(named.length >= ref.blocks.length);
        for (const n of named) assert.ok(nodeNames.has(n), `node ${n}`);
      }
      const x = readInput(path.join(fixtureDir(name), ref.files.input.file), ref.files.input.shape);
      const y = forward(graph, { input: x });
      x.dispose();
      const err = maxRelErr(y, ref.output.values.flat());
      assert.ok(err < 1e-4, `${label}: output differs from the reference by ${err.toExponential(2)} (relative to its largest value)`);
    });
  }

  test('tiny_transformer at opset 17 keeps LayerNormalization as one node', async () => {
    const graph = await loadOnnxModel(path.join(fixtureDir('tiny_transformer'), 'model-opset17.onnx'));
    assert.ok(graph.nodes.some((n) => n.op === 'LayerNormalization'));
    assert.equal(graph.description.formatLabel, 'ONNX (opset 17)');
    assert.match(graph.description.producer ?? '', /\S/);
  });
});

/** A model y = x + c where c is the given initializer of shape [2]. */
function addModel(c: ReturnType<typeof floatTensor>): ModelSpec {
  return {
    nodes: [node('Add', ['x', 'c'], ['y'], {}, 'add')],
    inputs: [valueInfo('x', T.FLOAT, ['n', 2])],
    outputs: [valueInfo('y', T.FLOAT, ['n', 2])],
    initializers: [c],
  };
}

describe('ONNX tensors', () => {
  const decode = (t: Parameters<typeof decodeTensorProto>[0]) => decodeTensorProto(t, { file: '/models/m.onnx' });

  test('float16, bfloat16 and float64 become float32; small integer types become int32', () => {
    const half = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c]); // 1, -2, +inf
    assert.deepEqual([...decode(rawTensor('h', [3], T.FLOAT16, half)).data], [1, -2, Infinity]);
    assert.deepEqual([...decode({ name: 'h', dims: [2], dataType: T.FLOAT16, int32Data: [0x3800, 0x0001] }).data], [0.5, 2 ** -24]);
    assert.deepEqual([...decode(rawTensor('b', [1], T.BFLOAT16, new Uint8Array([0x80, 0x3f]))).data], [1]);
    const f64 = decode({ name: 'd', dims: [2], dataType: T.DOUBLE, doubleData: [0.1, -3] });
    assert.equal(f64.dtype, 'float32');
    assert.deepEqual([...f64.data], [Math.fround(0.1), -3]);
    const i8 = decode(rawTensor('i8', [2], T.INT8, new Uint8Array([0xff, 0x7f])));
    assert.equal(i8.dtype, 'int32');
    assert.deepEqual([...i8.data], [-1, 127]);
    assert.deepEqual([...decode(rawTensor('u8', [2], T.UINT8, new Uint8Array([0xff, 1]))).data], [255, 1]);
    assert.deepEqual([...decode(rawTensor('i16', [1], T.INT16, new Uint8Array([0x00, 0x80]))).data], [-32768]);
    const b = decode({ name: 'b', dims: [3], dataType: T.BOOL, int32Data: [1, 0, 1] });
    assert.equal(b.dtype, 'bool');
    assert.deepEqual([...b.data], [1, 0, 1]);
  });

  test('int64 narrows to int32, clamping to +-(2^31 - 1) (INT64_MAX as a Slice end)', () => {
    const raw = new Uint8Array(8 * 4);
    const view = new DataView(raw.buffer);
    [2n ** 63n - 1n, -(2n ** 63n), -5n, 2n ** 31n].forEach((v, i) => view.setBigInt64(8 * i, v, true));
    assert.deepEqual([...decode(rawTensor('ends', [4], T.INT64, raw)).data], [2 ** 31 - 1, -(2 ** 31 - 1), -5, 2 ** 31 - 1]);
    const typed = decode({ name: 'ends', dims: [3], dataType: T.INT64, int64Data: [{ low: -1, high: 0x7fffffff, unsigned: false } as never, -7, 2 ** 40] });
    assert.deepEqual([...typed.data], [2 ** 31 - 1, -7, 2 ** 31 - 1]);
  });

  test('raw initializers decoded from a file hold exactly their own values', async () => {
    // protobufjs hands raw_data over as views into one buffer: a copy must take only the view.
    const file = writeOnnx({
      nodes: [node('Add', ['a', 'b'], ['y'], {}, 'add')],
      inputs: [],
      outputs: [valueInfo('y', T.FLOAT, [3])],
      initializers: [rawTensor('a', [3], T.FLOAT, float32Bytes([1, 2, 3])), rawTensor('b', [3], T.INT32, new Uint8Array(Int32Array.of(-4, 5, 6).buffer))],
    });
    const graph = await loadOnnxModel(file);
    assert.deepEqual(graph.constants.get('a'), { dtype: 'float32', shape: [3], data: Float32Array.of(1, 2, 3) });
    assert.deepEqual(graph.constants.get('b'), { dtype: 'int32', shape: [3], data: Int32Array.of(-4, 5, 6) });
  });

  test('a scalar has shape [] and one value; an empty tensor has none', () => {
    const s = decode(floatTensor('s', [], [2.5]));
    assert.deepEqual(s.shape, []);
    assert.deepEqual([...s.data], [2.5]);
    assert.equal(decode(floatTensor('e', [0, 3], [])).data.length, 0);
  });

  test('refuses unsupported element types, wrong byte counts, negative and absurd dimensions', () => {
    const err = (t: Parameters<typeof decodeTensorProto>[0], pattern: RegExp): void => {
      assert.throws(
        () => decode(t),
        (e: unknown) => e instanceof ModelLoadError && e.file === '/models/m.onnx' && pattern.test(e.message),
      );
    };
    err({ name: 's', dims: [1], dataType: T.STRING, stringData: [new Uint8Array([65])] }, /tensor "s".*STRING is not supported/);
    err({ name: 'u', dims: [1], dataType: T.UINT64, uint64Data: [1] }, /UINT64 is not supported/);
    err(rawTensor('w', [3], T.FLOAT, new Uint8Array(8)), /raw_data holds 8 bytes.*needs 12/);
    err(floatTensor('w', [3], [1, 2]), /holds 2 values.*needs 3/);
    err(floatTensor('w', [-1, 3], []), /invalid dimension -1/);
    // 2^20 x 2^20 x 4: refused from the shape alone, nothing is allocated.
    err(floatTensor('w', [2 ** 20, 2 ** 20, 4], []), /more than 2\^31 elements/);
  });
});

describe('ONNX external data', () => {
  before(async () => {
    await useTestBackend();
  });

  const external = (location: string, extra: Record<string, string> = {}): ReturnType<typeof floatTensor> => ({
    name: 'c',
    dims: [2],
    dataType: T.FLOAT,
    dataLocation: 1,
    externalData: [{ key: 'location', value: location }, ...Object.entries(extra).map(([key, value]) => ({ key, value }))],
  });

  test('reads a tensor from a file in the model folder, at an offset', async () => {
    const bytes = new Uint8Array([...new Uint8Array(4), ...float32Bytes([10, 20])]);
    const file = writeOnnx(addModel(external('weights/data.bin', { offset: '4', length: '8' })), { 'weights/data.bin': bytes });
    const graph = await loadOnnxModel(file);
    assert.deepEqual([...graph.constants.get('c')!.data], [10, 20]);
    const y = forward(graph, { x: tf.tensor([[1, 2]]) });
    assert.deepEqual([...y], [11, 22]);
  });

  test('refuses a location that leaves the folder, even when the file exists', async () => {
    const file = writeOnnx(addModel(external('../outside.bin')), {}, 'model');
    writeFileSync(path.join(path.dirname(file), '..', 'outside.bin'), float32Bytes([1, 2]));
    const e = await loadError(file);
    assert.equal(e.file, file);
    assert.match(e.message, /outside\.bin.*outside the model's folder/);
  });

  test('refuses absolute paths, URLs and symbolic links out of the folder', async () => {
    const outside = writeOnnx(addModel(floatTensor('c', [2], [1, 2])));
    const target = path.join(path.dirname(outside), 'secret.bin');
    writeFileSync(target, float32Bytes([1, 2]));
    assert.match((await loadError(writeOnnx(addModel(external(target))))).message, /absolute path/);
    assert.match((await loadError(writeOnnx(addModel(external('https://example.com/w.bin'))))).message, /URL/);
    const linked = writeOnnx(addModel(external('link.bin')));
    symlinkSync(target, path.join(path.dirname(linked), 'link.bin'));
    assert.match((await loadError(linked)).message, /link\.bin.*link to .*secret\.bin, outside the model's folder/);
  });

  test('a missing external file names the tensor and the file', async () => {
    const file = writeOnnx(addModel(external('missing.bin')));
    const e = await loadError(file);
    assert.equal(e.file, file);
    assert.match(e.message, /tensor "c".*"missing\.bin" is missing/);
  });

  test('a short external file is named with the bytes it lacks', async () => {
    const file = writeOnnx(addModel(external('data.bin', { offset: '4' })), { 'data.bin': float32Bytes([1, 2]) });
    const e = await loadError(file);
    assert.equal(e.file, path.join(path.dirname(file), 'data.bin'));
    assert.match(e.message, /too short: needs bytes 4\.\.12, the file has 8 bytes/);
  });
});

describe('ONNX graph structure', () => {
  test('graph inputs exclude initializers; dims are numbers, names or "?"', async () => {
    const spec = addModel(floatTensor('c', [2], [1, 2]));
    const file = writeOnnx({ ...spec, inputs: [valueInfo('x', T.FLOAT, ['n', null]), valueInfo('c', T.FLOAT, [2])], outputs: [valueInfo('y', T.FLOAT, null)] });
    const graph = await loadOnnxModel(file);
    assert.deepEqual(graph.inputs, [{ name: 'x', dtype: 'float32', shape: ['n', '?'] }]);
    assert.deepEqual(graph.outputs, [{ name: 'y', dtype: 'float32', shape: null }]);
    assert.deepEqual(graph.description, { format: 'onnx', formatLabel: 'ONNX (opset 13)', producer: 'gradient-lens-test 1.0', inputLayout: 'features' });
  });

  test('nodes out of order are sorted; unnamed nodes are named after op and index', async () => {
    const file = writeOnnx({
      nodes: [node('Relu', ['a'], ['y']), node('Neg', ['x'], ['a'], {}, 'neg'), node('Abs', ['x'], ['b'])],
      inputs: [valueInfo('x', T.FLOAT, [2])],
      outputs: [valueInfo('y', T.FLOAT, [2]), valueInfo('b', T.FLOAT, [2])],
    });
    const graph = await loadOnnxModel(file);
    assert.deepEqual(
      graph.nodes.map((n) => n.name),
      ['neg', 'Relu_0', 'Abs_2'],
    );
    assert.deepEqual(
      graph.nodes.map((n) => n.origin),
      [
        { name: 'neg', sourceOp: 'Neg' },
        { name: 'Relu_0', sourceOp: 'Relu' },
        { name: 'Abs_2', sourceOp: 'Abs' },
      ],
    );
  });

  test('a cycle and a dangling input are refused, naming the node and the tensor', async () => {
    const cyclic = writeOnnx({
      nodes: [node('Relu', ['x', 'b'], ['a'], {}, 'first'), node('Neg', ['a'], ['b'], {}, 'second')],
      inputs: [valueInfo('x', T.FLOAT, [2])],
      outputs: [valueInfo('b', T.FLOAT, [2])],
    });
    assert.match((await loadError(cyclic)).message, /cycle: node "(first|second)" \((Relu|Neg)\) reads tensor "(a|b)"/);
    const dangling = writeOnnx({
      nodes: [node('Add', ['x', 'nowhere'], ['y'], {}, 'adder')],
      inputs: [valueInfo('x', T.FLOAT, [2])],
      outputs: [valueInfo('y', T.FLOAT, [2])],
    });
    assert.match(
      (await loadError(dangling)).message,
      /node "adder" \(Add\) reads tensor "nowhere", which is neither a graph input, an initializer nor the output of any node/,
    );
  });

  test('sequence and string inputs are refused by type', async () => {
    const seq = encodeModel({
      nodes: [node('Identity', ['x'], ['y'])],
      inputs: [{ name: 'x', type: { sequenceType: { elemType: { tensorType: { elemType: T.FLOAT } } } } }],
      outputs: [valueInfo('y', T.FLOAT, null)],
    });
    assert.match((await loadError(writeOnnx(seq))).message, /graph input "x" is a sequence, which is not supported/);
    const str = writeOnnx({ nodes: [node('Identity', ['x'], ['y'])], inputs: [valueInfo('x', T.STRING, [1])], outputs: [valueInfo('y', T.STRING, [1])] });
    assert.match((await loadError(str)).message, /graph input "x" has element type STRING, which is not supported/);
  });
});

describe('ONNX load errors name the file and the cause', () => {
  const goodBytes = encodeModel(addModel(floatTensor('c', [2], [1, 2])));

  test('a truncated file', async () => {
    const file = writeOnnx(goodBytes.subarray(0, goodBytes.length - 7));
    const e = await loadError(file);
    assert.equal(e.file, file);
    assert.match(e.message, /model\.onnx: not a valid ONNX model: the protobuf data is truncated or corrupt/);
  });

  test('garbage, an empty file, a missing file', async () => {
    const garbage = writeOnnx(new TextEncoder().encode('{"this is": "json, not protobuf"}'));
    assert.match((await loadError(garbage)).message, /model\.onnx: not a valid ONNX model/);
    assert.match((await loadError(writeOnnx(new Uint8Array()))).message, /model\.onnx: the file is empty/);
    const missing = path.join(path.dirname(garbage), 'nope.onnx');
    const e = await loadError(missing);
    assert.equal(e.file, missing);
    assert.match(e.message, /file not found/);
  });

  test('unsupported operators are refused together, each with its nodes', async () => {
    const file = writeOnnx({
      nodes: [
        node('TfIdfVectorizer', ['x'], ['a'], {}, 'tfidf_1'),
        node('Relu', ['a'], ['b'], {}, 'relu'),
        ...[1, 2, 3, 4, 5].map((i) => node('Frobnicate', [i === 1 ? 'b' : `f${i - 1}`], [`f${i}`], {}, `frob_${i}`, 'my.custom')),
      ],
      inputs: [valueInfo('x', T.FLOAT, [2])],
      outputs: [valueInfo('f5', T.FLOAT, [2])],
      extraOpsets: [{ domain: 'my.custom', version: 1 }],
    });
    let error: unknown;
    try {
      await loadOnnxModel(file);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof UnsupportedOperatorError, `expected UnsupportedOperatorError, got ${String(error)}`);
    assert.equal(error.name, 'ModelLoadError');
    assert.equal(error.file, file);
    assert.deepEqual([...error.ops.keys()].sort(), ['Frobnicate (domain my.custom)', 'TfIdfVectorizer']);
    assert.deepEqual(error.ops.get('Frobnicate (domain my.custom)'), ['frob_1', 'frob_2', 'frob_3', 'frob_4', 'frob_5']);
    assert.match(error.message, /TfIdfVectorizer \(1 node: "tfidf_1"\)/);
    assert.match(error.message, /Frobnicate \(domain my\.custom\) \(5 nodes: "frob_1", "frob_2", "frob_3" and 2 more\)/);
    assert.doesNotMatch(error.message, /Relu/);
  });
});
