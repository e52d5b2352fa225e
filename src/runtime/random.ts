/**
 * Seeded randomness for the input batch and the probes, computed in JavaScript so that the
 * same model and settings give the same numbers on every backend.
 */

/** A small, fast, well-mixed 32-bit generator (SplitMix32 variant). */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  }

  /** Fills a Float32Array with N(0, 1) samples (Box-Muller). */
  gaussian(count: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      const u1 = Math.max(this.next(), 1e-300);
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }
}

/** Derives an independent stream for a named purpose, so adding probes elsewhere changes nothing here. */
export function streamFor(seed: number, purpose: string): SeededRandom {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 16777619);
  return new SeededRandom(h >>> 0);
}
