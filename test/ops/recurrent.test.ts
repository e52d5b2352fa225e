/**
 * LSTM: the forward pass of PyTorch-exported LSTMs against PyTorch's own float64 outputs
 * (test/fixtures/lstm, made by make_lstm.py), and the VJP against finite differences, for
 * every direction, with biases, initial states and peepholes, and with a batch-1 initial state
 * broadcast over the batch (how the loader's zero state for a recurrent-state input is fed).
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadOnnxModel } from '../../src/loaders/onnx';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, randn } from '../helpers/gradcheck';
import { forward } from '../loaders/tfjs-models';
import { run1, runOp } from './runOp';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'lstm');

interface Reference {
  readonly x: number[];
  readonly xShape: number[];
  readonly y: number[];
  readonly yShape: number[];
}

describe('LSTM', () => {
  before(useTestBackend);
  const refs = JSON.parse(readFileSync(path.join(FIXTURES, 'reference.json'), 'utf8')) as Record<string, Reference>;

  for (const name of ['lstm', 'lstm_bidi']) {
    test(`${name}.onnx (PyTorch export) computes PyTorch's outputs`, async () => {
      const ref = refs[name];
      const graph = await loadOnnxModel(path.join(FIXTURES, `${name}.onnx`));
      assert.ok(graph.nodes.some((n) => n.op === 'LSTM'));
      const y = forward(graph, { x: tf.tensor(ref.x, ref.xShape, 'float32') });
      assert.equal(y.length, ref.y.length);
      ref.y.forEach((v, i) => assert.ok(Math.abs(y[i] - v) < 1e-5, `y[${i}] = ${y[i]}, PyTorch ${v}`));
    });
  }

  // X [T=4, B=3, I=2], hidden 3.
  const weights = (d: number, seed: number): tf.Tensor[] => [
    tf.mul(randn([d, 12, 2], seed), 0.5),
    tf.mul(randn([d, 12, 3], seed + 1), 0.5),
    tf.mul(randn([d, 24], seed + 2), 0.3),
  ];

  for (const direction of ['forward', 'reverse', 'bidirectional']) {
    test(`VJP matches finite differences (${direction}, biases and initial states)`, () => {
      const d = direction === 'bidirectional' ? 2 : 1;
      const [w, r, b] = weights(d, 10);
      checkVjp({
        op: 'LSTM',
        attrs: { hidden_size: 3, direction },
        inputs: [
          { value: randn([4, 3, 2], 1) },
          { value: w },
          { value: r },
          { value: b },
          { omitted: true },
          { value: randn([d, 3, 3], 2) },
          { value: randn([d, 3, 3], 3) },
        ],
        outputs: 3,
      });
    });
  }

  test('VJP matches finite differences with peepholes and layout 1', () => {
    const [w, r, b] = weights(1, 20);
    checkVjp({
      op: 'LSTM',
      attrs: { hidden_size: 3, layout: 1 },
      inputs: [
        { value: randn([3, 4, 2], 4) },
        { value: w },
        { value: r },
        { value: b },
        { omitted: true },
        { value: randn([3, 1, 3], 9) },
        { value: randn([3, 1, 3], 11) },
        { value: randn([1, 9], 5) },
      ],
      outputs: 3,
    });
  });

  test('an initial state of batch 1 is broadcast over the batch, and its VJP sums over it', () => {
    const [w, r, b] = weights(1, 30);
    const x = randn([4, 3, 2], 6);
    const h1 = randn([1, 1, 3], 7);
    const broadcast = runOp('LSTM', [x, w, r, b, null, h1], { hidden_size: 3 }, 3)[0];
    const tiled = runOp('LSTM', [x, w, r, b, null, tf.tile(h1, [1, 3, 1])], { hidden_size: 3 }, 3)[0];
    assert.deepEqual(broadcast.shape, [4, 1, 3, 3]);
    broadcast.values.forEach((v, i) => assert.ok(Math.abs(v - tiled.values[i]) < 1e-6));
    checkVjp({
      op: 'LSTM',
      attrs: { hidden_size: 3 },
      inputs: [{ value: x }, { value: w }, { value: r }, { value: b }, { omitted: true }, { value: h1 }],
      outputs: 3,
    });
  });

  test('unsupported forms are refused by name', () => {
    const [w, r] = weights(1, 40);
    assert.throws(() => run1('LSTM', [randn([2, 1, 2], 8), w, r], { hidden_size: 3, clip: 1 }), /cell clip/);
    assert.throws(() => run1('LSTM', [randn([2, 1, 2], 8), w, r], { hidden_size: 3, activations: ['Relu', 'Tanh', 'Tanh'] }), /activations/);
  });
});
