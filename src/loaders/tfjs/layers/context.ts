/**
 * What a Keras layer translator gets for one call of one layer: the emitter, the layer's
 * config, its input tensors (with their ranks where known) and access to its weights.
 */
import type { ConstTensor, NodeOrigin } from '../../../graph/ir';
import type { JsonObject } from '../config';
import type { GraphEmitter } from '../emitter';

export interface LayerCall {
  readonly em: GraphEmitter;
  /** Layer name as written in model.json. */
  readonly name: string;
  readonly className: string;
  readonly config: JsonObject;
  /** Base for node names of this call: the layer name (first call) or `<name>@<k>`. */
  readonly scope: string;
  readonly inputs: readonly string[];
  /** Rank (including the batch dimension) of each input, where known. */
  readonly ranks: readonly (number | undefined)[];
  readonly origin: NodeOrigin;
  /** Name of the weights constant `<layer>/<weight>`; throws when the manifest lacks it. */
  weight(weightName: string): string;
  /** Like `weight`, or null when the manifest does not list it. */
  optionalWeight(weightName: string): string | null;
  /** The value of a weight (for weights re-laid out at load time). */
  weightValue(weightName: string): ConstTensor;
}

/** Result of translating one layer call. */
export interface LayerResult {
  readonly outputs: readonly string[];
  /** Output ranks where known; default: the rank of the first input. */
  readonly ranks?: readonly (number | undefined)[];
}

export type LayerTranslator = (call: LayerCall) => LayerResult | string;

/** Thrown by translators for configurations the engine cannot represent (named in the error). */
export class UnsupportedLayerConfig extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedLayerConfig';
  }
}
