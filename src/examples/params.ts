/**
 * The examples' weights: seeded, in float32, computed the same way on every machine (one
 * named SeededRandom stream per tensor, float64 arithmetic rounded once to float32), so the
 * generator writes byte-identical files wherever it runs.
 */
import { streamFor } from '../runtime/random';
import { EXAMPLE_CLASSES, EXAMPLE_DEPTH, EXAMPLE_SEED, EXAMPLE_WIDTH, RESIDUAL_UNITS, type ExampleInfo, type Init } from './catalog';

/** Scale of the small random biases and norm offsets (not 0/1, so a loader that drops them is caught). */
const SMALL = 0.05;
/** Samples the batch-norm running statistics are computed from. */
const CALIBRATION_SAMPLES = 256;
const NORM_EPSILON = 1e-5;

/** A dense layer in PyTorch layout: weight [out, in] row-major. */
export interface Dense {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
  readonly init: Init;
}

export interface NormParams {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  /** Batch norm only. */
  readonly runningMean?: Float32Array;
  readonly runningVar?: Float32Array;
}

export interface MlpParams {
  readonly kind: 'mlp';
  readonly blocks: readonly { readonly dense: Dense; readonly norm: NormParams | null }[];
  readonly head: Dense;
}

export interface ResidualParams {
  readonly kind: 'residual';
  readonly inp: Dense;
  readonly units: readonly { readonly fc1: Dense; readonly fc2: Dense }[];
  readonly head: Dense;
}

export interface LinearParams {
  readonly kind: 'linear';
  readonly layers: readonly Dense[];
}

export type ExampleParams = MlpParams | ResidualParams | LinearParams;

export const BN_EPSILON = NORM_EPSILON;
export const LN_EPSILON = NORM_EPSILON;

function gaussian(example: string, tensor: string, count: number, mean: number, std: number): Float32Array {
  const g = streamFor(EXAMPLE_SEED, `${example}/${tensor}`).gaussian(count);
  for (let i = 0; i < count; i++) g[i] = mean + std * g[i];
  return g;
}

function initStd(init: Init, fanIn: number, fanOut: number): number {
  switch (init) {
    case 'he':
      return Math.sqrt(2 / fanIn);
    case 'xavier-tanh':
      return (5 / 3) * Math.sqrt(2 / (fanIn + fanOut));
    case 'lecun':
      return Math.sqrt(1 / fanIn);
    case 'orthogonal':
      throw new Error('orthogonal weights are not Gaussian');
  }
}

function dense(example: string, name: string, inFeatures: number, outFeatures: number, init: Init, bias = true): Dense {
  const weight =
    init === 'orthogonal'
      ? orthogonal(example, `${name}.weight`, inFeatures)
      : gaussian(example, `${name}.weight`, inFeatures * outFeatures, 0, initStd(init, inFeatures, outFeatures));
  return { inFeatures, outFeatures, weight, bias: bias ? gaussian(example, `${name}.bias`, outFeatures, 0, SMALL) : null, init };
}

/**
 * A random orthogonal n x n matrix: Gram-Schmidt (twice, in float64) on the rows of a Gaussian
 * matrix, then rounded to float32 (orthogonal to about 1e-7).
 */
function orthogonal(example: string, tensor: string, n: number): Float32Array {
  const g = streamFor(EXAMPLE_SEED, `${example}/${tensor}`).gaussian(n * n);
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const v = Float64Array.from(g.subarray(i * n, (i + 1) * n));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of rows) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += q[j] * v[j];
        for (let j = 0; j < n; j++) v[j] -= dot * q[j];
      }
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += v[j] * v[j];
    norm = Math.sqrt(norm);
    for (let j = 0; j < n; j++) v[j] /= norm;
    rows.push(v);
  }
  const out = new Float32Array(n * n);
  rows.forEach((r, i) => out.set(r, i * n));
  return out;
}

/** y = W x + b for each sample (rows of x), in float64. */
function applyDense(d: Dense, x: readonly Float64Array[]): Float64Array[] {
  return x.map((xi) => {
    const y = new Float64Array(d.outFeatures);
    for (let o = 0; o < d.outFeatures; o++) {
      let s = d.bias ? d.bias[o] : 0;
      const row = o * d.inFeatures;
      for (let i = 0; i < d.inFeatures; i++) s += d.weight[row + i] * xi[i];
      y[o] = s;
    }
    return y;
  });
}

