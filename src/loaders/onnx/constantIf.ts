/**
 * ONNX If nodes whose condition is a constant (an initializer or a Constant node's output) are
 * replaced at load time by the nodes of the branch they take, so the engine, which runs no
 * subgraphs, analyses models that export a fixed choice as an If. Tensors produced inside the
 * branch are renamed under the If's name (they may repeat names of the outer graph or of the
 * other branch); names the branch reads from the outer scope stay. Each If output becomes an
 * Identity of the branch's output.
 *
 * An If whose condition is computed is folded the same way when `foldIfs` is given an
 * evaluator that knows the condition's value for the analysed input shape (a shape check, a
 * sample-rate check against a fixed input: see index.ts); otherwise it stays, and is refused.
 */
import { onnx } from 'onnx-proto';
import type { ConstTensor } from '../../graph/ir';
import { decodeTensorProto } from './tensor';

type Initializers = Map<string, ConstTensor>;

/** The condition's value when it is known at load time. */
function constantCondition(
  name: string,
  initializers: Initializers,
  constants: ReadonlyMap<string, onnx.ITensorProto>,
  file: string,
  known: ReadonlyMap<string, boolean>,
): boolean | undefined {
  if (known.has(name)) return known.get(name);
  const value = initializers.get(name) ?? (constants.has(name) ? decodeTensorProto(constants.get(name)!, { file }) : undefined);
  if (value === undefined || value.data.length !== 1) return undefined;
  return Number(value.data[0]) !== 0;
}

function branchOf(node: onnx.INodeProto, taken: boolean): onnx.IGraphProto | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === (taken ? 'then_branch' : 'else_branch'));
  return a?.g ?? undefined;
}

/** `g` with its reads of outer names renamed; names `g` defines itself (and its subgraphs theirs) are left alone. */
function renameOuterReads(g: onnx.IGraphProto, rename: (t: string) => string): onnx.IGraphProto {
  const local = new Set<string>([
    ...(g.node ?? []).flatMap((n) => n.output ?? []),
    ...(g.initializer ?? []).map((t) => t.name ?? ''),
    ...(g.input ?? []).map((v) => v.name ?? ''),
  ]);
  const outer = (t: string): string => (local.has(t) ? t : rename(t));
  return {
    ...g,
    node: (g.node ?? []).map((n) => ({
      ...n,
      input: (n.input ?? []).map(outer),
      ...(n.attribute?.some((a) => a.g) && { attribute: n.attribute.map((a) => (a.g ? { ...a, g: renameOuterReads(a.g, outer) } : a)) }),
    })),
    output: (g.output ?? []).map((o) => ({ ...o, name: outer(o.name ?? '') })),
  };
}

/** Inlines every If with a constant condition (recursively: a taken branch may hold more). */
export function inlineConstantIfs(
  protos: readonly onnx.INodeProto[],
  initializers: Initializers,
  file: string,
  depth = 0,
  known: ReadonlyMap<string, boolean> = new Map(),
): onnx.INodeProto[] {
  const constants = new Map<string, onnx.ITensorProto>();
  for (const p of protos) {
    const value = p.opType === 'Constant' ? (p.attribute ?? []).find((a) => a.name === 'value')?.t : undefined;
    if (value && p.output?.[0]) constants.set(p.output[0], value);
  }
  const out: onnx.INodeProto[] = [];
  protos.forEach((p, index) => {
    const taken =
      p.opType === 'If' && (p.domain ?? '') === '' && depth < 16 ? constantCondition(p.input?.[0] ?? '', initializers, constants, file, known) : undefined;
    const branch = taken === undefined ? undefined : branchOf(p, taken);
    if (branch === undefined) {
      out.push(p);
      return;
    }
    const scope = `${p.name || `If_${index}`}/${taken ? 'then' : 'else'}`;
    const produced = new Set<string>([...(branch.node ?? []).flatMap((n) => n.output ?? []), ...(branch.initializer ?? []).map((t) => t.name ?? '')]);
    const rename = (t: string): string => (t !== '' && produced.has(t) ? `${scope}/${t}` : t);
    for (const t of branch.initializer ?? []) initializers.set(rename(t.name ?? ''), decodeTensorProto(t, { file }));
    const inner = (branch.node ?? []).map((n, k) => ({
      ...n,
      name: `${scope}/${n.name || `${n.opType}_${k}`}`,
      input: (n.input ?? []).map(rename),
      output: (n.output ?? []).map(rename),
      // A nested If's branches read the branch's tensors by their old names too.
      ...(n.attribute?.some((a) => a.g) && { attribute: n.attribute.map((a) => (a.g ? { ...a, g: renameOuterReads(a.g, rename) } : a)) }),
    }));
    out.push(...inlineConstantIfs(inner, initializers, file, depth + 1, known));
    (branch.output ?? []).forEach((o, k) => {
      const target = p.output?.[k];
      if (target) out.push({ opType: 'Identity', name: `${scope}/output_${k}`, input: [rename(o.name ?? '')], output: [target], domain: '' });
    });
  });
  return out;
}

/** The value of an If's condition computed from the nodes before it, or undefined when it cannot be known at load time. */
export type ConditionEvaluator = (condition: string, before: readonly onnx.INodeProto[]) => boolean | undefined;

/**
 * Inlines constant Ifs, then, one at a time in graph order, every If whose condition the
 * evaluator knows (a taken branch may hold further Ifs, met in later rounds). Stops at the first
 * If it cannot fold; that one and those after it stay.
 */
export function foldIfs(protos: readonly onnx.INodeProto[], initializers: Initializers, file: string, evaluate?: ConditionEvaluator): onnx.INodeProto[] {
  const known = new Map<string, boolean>();
  let nodes = inlineConstantIfs(protos, initializers, file, 0, known);
  // Each round removes one If; silero VAD v5 holds 20 nested ones.
  for (let round = 0; round < 256 && evaluate !== undefined; round++) {
    const index = nodes.findIndex((p) => p.opType === 'If' && (p.domain ?? '') === '');
    if (index < 0) break;
    const condition = nodes[index].input?.[0] ?? '';
    const value = evaluate(condition, nodes.slice(0, index));
    if (value === undefined) break;
    known.set(condition, value);
    nodes = inlineConstantIfs(nodes, initializers, file, 0, known);
  }
  return nodes;
}
