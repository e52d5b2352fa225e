/** compareReports: the noise rule, better/worse, matching by index and by name; on real engine reports too. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import { compareReports, NOISE_RULE } from '../../src/report/compare';
import { comparisonToMarkdown, comparisonToText } from '../../src/report/compareFormat';
import type { AnalysisReport, Estimate } from '../../src/report/schema';
import { useTestBackend } from '../helpers/backend';
import { fixtureDir } from '../helpers/fixtures';
import { markdownTable, mutableCopy, savedReport, type Mutable } from './helpers';

function estimate(value: number, halfWidth: number): Mutable<Estimate> {
  return { value, stderr: halfWidth / 2.576, ci99: [value - halfWidth, value + halfWidth], method: 'probes:8' };
}

test('a report against itself: every block unchanged, ratios 1, no notes', () => {
  const r = savedReport();
  const c = compareReports(r, r);
  assert.equal(c.matchedBy, 'index');
  assert.equal(c.blocks.length, r.blocks.length);
  assert.deepEqual(c.summary, { compared: r.blocks.length, better: 0, worse: 0, unchanged: r.blocks.length });
  for (const b of c.blocks) {
    assert.equal(b.gscToOutput.ratio, 1);
    assert.equal(b.kLin.difference, 0);
    assert.equal(b.namesDiffer, false);
  }
  assert.deepEqual(c.notes, []);
  assert.equal(c.noiseRule, NOISE_RULE);
});

test('a change counts only when the 99% intervals are disjoint; better means closer to 1', () => {
  const a = mutableCopy(savedReport());
  const b = mutableCopy(savedReport());
  a.blocks[0].gscToOutput = estimate(2, 0.1);
  b.blocks[0].gscToOutput = estimate(6, 0.2); // farther from 1, disjoint: worse
  a.blocks[1].gscToOutput = estimate(2, 0.1);
  b.blocks[1].gscToOutput = estimate(1.1, 0.1); // closer to 1, disjoint: better
  a.blocks[2].gscToOutput = estimate(2, 0.5);
  b.blocks[2].gscToOutput = estimate(2.8, 0.4); // intervals [1.5, 2.5] and [2.4, 3.2] overlap: unchanged
  a.blocks[3].gscToOutput = estimate(0.5, 0.05);
  b.blocks[3].gscToOutput = estimate(0.9, 0.05); // below 1, moved up towards 1: better
  a.blocks[4].gscToOutput = estimate(1.5, 0.1);
  b.blocks[4].gscToOutput = estimate(0.3, 0.05); // |log 0.3| > |log 1.5|: worse
  const c = compareReports(a as AnalysisReport, b as AnalysisReport, { a: 'before.json', b: 'after.json' });
  assert.deepEqual(
    c.blocks.slice(0, 5).map((x) => x.verdict),
    ['worse', 'better', 'unchanged', 'better', 'worse'],
  );
  assert.equal(c.blocks[0].gscToOutput.ratio, 3);
  assert.equal(c.blocks[2].gscToOutput.significant, false);
  assert.deepEqual(c.summary, { compared: a.blocks.length, better: 2, worse: 2, unchanged: a.blocks.length - 4 });
  assert.equal(c.a.label, 'before.json');

  const text = comparisonToText(c);
  assert.match(text, /do not overlap/);
  assert.match(text, /summary: 2 better, 2 worse, 17 unchanged within noise, of 21 compared blocks/);
  const rows = text.split('\n').filter((l) => /^\s*\d+\s/.test(l));
  assert.equal(rows.length, 21);
  assert.match(rows[0], /2 → 6\s+3\s.*worse$/);

  const md = markdownTable(comparisonToMarkdown(c), '| # | block |');
  assert.equal(md.rows.length, 21);
  assert.deepEqual(
    md.rows.slice(0, 5).map((r) => r[7]),
    ['**worse**', '**better**', 'unchanged', '**better**', '**worse**'],
  );
});

test('k_lin: disjoint intervals and linear-versus-not count as changes; k_skip is reported without a verdict', () => {
  const a = mutableCopy(savedReport());
  const b = mutableCopy(savedReport());
  b.blocks[0].linearisation.kLin = null;
  b.blocks[0].linearisation.kLinCi99 = null;
  b.blocks[0].linearisation.linear = true;
  a.blocks[1].linearisation.kLinCi99 = [1, 2];
  b.blocks[1].linearisation.kLin = 3;
  b.blocks[1].linearisation.kLinCi99 = [2.5, 3.5];
  const c = compareReports(a as AnalysisReport, b as AnalysisReport);
  assert.equal(c.blocks[0].kLin.significant, true);
  assert.equal(c.blocks[0].kLin.difference, null);
  assert.equal(c.blocks[1].kLin.significant, true);
  assert.equal(c.blocks[1].kLin.difference, 3 - (a.blocks[1].linearisation.kLin ?? NaN));
  assert.equal(c.blocks[2].kLin.significant, false);
  assert.match(
    comparisonToText(c)
      .split('\n')
      .find((l) => /^\s*1\s/.test(l)) ?? '',
    /→ ∞ \*/,
  );
});

