/**
 * Streams off the main path of a bypassed region (iris's second head, an FPN's other levels):
 * each is cut along its own path into stream units nested in the chain blocks, so that its
 * residual connections are found (docs/metrics.md, "Streams off the main path").
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { partitionBlocks, type Block, type StreamUnit } from '../../src/metrics/blocks';
import { referenceOutput } from '../../src/graph/queries';
import { analyzeGraph } from '../../src/engine/analyze';
import { reportFieldProblem } from '../../src/report/validate';
import { reportToMarkdown } from '../../src/report/export/markdown';
import type { LoadedModel } from '../../src/loaders';
import { useTestBackend } from '../helpers/backend';
import { fpnModel, twoHeadResidualModel } from '../helpers/blockShapes';
import { GraphBuilder, gaussianMatrix } from '../helpers/graphs';

before(async () => {
  await useTestBackend();
});

function blocksOf({ graph }: LoadedModel): readonly Block[] {
  return partitionBlocks(graph, graph.inputs[0].name, referenceOutput(graph)).blocks;
}

/** The Add nodes of the graph whose two inputs both carry data (a merge of two paths). */
function mergeAdds({ graph }: LoadedModel): string[] {
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
  return graph.nodes.filter((n) => n.op === 'Add' && n.inputs.every((t) => produced.has(t) || t === graph.inputs[0].name)).map((n) => n.name);
}

function unitsOf(blocks: readonly Block[]): StreamUnit[] {
  return blocks.flatMap((b) => b.streamUnits ?? []);
}

function show(model: LoadedModel, blocks: readonly Block[]): string {
  const ops = (ix: readonly number[]): string => ix.map((i) => model.graph.nodes[i].op).join(' ');
  return blocks
    .map(
      (b) => `${b.residual ? 'R ' : ''}${ops(b.nodeIndices)}${(b.streamUnits ?? []).map((u) => ` {${u.residual ? 'R ' : ''}${ops(u.nodeIndices)}}`).join('')}`,
    )
    .join(' | ');
}

/** Every stream unit's ops belong to the block that lists it, and every node to exactly one block. */
function assertNested(model: LoadedModel, blocks: readonly Block[]): void {
  for (const b of blocks) {
    for (const u of b.streamUnits ?? []) {
      for (const i of u.nodeIndices) assert.ok(b.nodeIndices.includes(i), `block ${b.index} holds unit ${u.name}'s node ${model.graph.nodes[i].name}`);
    }
  }
  const all = blocks.flatMap((b) => b.nodeIndices);
  assert.equal(new Set(all).size, all.length);
  assert.equal(all.length, model.graph.nodes.length);
}

test("two heads of residual units: the second head's units are stream units, each residual with an identity skip", () => {
  const model = twoHeadResidualModel(6);
  const blocks = blocksOf(model);
  const units = unitsOf(blocks);
  const shown = show(model, blocks);
  const residualUnits = units.filter((u) => u.residual !== null);
  assert.equal(residualUnits.length, 6, shown);
  for (const u of residualUnits) {
    assert.equal(u.residual?.skipKind, 'identity', shown);
    assert.equal(u.residual?.skipTensor, u.inputTensor, shown);
    // conv -> ReLU -> conv -> Add -> ReLU: the unit is the residual unit, not a stretch of the head.
    assert.deepEqual(
      u.nodeIndices.map((i) => model.graph.nodes[i].op),
      ['Conv', 'Relu', 'Conv', 'Add', 'Relu'],
      shown,
    );
  }
  // Every merge of the model is found: 6 on the main head (blocks), 6 on the other (units).
  const found = [...blocks.map((b) => b.residual?.mergeNode), ...units.map((u) => u.residual?.mergeNode)].filter((m) => m !== undefined);
  assert.deepEqual(found.sort(), mergeAdds(model).sort());
  assertNested(model, blocks);
  // The chain is unchanged: consecutive blocks share a boundary.
  for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i].inputTensor, blocks[i - 1].outputTensor);
});

