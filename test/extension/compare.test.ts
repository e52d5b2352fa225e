import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { blockMatrixRatio, buildTrend } from '../../src/report/compareTrend';
import { compareReports } from '../../src/report/compare';
import type { AnalysisReport, BlockMatrix, BlockReport } from '../../src/report/schema';
import { cellText, isDenseHeatmap, kChange, verdictText } from '../../webview-ui/src/compare/compareModel';
import { DASHES, describePoint, pointLabel, trendLines, trendRange } from '../../webview-ui/src/trend/trendModel';
import fixture from '../fixtures/report-mlp_relu.json';

const a = fixture as unknown as AnalysisReport;
const B = a.blocks.length;

/** The fixture with GSC(0 -> B) and every block's GSC to the output scaled by `factor` (intervals too). */
function scaled(factor: number, createdAt: string): AnalysisReport {
  const m = a.blockMatrix as BlockMatrix;
  const gsc = m.gsc.map((row, k) => row.map((v, l) => (k === 0 && l === B && v !== null ? v * factor : v)));
  const ci99 = m.ci99.map((row, k) => row.map((c, l) => (k === 0 && l === B && c ? ([c[0] * factor, c[1] * factor] as const) : c)));
  const blocks: BlockReport[] = a.blocks.map((b) => ({
    ...b,
    gscToOutput: { ...b.gscToOutput, value: b.gscToOutput.value * factor, ci99: [b.gscToOutput.ci99[0] * factor, b.gscToOutput.ci99[1] * factor] },
  }));
  return { ...a, createdAt, blocks, blockMatrix: { ...m, gsc, ci99 } };
}

describe('blockMatrixRatio', () => {
  test('b/a over the upper triangle, null elsewhere; a report with itself is all ones and nothing significant', () => {
    const r = blockMatrixRatio(a, a);
    assert.ok(r);
    assert.equal(r.ratio.length, B + 1);
    assert.equal(r.boundaries[0], 'input');
    assert.equal(r.boundaries[1], `1 ${a.blocks[0].name}`);
    for (let k = 0; k <= B; k++) {
      for (let l = 0; l <= B; l++) {
        if (k < l) assert.equal(r.ratio[k][l], 1, `${k},${l}`);
        else assert.equal(r.ratio[k][l], null);
        assert.equal(r.significant[k][l], false);
      }
    }
  });

  test('a changed entry shows its ratio, significant when the intervals separate', () => {
    const r = blockMatrixRatio(a, scaled(3, a.createdAt));
    assert.ok(r);
    assert.ok(Math.abs((r.ratio[0][B] ?? 0) - 3) < 1e-12);
    const ci = (a.blockMatrix as BlockMatrix).ci99[0][B];
    assert.ok(ci);
    // Exact (zero-width) or narrow intervals scaled by 3 no longer overlap.
    assert.equal(r.significant[0][B], ci[1] < ci[0] * 3);
    assert.equal(r.ratio[0][1], 1);
  });

  test('no ratio without two block matrices of one size', () => {
    assert.equal(blockMatrixRatio(a, { ...a, blockMatrix: null }), null);
    assert.equal(blockMatrixRatio(a, { ...a, blocks: a.blocks.slice(1) }), null);
  });
});

describe('buildTrend', () => {
  const t1 = scaled(1, '2026-01-01T00:00:00.000Z');
  const t2 = scaled(2, '2026-01-01T00:10:00.000Z');
  const t3 = scaled(4, '2026-01-01T00:20:00.000Z');

  test('one line per block, one point per analysis (oldest first), values and intervals from the reports', () => {
    const trend = buildTrend([t1, t2, t3]);
    assert.ok(trend);
    assert.equal(trend.series.length, B);
    assert.deepEqual(
      trend.points.map((p) => p.createdAt),
      [t1.createdAt, t2.createdAt, t3.createdAt],
    );
    const s = trend.series[4];
    assert.equal(s.block, 5);
    assert.equal(s.name, a.blocks[4].name);
    assert.deepEqual(s.values, [t1.blocks[4].gscToOutput.value, t2.blocks[4].gscToOutput.value, t3.blocks[4].gscToOutput.value]);
    assert.deepEqual(s.ci99[2], t3.blocks[4].gscToOutput.ci99);
    assert.match(trend.note, new RegExp(`batch ${a.settings.batch}, ${a.settings.probes} probes, seed ${a.settings.seed}`));
  });

  test('a checkpoint with fewer blocks leaves gaps (null), and only the newest maxPoints are kept', () => {
    const short: AnalysisReport = { ...t2, blocks: t2.blocks.slice(0, 3) };
    const trend = buildTrend([t1, short, t3]);
    assert.ok(trend);
    assert.equal(trend.series[5].values[1], null);
    assert.equal(trend.series[1].values[1], short.blocks[1].gscToOutput.value);
    const last2 = buildTrend([t1, t2, t3], 2);
    assert.deepEqual(
      last2?.points.map((p) => p.createdAt),
      [t2.createdAt, t3.createdAt],
    );
    assert.equal(buildTrend([]), undefined);
  });

  test('chart lines cycle the colours, then the dash patterns; the readout states the change since the previous analysis', () => {
    const trend = buildTrend([t1, t2]);
    assert.ok(trend);
    const lines = trendLines(trend, 6);
    assert.deepEqual(
      lines.slice(0, 7).map((l) => l.colorIndex),
      [0, 1, 2, 3, 4, 5, 0],
    );
    assert.deepEqual(lines[6].dash, DASHES[1]);
    assert.equal(lines[0].label, `1 ${a.blocks[0].name}`);
    assert.match(pointLabel(trend, 1), /^#2 · \d\d:\d\d:\d\d$/);
    const text = describePoint(trend, 0, 1);
    assert.match(text, /analysis #2/);
    assert.match(text, /×2 since #1/);
    const range = trendRange(trend);
    const all = trend.series.flatMap((s) => s.values).filter((v): v is number => v !== null && v > 0);
    assert.deepEqual(range, { min: Math.min(...all), max: Math.max(...all) });
  });
});

describe('comparison view text', () => {
  test('verdicts are words and arrows (not colour alone); k changes show ∞ and n/a', () => {
    const c = compareReports(a, scaled(10, a.createdAt));
    const last = c.blocks[c.blocks.length - 1];
    assert.ok(['▼ better', '▲ worse', '≈ within noise', '= unchanged'].includes(verdictText(last)));
    assert.equal(kChange({ a: null, b: null, difference: null, significant: false }, true), '∞ → ∞');
    assert.equal(kChange({ a: null, b: null, difference: null, significant: false }, false), 'n/a');
    assert.equal(kChange({ a: 1.5, b: 2, difference: 0.5, significant: true }, true), '1.5 → 2 (+0.5)');
    const m = blockMatrixRatio(a, scaled(3, a.createdAt));
    assert.ok(m);
    assert.match(cellText(m, 0, B), /^GSC\(input → \d+ .*\): b\/a = 3/);
    assert.match(cellText(m, 1, 0), /no ratio/);
  });
});

test('the compare heatmap of 51 blocks is drawn dense; a small one prints its ratios', () => {
  assert.equal(isDenseHeatmap(52), true);
  assert.equal(isDenseHeatmap(6), false);
  assert.equal(isDenseHeatmap(16), false);
});
