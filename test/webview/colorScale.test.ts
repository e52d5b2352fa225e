import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { colorAt, linearTicks, logDivergingScale, logTicks, luminance, mix, parseColor, toCss } from '../../webview-ui/src/colorScale';

describe('parseColor / toCss', () => {
  test('hex forms', () => {
    assert.deepEqual(parseColor('#f14c4c'), { r: 241, g: 76, b: 76, a: 1 });
    assert.deepEqual(parseColor(' #FFF '), { r: 255, g: 255, b: 255, a: 1 });
    assert.deepEqual(parseColor('#00000080'), { r: 0, g: 0, b: 0, a: 128 / 255 });
    assert.deepEqual(parseColor('#0f08'), { r: 0, g: 255, b: 0, a: 136 / 255 });
  });
  test('rgb() and rgba()', () => {
    assert.deepEqual(parseColor('rgb(10, 20, 30)'), { r: 10, g: 20, b: 30, a: 1 });
    assert.deepEqual(parseColor('rgba(10 20 30 / 0.5)'), { r: 10, g: 20, b: 30, a: 0.5 });
    assert.deepEqual(parseColor('rgb(100%, 0%, 50%)'), { r: 255, g: 0, b: 127.5, a: 1 });
  });
  test('anything else is undefined (a missing theme variable reads as "")', () => {
    assert.equal(parseColor(''), undefined);
    assert.equal(parseColor('red'), undefined);
    assert.equal(parseColor('#12345'), undefined);
    assert.equal(parseColor('rgb(1, 2)'), undefined);
  });
  test('toCss writes rgb for opaque colours and rgba otherwise', () => {
    assert.equal(toCss({ r: 10.4, g: 20.6, b: 30, a: 1 }), 'rgb(10, 21, 30)');
    assert.equal(toCss({ r: 0, g: 0, b: 0, a: 0.25 }), 'rgba(0, 0, 0, 0.25)');
  });
});

describe('mixing and stops', () => {
  const black = { r: 0, g: 0, b: 0, a: 1 };
  const white = { r: 255, g: 255, b: 255, a: 1 };
  const red = { r: 255, g: 0, b: 0, a: 1 };
  test('mix is linear and clamped', () => {
    assert.deepEqual(mix(black, white, 0.5), { r: 127.5, g: 127.5, b: 127.5, a: 1 });
    assert.deepEqual(mix(black, white, 2), white);
  });
  test('colorAt walks evenly spaced stops', () => {
    assert.deepEqual(colorAt([black, white, red], 0), black);
    assert.deepEqual(colorAt([black, white, red], 0.5), white);
    assert.deepEqual(colorAt([black, white, red], 1), red);
    assert.deepEqual(colorAt([black, white, red], 0.75), { r: 255, g: 127.5, b: 127.5, a: 1 });
  });
  test('luminance orders black < red < white', () => {
    assert.equal(luminance(black), 0);
    assert.ok(Math.abs(luminance(white) - 1) < 1e-12);
    assert.ok(luminance(red) > 0.2 && luminance(red) < 0.22);
  });
});

describe('logDivergingScale', () => {
  test('GSC 1 is the neutral middle; the scale is symmetric in log10 around it', () => {
    const s = logDivergingScale([0.01, 1, 10]);
    assert.equal(s.halfRangeDecades, 2);
    assert.equal(s.position(1), 0.5);
    assert.equal(s.position(0.01), 0);
    assert.equal(s.position(100), 1);
    assert.equal(s.position(10), 0.75);
    assert.equal(s.position(0.1), 0.25);
    assert.ok(Math.abs(s.min - 0.01) < 1e-15 && Math.abs(s.max - 100) < 1e-12);
  });
  test('out-of-range, zero and non-finite values clamp; they do not widen the scale', () => {
    const s = logDivergingScale([0.5, 2, 0, NaN, Infinity, -3]);
    assert.ok(Math.abs(s.halfRangeDecades - Math.log10(2)) < 1e-12);
    assert.equal(s.position(1000), 1);
    assert.equal(s.position(0), 0);
    assert.equal(s.position(Infinity), 1);
  });
  test('all-ones (an orthogonal model) still gives a usable scale with 1 in the middle', () => {
    const s = logDivergingScale([1, 1, 1]);
    assert.equal(s.halfRangeDecades, 0.05);
    assert.equal(s.position(1), 0.5);
    assert.ok(s.ticks.includes(1));
  });
});

describe('log axis ticks', () => {
  test('powers of ten over wide ranges, thinned to the limit', () => {
    assert.deepEqual(logTicks(0.001, 1000), [0.001, 0.01, 0.1, 1, 10, 100, 1000]);
    assert.deepEqual(logTicks(1e-8, 1e8, 5), [1e-8, 1e-4, 1, 1e4, 1e8]);
  });
  test('1-2-5 over about a decade', () => {
    assert.deepEqual(logTicks(0.1, 10), [0.1, 0.2, 0.5, 1, 2, 5, 10]);
  });
  test('every mantissa over a narrow range', () => {
    assert.deepEqual(logTicks(0.28, 1.1), [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  });
  test('evenly spaced round values when even that gives too few ticks', () => {
    assert.deepEqual(logTicks(0.75, 1.33), [0.8, 0.9, 1, 1.1, 1.2, 1.3]);
    assert.deepEqual(linearTicks(0.95, 1.05, 6), [0.96, 0.98, 1, 1.02, 1.04]);
  });
  test('invalid ranges give no ticks', () => {
    assert.deepEqual(logTicks(0, 10), []);
    assert.deepEqual(logTicks(10, 1), []);
  });
});
