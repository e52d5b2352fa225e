/**
 * The reference layer on real-model shapes: an old-opset Softmax (loaded as Flatten -> Softmax
 * -> Reshape) still gives the logits, and a model with several outputs says which one it used.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/loaders';
import { referenceOutput } from '../../src/graph/queries';
import { analyzeModel } from '../../src/engine/analyze';
import { referenceText } from '../../src/report/referenceText';
import { reportFieldProblem } from '../../src/report/validate';
import { parseArgs } from '../../src/cli/args';
import { useTestBackend } from '../helpers/backend';
import { gaussianMatrix } from '../helpers/graphs';
import { floatTensor, node, T, valueInfo, writeOnnx } from '../loaders/onnx-models';

before(async () => {
  await useTestBackend();
});

function weights(name: string, rows: number, cols: number, seed: number) {
  return floatTensor(name, [rows, cols], [...gaussianMatrix(rows, cols, seed, Math.sqrt(2 / rows))]);
}

/** A recogniser head: x [batch, 4, 8] -> W -> ReLU -> W -> logits [batch, 4, 10] -> Softmax(axis 2), at opset 11. */
function oldSoftmaxModel(): string {
  return writeOnnx({
    opset: 11,
    nodes: [
      node('MatMul', ['x', 'w1'], ['h'], {}, 'fc1'),
      node('Relu', ['h'], ['a'], {}, 'act'),
      node('MatMul', ['a', 'w2'], ['logits'], {}, 'fc2'),
      node('Softmax', ['logits'], ['probs'], { axis: 2 }, 'softmax'),
    ],
    inputs: [valueInfo('x', T.FLOAT, ['batch', 4, 8])],
    outputs: [valueInfo('probs', T.FLOAT, ['batch', 4, 10])],
    initializers: [weights('w1', 8, 16, 1), weights('w2', 16, 10, 2)],
  });
}

test('an opset-11 Softmax (Flatten, Softmax, Reshape once loaded) ends the model: GSC is taken to the logits', async () => {
  const { graph } = await loadModel(oldSoftmaxModel());
  assert.deepEqual(
    graph.nodes.map((n) => n.op),
    ['MatMul', 'Relu', 'MatMul', 'Shape', 'Flatten', 'Softmax', 'Reshape'],
    'the loader spells the coercion out',
  );
  assert.equal(referenceOutput(graph), 'logits');
});

/** Two heads from one trunk, like an age/gender model: output 0 "gender" (2 logits), output 1 "age" (softmax over 5). */
function twoHeadModel(): string {
  return writeOnnx({
    opset: 17,
    nodes: [
      node('MatMul', ['x', 'w0'], ['h'], {}, 'trunk'),
      node('Relu', ['h'], ['a'], {}, 'act'),
      node('MatMul', ['a', 'wg'], ['gender'], {}, 'gender_head'),
      node('MatMul', ['a', 'wa'], ['age_logits'], {}, 'age_head'),
      node('Softmax', ['age_logits'], ['age'], { axis: 1 }, 'age_softmax'),
    ],
    inputs: [valueInfo('x', T.FLOAT, ['batch', 8])],
    outputs: [valueInfo('gender', T.FLOAT, ['batch', 2]), valueInfo('age', T.FLOAT, ['batch', 5])],
    initializers: [weights('w0', 8, 8, 1), weights('wg', 8, 2, 2), weights('wa', 8, 5, 3)],
  });
}

test('several outputs: the report names them and the one used; outputIndex chooses another', async () => {
  const file = twoHeadModel();
  const settings = { backend: 'wasm' as const, batch: 4, probes: 4, blockMatrix: false };
  const first = await analyzeModel({ modelPath: file, settings });
  assert.equal(first.reference.tensor, 'gender');
  assert.deepEqual(first.reference.outputs, ['gender', 'age']);
  assert.equal(first.reference.outputIndex, 0);
  assert.match(referenceText(first), /^model output gender \(output 1 of 2: gender, age; --output-index chooses\)$/);

  const second = await analyzeModel({ modelPath: file, settings, outputIndex: 1 });
  assert.equal(second.reference.tensor, 'age_logits', 'the second head, before its softmax');
  assert.equal(second.reference.outputIndex, 1);
  assert.equal(reportFieldProblem(JSON.parse(JSON.stringify(second))), undefined);

  await assert.rejects(
    analyzeModel({ modelPath: file, settings, outputIndex: 2 }),
    /output index 2 does not exist: the model has 2 output\(s\) \(gender, age\)/,
  );
});

test('--output-index is parsed for analyze', () => {
  const args = parseArgs(['analyze', 'model.onnx', '--output-index', '1']);
  assert.equal(args.command === 'analyze' ? args.outputIndex : undefined, 1);
});
