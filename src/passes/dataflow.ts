/**
 * Data-flow facts about a graph that the block analysis needs: which tensors carry data from
 * the model input (as opposed to shapes, indices and constants), who produces and consumes
 * each tensor, and which tensors are fixed (derived from constants only).
 */
import type { Graph, GraphNode } from '../graph/ir';
import { kernelFor } from '../ops/registry';

export interface DataFlow {
  readonly graph: Graph;
  /** Node index producing each tensor. */
  readonly producer: ReadonlyMap<string, number>;
  /** For each tensor, the indices of nodes that read it through a data input. */
  readonly dataConsumers: ReadonlyMap<string, readonly number[]>;
  /** Tensors that depend on the model input through data inputs only. */
  readonly dataTensors: ReadonlySet<string>;
  /** Tensors whose value is fixed: constants and outputs of nodes with only fixed inputs. */
  readonly fixedTensors: ReadonlySet<string>;
  /** Position of each tensor in graph order (input 0, then node outputs). */
  readonly order: ReadonlyMap<string, number>;
}

export function dataInputNames(node: GraphNode): string[] {
  const k = kernelFor(node.op);
  return k.dataInputs.map((j) => node.inputs[j]).filter((n): n is string => n !== undefined && n !== '');
}

export function analyzeDataFlow(graph: Graph, inputName: string): DataFlow {
  const producer = new Map<string, number>();
  const dataConsumers = new Map<string, number[]>();
  const order = new Map<string, number>([[inputName, 0]]);
  const dataTensors = new Set<string>([inputName]);
  const fixedTensors = new Set<string>(graph.constants.keys());
  graph.nodes.forEach((node, i) => {
    node.outputs.forEach((o) => {
      if (o === '') return;
      producer.set(o, i);
      // The input keeps order 0 when a node inside the graph produces it (a start tensor of
      // --from, a token model's embedding): re-setting it would give it the next tensor's number.
      if (o !== inputName) order.set(o, order.size);
    });
    const dataIns = dataInputNames(node);
    for (const name of dataIns) {
      const list = dataConsumers.get(name) ?? [];
      list.push(i);
      dataConsumers.set(name, list);
    }
    if (dataIns.some((n) => dataTensors.has(n))) node.outputs.forEach((o) => o !== '' && dataTensors.add(o));
    const realInputs = node.inputs.filter((n) => n !== '');
    if (realInputs.every((n) => fixedTensors.has(n))) node.outputs.forEach((o) => o !== '' && fixedTensors.add(o));
  });
  return { graph, producer, dataConsumers, dataTensors, fixedTensors, order };
}

/**
 * Data tensors on some path from `from` to `to` (both included), following data inputs.
 * Empty when `to` does not depend on `from`.
 */
export function tensorsBetween(flow: DataFlow, from: string, to: string): Set<string> {
  const forward = new Set<string>([from]);
  const nodes = flow.graph.nodes;
  nodes.forEach((node) => {
    if (dataInputNames(node).some((n) => forward.has(n))) node.outputs.forEach((o) => o !== '' && forward.add(o));
  });
  if (!forward.has(to)) return new Set();
  const both = new Set<string>([to]);
  const stack = [to];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t === from) continue;
    const p = flow.producer.get(t);
    if (p === undefined) continue;
    for (const inp of dataInputNames(nodes[p])) {
      if (forward.has(inp) && !both.has(inp)) {
        both.add(inp);
        stack.push(inp);
      }
    }
  }
  return both;
}
