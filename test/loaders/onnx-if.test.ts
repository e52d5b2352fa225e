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

/**
 * silero VAD's pattern: a sample-rate input `sr` chooses the 16 kHz or the 8 kHz network, a
 * check of the input's width chooses whether to squeeze, and a recurrent state `h` is added in;
 * the nested If reads a tensor of the outer branch. Loaded with a probe (the analysed shapes),
 * sr is fixed to 16000 and h to zeros, and both Ifs fold.
 */
function sileroLike(): string {
  const scalar = (name: string, value: number): onnx.INodeProto =>
    node('Constant', [], [name], { value: { tensor: { name, dims: [], dataType: T.INT64, int64Data: [value] } } });
  // Inner If (inside the 16 kHz branch): width == 4 ? Relu(t) : Neg(t), where t is the branch's own tensor.
  const inner: onnx.INodeProto = {
    opType: 'If',
    name: 'width_check',
    input: ['is4'],
    output: ['u'],
    attribute: [
      { name: 'then_branch', type: GRAPH, g: { name: 'relu', node: [node('Relu', ['t'], ['r'])], output: [valueInfo('r', T.FLOAT, ['batch', 4])] } },
      { name: 'else_branch', type: GRAPH, g: { name: 'neg', node: [node('Neg', ['t'], ['m'])], output: [valueInfo('m', T.FLOAT, ['batch', 4])] } },
    ],
  };
  const rate16k: onnx.IGraphProto = {
    name: 'rate16k',
    node: [
      node('Mul', ['x', 'two'], ['t']),
      node('Shape', ['t'], ['shape']),
      scalar('one', 1),
      node('Gather', ['shape', 'one'], ['width']),
      scalar('four', 4),
      node('Equal', ['width', 'four'], ['is4']),
      inner,
    ],
    output: [valueInfo('u', T.FLOAT, ['batch', 4])],
  };
  const rate8k: onnx.IGraphProto = { name: 'rate8k', node: [node('Mul', ['x', 'three'], ['v'])], output: [valueInfo('v', T.FLOAT, ['batch', 4])] };
  return writeOnnx({
    opset: 17,
    nodes: [
      scalar('k16000', 16000),
      node('Equal', ['sr', 'k16000'], ['is16k']),
      {
        opType: 'If',
        name: 'rate',
        input: ['is16k'],
        output: ['y'],
        attribute: [
          { name: 'then_branch', type: GRAPH, g: rate16k },
          { name: 'else_branch', type: GRAPH, g: rate8k },
        ],
      },
      node('ReduceSum', ['h'], ['hs'], { keepdims: 0 }),
      node('Add', ['y', 'hs'], ['out']),
    ],
    inputs: [valueInfo('x', T.FLOAT, ['batch', 'samples']), valueInfo('sr', T.INT64, []), valueInfo('h', T.FLOAT, [2, 'batch', 3])],
    outputs: [valueInfo('out', T.FLOAT, ['batch', 4])],
    initializers: [floatTensor('two', [], [2]), floatTensor('three', [], [3])],
  });
}

describe('ONNX If with a condition computed from the input shape or a fixed input', () => {
  before(useTestBackend);

  test('sr is fixed to 16000, h to zeros; both Ifs fold to the branches the probe takes', async () => {
    const graph = await loadOnnxModel(sileroLike(), { probe: { batch: 2, dims: { samples: 4 } } });
    assert.ok(!graph.nodes.some((n) => n.op === 'If'));
    assert.deepEqual(
      graph.inputs.map((i) => i.name),
      ['x'],
    );
    assert.deepEqual(graph.description.fixedInputs, [
      { name: 'sr', value: '16000' },
      { name: 'h', value: 'zeros' },
    ]);
    // 16 kHz branch (x * 2), width 4: Relu; plus the zero state.
    const x = tf.tensor([1, -2, 3, -4, 5, 0.5, -1, 2], [2, 4]);
    assert.deepEqual(Array.from(forward(graph, { x })), [2, 0, 6, 0, 10, 1, 0, 4]);
  });

  test('another width takes the other inner branch', async () => {
    const graph = await loadOnnxModel(sileroLike(), { probe: { batch: 2, dims: { samples: 3 } } });
    const x = tf.tensor([1, -2, 3, -4, 5, 0.5], [2, 3]);
    assert.deepEqual(Array.from(forward(graph, { x })), [-2, 4, -6, 8, -10, -1]);
  });

  test('without the dynamic size the If cannot be evaluated and is refused', async () => {
    await assert.rejects(
      () => loadOnnxModel(sileroLike(), { probe: { batch: 2, dims: {} } }),
      (e: unknown) => e instanceof UnsupportedOperatorError && [...e.ops.keys()].some((k) => k.startsWith('If')),
    );
  });

  test('a condition on the input values is not folded, even with a probe', async () => {
    await assert.rejects(
      () => loadOnnxModel(ifModel('computed'), { probe: { batch: 2, dims: {} } }),
      (e: unknown) => e instanceof UnsupportedOperatorError && [...e.ops.keys()].some((k) => k.startsWith('If')),
    );
  });
});
