/**
 * Which stream units (metrics/blocks.ts, StreamUnit) can be measured as a block is. A reverse
 * pass from a unit's output to its input sums every data path between them; the unit's GSC is
 * defined with the other tensors its ops read held at their forward values, so the two agree
 * only when every path from the input to the output runs through the unit's own ops. An FPN's
 * top-down merge (a lateral plus the upsampled coarser level, itself computed from the lateral's
 * input along the main path) is the case where they do not: that unit is left unmeasured.
 */
import type { Graph } from '../graph/ir';
import type { StreamUnit } from '../metrics/blocks';

/** undefined when the unit can be measured; else why not, in words for the report. */
export function unmeasuredReason(graph: Graph, u: StreamUnit): string | undefined {
  const outside = nodesBetween(graph, u.inputTensor, u.outputTensor).filter((i) => !u.nodeIndices.includes(i));
  if (outside.length === 0) return undefined;
  const names = outside.slice(0, 3).map((i) => graph.nodes[i].name);
  return (
    `its input also reaches its output through ${outside.length} op(s) outside it (${names.join(', ')}${outside.length > 3 ? ', …' : ''}), ` +
    `so a reverse pass would not hold the other tensors it reads fixed`
  );
}

/** Nodes on some data path from tensor `from` to tensor `to` (downstream of one, upstream of the other). */
function nodesBetween(graph: Graph, from: string, to: string): number[] {
  const reached = new Set([from]);
  const downstream = new Set<number>();
  graph.nodes.forEach((n, i) => {
    if (!n.inputs.some((t) => reached.has(t))) return;
    downstream.add(i);
    n.outputs.forEach((t) => reached.add(t));
  });
  const needed = new Set([to]);
  const between: number[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (!n.outputs.some((t) => needed.has(t))) continue;
    n.inputs.forEach((t) => needed.add(t));
    if (downstream.has(i)) between.push(i);
  }
  return between.reverse();
}
