/**
 * The one dependency order of a TF.js graph's nodes: each node after every node it reads. The
 * translator orders the nodes its outputs need; the cond folder orders the whole graph. The walk
 * is iterative (an explicit stack), so a hostile model.json with a chain of a million nodes
 * cannot overflow the call stack.
 */
import { splitRef, type TfNode } from './attrs';

export type DependencyOrder =
  | { readonly order: TfNode[] }
  /** A node that reads itself through others: a loop, which only control flow makes. */
  | { readonly cycleThrough: string }
  /** A node reads a tensor no node defines. */
  | { readonly missing: string };

/**
 * The nodes reachable from `roots` (node names), inputs before their readers. With
 * `ignoreMissing`, an input no node defines is skipped (the cond folder leaves those to the
 * translator, which names them); otherwise it is reported.
 */
export function dependencyOrder(roots: Iterable<string>, byName: ReadonlyMap<string, TfNode>, ignoreMissing = false): DependencyOrder {
  const order: TfNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  for (const rootName of roots) {
    const root = byName.get(rootName);
    if (root === undefined) {
      if (ignoreMissing) continue;
      return { missing: rootName };
    }
    if (state.get(rootName) === 'done') continue;
    state.set(rootName, 'visiting');
    const stack: [TfNode, number][] = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, next] = top;
      if (next < node.inputs.length) {
        top[1]++;
        const name = splitRef(node.inputs[next])[0];
        const input = byName.get(name);
        if (input === undefined) {
          if (ignoreMissing) continue;
          return { missing: name };
        }
        const seen = state.get(name);
        if (seen === 'done') continue;
        if (seen === 'visiting') return { cycleThrough: name };
        state.set(name, 'visiting');
        stack.push([input, 0]);
      } else {
        state.set(node.name, 'done');
        order.push(node);
        stack.pop();
      }
    }
  }
  return { order };
}
