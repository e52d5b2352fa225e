/**
 * Branching topologies where no tensor cuts the graph for long stretches (two streams from the
 * input, a U-Net): the region is cut finer along its main path, the blocks say so.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { LOCAL_SKIP_WEIGHTED_OPS, partitionBlocks, REFINE_WEIGHTED_OPS, type Block } from '../../src/metrics/blocks';
import { referenceOutput } from '../../src/graph/queries';
import { analyzeGraph } from '../../src/engine/analyze';
import type { LoadedModel } from '../../src/loaders';
import { useTestBackend } from '../helpers/backend';
import { blazeBlockModel, smallUNetModel, twoHeadResidualModel, twoStreamModel } from '../helpers/blockShapes';

before(async () => {
  await useTestBackend();
});

function blocksOf({ graph }: LoadedModel): readonly Block[] {
  return partitionBlocks(graph, graph.inputs[0].name, referenceOutput(graph)).blocks;
}

function ops(model: LoadedModel, b: Block): string[] {
  return b.nodeIndices.map((i) => model.graph.nodes[i].op);
}

test('two streams from the input: one block per depth, holding that layer of both streams', () => {
  const model = twoStreamModel();
  const blocks = blocksOf(model);
  const refined = blocks.filter((b) => b.bypassed === true);
  assert.equal(refined.length, 7, blocks.map((b) => ops(model, b).join(' ')).join(' | '));
  for (const b of refined) assert.equal(ops(model, b).filter((op) => op === 'Conv').length, 2, `block ${b.index}: ${ops(model, b).join(' ')}`);
  assert.ok(ops(model, refined[6]).includes('Concat'), 'the merge closes the region');
  // Every node is in exactly one block.
  const all = blocks.flatMap((b) => b.nodeIndices);
  assert.equal(new Set(all).size, all.length);
  assert.equal(all.length, model.graph.nodes.length);
  // The blocks after the region are cut as before.
  assert.ok(blocks.slice(7).every((b) => b.bypassed === undefined));
});

test('a small U-Net: blocks of a few ops along the encoder-decoder path, none holding the whole network', () => {
  const model = smallUNetModel();
  const convs = model.graph.nodes.filter((n) => n.op === 'Conv' || n.op === 'ConvTranspose').length;
  assert.ok(convs > REFINE_WEIGHTED_OPS, 'the model is big enough to be refined');
  const blocks = blocksOf(model);
  assert.ok(blocks.length >= 10, `${blocks.length} blocks`);
  for (const b of blocks) assert.ok(b.nodeIndices.length <= 4, `block ${b.index}: ${ops(model, b).join(' ')}`);
  assert.ok(blocks.filter((b) => b.bypassed === true).length >= 8, 'the region between the outer encoder and decoder levels is refined');
  // Consecutive boundaries are on one path: each block's input is the previous one's output.
  for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i].inputTensor, blocks[i - 1].outputTensor);
});

test('a model with cuts everywhere keeps its cut partition', () => {
  assert.ok(blocksOf(blazeBlockModel()).every((b) => b.bypassed === undefined));
});

test('two streams analysed: the report marks the refined blocks and says how they were formed', async () => {
  const report = await analyzeGraph(twoStreamModel(), { modelPath: 'test-graph', settings: { backend: 'wasm', batch: 4, probes: 4, blockMatrix: false } });
  const refined = report.blocks.filter((b) => b.bypassed === true).map((b) => b.index);
  assert.deepEqual(refined, [1, 2, 3, 4, 5, 6, 7]);
  const note = report.warnings.find((w) => w.message.startsWith('blocks 1–7 '));
  assert.ok(note, report.warnings.map((w) => w.message).join(' | '));
  assert.ok(report.blocks.every((b) => Number.isFinite(b.gscToOutput.value) && Number.isFinite(b.gscBlock.value)));
});

test('two heads of residual units: the main head keeps one block per unit, each found residual', () => {
  const model = twoHeadResidualModel(6);
  const blocks = blocksOf(model);
  const refined = blocks.filter((b) => b.bypassed === true);
  const shown = blocks.map((b) => `${b.residual ? 'R ' : ''}${ops(model, b).join(' ')}`).join(' | ');
  // One block per depth: a unit of each head (2 × (Conv Relu Conv Add Relu)); the last also holds the Concat.
  assert.equal(refined.length, 6, shown);
  for (const b of refined) {
    assert.equal(ops(model, b).filter((op) => op === 'Conv').length, 4, shown);
    // The unit on the main path is residual with an identity skip: its skip passes over its two convolutions.
    assert.equal(b.residual?.skipKind, 'identity', shown);
    assert.equal(b.residual?.skipTensor, b.inputTensor, shown);
  }
  for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i].inputTensor, blocks[i - 1].outputTensor);
});

test('a local skip passes over at most LOCAL_SKIP_WEIGHTED_OPS ops with weights: a long one is cut across', () => {
  // A U-Net's skip holds no weights but passes over the whole encoder-decoder path: not local.
  const model = smallUNetModel();
  assert.ok(LOCAL_SKIP_WEIGHTED_OPS < model.graph.nodes.filter((n) => n.op === 'Conv').length);
  assert.ok(blocksOf(model).every((b) => b.residual === null));
});
