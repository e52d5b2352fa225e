/**
 * Models with one data input and further inputs that are not data (silero VAD: the audio, plus
 * the sample rate `sr` and the recurrent state `h`/`c` or `state`): the first float input is the
 * analysed input, every other input is fixed to a constant at load time **(our choice,
 * README "Inputs")**:
 * - an integer scalar named like a sample rate (sr, sample_rate, sampling_rate): 16000, the rate
 *   speech models are trained at;
 * - any other integer input: zeros;
 * - a float input (a recurrent state): zeros, the state at the start of a stream.
 * Dynamic dimensions of a fixed input are 1 (a batch-1 state broadcasts over the batch in the
 * ops that read it, see ops/recurrent.ts).
 */
import type { ConstTensor, ValueInfo } from '../../graph/ir';

export interface FixedInput {
  readonly name: string;
  /** What it is fed, in words (for the report's notes). */
  readonly value: string;
  readonly tensor: ConstTensor;
}

const SAMPLE_RATE = /^(sr|sample_?rate|sampling_?rate)$/i;

/** The rate fed to a sample-rate input. */
export const DEFAULT_SAMPLE_RATE = 16000;

/** The fixed inputs of a model whose first input is float and which has more than one. */
export function fixSecondaryInputs(inputs: readonly ValueInfo[]): { readonly data: ValueInfo[]; readonly fixed: FixedInput[] } {
  if (inputs.length < 2 || inputs[0].dtype !== 'float32') return { data: [...inputs], fixed: [] };
  const fixed = inputs.slice(1).map((info): FixedInput => {
    const shape = (info.shape ?? []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const size = shape.reduce((a, b) => a * b, 1);
    if (info.dtype === 'float32') return { name: info.name, value: 'zeros', tensor: { dtype: 'float32', shape, data: new Float32Array(size) } };
    if (info.dtype === 'bool') return { name: info.name, value: 'false', tensor: { dtype: 'bool', shape, data: new Uint8Array(size) } };
    if (size === 1 && SAMPLE_RATE.test(info.name)) {
      return { name: info.name, value: String(DEFAULT_SAMPLE_RATE), tensor: { dtype: 'int32', shape, data: Int32Array.from([DEFAULT_SAMPLE_RATE]) } };
    }
    return { name: info.name, value: 'zeros', tensor: { dtype: 'int32', shape, data: new Int32Array(size) } };
  });
  return { data: [inputs[0]], fixed };
}
