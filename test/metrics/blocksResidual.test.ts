/** Residual blocks: a skip that is not an identity (the path with less computation), a branch that is exactly zero. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { partitionBlocks, type Block } from '../../src/metrics/blocks';
import { referenceOutput } from '../../src/graph/queries';
import { analyzeGraph } from '../../src/engine/analyze';
import type { LoadedModel } from '../../src/loaders';
import { useTestBackend } from '../helpers/backend';
import { blazeBlockModel, maxPoolShortcutModel, zeroBranchModel } from '../helpers/blockShapes';
import type { AnalysisReport } from '../../src/report/schema';
import { reportFieldProblem } from '../../src/report/validate';
import { formatReportTable } from '../../src/cli/table';
import { reportToMarkdown } from '../../src/report/export/markdown';
import { reportToHtml } from '../../src/report/export/html';
import { CSV_COLUMNS, reportToCsv } from '../../src/report/export/csv';

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

test('a residual branch that is exactly zero: k_skip ∞ on every surface, a warning, the relation n/a', async () => {
  const report = await analyzeGraph(zeroBranchModel(), { modelPath: 'test-graph', settings: { backend: 'wasm', batch: 4, probes: 4 } });
  const blk = report.blocks.find((b) => b.kind === 'residual');
  assert.ok(blk?.residual, 'one residual block');
  assert.equal(blk.residual.branchZero, true);
  assert.equal(blk.residual.kSkip, Infinity);
  assert.match(blk.residual.relation.note ?? '', /^n\/a: the residual branch is exactly zero/);
  const warning = report.warnings.find((w) => w.code === 'relation-na' && w.where === blk.residual!.branchTensor);
  assert.ok(warning, `warnings: ${report.warnings.map((w) => w.message).join(' | ')}`);
  assert.match(warning.message, new RegExp(`block ${blk.index} .*exactly zero.*k_skip is ∞`));

  // In memory and after JSON (where ∞ becomes null) alike.
  const saved = JSON.parse(JSON.stringify(report)) as AnalysisReport;
  assert.equal(reportFieldProblem(saved), undefined);
  for (const r of [report, saved]) {
    const row = formatReportTable(r)
      .split('\n')
      .find((line) => line.trimStart().startsWith(`${blk.index} `) && line.includes('residual'));
    assert.ok(row?.includes('∞'), `CLI row: ${row}`);
    for (const [surface, text] of [
      ['table', formatReportTable(r)],
      ['markdown', reportToMarkdown(r)],
      ['html', reportToHtml(r)],
      ['csv', reportToCsv(r)],
    ]) {
      assert.ok(!text.includes('Infinity'), `${surface} writes "Infinity"`);
    }
    const csvRow: string = reportToCsv(r).split('\r\n')[blk.index];
    assert.equal(csvRow.split(',')[CSV_COLUMNS.indexOf('k_skip')], '∞');
    assert.ok(reportToMarkdown(r).includes('∞'));
  }
});
