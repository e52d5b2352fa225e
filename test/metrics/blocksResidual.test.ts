/** Residual blocks whose skip is not an identity: the skip is the path with less computation. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { partitionBlocks, type Block } from '../../src/metrics/blocks';
import { referenceOutput } from '../../src/graph/queries';
import { analyzeGraph } from '../../src/engine/analyze';
import type { LoadedModel } from '../../src/loaders';
import { useTestBackend } from '../helpers/backend';
import { blazeBlockModel, maxPoolShortcutModel } from '../helpers/blockShapes';

before(async () => {
  await useTestBackend();
});

function blocksOf({ graph }: LoadedModel): readonly Block[] {
  return partitionBlocks(graph, graph.inputs[0].name, referenceOutput(graph)).blocks;
}

function producerOp({ graph }: LoadedModel, tensor: string): string | undefined {
  return graph.nodes.find((n) => n.outputs.includes(tensor))?.op;
}

test('a MaxPool + Pad shortcut around a conv path with a ReLU inside is a residual block, the pooling its skip', () => {
  const model = maxPoolShortcutModel();
  const blocks = blocksOf(model);
  const residual = blocks.filter((b) => b.residual !== null);
  assert.equal(residual.length, 1, `blocks: ${blocks.map((b) => b.nodeIndices.map((i) => model.graph.nodes[i].op).join(' ')).join(' | ')}`);
  const r = residual[0].residual!;
  assert.equal(r.skipKind, 'projection');
  assert.equal(producerOp(model, r.skipTensor), 'Pad');
  assert.equal(producerOp(model, r.branchTensor), 'Conv');
  assert.equal(r.opsAfterMerge[0], 'Relu');
});

test('BlazeBlock: the depthwise + pointwise conv path is the branch, the MaxPool shortcut the skip (not the reverse)', () => {
  const model = blazeBlockModel();
  const residual = blocksOf(model).filter((b) => b.residual !== null);
  assert.equal(residual.length, 1);
  const r = residual[0].residual!;
  assert.equal(producerOp(model, r.skipTensor), 'Pad', 'the skip is the MaxPool -> Pad path');
  assert.equal(producerOp(model, r.branchTensor), 'Conv', 'the branch is the conv path');
});

test('BlazeBlock analysed: k_skip and the skip GSC are measured through the pooling', async () => {
  const report = await analyzeGraph(blazeBlockModel(), { modelPath: 'test-graph', settings: { backend: 'wasm', batch: 4, probes: 4 } });
  const blk = report.blocks.find((b) => b.kind === 'residual');
  assert.ok(blk?.residual, 'one residual block');
  const r = blk.residual;
  assert.ok(Number.isFinite(r.kSkip) && r.kSkip > 0, `k_skip ${r.kSkip}`);
  assert.notEqual(r.gscSkip.method, 'identity');
  assert.ok(Number.isFinite(r.gscSkip.value) && r.gscSkip.value > 0, `GSC(input -> skip) ${r.gscSkip.value}`);
});
