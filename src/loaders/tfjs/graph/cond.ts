/**
 * Graph models with several inputs and TensorFlow 1 `cond` control flow (Robust Video Matting:
 * the frame `src`, recurrent states r1i..r4i and a `downsample_ratio` that picks, by Switch and
 * Merge, whether the frame is downsampled and refined).
 *
 * Fixed inputs: the analysed input is the float Placeholder of the highest declared rank; every
 * other Placeholder becomes a constant by the rules every format shares (../../fixedInputs.ts:
 * RVM's downsample ratio 1, its recurrent states zeros).
 *
 * Folding: when every Switch's predicate follows from constants (a small evaluator of
 * comparisons and reshapes), each Switch passes its data to the taken output only; nodes that
 * read an untaken output are dead, and so on downstream; a Merge with one live input becomes an
 * Identity of it. Otherwise nothing is changed (the Switch and Merge ops are refused by name).
 */
import type { ConstTensor } from '../../../graph/ir';
import { fixedValue } from '../../fixedInputs';
import { attrShape, attrType, inlineTensor, splitRef, tfDType, type TfNode } from './attrs';
import { dependencyOrder } from './order';

export interface FixedPlaceholder {
  readonly name: string;
  readonly value: string;
}

/** The name a tensor reference has as an internal tensor: "node" for output 0, else "node:k". */
function norm(ref: string): string {
  const [node, k] = splitRef(ref);
  return k === 0 ? node : `${node}:${k}`;
}

/** Placeholders after the analysed one, as Const nodes with their values. */
export function fixPlaceholders(
  nodes: readonly TfNode[],
  tensors: ReadonlyMap<string, ConstTensor>,
  analysed?: string,
): { nodes: TfNode[]; tensors: Map<string, ConstTensor>; fixed: FixedPlaceholder[] } {
  const placeholders = nodes.filter((n) => n.op === 'Placeholder');
  const out = new Map(tensors);
  if (placeholders.length < 2) return { nodes: [...nodes], tensors: out, fixed: [] };
  const rank = (n: TfNode): number => attrShape(n, 'shape')?.length ?? -1;
  const isFloat = (n: TfNode): boolean => tfDType(attrType(n, 'dtype') ?? 'DT_FLOAT') === 'float32';
  // A start tensor made a placeholder (--from) is the analysed input, whatever the others are.
  const chosen = analysed === undefined ? undefined : placeholders.find((n) => n.name === analysed);
  const data =
    chosen ?? placeholders.filter(isFloat).reduce<TfNode | undefined>((best, n) => (best === undefined || rank(n) > rank(best) ? n : best), undefined);
  if (data === undefined) return { nodes: [...nodes], tensors: out, fixed: [] };
  const fixed: FixedPlaceholder[] = [];
  const rewritten = nodes.map((n): TfNode => {
    if (n.op !== 'Placeholder' || n === data) return n;
    const { value, tensor } = fixedValue(n.name, tfDType(attrType(n, 'dtype') ?? 'DT_FLOAT') ?? 'float32', attrShape(n, 'shape'));
    out.set(n.name, tensor);
    fixed.push({ name: n.name, value });
    return { name: n.name, op: 'Const', inputs: [], attr: { dtype: n.attr.dtype ?? { type: 'DT_FLOAT' } } };
  });
  return { nodes: rewritten, tensors: out, fixed };
}

type Values = number[];

const COMPARE: Readonly<Record<string, (a: number, b: number) => number>> = {
  Equal: (a, b) => Number(a === b),
  NotEqual: (a, b) => Number(a !== b),
  Less: (a, b) => Number(a < b),
  LessEqual: (a, b) => Number(a <= b),
  Greater: (a, b) => Number(a > b),
  GreaterEqual: (a, b) => Number(a >= b),
  LogicalAnd: (a, b) => Number(a !== 0 && b !== 0),
  LogicalOr: (a, b) => Number(a !== 0 || b !== 0),
};

