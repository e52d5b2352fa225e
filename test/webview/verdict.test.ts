import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisReport } from '../../src/report/schema';
import { fitQuality, verdict } from '../../webview-ui/src/verdict';
import { formatNumber } from '../../webview-ui/src/format';

const FIXTURES = join(__dirname, __filename.endsWith('.ts') ? '' : '../../../test/webview', 'fixtures');
const load = (name: string): AnalysisReport => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as AnalysisReport;
const resnet = load('report-resnet_cifar8.json');

/** A report with GSC(k → output) = values[k] at the boundaries (the rest as in the fixture). */
function withCurve(base: AnalysisReport, values: readonly number[], threshold: number): AnalysisReport {
  return {
    ...base,
    thresholds: { ...base.thresholds, gsc: threshold },
    boundaries: values.map((v, k) => ({ ...base.boundaries[0], index: k, gscToOutput: { ...base.boundaries[0].gscToOutput, value: v } })),
  };
}

describe('the verdict in plain words', () => {
  test('exploding: says so, by how much, and names the blocks that amplify most', () => {
    const r = { ...resnet, thresholds: { ...resnet.thresholds, gsc: 1.01 } };
    const v = verdict(r);
    assert.equal(v.tone, 'exploding');
    assert.match(v.headline, new RegExp(`^Gradients explode: the gradient scale grows ${formatNumber(r.growth.gscInputToOutput).replace('.', '\\.')}-fold`));
    assert.ok(v.points.some((p) => p.startsWith(`Per block: a factor of ${formatNumber(r.growth.geometricMeanRate)}`)));
    const top = [...r.blocks].sort((a, b) => b.gscBlock.value - a.gscBlock.value)[0];
    assert.ok(
      v.points.some((p) => p.includes(`Look first at block ${top.index} ${top.name}`)),
      v.points.join('\n'),
    );
  });
  test('below the threshold: no explosion, and a pseudo-linear residual network is not an alarm', () => {
    const v = verdict(resnet);
    assert.notEqual(v.tone, 'exploding');
    assert.doesNotMatch(v.headline, /explode:/);
    const pseudo = resnet.nonlinearities.some((n) => n.pseudoLinear);
    if (pseudo) assert.ok(v.points.some((p) => /expected/.test(p)));
  });
  test('fit quality: a short or non-monotone curve gets no confident rate', () => {
    const rough = fitQuality(withCurve(resnet, [8, 9, 3, 5, 1.5, 1], 100));
    assert.equal(rough.points, 6);
    assert.equal(rough.monotone, false);
    const v = verdict(withCurve(resnet, [8, 9, 3, 5, 1.5, 1], 100));
    assert.ok(
      v.points.some((p) => /rough summary \(only 6 points, R² [\d.]+, the curve is not monotone\)/.test(p)),
      v.points.join('\n'),
    );
    const clean = Array.from({ length: 12 }, (_, k) => 2 ** (11 - k));
    const q = fitQuality(withCurve(resnet, clean, 1e6));
    assert.ok(Math.abs(q.r2 - 1) < 1e-12 && q.monotone);
    assert.ok(verdict(withCurve(resnet, clean, 1e6)).points.some((p) => /describes the curve well \(R² 1 over 12 points\)/.test(p)));
  });
});

test("the reference layer's own block (GSC 1 by definition) is never counted as exploding", () => {
  // At half the smallest measured GSC (below 1) every measured block counts, and the reference
  // layer (exactly 1) must not.
  const measured = resnet.blocks.filter((b) => b.gscToOutput.method !== 'identity');
  assert.equal(measured.length, resnet.blocks.length - 1);
  const threshold = Math.min(...measured.map((b) => b.gscToOutput.value)) * 0.5;
  assert.ok(threshold < 1);
  const v = verdict({ ...resnet, thresholds: { ...resnet.thresholds, gsc: threshold } });
  assert.match(v.headline, new RegExp(`and ${measured.length} blocks are above the threshold`));
});
