/**
 * An integer image input used only through a Cast to float (movenet's int32 pixels) is analysed
 * from the Cast, with a note, and gives the numbers of the same network with a float input.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeGraph } from '../../src/engine/analyze';
import { analyseFromIntegerCast } from '../../src/engine/integerImage';
import type { LoadedModel } from '../../src/loaders';
import type { AnalysisReport } from '../../src/report/schema';
import { useTestBackend } from '../helpers/backend';
import { GraphBuilder, gaussianMatrix } from '../helpers/graphs';

before(async () => {
  await useTestBackend();
});

/** x -> [Cast] -> W -> ReLU -> W -> ReLU -> readout, x declared `dtype`. */
function pixelModel(dtype: 'int32' | 'float32', cast: boolean): LoadedModel {
  const b = new GraphBuilder('x', ['batch', 6]);
  let t = cast ? b.node('Cast', ['x'], { to: 'float32' }) : 'x';
  for (let i = 0; i < 2; i++) t = b.node('Relu', [b.node('MatMul', [t, b.constant(gaussianMatrix(6, 6, i + 1, Math.sqrt(2 / 6)), [6, 6])])]);
  const model = b.build(b.node('MatMul', [t, b.constant(gaussianMatrix(6, 3, 7, 0.5), [6, 3])]));
  return { ...model, graph: { ...model.graph, inputs: model.graph.inputs.map((i) => ({ ...i, dtype })) } };
}

function run(model: LoadedModel): Promise<AnalysisReport> {
  return analyzeGraph(model, { modelPath: 'test-graph', settings: { backend: 'wasm', batch: 4, exact: 'on', blockMatrix: false } });
}

test('an int32 input cast to float: analysed from the cast, with a note, same numbers as a float input', async () => {
  const report = await run(pixelModel('int32', true));
  const note = report.warnings.find((w) => w.code === 'input' && /is int32 and only cast to float/.test(w.message));
  assert.ok(note, report.warnings.map((w) => w.message).join('; '));
  const float = await run(pixelModel('float32', false));
  assert.equal(report.blocks.length, float.blocks.length);
  for (let k = 0; k < report.boundaries.length; k++) {
    const a = report.boundaries[k].gscToOutput.value;
    const b = float.boundaries[k].gscToOutput.value;
    assert.ok(Math.abs(a - b) <= 1e-6 * b, `boundary ${k}: ${a} vs ${b}`);
  }
});

test('an integer input used otherwise than through a Cast to float is not rewritten', () => {
  const b = new GraphBuilder('x', ['batch', 6]);
  const looked = b.node('Gather', [b.constant(gaussianMatrix(10, 4, 1, 1), [10, 4]), 'x'], { axis: 0 });
  const model = b.build(b.node('Cast', ['x'], { to: 'float32' }) && looked);
  const graph = { ...model.graph, inputs: model.graph.inputs.map((i) => ({ ...i, dtype: 'int32' as const })) };
  assert.equal(analyseFromIntegerCast(graph), undefined);
  assert.equal(analyseFromIntegerCast(pixelModel('float32', true).graph), undefined, 'a float input is left alone');
});
