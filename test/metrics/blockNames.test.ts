/** Block names from node names: the op at the end of an exporter's name goes, a layer's own name stays. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { modulePathOf, partitionBlocks } from '../../src/metrics/blocks';
import { referenceOutput } from '../../src/graph/queries';
import { loadModel } from '../../src/loaders';
import { repoRoot } from '../helpers/fixtures';

test('exporter names end with the op: dropped', () => {
  assert.deepEqual(modulePathOf('/layer1/conv1/Conv', 'Conv'), ['layer1', 'conv1']);
  assert.deepEqual(modulePathOf('/layer1/relu_1/Relu', 'Relu'), ['layer1', 'relu_1']);
  assert.deepEqual(modulePathOf('model/conv2d/BiasAdd', 'BiasAdd'), ['model', 'conv2d']);
  assert.deepEqual(modulePathOf('StatefulPartitionedCall/model/conv2d/Conv2D', '_FusedConv2D'), ['StatefulPartitionedCall', 'model', 'conv2d']);
  assert.deepEqual(modulePathOf('/Add_1', 'Add'), ['Add_1']);
});

test('a nested layer name keeps its last part: two layers of one parent are not both the parent', () => {
  assert.deepEqual(modulePathOf('enc/dense_one', 'Dense'), ['enc', 'dense_one']);
  assert.deepEqual(modulePathOf('enc/dense_two', 'Dense'), ['enc', 'dense_two']);
  assert.deepEqual(modulePathOf('dense', 'Dense'), ['dense']);
});

test('dynamo-style node names ("node_linear_3") carry no module path: blocks are named by their weights\' modules', async () => {
  const { graph } = await loadModel(path.join(repoRoot(), 'test', 'fixtures', 'dynamo_vit', 'model.onnx'));
  assert.ok(graph.nodes.every((n) => n.origin.name.startsWith('node_')));
  const names = partitionBlocks(graph, graph.inputs[0].name, referenceOutput(graph)).blocks.map((b) => b.name);
  assert.deepEqual(names, ['patch_embed.proj', 'blocks.0.attn', 'blocks.0.mlp', 'blocks.1.attn', 'blocks.1.mlp', 'head']);
});
