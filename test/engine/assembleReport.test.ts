/**
 * Report assembly (src/engine/assembleReport.ts) from hand-made measurements: the numbers land
 * where the schema says, the block matrix's diagonal is each block's GSC, a residual block's
 * parts come from its jobs, and the tool version is the package's.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { assembleReport, TOOL_VERSION, type ReportHeader, type ReportInputs, type TensorStats } from '../../src/engine/assembleReport';
import { TOOL_VERSION as ANALYZE_TOOL_VERSION } from '../../src/engine/analyze';
import type { JobResult } from '../../src/engine/parallel/jobs';
import { jobKey } from '../../src/engine/parallel/plan';
import type { Block } from '../../src/metrics/blocks';
import { dilutionRelation } from '../../src/metrics/dilution';
import type { AnalysisReport, LinearisationInfo } from '../../src/report/schema';
import { GraphBuilder } from '../helpers/graphs';

const ROOT = path.join(__dirname, '..', '..', '..');

/** A real report's header (what analyze.ts states as it is), so the fixture's types are the schema's. */
function header(blockMatrix = true): ReportHeader {
  const r = JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'report-mlp_relu.json'), 'utf8')) as AnalysisReport;
  const { createdAt, model, settings, thresholds, backend, timings, reference, input, warnings } = r;
  return { createdAt, model, settings: { ...settings, blockMatrix }, thresholds, backend, timings, reference, input, warnings };
}

const linInfo = (k: number): LinearisationInfo => {
  const e = { value: 1, stderr: 0, ci99: [1, 1] as const, method: 'exact' };
  return { kLin: k, kLinCi99: null, linear: false, qSv: e, qRho: e, qF: 1, qV: 1, sFrob2: e, gscS: null, relation: dilutionRelation(k, Number.NaN, 1.5) };
};

/**
 * Two blocks over 2 samples, every tensor 4 wide: x0 -Relu-> x1 (plain), then x1 + b -> x2
 * (residual, identity skip). Exact squares, so every GSC is sqrt(T / d) q_k / q_l by hand.
 */
function inputs(blockMatrix = true, drop?: string): ReportInputs {
  const g = new GraphBuilder('x0', ['batch', 4]);
  const x1 = g.node('Relu', ['x0'], {}, 'relu');
  const b = g.node('Neg', [x1], {}, 'branch');
  const x2 = g.node('Add', [x1, b], {}, 'add');
  const graph = g.build(x2).graph;
  const blocks: Block[] = [
    { index: 1, name: 'b1', inputTensor: 'x0', outputTensor: x1, nodeIndices: [0], residual: null, affine: false },
    {
      index: 2,
      name: 'b2',
      inputTensor: x1,
      outputTensor: x2,
      nodeIndices: [1, 2],
      residual: { skipKind: 'identity', mergeTensor: x2, skipTensor: x1, branchTensor: b, mergeNode: 'add', opsAfterMerge: [] },
      affine: false,
    },
  ];
  const stats = (norm: number): TensorStats => ({ norms: [norm, norm], dim: 4 });
  const tensors = new Map([
    ['x0', stats(1)],
    [x1, stats(2)],
    [x2, stats(4)],
    [b, stats(3)],
  ]);
  const rows = (v: number): number[][] => [[v, v]];
  const results = new Map<string, JobResult>([
    [
      jobKey({ kind: 'gsc-to-output' }),
      {
        kind: 'squares',
        squares: new Map([
          ['x0', rows(16)],
          [x1, rows(4)],
        ]),
        method: 'exact',
      },
    ],
    [jobKey({ kind: 'block-matrix', row: 1 }), { kind: 'squares', squares: new Map([['x0', rows(64)]]), method: 'exact' }],
    [jobKey({ kind: 'residual-parts', block: 2 }), { kind: 'residual', squares: { merge: rows(4), branch: rows(16), skip: null }, method: 'exact' }],
    [jobKey({ kind: 'linearise', block: 1 }), { kind: 'linearise', info: linInfo(2) }],
    [jobKey({ kind: 'linearise', block: 2 }), { kind: 'linearise', info: linInfo(5) }],
  ]);
  if (drop !== undefined) results.delete(drop);
  const measures = { dim: 4, signDiversity: 0.5, relativeSpread: 0.05, k: null, meanSlope: 0.5, qSz: 1, qRho: 1, qPreactivation: 1 };
  const site = { op: 'Relu', nodeIndex: 0, nodeIndices: [0], input: 'x0', output: x1 };
  return { header: header(blockMatrix), graph, blocks, boundaries: ['x0', x1, x2], tensors, results, nonlinearities: [{ site, block: 1, measures }] };
}

