/**
 * Finds where NaN or Inf first appears: in the weights, or in graph order among the
 * activations, so the report can name the tensor rather than show meaningless numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '../graph/ir';
import { knownTransposes } from '../graph/constants';
import type { Activations } from './executor';
import { dataInputNames } from '../passes/dataflow';

export interface NonFiniteFinding {
  readonly tensor: string;
  readonly message: string;
}

function hasNonFinite(t: tf.Tensor): boolean {
  if (t.dtype !== 'float32') return false;
  return tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(t))).dataSync()[0] === 1);
}

/**
 * Constants some op computes with (a data operand: weights, biases, added masks). Clip's bounds,
 * a Pad value or a Range limit are parameters, where ±Inf is a legitimate "no bound": a
 * non-finite one matters only if it makes the forward pass non-finite, which the activations'
 * check below finds.
 */
function constantsComputedWith(graph: Graph): Set<string> {
  const used = new Set<string>();
  for (const node of graph.nodes) for (const name of dataInputNames(node)) if (graph.constants.has(name)) used.add(name);
  return used;
}

export function findFirstNonFinite(graph: Graph, acts: Activations, inputName: string): NonFiniteFinding | undefined {
  const computedWith = constantsComputedWith(graph);
  for (const [name, c] of graph.constants) {
    if (c.dtype !== 'float32' || !computedWith.has(name)) continue;
    // A kernel the layout pass made lazily holds the values it was made from: scanned instead,
    // so it is made (for the element's index in its own layout) only when one is not finite.
    const source = knownTransposes(c).values().next().value;
    if (source !== undefined && source.every(Number.isFinite)) continue;
    for (let i = 0; i < c.data.length; i++) {
      if (!Number.isFinite(c.data[i])) {
        return {
          tensor: name,
          message: `the weight tensor "${name}" contains ${Number.isNaN(c.data[i]) ? 'NaN' : 'Inf'} (element ${i}); every number downstream of it is meaningless`,
        };
      }
    }
  }
  const input = acts.get(inputName);
  if (input && hasNonFinite(input)) return { tensor: inputName, message: `the input batch "${inputName}" contains NaN or Inf` };
  for (const node of graph.nodes) {
    for (const o of node.outputs) {
      const t = o === '' ? undefined : acts.get(o);
      if (t && hasNonFinite(t)) {
        return { tensor: o, message: `NaN or Inf first appears in "${o}", the output of node "${node.name}" (${node.op})` };
      }
    }
  }
  return undefined;
}
