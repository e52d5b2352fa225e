import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dataValue,
  formatDuration,
  formatInteger,
  formatInterval,
  formatK,
  formatMethod,
  formatNumber,
  formatOptional,
  formatShape,
} from '../../webview-ui/src/format';

describe('formatNumber', () => {
  test('4 significant digits, trailing zeros dropped', () => {
    assert.equal(formatNumber(0.423900640514214), '0.4239');
    assert.equal(formatNumber(1.1548363230006253), '1.155');
    assert.equal(formatNumber(12.941103631647021), '12.94');
    assert.equal(formatNumber(1), '1');
    assert.equal(formatNumber(2.5), '2.5');
    assert.equal(formatNumber(-0.98765), '−0.9877');
  });
  test('values with more integer digits than significant ones are rounded, never written 1.00e+3', () => {
    assert.equal(formatNumber(1000, 3), '1000');
    assert.equal(formatNumber(1234.5), '1235');
    assert.equal(formatNumber(1234.5, 3), '1230');
    assert.equal(formatNumber(9999.6), '1×10⁴');
  });
  test('scientific notation outside [1e-3, 1e4)', () => {
    assert.equal(formatNumber(548300.7), '5.483×10⁵');
    assert.equal(formatNumber(12345), '1.235×10⁴');
    assert.equal(formatNumber(0.00025), '2.5×10⁻⁴');
    assert.equal(formatNumber(-3.21e-7), '−3.21×10⁻⁷');
    assert.equal(formatNumber(0.001), '0.001');
  });
  test('zero and non-finite values', () => {
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(Infinity), '∞');
    assert.equal(formatNumber(-Infinity), '−∞');
    assert.equal(formatNumber(NaN), 'NaN');
  });
  test('digits parameter', () => {
    assert.equal(formatNumber(0.423900640514214, 2), '0.42');
    assert.equal(formatNumber(1.0040786581588224, 3), '1');
  });
});

describe('k, intervals and other helpers', () => {
  test('an infinite k is null with linear true; otherwise null does not apply', () => {
    assert.equal(formatK(null, true), '∞');
    assert.equal(formatK(null, false), 'n/a');
    assert.equal(formatK(undefined, true), 'n/a');
    assert.equal(formatK(0.6987695775498581, false), '0.6988');
  });
  test('formatOptional', () => {
    assert.equal(formatOptional(null), 'n/a');
    assert.equal(formatOptional(undefined), 'n/a');
    assert.equal(formatOptional(1.0098821613828746), '1.01');
  });
  test('intervals: a single point is exact', () => {
    assert.equal(formatInterval([1.151615803821987, 1.1580478859834114]), '[1.152, 1.158]');
    assert.equal(formatInterval([0.4239, 0.4239]), 'exact');
    assert.equal(formatInterval(null), 'n/a');
  });
  test('estimator names', () => {
    assert.equal(formatMethod('probes:6'), '6 probes');
    assert.equal(formatMethod('probes:1'), '1 probe');
    assert.equal(formatMethod('probes:6 (shared cotangent)'), '6 probes (shared cotangent)');
    assert.equal(formatMethod('exact'), 'exact');
    assert.equal(formatMethod(null), 'n/a');
  });
  test('durations', () => {
    assert.equal(formatDuration(850.4), '850 ms');
    assert.equal(formatDuration(3949), '3.9 s');
    assert.equal(formatDuration(13956), '14 s');
    assert.equal(formatDuration(125_000), '2 min 5 s');
    assert.equal(formatDuration(-1), 'n/a');
  });
  test('integers, shapes and data-value', () => {
    assert.equal(formatInteger(77706), '77,706');
    assert.equal(formatInteger(1234567), '1,234,567');
    assert.equal(formatInteger(999), '999');
    assert.equal(formatInteger(-4096), '-4,096');
    assert.equal(formatShape([8, 3, 32, 32]), '8 × 3 × 32 × 32');
    assert.equal(formatShape([]), 'scalar');
    assert.equal(dataValue(0.423900640514214), '0.423900640514214');
    assert.equal(dataValue(null), 'null');
    assert.equal(dataValue(Infinity), 'null');
  });
});
