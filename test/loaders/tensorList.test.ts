/**
 * The tensor listing behind the extension's "Analyze Up To Tensor…" pick list: names as
 * --output takes them, op types, declared shapes, and which tensors lie behind an op the
 * engine cannot run, for ONNX, TF.js layers and TF.js graph models, refused ones included.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { listModelTensors } from '../../src/loaders/tensorList';
import { loadModel } from '../../src/loaders';
import { repoRoot } from '../helpers/fixtures';
import { writeDetector } from './tfjs-models';
import { useTestBackend } from '../helpers/backend';

const fixture = (...parts: string[]): string => path.join(repoRoot(), 'test', 'fixtures', ...parts);

describe('listing a model file’s tensors', () => {
  // The layers fixture's weights are seeded through TensorFlow.js.
  before(useTestBackend);

  test('ONNX with value_info: op types and shapes, in graph order; every listed tensor is a valid --output', async () => {
    const file = fixture('dynamo_vit', 'model.onnx');
    const listing = await listModelTensors(file);
    assert.deepEqual(listing.inputs, [{ name: 'pixel_values', op: 'input', shape: [1, 3, 8, 8] }]);
    assert.deepEqual(listing.outputs, ['linear_8']);
    const view = listing.tensors.find((t) => t.name === 'view');
    assert.deepEqual(view, { name: 'view', op: 'Reshape', shape: [1, 16, 16] });
    assert.ok(listing.tensors.every((t) => t.blocked === undefined));
    assert.equal(listing.tensors[listing.tensors.length - 1].name, 'linear_8');
    const { graph } = await loadModel(file, { output: 'add_2' });
    assert.deepEqual(
      graph.outputs.map((o) => o.name),
      ['add_2'],
    );
  });

  test('ONNX ending in TopK: TopK and what follows are blocked, the logits before it are not', async () => {
    const listing = await listModelTensors(fixture('cut', 'model.onnx'));
    const topk = listing.tensors.filter((t) => t.op === 'TopK');
    assert.ok(topk.length > 0 && topk.every((t) => t.blocked === true));
    const logits = listing.tensors.find((t) => t.name === '/body/body.4/Gemm_output_0');
    assert.equal(logits?.blocked, undefined);
  });

  test('TF.js layers model behind a Lambda: layer names and classes, the Lambda blocked', async () => {
    const listing = await listModelTensors(writeDetector());
    assert.deepEqual(listing.inputs, [{ name: 'in', op: 'input', shape: ['?', 8] }]);
    assert.deepEqual(listing.outputs, ['decode']);
    assert.deepEqual(
      listing.tensors.map((t) => `${t.name}:${t.op}${t.blocked ? ':blocked' : ''}`),
      ['hidden:Dense', 'branch:Dense', 'merge:Add', 'logits:Dense', 'decode:Lambda:blocked', 'sq:Dense', 'sq@1:Dense'],
    );
  });

  test('a file that is no model is refused naming it', async () => {
    await assert.rejects(() => listModelTensors(fixture('dynamo_vit', 'reference.json')), /reference\.json: /);
    await assert.rejects(() => listModelTensors(fixture('dynamo_vit', 'missing.onnx')), /file not found/);
  });
});
