/** Why a report has no block matrix: off in the settings, or turned off from the estimate's offer (#18 item 5). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reducedBeforeRunText } from '../../src/engine/estimate';
import { blockMatrixAbsentText } from '../../src/report/referenceText';

test('a run whose settings had the block matrix off names the setting', () => {
  assert.match(blockMatrixAbsentText({ warnings: [] }), /off in this run's settings \(gradientLens\.blockMatrix/);
});

test('a run reduced from the offer says it was turned off before the run, not that the setting is off', () => {
  const message = reducedBeforeRunText({ label: 'block matrix off' }, 95_000);
  const text = blockMatrixAbsentText({ warnings: [{ code: 'input', message }] });
  assert.match(text, /turned off before the run, as offered/);
  assert.doesNotMatch(text, /gradientLens\.blockMatrix/);
});

test('another reduction from the offer (fewer probes) does not explain a missing block matrix', () => {
  const message = reducedBeforeRunText({ label: '4 probes instead of 8' }, 95_000);
  assert.match(blockMatrixAbsentText({ warnings: [{ code: 'input', message }] }), /off in this run's settings/);
});
