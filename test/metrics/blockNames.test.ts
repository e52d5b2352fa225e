/** Block names from node names: the op at the end of an exporter's name goes, a layer's own name stays. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modulePathOf } from '../../src/metrics/blocks';

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