test("an FPN neck: the other levels' RSE units are found residual, the top-down merges are not", () => {
  const model = fpnModel();
  const blocks = blocksOf(model);
  const units = unitsOf(blocks);
  const shown = show(model, blocks);
  assert.ok(
    blocks.some((b) => b.bypassed === true),
    `the neck leaves no cut: it is refined (${shown})`,
  );
  const residualMerges = [...blocks.map((b) => b.residual), ...units.map((u) => u.residual)].filter((r) => r !== null);
  // 6 RSE units (3 laterals, 3 outputs), each's skip the conv output it gates, its branch the product.
  assert.equal(residualMerges.length, 6, shown);
  for (const r of residualMerges) {
    assert.equal(model.graph.nodes.find((n) => n.outputs.includes(r.branchTensor))?.op, 'Mul', shown);
    assert.equal(model.graph.nodes.find((n) => n.outputs.includes(r.skipTensor))?.op, 'Conv', shown);
  }
  // The two top-down merges (a lateral plus an upsampled level) are not residual connections.
  const topDown = mergeAdds(model).filter((name) => !residualMerges.some((r) => r.mergeNode === name));
  assert.equal(topDown.length, 2, shown);
  assert.ok(units.filter((u) => u.residual !== null).length >= 4, `most RSE units are off the main path: ${shown}`);
  for (const u of units) assert.ok(u.nodeIndices.length <= 10, `unit ${u.name}: ${u.nodeIndices.length} ops (${shown})`);
  for (const b of blocks) assert.ok(b.nodeIndices.length <= 30, `block ${b.index}: ${b.nodeIndices.length} ops (${shown})`);
  assertNested(model, blocks);
});

test('two heads analysed: the report lists the stream units, valid, and the note says so', async () => {
  const report = await analyzeGraph(twoHeadResidualModel(6), {
    modelPath: 'test-graph',
    settings: { backend: 'wasm', batch: 4, probes: 4, blockMatrix: false },
  });
  assert.equal(reportFieldProblem(report), undefined);
  const units = report.blocks.flatMap((b) => b.streamUnits ?? []);
  assert.equal(units.filter((u) => u.kind === 'residual').length, 6);
  for (const b of report.blocks) for (const u of b.streamUnits ?? []) for (const n of u.nodes) assert.ok(b.nodes.includes(n));
  const note = report.warnings.find((w) => w.message.includes('stream units'));
  assert.ok(note, report.warnings.map((w) => w.message).join(' | '));
  assert.match(note.message, /6 residual/);
  // The Markdown export lists them, one row per unit (their GSCs: test/engine/streamUnitGsc.test.ts).
  const md = reportToMarkdown(report);
  const section = md.slice(md.indexOf('### Stream units'), md.indexOf('### Nonlinearities'));
  assert.ok(section.startsWith('### Stream units'), md);
  assert.equal((section.match(/\| residual\/identity \|/g) ?? []).length, 6, section);
});

test("stream units whose names would repeat (a TF.js model's shared path) are named by the layers they span", () => {
  // Two heads of 3 residual units, every node named "sc/model/<layer>_<n>/<Op>" as a TF.js graph model's.
  const b = new GraphBuilder('x', ['batch', 3, 8, 8]);
  let n = 0;
  const named = (op: string, inputs: string[], layer: string, attrs = {}): string => b.node(op, inputs, attrs, `sc/model/${layer}_${n++}/${op}`);
  const convK = (x: string, cin: number, k: number, seed: number): string =>
    named('Conv', [x, b.constant(gaussianMatrix(4, cin * k * k, seed, Math.sqrt(2 / (cin * k * k))), [4, cin, k, k])], 'conv', {
      kernel_shape: [k, k],
      pads: Array<number>(4).fill((k - 1) >> 1),
    });
  const trunk = named('Relu', [convK('x', 3, 3, 1)], 'relu');
  const unit = (x: string, seed: number): string => {
    const inner = named('Relu', [convK(x, 4, 3, seed)], 'relu');
    return named('Relu', [named('Add', [x, convK(inner, 4, 1, seed + 1)], 'add')], 'relu');
  };
  let [h1, h2] = [trunk, trunk];
  for (let u = 0; u < 3; u++) [h1, h2] = [unit(h1, 10 + 2 * u), unit(h2, 40 + 2 * u)];
  const pooled = named('Flatten', [named('GlobalAveragePool', [named('Concat', [h1, h2], 'concat', { axis: 1 })], 'pool')], 'flatten', { axis: 1 });
  const model = b.build(named('MatMul', [pooled, b.constant(gaussianMatrix(8, 3, 70, 0.3), [8, 3])], 'dense'));
  const units = unitsOf(blocksOf(model)).filter((u) => u.residual !== null);
  assert.equal(units.length, 3, show(model, blocksOf(model)));
  const names = units.map((u) => u.name);
  assert.equal(new Set(names).size, names.length, names.join(', '));
  for (const name of names) assert.match(name, /^conv_\d+…relu_\d+$/);
});
