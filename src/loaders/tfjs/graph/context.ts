/** What a TensorFlow op translator gets for one node of a graph model. */
import type { ConstTensor, NodeOrigin } from '../../../graph/ir';
import type { GraphEmitter } from '../emitter';
import type { TfNode } from './attrs';

export interface OpCall {
  readonly em: GraphEmitter;
  readonly node: TfNode;
  /** Internal tensor names of the node's data inputs. */
  readonly inputs: readonly string[];
  /** Base for node names: the TF node name. */
  readonly scope: string;
  readonly origin: NodeOrigin;
  /** Value of input i when it is a constant (directly or through Identity), else null. */
  constInput(i: number): ConstTensor | null;
  /** Rank of input i where known. */
  rank(i: number): number | undefined;
  /** Length of input i, a 1-D vector (a shape), where known without running the graph. */
  vectorLength(i: number): number | undefined;
}

export interface OpResult {
  /** Internal tensors for the node's outputs 0, 1, ...; the caller names them after the node. */
  readonly outputs: readonly string[];
  readonly ranks?: readonly (number | undefined)[];
}

export type OpTranslator = (call: OpCall) => OpResult | string;

/** A node this loader cannot translate, with the reason (collected and reported together). */
export class UnsupportedNode extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedNode';
  }
}
