/** The CI gate fails on a GSC that is not a finite number (NaN compares false with any limit). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gateFailures } from '../../src/cli/gate';
import type { AnalysisReport } from '../../src/report/schema';
import { savedReport } from '../report/helpers';

function withGsc(value: number | null): AnalysisReport {
  const report = savedReport();
  const blocks = report.blocks.map((b, i) => (i === 0 ? { ...b, gscToOutput: { ...b.gscToOutput, value: value as number } } : b));
  return { ...report, blocks };
}

test('--fail-on-gsc fails on a NaN, Inf or null (JSON NaN) GSC, naming the block', () => {
  for (const value of [NaN, Infinity, null]) {
    const reasons = gateFailures(withGsc(value), { failOnGsc: 1e12, failOnPseudoLinear: false });
    assert.ok(
      reasons.some((r) => /block \d+ \(.*\) is not a finite number/.test(r)),
      `${String(value)}: ${reasons.join('; ')}`,
    );
  }
});

test('--fail-on-gsc still passes finite GSCs under the limit', () => {
  assert.deepEqual(gateFailures(withGsc(2), { failOnGsc: 1e12, failOnPseudoLinear: false }), []);
});

test('a non-finite warning (NaN weights, a NaN reverse pass) fails any gate that was asked for, even with finite numbers', () => {
  const report = { ...withGsc(2), warnings: [{ code: 'non-finite' as const, message: 'weight tensor w contains NaN', where: 'w' }] };
  for (const options of [
    { failOnGsc: 1e12, failOnPseudoLinear: false },
    { failOnPseudoLinear: true, pseudoLinearK: 1e12 },
  ]) {
    const reasons = gateFailures(report, options);
    assert.ok(
      reasons.some((r) => /NaN or Inf: weight tensor w contains NaN/.test(r)),
      reasons.join('; '),
    );
  }
  assert.deepEqual(gateFailures(report, { failOnPseudoLinear: false }), [], 'no gate asked for: nothing fails');
});

test("--fail-on-gsc below 1 never fails on the reference layer's own GSC (1 by definition)", () => {
  const report = savedReport();
  const last = report.blocks[report.blocks.length - 1];
  assert.equal(last.gscToOutput.method, 'identity');
  const lowered = { ...report, blocks: report.blocks.map((b) => (b === last ? b : { ...b, gscToOutput: { ...b.gscToOutput, value: 0.5 } })) };
  assert.deepEqual(gateFailures(lowered, { failOnGsc: 0.9, failOnPseudoLinear: false }), [], 'only the reference layer is above 0.9');
  const reasons = gateFailures(report, { failOnGsc: 0.9, failOnPseudoLinear: false });
  // 20 measured blocks are above 0.9 (block 8 the worst); the 21st, the reference layer, is not counted.
  assert.equal(reasons.length, 1);
  assert.match(reasons[0], /block 8 .*\(and 19 more blocks\)/);
});
