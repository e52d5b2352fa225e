/**
 * The seeded generators: the uniform stream is the one every earlier report was computed with,
 * and the probes' ziggurat normals have the moments and tails of N(0, 1).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, streamFor } from '../../src/runtime/random';

/** The SplitMix32 variant as first written (state kept as an unsigned double). */
function referenceUniforms(seed: number, count: number): number[] {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    out.push(z / 4294967296);
  }
  return out;
}

/** P(|Z| > t) for Z ~ N(0, 1), at the thresholds checked below. */
const TWO_SIDED_TAIL: ReadonlyMap<number, number> = new Map([
  [1, 0.31731050786291415],
  [2, 0.04550026389635842],
  [3, 0.0026997960632601866],
  [3.5, 0.0004652581580710802],
]);

describe('seeded randomness', () => {
  test('the uniform stream is unchanged, for any seed', () => {
    for (const seed of [0, 1, 42, -7, 0x9e3779b9, 2 ** 32 - 1]) {
      const r = new SeededRandom(seed);
      const got = Array.from({ length: 1000 }, () => r.next());
      assert.deepEqual(got, referenceUniforms(seed, 1000), `seed ${seed}`);
    }
  });

  test('normal(): one sequence per seed, whatever the chunking', () => {
    const whole = streamFor(3, 'probe').normal(1000);
    const r = streamFor(3, 'probe');
    const parts = [...r.normal(1), ...r.normal(499), ...r.normal(500)];
    assert.deepEqual(parts, Array.from(whole));
    assert.notDeepEqual(Array.from(streamFor(4, 'probe').normal(10)), Array.from(whole.subarray(0, 10)));
  });

  test('normal(): mean, variance, kurtosis and tails of N(0, 1)', () => {
    const n = 2_000_000;
    const x = new SeededRandom(11).normal(n);
    let sum = 0;
    let squares = 0;
    let fourth = 0;
    const beyond = new Map([...TWO_SIDED_TAIL.keys()].map((t) => [t, 0]));
    for (const v of x) {
      sum += v;
      squares += v * v;
      fourth += v ** 4;
      for (const t of beyond.keys()) if (Math.abs(v) > t) beyond.set(t, beyond.get(t)! + 1);
    }
    // Five standard errors each: mean sd 1/sqrt(n), variance sd sqrt(2/n), 4th moment sd sqrt(96/n).
    assert.ok(Math.abs(sum / n) < 5 / Math.sqrt(n), `mean ${sum / n}`);
    assert.ok(Math.abs(squares / n - 1) < 5 * Math.sqrt(2 / n), `variance ${squares / n}`);
    assert.ok(Math.abs(fourth / n - 3) < 5 * Math.sqrt(96 / n), `fourth moment ${fourth / n}`);
    for (const [t, p] of TWO_SIDED_TAIL) {
      const seen = beyond.get(t)! / n;
      assert.ok(Math.abs(seen - p) < 5 * Math.sqrt((p * (1 - p)) / n), `P(|Z| > ${t}) = ${seen}, expected ${p}`);
    }
  });

  test('normal(): samples reach beyond the base layer (the tail method runs)', () => {
    const x = new SeededRandom(5).normal(1_000_000);
    let largest = 0;
    for (const v of x) largest = Math.max(largest, Math.abs(v));
    assert.ok(largest > 3.45, `largest |x| ${largest}`);
  });
});
