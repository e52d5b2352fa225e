/**
 * Seeded randomness for the input batch and the probes, computed in JavaScript so that the
 * same model and settings give the same numbers on every backend.
 */

/** A small, fast, well-mixed 32-bit generator (SplitMix32 variant). */
export class SeededRandom {
  /** Held as an int32 (the same bits as the uint32 it stands for): V8 keeps it unboxed, 2x faster. */
  private state: number;

  constructor(seed: number) {
    this.state = (Math.trunc(seed) ^ 0x9e3779b9) | 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = (this.state + 0x9e3779b9) | 0;
    this.state = s;
    let z = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * A Float32Array of N(0, 1) samples (Box-Muller). The input batch and the examples' weights
   * use it; the probes use the faster `normal`, which draws a different sequence.
   */
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

  /** A Float32Array of N(0, 1) samples by the ziggurat (fillNormal): the probes' cotangents. */
  normal(count: number): Float32Array {
    return fillNormal(this, new Float32Array(count));
  }
}

/**
 * The ziggurat of N(0, 1) with 128 layers (Marsaglia and Tsang 2000, in Doornik's 2005 form,
 * which draws the layer and the position independently): x[i] are the layers' right edges,
 * x[0] the base strip's equivalent width, ratio[i] = x[i + 1] / x[i] the share of layer i that
 * lies under the density for sure.
 */
const ZIGGURAT_R = 3.442619855899;
const ZIGGURAT_V = 9.91256303526217e-3;
const ZIGGURAT_LAYERS = 128;
const zigguratX = new Float64Array(ZIGGURAT_LAYERS + 1);
const zigguratRatio = new Float64Array(ZIGGURAT_LAYERS);
{
  let f = Math.exp(-0.5 * ZIGGURAT_R * ZIGGURAT_R);
  zigguratX[0] = ZIGGURAT_V / f;
  zigguratX[1] = ZIGGURAT_R;
  zigguratX[ZIGGURAT_LAYERS] = 0;
  for (let i = 2; i < ZIGGURAT_LAYERS; i++) {
    zigguratX[i] = Math.sqrt(-2 * Math.log(ZIGGURAT_V / zigguratX[i - 1] + f));
    f = Math.exp(-0.5 * zigguratX[i] * zigguratX[i]);
  }
  for (let i = 0; i < ZIGGURAT_LAYERS; i++) zigguratRatio[i] = zigguratX[i + 1] / zigguratX[i];
}

/**
 * N(0, 1) samples by the ziggurat: one 32-bit draw and a comparison for 99% of them, against a
 * logarithm, a square root and a sine or cosine each for Box-Muller. The reverse passes' probes
 * take millions (a ResNet-18's block matrix: 0.5 s of Box-Muller on one core).
 */
export function fillNormal(rng: SeededRandom, out: Float32Array): Float32Array {
  for (let k = 0; k < out.length; k++) {
    for (;;) {
      // One draw: its top 7 bits pick the layer, the other 25 a position u in (-1, 1).
      const z = rng.nextUint32();
      const i = z >>> 25;
      const u = ((z & 0x1ffffff) + 0.5) / 16777216 - 1;
      // Inside the layer's rectangle that lies wholly under the density.
      if (Math.abs(u) < zigguratRatio[i]) {
        out[k] = u * zigguratX[i];
        break;
      }
      if (i === 0) {
        out[k] = normalTail(rng, u < 0);
        break;
      }
      // The wedge between the rectangle and the density: accept under the curve.
      const x = u * zigguratX[i];
      const f0 = Math.exp(-0.5 * (zigguratX[i] * zigguratX[i] - x * x));
      const f1 = Math.exp(-0.5 * (zigguratX[i + 1] * zigguratX[i + 1] - x * x));
      if (f1 + rng.next() * (f0 - f1) < 1) {
        out[k] = x;
        break;
      }
    }
  }
  return out;
}

/** A sample beyond +-R (Marsaglia's tail method). */
function normalTail(rng: SeededRandom, negative: boolean): number {
  let x: number;
  let y: number;
  do {
    x = Math.log(Math.max(rng.next(), 1e-300)) / ZIGGURAT_R;
    y = Math.log(Math.max(rng.next(), 1e-300));
  } while (-2 * y < x * x);
  return negative ? x - ZIGGURAT_R : ZIGGURAT_R - x;
}

/** Derives an independent stream for a named purpose, so adding probes elsewhere changes nothing here. */
export function streamFor(seed: number, purpose: string): SeededRandom {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 16777619);
  return new SeededRandom(h >>> 0);
}
