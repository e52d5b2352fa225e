import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisReport } from '../../src/report/schema';
import {
  BLOCK_COLUMNS,
  blockColumns,
  blockFlagDetails,
  blockFlagLabels,
  boundaryLabeler,
  collapseRows,
  layerLabel,
  dilutionRows,
  gscSeries,
  infinityCap,
  matrixModel,
  NONLINEARITY_COLUMNS,
} from '../../webview-ui/src/viewModel';
import { readPageState } from '../../webview-ui/src/persist';
import { formatNumber } from '../../webview-ui/src/format';

// Reports written by the CLI (batch 8, probes 6, seed 7) for two fixture models.
// The JSON fixtures stay in the source tree; compiled tests run from out/test/webview.
const FIXTURES = join(__dirname, __filename.endsWith('.ts') ? '' : '../../../test/webview', 'fixtures');
const load = (name: string): AnalysisReport => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as AnalysisReport;
const resnet = load('report-resnet_cifar8.json');
const linear = load('report-linear_orthogonal.json');

const cellOf = (report: AnalysisReport, column: string, block: number) => {
  const col = blockColumns(report).find((c) => c.id === column)!;
  return col.cell(report.blocks.find((b) => b.index === block)!);
};

describe('block table cells', () => {
  test('numbers carry their report path and full-precision value', () => {
    const b3 = resnet.blocks[2];
    const c = cellOf(resnet, 'gscToOutput', 3);
    assert.equal(c.field, 'gscToOutput.value');
    assert.equal(c.value, b3.gscToOutput.value);
    assert.equal(c.text, Number(b3.gscToOutput.value.toPrecision(4)).toString());
    const k = cellOf(resnet, 'kSkip', 3);
    assert.equal(k.field, 'residual.kSkip');
    assert.equal(k.value, b3.residual!.kSkip);
  });
  test('every data-field names the path its value comes from', () => {
    const get = (o: unknown, path: string): unknown =>
      path.split('.').reduce<unknown>((x, key) => (x == null ? undefined : (x as Record<string, unknown>)[key]), o);
    let checked = 0;
    for (const report of [resnet, linear]) {
      for (const col of blockColumns(report)) {
        for (const b of report.blocks) {
          const c = col.cell(b);
          if (c.field === undefined || c.value === undefined) continue;
          assert.equal(get(b, c.field), c.value, `${col.id} of block ${b.index}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 80, `checked ${checked}`);
  });
  test('a plain block has no k_skip: n/a, no value, sorts last', () => {
    const c = cellOf(resnet, 'kSkip', 1);
    assert.equal(resnet.blocks[0].residual, null);
    assert.equal(c.text, 'n/a');
    assert.equal(c.value, undefined);
    assert.equal(c.sortKey, null);
  });
  test('a linear block has k_lin = ∞ (null in JSON), sorted as +Infinity', () => {
    const b = linear.blocks[0];
    assert.equal(b.linearisation.kLin, null);
    assert.equal(b.linearisation.linear, true);
    const c = cellOf(linear, 'kLin', 1);
    assert.equal(c.text, '∞');
    assert.equal(c.value, null);
    assert.equal(c.sortKey, Infinity);
  });
  test('the reference layer (GSC 1 by definition) says so in its interval cell (#18)', () => {
    const last = resnet.blocks[resnet.blocks.length - 1];
    assert.equal(last.gscToOutput.method, 'identity');
    const c = cellOf(resnet, 'gscToOutputCi', last.index);
    assert.equal(c.text, 'reference layer');
    assert.equal(c.title, '1 by definition: the reference layer itself');
    assert.equal(cellOf(resnet, 'gscToOutputCi', 1).text, 'exact');
  });
  test('exact estimates show "exact" as their interval; probe estimates the interval', () => {
    assert.equal(cellOf(resnet, 'gscToOutputCi', 2).text, 'exact');
    const b2 = resnet.blocks[1];
    assert.equal(b2.gscBlock.method, 'probes:6');
    assert.equal(cellOf(resnet, 'gscBlockCi', 2).text, '[1.152, 1.158]');
    assert.match(cellOf(resnet, 'gscBlock', 2).title!, /6 probes/);
  });
  test('the k²+1 check uses k_skip on residual blocks and says n/a on the affine readout', () => {
    const res = cellOf(resnet, 'relation', 2);
    assert.equal(res.field, 'residual.relation.predictedOverMeasured');
    assert.equal(res.value, resnet.blocks[1].residual!.relation.predictedOverMeasured);
    const fc = cellOf(resnet, 'relation', 5);
    assert.equal(fc.text, 'n/a');
    assert.match(fc.title!, /affine/);
  });
  test('the Flags column comes right after the name and kind (a wide table does not hide it)', () => {
    assert.deepEqual(
      BLOCK_COLUMNS.slice(0, 4).map((c) => c.id),
      ['index', 'name', 'kind', 'flags'],
    );
  });
  test('column ids are unique and both tables have them', () => {
    for (const cols of [BLOCK_COLUMNS, NONLINEARITY_COLUMNS]) {
      assert.equal(new Set(cols.map((c) => c.id)).size, cols.length);
    }
  });
  test('flags follow the thresholds', () => {
    const b = resnet.blocks[0];
    assert.deepEqual(blockFlagLabels(b, resnet), []);
    const strict = { ...resnet, thresholds: { ...resnet.thresholds, gsc: 0.4 } };
    assert.deepEqual(blockFlagLabels(b, strict), ['exploding']);
  });
  test("each flag says what it is measured on: the block's GSC, or the nonlinearity's own k", () => {
    const b = resnet.blocks[0];
    const strict = { ...resnet, thresholds: { ...resnet.thresholds, gsc: 0.4 } };
    assert.deepEqual(blockFlagDetails(b, strict), [`exploding: GSC → output ${formatNumber(b.gscToOutput.value)} > 0.4`]);
    const q = resnet.nonlinearities[0];
    const flagged = { ...resnet, nonlinearities: resnet.nonlinearities.map((n, i) => (i === 0 ? { ...n, pseudoLinear: true, k: 3.0001 } : n)) };
    const owner = resnet.blocks.find((x) => x.index === q.block)!;
    assert.ok(blockFlagDetails(owner, flagged).includes(`pseudo-linear: ${q.op} k 3.0001 > 3`), blockFlagDetails(owner, flagged).join('; '));
    const cell = BLOCK_COLUMNS.find((c) => c.id === 'flags')!.cell(owner, flagged);
    assert.match(cell.text, new RegExp(`pseudo-linear: ${q.op} k 3\\.0001 > 3`));
    assert.equal(cell.sortKey, 'pseudo-linear');
  });
});

describe('chart series', () => {
  test('GSC to the output: one point per boundary; the fit is exp(intercept + slope k)', () => {
    const s = gscSeries(resnet);
    assert.equal(s.points.length, resnet.boundaries.length);
    assert.deepEqual(
      s.points.map((p) => p.x),
      [0, 1, 2, 3, 4, 5],
    );
    assert.equal(s.points[0].block, undefined);
    assert.equal(s.points[3].block, 3);
    assert.equal(s.points[3].y, resnet.boundaries[3].gscToOutput.value);
    const { slope, intercept } = resnet.growth.logFit;
    assert.equal(s.fit.length, 6);
    assert.ok(Math.abs(s.fit[2].y - Math.exp(intercept + 2 * slope)) < 1e-15);
    assert.equal(s.rate, resnet.growth.logFit.rate);
  });
  test('dilution rows: k_skip only on residual blocks, ∞ k_lin on linear blocks', () => {
    const rows = dilutionRows(resnet);
    assert.deepEqual(
      rows.map((r) => r.kSkip !== null),
      [false, true, true, true, false],
    );
    assert.equal(rows[1].skipReduction, resnet.blocks[1].residual!.relation.reductionFactor);
    const lin = dilutionRows(linear);
    assert.ok(lin.every((r) => r.kLin?.infinite === true && r.kLin.value === Infinity));
  });
  test('infinityCap sits a decade above the largest finite value', () => {
    assert.equal(infinityCap([0.5, 168.47, null, Infinity]), 10000);
    assert.equal(infinityCap([null]), 10);
    assert.equal(infinityCap([100]), 1000);
  });
  test('collapse rows mirror the nonlinearities', () => {
    const rows = collapseRows(resnet);
    assert.equal(rows.length, resnet.nonlinearities.length);
    assert.equal(rows[0].signDiversity, resnet.nonlinearities[0].signDiversity);
    assert.equal(rows[0].block, 1);
    assert.equal(collapseRows(linear).length, 0);
    assert.deepEqual(
      rows.slice(0, 3).map((r) => r.label),
      ['1 stem.relu', '2 layer1.relu1', '3 layer1.relu2'],
      'the x labels name the layer, not only the op (#18)',
    );
  });
  test('layer labels: the op type and a repeated container name dropped', () => {
    assert.equal(layerLabel('/blocks/blocks.7/act/Relu', 'Relu'), 'blocks.7.act');
    assert.equal(layerLabel('/layer1/relu1/Relu', 'Relu'), 'layer1.relu1');
    assert.equal(layerLabel('dense_3/Tanh', 'Tanh'), 'dense_3');
    assert.equal(layerLabel('Relu_12', 'Relu'), 'Relu_12');
    assert.equal(layerLabel('', 'Selu'), 'Selu');
  });
  test('matrix model: the computed upper triangle only', () => {
    const m = matrixModel(resnet)!;
    assert.equal(m.n, 6);
    assert.equal(m.entries.length, 15);
    assert.ok(m.entries.every((e) => e.from < e.to));
    const e = m.entries.find((x) => x.from === 2 && x.to === 5)!;
    assert.equal(e.value, resnet.blockMatrix!.gsc[2][5]);
    assert.equal(matrixModel({ ...resnet, blockMatrix: null }), null);
  });
  test('boundary labels', () => {
    const label = boundaryLabeler(resnet);
    assert.equal(label(0), 'input');
    assert.equal(label(2), '2 layer1');
    assert.equal(label(5), '5 fc (output)');
  });
});

describe('page state', () => {
  test('keeps well-formed fields and drops the rest', () => {
    const s = readPageState({ modelPath: '/m.onnx', selectedBlock: 3, sort: { column: 'kLin', direction: 'descending' }, report: resnet });
    assert.equal(s.modelPath, '/m.onnx');
    assert.equal(s.selectedBlock, 3);
    assert.deepEqual(s.sort, { column: 'kLin', direction: 'descending' });
    assert.equal(s.report, resnet);
    const bad = readPageState({ modelPath: 3, selectedBlock: 0, sort: { column: 'x', direction: 'up' }, report: { schema: 'other' } });
    assert.deepEqual(bad, { modelPath: undefined, report: undefined, selectedBlock: undefined, sort: undefined, nonlinearitySort: undefined });
    assert.deepEqual(readPageState(undefined), {});
    assert.deepEqual(readPageState('x'), {});
  });
});
