/**
 * Where to cut a TF.js graph model whose outputs depend on ops the loader cannot translate
 * (TopKV2, NonMaxSuppression, control flow in a detector's post-processing): the candidates
 * are tensors computed from the inputs without any such op, by ops with a gradient. The best
 * ones come first: those that depend on the most nodes (the end of the network proper, not a
 * side branch), then the later in the graph. The caller checks each by translating up to it.
 */
import { splitRef, type TfNode } from './attrs';

/** TF ops with no useful gradient: they end a differentiable path (shapes, comparisons, indices). */
const NOT_DIFFERENTIABLE = new Set([
  'Const',
  'Placeholder',
  'NoOp',
  'Shape',
  'ShapeN',
  'Size',
  'Rank',
  'Cast',
  'ArgMax',
  'ArgMin',
  'Equal',
  'NotEqual',
  'Less',
  'LessEqual',
  'Greater',
  'GreaterEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalNot',
  'FloorDiv',
  'FloorMod',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Range',
  'ZerosLike',
  'OnesLike',
  'Where',
  'StridedSlice',
]);

/** Ops that read only their input's shape. */
const SHAPE_OF = new Set(['Shape', 'ShapeN', 'Size', 'Rank']);

/**
 * Candidate cut tensors, best first. `blocked` names the nodes that cannot be translated;
 * everything that reads one of them (directly or not) is blocked too. Cycles (loops) are
 * tolerated: a node on a cycle is reached before its back edge and stays blocked when the
 * loop's ops are.
 */
export function cutCandidates(byName: ReadonlyMap<string, TfNode>, outputs: readonly string[], blocked: ReadonlySet<string>, limit: number): string[] {
  const order: TfNode[] = [];
  const visited = new Set<string>();
  const visit = (name: string): void => {
    if (visited.has(name)) return;
    const node = byName.get(name);
    if (!node) return;
    visited.add(name);
    for (const i of node.inputs) visit(splitRef(i)[0]);
    order.push(node);
  };
  for (const o of outputs) visit(splitRef(o)[0]);

  const bad = new Set<string>();
  const data = new Set<string>();
  const ancestors = new Map<string, number>();
  const ancestorSets = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (const node of order) {
    const ins = node.inputs.map((i) => splitRef(i)[0]);
    // An input not seen yet is a back edge of a loop (or a dangling name): blocked.
    if (blocked.has(node.name) || ins.some((i) => bad.has(i) || !seen.has(i))) bad.add(node.name);
    seen.add(node.name);
    // Shapes of data are not data: a meshgrid built from them is no candidate.
    if (node.op === 'Placeholder' || (!SHAPE_OF.has(node.op) && ins.some((i) => data.has(i)))) data.add(node.name);
    // Ancestors are counted only along data paths: weights and shapes do not make a tensor "deeper".
    const set = new Set<string>();
    for (const i of ins) {
      if (!data.has(i)) continue;
      set.add(i);
      for (const a of ancestorSets.get(i) ?? []) set.add(a);
    }
    ancestorSets.set(node.name, set);
    ancestors.set(node.name, set.size);
  }
  const position = new Map(order.map((n, k) => [n.name, k]));
  return order
    .filter((n) => data.has(n.name) && !bad.has(n.name) && !NOT_DIFFERENTIABLE.has(n.op))
    .sort((a, b) => ancestors.get(b.name)! - ancestors.get(a.name)! || position.get(b.name)! - position.get(a.name)!)
    .slice(0, limit)
    .map((n) => n.name);
}
