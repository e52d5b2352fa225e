/**
 * Questions about a graph that need nothing but its structure.
 */
import type { Graph, GraphNode } from './ir';

/** Ops that only rearrange values: a softmax behind them still ends the model. */
const REARRANGING = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);
/** How many rearranging ops may follow the softmax (an old-opset Softmax loads as Flatten, Softmax, Reshape). */
const MAX_REARRANGING = 4;

/**
 * The headline reference layer: model output `outputIndex` (the first by default), or the
 * logits when that output is a softmax, possibly reshaped (docs/metrics.md, "The reference layer").
 */
export function referenceOutput(graph: Graph, outputIndex = 0): string {
  if (graph.outputs.length === 0) throw new Error('the model has no outputs');
  const chosen = graph.outputs[outputIndex];
  if (chosen === undefined) throw new RangeError(`the model has ${graph.outputs.length} outputs: there is no output ${outputIndex}`);
  const producerOf = (t: string): GraphNode | undefined => graph.nodes.find((nd) => nd.outputs.includes(t));
  let t = chosen.name;
  for (let steps = 0; steps <= MAX_REARRANGING; steps++) {
    const p = producerOf(t);
    if (p === undefined) break;
    if (p.op === 'Softmax') return logitsOf(p, producerOf);
    if (!REARRANGING.has(p.op)) break;
    t = p.inputs[0];
  }
  return chosen.name;
}

/** The softmax's input, or before the Flatten that the old-opset 2-D coercion put in front of it. */
function logitsOf(softmax: GraphNode, producerOf: (t: string) => GraphNode | undefined): string {
  const p = producerOf(softmax.inputs[0]);
  return p !== undefined && p.op === 'Flatten' && p.origin.name === softmax.origin.name ? p.inputs[0] : softmax.inputs[0];
}

/** Whether a node was inserted by a graph pass rather than written in the model. */
export function isSynthetic(node: GraphNode): boolean {
  return node.origin.synthetic === true;
}