/**
 * Batch norm in inference mode with the statistics of the pre-activations it sees on N(0, 1)
 * inputs, as after a calibration pass: without that, running statistics of 0 and 1 would make
 * every batch norm an almost-identity and hide what normalisation does to the gradients.
 */
function calibratedBatchNorm(example: string, name: string, z: readonly Float64Array[]): { norm: NormParams; out: Float64Array[] } {
  const width = z[0].length;
  const mean = new Float32Array(width);
  const variance = new Float32Array(width);
  for (let u = 0; u < width; u++) {
    let s = 0;
    for (const zi of z) s += zi[u];
    const m = s / z.length;
    let v = 0;
    for (const zi of z) v += (zi[u] - m) ** 2;
    mean[u] = m;
    variance[u] = v / z.length;
  }
  const gamma = gaussian(example, `${name}.weight`, width, 1, SMALL);
  const beta = gaussian(example, `${name}.bias`, width, 0, SMALL);
  const out = z.map((zi) => {
    const y = new Float64Array(width);
    for (let u = 0; u < width; u++) y[u] = (gamma[u] * (zi[u] - mean[u])) / Math.sqrt(variance[u] + NORM_EPSILON) + beta[u];
    return y;
  });
  return { norm: { gamma, beta, runningMean: mean, runningVar: variance }, out };
}

const relu = (y: Float64Array): Float64Array => y.map((v) => (v > 0 ? v : 0));

export function buildParams(example: ExampleInfo): ExampleParams {
  const id = example.id;
  const a = example.architecture;
  const W = EXAMPLE_WIDTH;
  switch (a.family) {
    case 'mlp': {
      // Calibration samples only matter for batch norm (the only layer with statistics).
      let x: Float64Array[] =
        a.norm === 'batch'
          ? Array.from({ length: CALIBRATION_SAMPLES }, (_, i) => Float64Array.from(gaussian(id, `calibration.${i}`, W, 0, 1)))
          : [];
      const blocks = [];
      for (let i = 0; i < EXAMPLE_DEPTH; i++) {
        const d = dense(id, `blocks.${i}.dense`, W, W, a.init);
        let norm: NormParams | null = null;
        if (a.norm === 'batch') {
          const bn = calibratedBatchNorm(id, `blocks.${i}.norm`, applyDense(d, x));
          norm = bn.norm;
          x = bn.out.map(relu);
        } else if (a.norm === 'layer') {
          norm = { gamma: gaussian(id, `blocks.${i}.norm.weight`, W, 1, SMALL), beta: gaussian(id, `blocks.${i}.norm.bias`, W, 0, SMALL) };
        }
        blocks.push({ dense: d, norm });
      }
      return { kind: 'mlp', blocks, head: dense(id, 'head', W, EXAMPLE_CLASSES, 'lecun') };
    }
    case 'residual':
      return {
        kind: 'residual',
        inp: dense(id, 'inp', W, W, 'lecun'),
        units: Array.from({ length: RESIDUAL_UNITS }, (_, i) => ({
          fc1: dense(id, `blocks.${i}.fc1`, W, W, 'he'),
          fc2: dense(id, `blocks.${i}.fc2`, W, W, 'lecun'),
        })),
        head: dense(id, 'head', W, EXAMPLE_CLASSES, 'lecun'),
      };
    case 'linear':
      return { kind: 'linear', layers: Array.from({ length: EXAMPLE_DEPTH }, (_, i) => dense(id, `layers.${i}`, W, W, 'orthogonal', false)) };
  }
}

/** [out, in] row-major -> [in, out] row-major (the Keras kernel and the ONNX MatMul layout). */
export function transposed(d: Dense): Float32Array {
  const t = new Float32Array(d.weight.length);
  for (let o = 0; o < d.outFeatures; o++) for (let i = 0; i < d.inFeatures; i++) t[i * d.outFeatures + o] = d.weight[o * d.inFeatures + i];
  return t;
}