/** The flat values of a small tensor computed from constants only; undefined otherwise. */
function evaluator(byName: ReadonlyMap<string, TfNode>, tensors: ReadonlyMap<string, ConstTensor>): (ref: string) => Values | undefined {
  const memo = new Map<string, Values | undefined>();
  const evaluate = (ref: string, depth: number): Values | undefined => {
    const key = norm(ref);
    if (memo.has(key)) return memo.get(key);
    const [name, k] = splitRef(ref);
    const node = byName.get(name);
    let v: Values | undefined;
    if (node !== undefined && k === 0 && depth < 64) {
      const arg = (i: number): Values | undefined => (node.inputs[i] === undefined ? undefined : evaluate(node.inputs[i], depth + 1));
      if (node.op === 'Const') {
        const c = tensors.get(name) ?? inlineTensor(node);
        v = c === null || c === undefined || c.data.length > 64 ? undefined : Array.from(c.data);
      } else if (['Identity', 'Squeeze', 'Reshape', 'ExpandDims', 'Cast', 'StopGradient'].includes(node.op)) {
        v = arg(0);
      } else if (node.op === 'LogicalNot') {
        v = arg(0)?.map((x) => Number(x === 0));
      } else if (COMPARE[node.op] !== undefined) {
        const a = arg(0);
        const b = arg(1);
        if (a !== undefined && b !== undefined && (a.length === b.length || a.length === 1 || b.length === 1)) {
          const n = Math.max(a.length, b.length);
          v = Array.from({ length: n }, (_, i) => COMPARE[node.op](a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
        }
      }
    }
    memo.set(key, v);
    return v;
  };
  return (ref) => evaluate(ref, 0);
}

const DEAD = '\u0000dead';

/** The graph with its Switch/Merge conds folded, or undefined when some predicate is not constant. */
export function foldConds(nodes: readonly TfNode[], tensors: ReadonlyMap<string, ConstTensor>): TfNode[] | undefined {
  if (!nodes.some((n) => n.op === 'Switch' || n.op === 'Merge')) return undefined;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const evaluate = evaluator(byName, tensors);
  // Cond graphs have no loops: a graph with one is left alone (its loop ops are refused by name).
  const sorted = dependencyOrder(
    nodes.map((n) => n.name),
    byName,
    true,
  );
  if (!('order' in sorted)) return undefined;
  const order = sorted.order;
  const alias = new Map<string, string>();
  const resolve = (ref: string): string => alias.get(norm(ref)) ?? ref;
  const deadNodes = new Set<string>();
  const isDead = (ref: string): boolean => ref === DEAD || deadNodes.has(splitRef(ref)[0]);
  // Nodes some node reads as data (control edges are gone: parseNodes drops them).
  const read = new Set(nodes.flatMap((n) => n.inputs.map((i) => splitRef(i)[0])));
  const out: TfNode[] = [];
  for (const node of order) {
    const ins = node.inputs.map(resolve);
    if (node.op === 'Switch') {
      const pred = evaluate(node.inputs[1] ?? '');
      if (pred === undefined || pred.length !== 1) return undefined;
      const taken = pred[0] !== 0 ? `${node.name}:1` : node.name;
      const other = pred[0] !== 0 ? node.name : `${node.name}:1`;
      alias.set(taken, isDead(ins[0]) ? DEAD : ins[0]);
      alias.set(other, DEAD);
      continue;
    }
    if (node.op === 'Merge') {
      const live = ins.filter((i) => !isDead(i));
      // A cond's "branch_executed" Merge of two pivot Consts (kept alive by the dropped control
      // edges) is read by control edges only: it goes.
      if (live.length > 1 && !read.has(node.name)) continue;
      if (live.length > 1) return undefined;
      if (live.length === 0) deadNodes.add(node.name);
      else out.push({ ...node, op: 'Identity', inputs: [live[0]], attr: { T: node.attr.T ?? { type: 'DT_FLOAT' } } });
      continue;
    }
    if (ins.some(isDead)) {
      deadNodes.add(node.name);
      continue;
    }
    out.push(ins.every((r, i) => r === node.inputs[i]) ? node : { ...node, inputs: ins });
  }
  return out;
}
