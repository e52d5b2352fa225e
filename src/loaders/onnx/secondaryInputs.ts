/**
 * Models with one data input and further inputs that are not data (silero VAD: the audio, plus
 * the sample rate `sr` and the recurrent state `h`/`c` or `state`): the first float input is the
 * analysed input, every other input is fixed to a constant at load time, by the rules every
 * format shares (../fixedInputs.ts).
 */
import type { ConstTensor, ValueInfo } from '../../graph/ir';
import { fixedValue } from '../fixedInputs';

export interface FixedInput {
  readonly name: string;
  /** What it is fed, in words (for the report's notes). */
  readonly value: string;
  readonly tensor: ConstTensor;
}

/** The fixed inputs of a model whose first input is float and which has more than one. */
export function fixSecondaryInputs(inputs: readonly ValueInfo[]): { readonly data: ValueInfo[]; readonly fixed: FixedInput[] } {
  if (inputs.length < 2 || inputs[0].dtype !== 'float32') return { data: [...inputs], fixed: [] };
  const fixed = inputs.slice(1).map((info): FixedInput => ({ name: info.name, ...fixedValue(info.name, info.dtype, info.shape) }));
  return { data: [inputs[0]], fixed };
}
