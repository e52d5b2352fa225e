/**
 * ONNX If nodes whose condition is a constant (an initializer or a Constant node's output) are
 * replaced at load time by the nodes of the branch they take, so the engine, which runs no
 * subgraphs, analyses models that export a fixed choice as an If. Tensors produced inside the
 * branch are renamed under the If's name (they may repeat names of the outer graph or of the
 * other branch); names the branch reads from the outer scope stay. Each If output becomes an
 * Identity of the branch's output. An If with a computed condition stays, and is refused.
 */
import { onnx } from 'onnx-proto';
import type { ConstTensor } from '../../graph/ir';
import { decodeTensorProto } from './tensor';

type Initializers = Map<string, ConstTensor>;

/** The condition's value when it is known at load time. */
function constantCondition(name: string, initializers: Initializers, constants: ReadonlyMap<string, onnx.ITensorProto>, file: string): boolean | undefined {
  const value = initializers.get(name) ?? (constants.has(name) ? decodeTensorProto(constants.get(name)!, { file }) : undefined);
  if (value === undefined || value.data.length !== 1) return undefined;
  return Number(value.data[0]) !== 0;
}

function branchOf(node: onnx.INodeProto, taken: boolean): onnx.IGraphProto | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === (taken ? 'then_branch' : 'else_branch'));
  return a?.g ?? undefined;
}

/** Inlines every If with a constant condition (recursively: a taken branch may hold more). */
export function inlineConstantIfs(protos: readonly onnx.INodeProto[], initializers: Initializers, file: string, depth = 0): onnx.INodeProto[] {
  const constants = new Map<string, onnx.ITensorProto>();
  for (const p of protos) {
    const value = p.opType === 'Constant' ? (p.attribute ?? []).find((a) => a.name === 'value')?.t : undefined;
    if (value && p.output?.[0]) constants.set(p.output[0], value);
  }
  const out: onnx.INodeProto[] = [];
  protos.forEach((p, index) => {
    const taken = p.opType === 'If' && (p.domain ?? '') === '' && depth < 16 ? constantCondition(p.input?.[0] ?? '', initializers, constants, file) : undefined;
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
    }));
    out.push(...inlineConstantIfs(inner, initializers, file, depth + 1));
    (branch.output ?? []).forEach((o, k) => {
      const target = p.output?.[k];
      if (target) out.push({ opType: 'Identity', name: `${scope}/output_${k}`, input: [rename(o.name ?? '')], output: [target], domain: '' });
    });
  });
  return out;
}
