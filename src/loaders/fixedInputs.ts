/**
 * What an input other than the analysed one is fixed to at load time, the same for every
 * format (README "Models with several inputs", **our choice**):
 * - an integer scalar named like a sample rate (sr, sample_rate, sampling_rate): 16000, the
 *   rate speech models are trained at (silero VAD);
 * - a float input named like a downsample ratio: 1, no downsampling (Robust Video Matting's
 *   advice for frames up to 512 px);
 * - any other float input (a recurrent state): zeros, the state at the start of a stream;
 * - any other integer or boolean input: zeros / false.
 * Dynamic or unknown sizes are 1, and an input of unknown rank is a scalar (a batch-1 state
 * broadcasts over the batch in the ops that read it, see ops/recurrent.ts).
 */
import type { ConstTensor, Dim, DType } from '../graph/ir';

export interface FixedValue {
  /** What the input is fed, in words (for the report's warning). */
  readonly value: string;
  readonly tensor: ConstTensor;
}

const SAMPLE_RATE = /^(sr|sample_?rate|sampling_?rate)$/i;
const DOWNSAMPLE = /downsample/i;

/** The rate fed to a sample-rate input. */
export const DEFAULT_SAMPLE_RATE = 16000;

/** The constant an input named `name` gets; `dims` as declared (symbolic or non-positive sizes are dynamic). */
export function fixedValue(name: string, dtype: DType, dims: readonly Dim[] | null): FixedValue {
  const shape = (dims ?? []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const size = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'float32') {
    const one = DOWNSAMPLE.test(name);
    return { value: one ? '1' : 'zeros', tensor: { dtype, shape, data: new Float32Array(size).fill(one ? 1 : 0) } };
  }
  if (dtype === 'bool') return { value: 'false', tensor: { dtype, shape, data: new Uint8Array(size) } };
  if (size === 1 && SAMPLE_RATE.test(name))
    return { value: String(DEFAULT_SAMPLE_RATE), tensor: { dtype, shape, data: Int32Array.from([DEFAULT_SAMPLE_RATE]) } };
  return { value: 'zeros', tensor: { dtype, shape, data: new Int32Array(size) } };
}
