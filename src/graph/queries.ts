/**
 * Questions about a graph that need nothing but its structure.
 */
import type { Graph, GraphNode } from './ir';

/**
 * The headline reference layer: the model output, or the logits when the model ends in a
 * softmax (docs/metrics.md, "The reference layer").
 */
export function referenceOutput(graph: Graph): string {
  if (graph.outputs.length === 0) throw new Error('the model has no outputs');
  const out = graph.outputs[0].name;
  const producer = graph.nodes.find((nd) => nd.outputs.includes(out));
  if (producer && producer.op === 'Softmax') return producer.inputs[0];
  return out;
}

/** Whether a node was inserted by a graph pass rather than written in the model. */
export function isSynthetic(node: GraphNode): boolean {
  return node.origin.synthetic === true;
}
