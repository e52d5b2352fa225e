/**
 * ONNX If with a constant condition: the taken branch is inlined at load time (names produced
 * inside it renamed, outer names kept); an If with a computed condition is refused by name.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { onnx } from 'onnx-proto';
import { loadOnnxModel } from '../../src/loaders/onnx';
import { UnsupportedOperatorError } from '../../src/loaders/errors';
import { useTestBackend } from '../helpers/backend';
import { forward } from './tfjs-models';
import { floatTensor, node, T, valueInfo, writeOnnx } from './onnx-models';

const GRAPH = onnx.AttributeProto.AttributeType.GRAPH;

/** Both branches produce a tensor named "h", as the outer graph does: renaming keeps them apart. */
function branch(op: 'Mul' | 'Add', operand: string): onnx.IGraphProto {
  return {
    name: op,
    node: [node(op, ['x', operand], ['h'])],
    output: [valueInfo('h', T.FLOAT, [2, 3])],
    initializer: [],
  };
}

function ifModel(condition: 'constant-true' | 'initializer-false' | 'computed'): string {
  const cond =
    condition === 'constant-true'
      ? [node('Constant', [], ['c'], { value: { tensor: { name: 'c', dims: [], dataType: T.BOOL, int32Data: [1] } } })]
      : condition === 'computed'
        ? [node('ReduceSum', ['x'], ['s'], { keepdims: 0 }), node('Greater', ['s', 'zero'], ['c'])]
        : [];
  const ifNode: onnx.INodeProto = {
    opType: 'If',
    name: 'choose',
    input: ['c'],
    output: ['z'],
    attribute: [
      { name: 'then_branch', type: GRAPH, g: branch('Mul', 'w') },
      { name: 'else_branch', type: GRAPH, g: branch('Add', 'one') },
    ],
  };
  const initializers = [floatTensor('w', [3], [2, -1, 0.5]), floatTensor('one', [], [1]), floatTensor('zero', [], [0])];
  if (condition === 'initializer-false') initializers.push({ name: 'c', dims: [], dataType: T.BOOL, int32Data: [0] });
  return writeOnnx({
    opset: 17,
    nodes: [...cond, ifNode, node('Relu', ['z'], ['h'])],
    inputs: [valueInfo('x', T.FLOAT, ['batch', 3])],
    outputs: [valueInfo('h', T.FLOAT, ['batch', 3])],
    initializers,
  });
}

describe('ONNX If with a constant condition', () => {
  before(useTestBackend);
  const x = (): tf.Tensor => tf.tensor([1, -2, 3, -4, 5, 0.5], [2, 3]);

  test('a Constant true condition: the then branch, inlined', async () => {
    const graph = await loadOnnxModel(ifModel('constant-true'));
    assert.ok(!graph.nodes.some((n) => n.op === 'If'));
    assert.deepEqual(Array.from(forward(graph, { x: x() })), [2, 2, 1.5, 0, 0, 0.25]);
  });

  test('an initializer false condition: the else branch', async () => {
    const graph = await loadOnnxModel(ifModel('initializer-false'));
    assert.deepEqual(Array.from(forward(graph, { x: x() })), [2, 0, 4, 0, 6, 1.5]);
  });

  test('a computed condition is refused, naming If', async () => {
    await assert.rejects(
      () => loadOnnxModel(ifModel('computed')),
      (e: unknown) => e instanceof UnsupportedOperatorError && [...e.ops.keys()].some((k) => k.startsWith('If')),
    );
  });
});
