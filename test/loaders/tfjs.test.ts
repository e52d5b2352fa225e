/**
 * TF.js loader: the fixture layers-models against their float64 reference outputs, the ONNX
 * and TF.js versions of one network against each other, load errors that name the file and
 * the cause, and dequantization of uint8/uint16/float16 weights.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadTfjsModel } from '../../src/loaders/tfjs';
import { loadOnnxModel } from '../../src/loaders/onnx';
import { halfToFloat } from '../../src/loaders/float16';
import { ModelLoadError } from '../../src/loaders/errors';
import { partitionBlocks } from '../../src/metrics/blocks';
import { useTestBackend } from '../helpers/backend';
import { FIXTURE_NAMES, fixtureDir, loadReference } from '../helpers/fixtures';
import { forward, maxRelErr, writeModel } from './tfjs-models';

function readInput(file: string, shape: readonly number[]): tf.Tensor {
  const bytes = readFileSync(file);
  const data = new Float32Array(bytes.length / 4);
  for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(4 * i);
  return tf.tensor(data, [...shape]);
}

const TFJS_FIXTURES = FIXTURE_NAMES.filter((name) => existsSync(path.join(fixtureDir(name), 'tfjs', 'model.json')));

describe('TF.js fixtures', () => {
  before(async () => {
    await useTestBackend();
  });

  test('every fixture except the transformer has a TF.js version', () => {
    assert.deepEqual([...TFJS_FIXTURES].sort(), FIXTURE_NAMES.filter((n) => n !== 'tiny_transformer').sort());
  });

  for (const name of TFJS_FIXTURES) {
    test(`${name}: loads, names its tensors after the layers, and matches the reference output`, async () => {
      const ref = loadReference(name) as ReturnType<typeof loadReference> & {
        files: { tfjs: { input_file: string; input_layer: string; output_layer: string } };
        output: { tfjs_layer: string };
        boundaries: { tfjs_layer: string | null }[];
      };
      const graph = await loadTfjsModel(path.join(fixtureDir(name), 'tfjs', 'model.json'));
      assert.equal(graph.description.format, 'tfjs-layers');
      assert.equal(graph.inputs[0].name, ref.files.tfjs.input_layer);
      assert.equal(graph.outputs[0].name, ref.output.tfjs_layer);
      const tensors = new Set([...graph.inputs.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs)]);
      for (const b of ref.boundaries) if (b.tfjs_layer !== null) assert.ok(tensors.has(b.tfjs_layer), `boundary tensor ${b.tfjs_layer}`);

      const inputShape =
        ref.files.input.nhwc_shape && ref.files.tfjs.input_file === ref.files.input.nhwc_file ? ref.files.input.nhwc_shape : ref.files.input.shape;
      if (name === 'resnet_cifar8') assert.equal(graph.description.inputLayout, 'NHWC');
      const x = readInput(path.join(fixtureDir(name), ref.files.tfjs.input_file), inputShape);
      const y = forward(graph, { [graph.inputs[0].name]: x });
      x.dispose();
      const err = maxRelErr(y, ref.output.values.flat());
      assert.ok(err < 1e-4, `${name}: output differs from the reference by ${err.toExponential(2)} (relative to its largest value)`);
    });

    test(`${name}: same block partition as the reference, by TF.js layer names`, async () => {
      const ref = loadReference(name);
      const graph = await loadTfjsModel(path.join(fixtureDir(name), 'tfjs', 'model.json'));
      const partition = partitionBlocks(graph, graph.inputs[0].name, graph.outputs[0].name);
      assert.deepEqual(
        partition.blocks.map((b) => [b.inputTensor, b.outputTensor]),
        ref.blocks.map((b) => [b.tfjs_input, b.tfjs_output]),
      );
    });
  }

  test('ONNX and TF.js versions of resnet_cifar8 give the same numbers', async () => {
    const dir = fixtureDir('resnet_cifar8');
    const ref = loadReference('resnet_cifar8');
    const onnx = await loadOnnxModel(path.join(dir, 'model.onnx'));
    const layers = await loadTfjsModel(path.join(dir, 'tfjs', 'model.json'));
    const xNchw = readInput(path.join(dir, 'input.bin'), ref.files.input.shape);
    const xNhwc = readInput(path.join(dir, ref.files.input.nhwc_file!), ref.files.input.nhwc_shape!);
    const a = forward(onnx, { [onnx.inputs[0].name]: xNchw });
    const b = forward(layers, { [layers.inputs[0].name]: xNhwc });
    tf.dispose([xNchw, xNhwc]);
    assert.ok(maxRelErr(b, a) < 1e-5, `ONNX vs TF.js: ${maxRelErr(b, a)}`);
  });
});

/** A Sequential Dense(4 -> 3) model; `manifest` overrides its weightsManifest. */
function denseModel(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [{ class_name: 'Dense', config: { name: 'dense', units: 3, activation: 'linear', use_bias: true, batch_input_shape: [null, 4] } }],
      },
    },
    ...extra,
  };
}

