/** k_lin as the CLI table and the exports show it: with its interval where estimated, flagged when wider than the target. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatKLin, formatKLinPrecision } from '../../src/report/format';
import { parseArgs } from '../../src/cli/args';

test('formatKLin: interval where estimated, bare where exact, ∞ when linear, (wide) when the target was missed', () => {
  assert.equal(formatKLin({ kLin: 2.4128, kLinCi99: [2.4, 2.42], linear: false }), '2.413 [2.4, 2.42]');
  assert.equal(formatKLin({ kLin: 2.4128, kLinCi99: [2.4128, 2.4128], linear: false }), '2.413');
  assert.equal(formatKLin({ kLin: null, kLinCi99: null, linear: true }), '∞');
  const missed = { target: 0.05, reached: 0.3, met: false, probes: 64, central: true, stoppedBy: 'probe-cap' as const };
  assert.equal(formatKLin({ kLin: 1.01, kLinCi99: [0.7, 1.3], linear: false, kLinPrecision: missed }), '1.01 [0.7, 1.3] (wide)');
  assert.equal(formatKLin({ kLin: 1.01, kLinCi99: [1, 1.02], linear: false, kLinPrecision: { ...missed, reached: 0.01, met: true } }), '1.01 [1, 1.02]');
});

test('--k-precision and --k-time-budget-ms reach the settings; bad values are usage errors', () => {
  const a = parseArgs(['analyze', 'm.onnx', '--k-precision', '0.02', '--k-time-budget-ms', '500']);
  assert.ok(a.command === 'analyze');
  assert.equal(a.kPrecision, 0.02);
  assert.equal(a.kTimeBudgetMs, 500);
  const off = parseArgs(['analyze', 'm.onnx', '--k-precision', '0']);
  assert.ok(off.command === 'analyze' && off.kPrecision === 0);
  assert.throws(() => parseArgs(['analyze', 'm.onnx', '--k-precision', '-1']), /--k-precision/);
});

test('formatKLinPrecision: reached against the target, and why a miss stopped', () => {
  assert.equal(formatKLinPrecision({ target: 0.05, reached: 0.0038, met: true, probes: 8, central: false }), '±0.38% (target ±5%)');
  assert.equal(
    formatKLinPrecision({ target: 0.05, reached: 0.12, met: false, probes: 64, central: true, stoppedBy: 'probe-cap' }),
    '±12% (target ±5%), wider than the target: at the probe cap',
  );
});
