/** Readable block names from the names exporters write (PyTorch module paths, Keras layers). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel } from '../../src/loaders';
import { partitionBlocks } from '../../src/metrics/blocks';
import { referenceOutput } from '../../src/graph/queries';
import { fixtureDir } from '../helpers/fixtures';

async function names(fixture: string, file: string): Promise<string[]> {
  const { graph } = await loadModel(path.join(fixtureDir(fixture), file));
  return partitionBlocks(graph, graph.inputs[0].name, referenceOutput(graph)).blocks.map((b) => b.name);
}

test('PyTorch exports: the module that holds the block', async () => {
  assert.deepEqual(await names('resnet_cifar8', 'model.onnx'), ['stem', 'layer1', 'layer2', 'layer3', 'fc']);
  assert.deepEqual((await names('mlp_relu', 'model.onnx')).slice(0, 3), ['blocks.0', 'blocks.1', 'blocks.2']);
});

test('sub-blocks that share a layer are named by their submodule', async () => {
  assert.deepEqual(await names('tiny_transformer', 'model.onnx'), ['layers.0.attn', 'layers.0.mlp', 'layers.1.attn', 'layers.1.mlp', 'head']);
});

test('Keras layer names: their common stem', async () => {
  assert.deepEqual(await names('resnet_cifar8', 'tfjs/model.json'), ['stem', 'layer1', 'layer2', 'layer3', 'fc']);
  assert.deepEqual((await names('mlp_bn_relu', 'tfjs/model.json')).slice(0, 2), ['blocks_0', 'blocks_1']);
});
