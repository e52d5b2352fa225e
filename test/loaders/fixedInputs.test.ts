/** One rule for fixed inputs in every format (src/loaders/fixedInputs.ts, README "Models with several inputs"). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_SAMPLE_RATE, fixedValue } from '../../src/loaders/fixedInputs';
import { fixSecondaryInputs } from '../../src/loaders/onnx/secondaryInputs';

test('a sample-rate scalar, a downsample ratio, states and flags get the README values', () => {
  const sr = fixedValue('sr', 'int32', []);
  assert.equal(sr.value, String(DEFAULT_SAMPLE_RATE));
  assert.deepEqual(Array.from(sr.tensor.data), [16000]);
  // A sample-rate name on a non-scalar integer input is no sample rate.
  assert.deepEqual(Array.from(fixedValue('sr', 'int32', [2]).tensor.data), [0, 0]);
  const ratio = fixedValue('downsample_ratio', 'float32', [1]);
  assert.equal(ratio.value, '1');
  assert.deepEqual(Array.from(ratio.tensor.data), [1]);
  const state = fixedValue('r1i', 'float32', ['batch', 16, -1, 'w']);
  assert.equal(state.value, 'zeros');
  assert.deepEqual(state.tensor.shape, [1, 16, 1, 1]);
  assert.deepEqual(fixedValue('flag', 'bool', null), { value: 'false', tensor: { dtype: 'bool', shape: [], data: new Uint8Array(1) } });
});

test('the ONNX loader applies the same rule (a downsample ratio, as TF.js RVM has, is 1 there too)', () => {
  const { data, fixed } = fixSecondaryInputs([
    { name: 'src', dtype: 'float32', shape: ['batch', 3, 'h', 'w'] },
    { name: 'downsample_ratio', dtype: 'float32', shape: [1] },
    { name: 'sr', dtype: 'int32', shape: [] },
  ]);
  assert.deepEqual(
    data.map((d) => d.name),
    ['src'],
  );
  assert.deepEqual(
    fixed.map((f) => [f.name, f.value]),
    [
      ['downsample_ratio', '1'],
      ['sr', '16000'],
    ],
  );
});