describe('assembleReport', () => {
  test('GSCs, block matrix, growth ratios and residual parts from the job results', () => {
    const r = assembleReport(inputs());
    // GSC(k -> out) = sqrt(T / 4) q_k / q_out: x0 sqrt(4) * 1 / 4, x1 sqrt(1) * 2 / 4, x2 identity.
    assert.deepEqual(
      r.boundaries.map((x) => x.gscToOutput.value),
      [0.5, 0.5, 1],
    );
    // Row 1 (GSC(x0 -> x1) = sqrt(16) * 1 / 2); row 2 is the GSC to the output.
    assert.deepEqual(r.blockMatrix?.gsc, [
      [null, 2, 0.5],
      [null, null, 0.5],
      [null, null, null],
    ]);
    assert.deepEqual(
      r.blocks.map((blk) => blk.gscBlock.value),
      [2, 0.5],
    );
    assert.deepEqual(
      r.blocks.map((blk) => blk.growthRatio),
      [1, 0.5],
    );
    assert.deepEqual(
      r.blocks.map((blk) => blk.opTypes),
      [['Relu'], ['Neg', 'Add']],
    );
    const res = r.blocks[1].residual!;
    assert.equal(r.blocks[0].residual, null);
    assert.equal(res.gscMerge.value, 0.5);
    assert.equal(res.gscBranch.value, (2 * 2) / 3); // sqrt(16 / 4) q_in / q_branch
    assert.equal(res.gscSkip.method, 'identity');
    assert.equal(res.kSkip, 2 / 3);
    // The linearisation's relation is completed with the block's measured GSC.
    assert.deepEqual(r.blocks[0].linearisation.relation, dilutionRelation(2, 2, 1.5));
    assert.deepEqual(r.blocks[1].linearisation.relation, dilutionRelation(5, 0.5, 1.5));
  });

  test('the header passes through; nonlinearities get their thresholds', () => {
    const inp = inputs();
    const r = assembleReport(inp);
    for (const key of ['createdAt', 'model', 'settings', 'thresholds', 'backend', 'timings', 'reference', 'input', 'warnings'] as const) {
      assert.deepEqual(r[key], inp.header[key], key);
    }
    assert.equal(r.nonlinearities.length, 1);
    assert.equal(r.nonlinearities[0].node, 'relu');
    assert.equal(r.nonlinearities[0].pseudoLinear, true); // k null: infinite
    assert.equal(r.nonlinearities[0].collapsed, 0.05 < inp.header.thresholds.collapsedSpread);
  });

  test('no block matrix in the report when the setting is off', () => {
    assert.equal(assembleReport(inputs(false)).blockMatrix, null);
  });

  test('a missing job result is an internal error, not a wrong number', () => {
    assert.throws(() => assembleReport(inputs(true, jobKey({ kind: 'block-matrix', row: 1 }))), /internal: no measurement for block matrix row 1/);
    assert.throws(() => assembleReport(inputs(true, jobKey({ kind: 'linearise', block: 2 }))), /internal: no linearisation of block 2/);
  });

  test('the report names the package.json version, in out/ as in the sources', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(TOOL_VERSION, pkg.version);
    assert.equal(ANALYZE_TOOL_VERSION, pkg.version);
    assert.equal(assembleReport(inputs()).tool.version, pkg.version);
  });
});