const DENSE_MANIFEST = (paths: string[], dtype = 'float32'): unknown[] => [
  {
    paths,
    weights: [
      { name: 'dense/kernel', shape: [4, 3], dtype },
      { name: 'dense/bias', shape: [3], dtype: 'float32' },
    ],
  },
];

async function loadError(file: string): Promise<ModelLoadError> {
  try {
    await loadTfjsModel(file);
  } catch (e) {
    assert.ok(e instanceof ModelLoadError, `expected a ModelLoadError, got ${String(e)}`);
    return e;
  }
  assert.fail(`${file} loaded without error`);
}

describe('TF.js load errors name the file and the cause', () => {
  const fullBytes = Buffer.alloc(4 * 15, 1);

  test('missing weight file', async () => {
    const file = writeModel(denseModel({ weightsManifest: DENSE_MANIFEST(['group1-shard1of1.bin']) }));
    const e = await loadError(file);
    assert.match(e.message, /group1-shard1of1\.bin/);
    assert.match(e.message, /missing/);
  });

  test('truncated weight file', async () => {
    const file = writeModel(denseModel({ weightsManifest: DENSE_MANIFEST(['w.bin']) }), [], { 'w.bin': fullBytes.subarray(0, 40) });
    const e = await loadError(file);
    assert.match(e.message, /w\.bin/);
    assert.match(e.message, /truncated/);
  });

  test('truncated second shard of two', async () => {
    const file = writeModel(denseModel({ weightsManifest: DENSE_MANIFEST(['a.bin', 'b.bin']) }), [], {
      'a.bin': fullBytes.subarray(0, 32),
      'b.bin': fullBytes.subarray(0, 20),
    });
    const e = await loadError(file);
    assert.match(e.message, /b\.bin/);
    assert.match(e.message, /truncated/);
  });

  test('byte count that does not match the manifest', async () => {
    const file = writeModel(denseModel({ weightsManifest: DENSE_MANIFEST(['w.bin']) }), [], { 'w.bin': Buffer.alloc(4 * 16) });
    const e = await loadError(file);
    assert.match(e.message, /w\.bin/);
    assert.match(e.message, /64 bytes.*60|does not match/);
  });

  test('unknown dtype', async () => {
    const file = writeModel(denseModel({ weightsManifest: DENSE_MANIFEST(['w.bin'], 'float64') }), [], { 'w.bin': fullBytes });
    const e = await loadError(file);
    assert.match(e.message, /model\.json/);
    assert.match(e.message, /unknown dtype "float64"/);
  });

  test('unknown quantization dtype', async () => {
    const manifest = [
      { paths: ['w.bin'], weights: [{ name: 'dense/kernel', shape: [4, 3], dtype: 'float32', quantization: { dtype: 'int4', scale: 1, min: 0 } }] },
    ];
    const file = writeModel(denseModel({ weightsManifest: manifest }), [], { 'w.bin': fullBytes });
    const e = await loadError(file);
    assert.match(e.message, /model\.json/);
    assert.match(e.message, /quantization dtype "int4"/);
  });

  test('a weight path that leaves the model folder', async () => {
    const file = writeModel(denseModel({ weightsManifest: DENSE_MANIFEST(['../outside.bin']) }));
    writeFileSync(path.join(path.dirname(file), '..', 'outside.bin'), fullBytes);
    const e = await loadError(file);
    assert.match(e.message, /outside\.bin/);
  });

  test('Lambda and custom layers are refused by class and name', async () => {
    const json = {
      format: 'layers-model',
      modelTopology: {
        class_name: 'Sequential',
        config: {
          layers: [
            { class_name: 'Dense', config: { name: 'dense', units: 3, batch_input_shape: [null, 4], use_bias: false } },
            { class_name: 'Lambda', config: { name: 'my_lambda', function: 'lambda x: x' } },
            { class_name: 'MyCustomLayer', config: { name: 'custom_1' } },
          ],
        },
      },
    };
    const e = await loadError(writeModel(json));
    assert.match(e.message, /model\.json/);
    assert.match(e.message, /Lambda \(layer "my_lambda"\)/);
    assert.match(e.message, /never run/);
    assert.match(e.message, /MyCustomLayer \(layer "custom_1"\)/);
  });

  test('recurrent layers are refused clearly', async () => {
    const json = {
      modelTopology: {
        class_name: 'Sequential',
        config: { layers: [{ class_name: 'LSTM', config: { name: 'lstm_1', units: 4, batch_input_shape: [null, 5, 3] } }] },
      },
    };
    const e = await loadError(writeModel(json));
    assert.match(e.message, /LSTM \(layer "lstm_1"\): recurrent layers are not supported/);
  });

  test('a bare weights manifest', async () => {
    const e = await loadError(writeModel(DENSE_MANIFEST(['w.bin'])));
    assert.match(e.message, /model\.json/);
    assert.match(e.message, /bare weights manifest/);
  });

  test('a model.json that is neither format', async () => {
    const e = await loadError(writeModel({ weightsManifest: DENSE_MANIFEST(['w.bin']) }));
    assert.match(e.message, /neither a TensorFlow\.js layers-model nor a graph-model/);
  });

  test('a missing model.json', async () => {
    const e = await loadError('/nonexistent/dir/model.json');
    assert.match(e.message, /\/nonexistent\/dir\/model\.json/);
  });

  test('an unsupported graph-model op names every op and node', async () => {
    const json = {
      format: 'graph-model',
      modelTopology: {
        node: [
          { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '4' }] } } } },
          { name: 'a', op: 'Cumprod', input: ['x'] },
          { name: 'b', op: 'Cumprod', input: ['a'] },
          { name: 'c', op: 'TopKV2', input: ['b'] },
        ],
      },
    };
    const e = await loadError(writeModel(json));
    assert.match(e.message, /Cumprod at "b", "a"|Cumprod at "a", "b"/);
    assert.match(e.message, /TopKV2 at "c"/);
  });
});

