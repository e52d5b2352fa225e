/**
 * @upscalerjs's custom ESRGAN layers (MultiplyBeta, PixelShuffle<s>x), translated by class
 * name: a small functional model shaped like an RRDN tail (conv -> MultiplyBeta -> Add ->
 * PixelShuffle2x) against tf.mul and tf.depthToSpace computed here, plus its reverse pass; a
 * MultiplyBeta whose file says another beta is refused.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { loadTfjsModel } from '../../src/loaders/tfjs';
import { ModelLoadError } from '../../src/loaders/errors';
import { useTestBackend } from '../helpers/backend';
import { checkGraphVjp, forward, maxRelErr, seeded, writeModel } from './tfjs-models';

/**
 * input [1, 3, 3, 8] -> 1x1 conv (8 -> 8) -> MultiplyBeta -> Add(input) -> PixelShuffle2x ->
 * [1, 6, 6, 2]: two output channels, so TF's channel order (DCR) differs from ONNX's CRD.
 */
function rrdnTail(beta: number): string {
  const json = {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Model',
      config: {
        name: 'rrdn_tail',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'input_1',
            config: { name: 'input_1', batch_input_shape: [null, null, null, 8], dtype: 'float32' },
            inbound_nodes: [],
          },
          {
            class_name: 'Conv2D',
            name: 'conv',
            config: { name: 'conv', filters: 8, kernel_size: [1, 1], strides: [1, 1], padding: 'same', use_bias: false, activation: 'linear' },
            inbound_nodes: [[['input_1', 0, 0, {}]]],
          },
          {
            class_name: 'MultiplyBeta',
            name: 'multiply_beta',
            config: { name: 'multiply_beta', trainable: true, dtype: 'float32', beta },
            inbound_nodes: [[['conv', 0, 0, {}]]],
          },
          {
            class_name: 'Add',
            name: 'add',
            config: { name: 'add' },
            inbound_nodes: [
              [
                ['multiply_beta', 0, 0, {}],
                ['input_1', 0, 0, {}],
              ],
            ],
          },
          {
            class_name: 'PixelShuffle2x',
            name: 'pixel_shuffle',
            config: { name: 'pixel_shuffle', trainable: true, dtype: 'float32' },
            inbound_nodes: [[['add', 0, 0, {}]]],
          },
        ],
        input_layers: [['input_1', 0, 0]],
        output_layers: [['pixel_shuffle', 0, 0]],
      },
    },
  };
  return writeModel(json, [{ name: 'conv/kernel', shape: [1, 1, 8, 8], dtype: 'float32', values: seeded([64], 3) }]);
}

describe('@upscalerjs custom layers', () => {
  before(async () => {
    await useTestBackend();
  });

  test('MultiplyBeta is x * 0.2 and PixelShuffle2x is depthToSpace(2, NHWC)', async () => {
    const graph = await loadTfjsModel(rrdnTail(0.2));
    const x = tf.tensor4d(seeded([1, 3, 3, 8], 5), [1, 3, 3, 8]);
    const kernel = tf.tensor4d(seeded([64], 3), [1, 1, 8, 8]);
    const expected = tf.tidy(() => tf.depthToSpace(tf.add(tf.mul(tf.conv2d(x, kernel, 1, 'same'), 0.2), x) as tf.Tensor4D, 2, 'NHWC').dataSync());
    const y = forward(graph, { [graph.inputs[0].name]: x });
    assert.equal(y.length, 72);
    const err = maxRelErr(y, expected);
    assert.ok(err < 1e-5, `differs from tf.depthToSpace(x * 0.2 + x) by ${err}`);
    checkGraphVjp(graph, graph.inputs[0].name, x, 11);
    x.dispose();
    kernel.dispose();
  });

  test('a MultiplyBeta with another beta is refused, naming the layer', async () => {
    await assert.rejects(loadTfjsModel(rrdnTail(0.5)), (e: unknown) => {
      assert.ok(e instanceof ModelLoadError);
      assert.match(e.message, /multiply_beta/);
      assert.match(e.message, /beta 0\.5 differs from the 0\.2/);
      return true;
    });
  });
});
