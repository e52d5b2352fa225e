/**
 * Integer image inputs (movenet feeds int32 pixels): when the model's one input is an integer
 * tensor whose every use is a Cast to float, the values become differentiable floats at that
 * Cast, so the analysis starts there, as token ids start at their embedding (docs/metrics.md,
 * "Boundary 0"). The rewrite declares the input float32 and drops the Casts (their readers read
 * the input itself), so seeded samples, data files, --dim and the size checks work as for any
 * float input. Models whose integer input is also used otherwise (an embedding lookup, an index)
 * are left alone: tokens.ts handles the lookups, and the rest is refused there.
 */
import type { Graph, GraphNode } from '../graph/ir';

export interface IntegerImageRewrite {
  readonly graph: Graph;
  /** For the report's warnings: what was analysed instead of the declared integer input. */
  readonly note: string;
}

export function analyseFromIntegerCast(graph: Graph): IntegerImageRewrite | undefined {
  const inputs = graph.inputs.filter((i) => !graph.constants.has(i.name));
  if (inputs.length !== 1 || inputs[0].dtype === 'float32') return undefined;
  const input = inputs[0];
  const uses = graph.nodes.filter((n) => n.inputs.includes(input.name));
  if (uses.length === 0 || !uses.every((n) => isCastToFloat(n) && n.inputs[0] === input.name)) return undefined;
  const castOutputs = new Set(uses.map((n) => n.outputs[0]));
  // A Cast whose output is also a model output would leave that output unnamed: not this shape.
  if (graph.outputs.some((o) => castOutputs.has(o.name))) return undefined;
  const dropped = new Set(uses);
  const nodes = graph.nodes.filter((n) => !dropped.has(n)).map((n) => ({ ...n, inputs: n.inputs.map((i) => (castOutputs.has(i) ? input.name : i)) }));
  return {
    graph: { ...graph, nodes, inputs: graph.inputs.map((i) => (i === input ? { ...i, dtype: 'float32' } : i)) },
    note:
      `the model input "${input.name}" is ${input.dtype} and only cast to float: it was fed as float32 and the analysis starts at the cast ` +
      `(seeded Gaussian values unless sample data is given, e.g. --data with images for pixel values)`,
  };
}

function isCastToFloat(n: GraphNode): boolean {
  return n.op === 'Cast' && n.attrs.to === 'float32';
}