describe('TF.js quantized weights', () => {
  before(async () => {
    await useTestBackend();
  });

  const kernel = [0.5, -1, 2, 0.25, 1.5, -0.75, 0, 3, -2, 1, -0.5, 0.125];

  test('float16 decoding is exact', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x3555), 0.333251953125);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x7c00), Infinity);
  });

  for (const q of ['uint8', 'uint16', 'float16'] as const) {
    test(`${q} weights are dequantized (value = q * scale + min) and used in the forward pass`, async () => {
      const scale = 0.125;
      const min = -2;
      const codes = kernel.map((v) => (v - min) / scale);
      let bytes: Buffer;
      const quantization: Record<string, unknown> = { dtype: q };
      if (q === 'uint8') {
        bytes = Buffer.from(codes);
        Object.assign(quantization, { scale, min });
      } else if (q === 'uint16') {
        bytes = Buffer.alloc(2 * codes.length);
        codes.forEach((c, i) => bytes.writeUInt16LE(c * 257, 2 * i));
        Object.assign(quantization, { scale: scale / 257, min });
      } else {
        // Half-precision encodings of the kernel values (all exactly representable).
        const half = (v: number): number => {
          if (v === 0) return 0;
          const sign = v < 0 ? 0x8000 : 0;
          const e = Math.floor(Math.log2(Math.abs(v)));
          return sign | ((e + 15) << 10) | Math.round((Math.abs(v) / 2 ** e - 1) * 1024);
        };
        bytes = Buffer.alloc(2 * kernel.length);
        kernel.forEach((v, i) => bytes.writeUInt16LE(half(v), 2 * i));
      }
      const bias = Buffer.alloc(12);
      [0.1, -0.2, 0.3].forEach((v, i) => bias.writeFloatLE(v, 4 * i));
      const manifest = [
        {
          paths: ['w.bin'],
          weights: [
            { name: 'dense/kernel', shape: [4, 3], dtype: 'float32', quantization },
            { name: 'dense/bias', shape: [3], dtype: 'float32' },
          ],
        },
      ];
      const file = writeModel(denseModel({ weightsManifest: manifest }), [], { 'w.bin': Buffer.concat([bytes, bias]) });
      const graph = await loadTfjsModel(file);
      const k = graph.constants.get('dense/kernel')!;
      assert.deepEqual(
        Array.from(k.data).map((v) => Math.round(v * 1e6) / 1e6),
        kernel,
      );
      const x = tf.tensor2d([[1, 2, 3, 4]]);
      const y = forward(graph, { [graph.inputs[0].name]: x });
      x.dispose();
      const expected = [0, 1, 2].map((j) => [1, 2, 3, 4].reduce((s, xi, i) => s + xi * kernel[3 * i + j], 0) + [0.1, -0.2, 0.3][j]);
      assert.ok(maxRelErr(y, expected) < 1e-6, `${Array.from(y)} vs ${expected}`);
    });
  }

  test('sharded weights: one group split over two files in order', async () => {
    const all = Buffer.alloc(4 * 15);
    const values = [...kernel, 0.1, -0.2, 0.3];
    values.forEach((v, i) => all.writeFloatLE(v, 4 * i));
    const file = writeModel(denseModel({ weightsManifest: DENSE_MANIFEST(['part-a', 'part-b']) }), [], {
      'part-a': all.subarray(0, 28),
      'part-b': all.subarray(28),
    });
    const graph = await loadTfjsModel(file);
    assert.deepEqual(Array.from(graph.constants.get('dense/kernel')!.data), Array.from(Float32Array.from(kernel)));
    assert.deepEqual(Array.from(graph.constants.get('dense/bias')!.data), Array.from(Float32Array.from([0.1, -0.2, 0.3])));
  });
});