test('renamed blocks with the same count are matched by index and named; different counts match by name', () => {
  const a = savedReport();
  const renamed = mutableCopy(a);
  renamed.blocks[4].name = 'renamed';
  const byIndex = compareReports(a, renamed as AnalysisReport);
  assert.equal(byIndex.matchedBy, 'index');
  assert.equal(byIndex.blocks[4].namesDiffer, true);
  assert.ok(byIndex.notes.some((n) => n === 'block names differ at block 5'));
  assert.match(comparisonToText(byIndex), /blocks\.4 \/ renamed/);

  const shorter = mutableCopy(a);
  shorter.blocks = shorter.blocks.filter((b) => b.index !== 3 && b.index !== 8);
  shorter.blocks.push({ ...shorter.blocks[0], index: 99, name: 'extra' });
  const byName = compareReports(a, shorter as AnalysisReport);
  assert.equal(byName.matchedBy, 'name');
  assert.equal(byName.blocks.length, a.blocks.length - 2);
  for (const blk of byName.blocks) assert.equal(blk.a.name, blk.b.name);
  assert.deepEqual(
    byName.unmatchedA.map((x) => x.name),
    ['blocks.2', 'blocks.7'],
  );
  assert.deepEqual(
    byName.unmatchedB.map((x) => x.name),
    ['extra'],
  );
  const text = comparisonToText(byName);
  assert.match(text, /only in a: 3 blocks\.2, 8 blocks\.7/);
  assert.match(text, /only in b: 99 extra/);
});

engineComparison();

/** Two real analyses of the same model with different seeds: differences are sampling noise. */
function engineComparison(): void {
  let seed0: AnalysisReport;
  let seed1: AnalysisReport;
  before(async () => {
    await useTestBackend();
    const modelPath = path.join(fixtureDir('resmlp_relu'), 'model.onnx');
    const settings = { probes: 4, exact: 'off' as const, blockMatrix: false, backend: 'wasm' as const };
    seed0 = await analyzeModel({ modelPath, settings: { ...settings, seed: 0 } });
    seed1 = await analyzeModel({ modelPath, settings: { ...settings, seed: 1 } });
  });

  test('two seeds of one model: ratios and verdicts follow from the two reports', () => {
    const c = compareReports(seed0, seed1);
    assert.equal(c.matchedBy, 'index');
    assert.equal(c.blocks.length, 12);
    assert.deepEqual(c.notes, ['settings differ: seed 0 vs 1']);
    c.blocks.forEach((blk, i) => {
      const ea = seed0.blocks[i].gscToOutput;
      const eb = seed1.blocks[i].gscToOutput;
      assert.equal(blk.gscToOutput.ratio, eb.value / ea.value);
      const disjoint = ea.ci99[1] < eb.ci99[0] || eb.ci99[1] < ea.ci99[0];
      assert.equal(blk.gscToOutput.significant, disjoint);
      if (!disjoint) assert.equal(blk.verdict, 'unchanged');
      assert.equal(
        blk.kSkip.difference,
        seed0.blocks[i].residual && seed1.blocks[i].residual ? seed1.blocks[i].residual!.kSkip - seed0.blocks[i].residual!.kSkip : null,
      );
    });
    // Probe estimates of the same model do have intervals: most blocks are within noise.
    assert.ok(seed0.blocks.slice(0, -1).every((b) => b.gscToOutput.ci99[1] > b.gscToOutput.ci99[0]));
    assert.ok(c.summary.unchanged >= 9, `${JSON.stringify(c.summary)}`);
    assert.equal(c.growth.gscInputToOutput.ratio, seed1.growth.gscInputToOutput / seed0.growth.gscInputToOutput);
  });
}

test('exact values that differ only by float32 rounding are unchanged (the same weights as ONNX and as TF.js)', () => {
  const a = mutableCopy(savedReport());
  const b = mutableCopy(savedReport());
  b.blocks.forEach((blk, i) => {
    // Exact estimates: zero-width intervals, so only the rounding tolerance stands between them.
    const v = 1 + 0.5 * i;
    a.blocks[i].gscToOutput = { value: v, stderr: 0, ci99: [v, v], method: 'exact' };
    const w = v * (1 + (i % 2 === 0 ? 3e-6 : -8e-6));
    blk.gscToOutput = { value: w, stderr: 0, ci99: [w, w], method: 'exact' };
  });
  const c = compareReports(a as AnalysisReport, b as AnalysisReport);
  assert.equal(c.summary.unchanged, c.summary.compared, JSON.stringify(c.summary));
  // A real change of exact values still counts.
  b.blocks[0].gscToOutput = { value: 1.01, stderr: 0, ci99: [1.01, 1.01], method: 'exact' };
  assert.equal(compareReports(a as AnalysisReport, b as AnalysisReport).blocks[0].verdict, 'worse');
});
