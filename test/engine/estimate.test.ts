/** The run-time estimate and the offer of cheaper settings (#18 item 5). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { durationText, estimateRun, REVERSE_PASS_FACTOR, reverseMs } from '../../src/engine/estimate';
import { estimateOffer, RUN_ANYWAY } from '../../src/extension/analysis/estimateOffer';
import { reducedSettingsNotice } from '../../src/extension/analysis/notices';
import { savedReport } from '../report/helpers';

// Forward equivalents of a 50-block model: the block matrix costs ~B²/2 row passes, the rest ~B.
const fe = (blockMatrix: boolean, probes: number): number => probes * (blockMatrix ? 50 * 25 : 50 * 2);

describe('estimateRun', () => {
  test('the forward pass time times the forward equivalents and the reverse factor, over the threads', () => {
    assert.equal(reverseMs(100, 10, 1), 100 * 10 * REVERSE_PASS_FACTOR);
    assert.equal(reverseMs(100, 10, 4), (100 * 10 * REVERSE_PASS_FACTOR) / 4);
    const e = estimateRun({ forwardMs: 20, threads: 2, batch: 16, settings: { blockMatrix: true, probes: 8 }, forwardEquivalents: fe });
    assert.equal(e.totalMs, 20 + (8 * 1250 * 20 * REVERSE_PASS_FACTOR) / 2);
    const byId = new Map(e.options.map((o) => [o.id, o]));
    assert.equal(byId.get('block-matrix-off')?.totalMs, 20 + (8 * 100 * 20 * REVERSE_PASS_FACTOR) / 2);
    assert.deepEqual(byId.get('fewer-probes')?.settings, { probes: 4 });
    assert.deepEqual(byId.get('smaller-batch')?.settings, { batch: 8 });
    assert.ok(
      e.options.every((o, i) => i === 0 || o.totalMs <= e.options[i - 1].totalMs),
      'cheapest last',
    );
  });
  test('only options that save a fifth; none when nothing can be reduced', () => {
    const flat = estimateRun({ forwardMs: 5, threads: 1, batch: 1, settings: { blockMatrix: false, probes: 2 }, forwardEquivalents: () => 10 });
    assert.deepEqual(flat.options, []);
  });
});

describe('the offer', () => {
  const estimate = estimateRun({ forwardMs: 300, threads: 1, batch: 16, settings: { blockMatrix: true, probes: 8 }, forwardEquivalents: fe });
  test('above the threshold: the time, the two cheapest options with their times, and Run anyway', () => {
    assert.ok(estimate.totalMs > 60_000);
    const offer = estimateOffer('resnet/model.onnx', estimate, 60_000);
    assert.ok(offer);
    assert.match(offer.message, /^Gradient Lens: analyzing resnet\/model\.onnx will take about \d+ min \(estimated from its forward pass, 1 thread\)/);
    assert.equal(offer.buttons.length, 3);
    assert.equal(offer.buttons[2], RUN_ANYWAY);
    assert.equal(offer.optionOf(RUN_ANYWAY), undefined);
    assert.equal(offer.optionOf(undefined), undefined);
    const cheapest = offer.optionOf(offer.buttons[1]);
    assert.equal(cheapest?.id, 'block-matrix-off');
    assert.equal(offer.buttons[1], 'Block Matrix Off');
    assert.ok(
      offer.buttons.every((b) => b.length <= 16),
      'short enough for a notification button',
    );
    assert.match(offer.message, /cheaper settings restart it \(batch 8 instead of 16: about \d+ (s|min); block matrix off: about \d+ (s|min)\)\.$/);
  });
  test('below the threshold or with the setting 0: no offer', () => {
    assert.equal(estimateOffer('m.onnx', estimate, estimate.totalMs + 1), undefined);
    assert.equal(estimateOffer('m.onnx', estimate, 0), undefined);
  });
  test('a reduced run says so in the report and in the notification', () => {
    const offer = estimateOffer('m.onnx', estimate, 1000)!;
    const text = offer.reducedText(offer.optionOf(offer.buttons[1])!);
    assert.equal(text, `settings reduced before the run, as offered for an estimated ${durationText(estimate.totalMs)}: block matrix off`);
    const report = savedReport();
    const notice = reducedSettingsNotice({ ...report, warnings: [...report.warnings, { code: 'input', message: text }] });
    assert.match(
      notice ?? '',
      /was analyzed with reduced settings: settings reduced before the run, as offered for an estimated about \d+ min: block matrix off\. The report's warnings say so too\.$/,
    );
  });
});

describe('the engine sends its estimate before the reverse passes', () => {
  test('once, after the forward pass, from the measured forward time and the real job list', async () => {
    const path = await import('node:path');
    const { analyzeModel } = await import('../../src/engine/analyze');
    const { useTestBackend } = await import('../helpers/backend');
    const { fixtureDir } = await import('../helpers/fixtures');
    await useTestBackend();
    const events: { phase: string; estimate?: ReturnType<typeof estimateRun> }[] = [];
    await analyzeModel(
      {
        modelPath: path.join(fixtureDir('mlp_relu'), 'model.onnx'),
        settings: { backend: 'wasm', batch: 4, probes: 4, seed: 1, blockMatrix: true },
        threads: 1,
      },
      { onProgress: (e) => events.push(e) },
    );
    const withEstimate = events.filter((e) => e.estimate);
    assert.equal(withEstimate.length, 1);
    const at = events.indexOf(withEstimate[0]);
    assert.ok(
      events.slice(0, at).some((e) => e.phase === 'forward'),
      'after the forward pass',
    );
    assert.ok(
      events.slice(at + 1).some((e) => e.phase === 'gsc-to-output' || e.phase === 'block-matrix'),
      'before the reverse passes',
    );
    const e = withEstimate[0].estimate!;
    assert.equal(e.threads, 1);
    assert.ok(e.forwardMs >= 1 && Number.isFinite(e.totalMs) && e.totalMs > e.forwardMs);
    const off = e.options.find((o) => o.id === 'block-matrix-off');
    assert.ok(off && off.totalMs < e.totalMs, 'the block matrix of a 21-block MLP is most of the work');
  });
});
