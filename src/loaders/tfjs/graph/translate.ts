/**
 * Translates a TF.js graph model (a TensorFlow GraphDef in JSON, weights for its Const nodes)
 * into the internal graph. Only nodes the outputs depend on are translated; each node's
 * output k becomes the tensor `<node>` (k = 0) or `<node>:<k>`, as TensorFlow names them.
 * Unsupported ops are collected and refused together, each with the nodes that use it.
 */
import type { ConstTensor, Dim, Graph, ValueInfo } from '../../../graph/ir';
import { ModelLoadError } from '../../errors';
import { ConfigError, isObject, type JsonObject } from '../config';
import { GraphEmitter } from '../emitter';
import type { LoadedWeights } from '../weights';
import { attrShape, attrType, inlineTensor, parseNodes, splitRef, tfDType, type TfNode } from './attrs';
import { UnsupportedNode, type OpCall } from './context';
import { CONTROL_FLOW_OPS, OP_TRANSLATORS } from './ops';
import { cutCandidates } from './cutPoint';
import { fixPlaceholders, foldConds } from './cond';
import { fuseAtrousConvs } from './atrous';
import { dependencyOrder } from './order';
import { kernelFor, isSupportedOp } from '../../../ops/registry';

/** Candidate cut tensors tried (each a translation up to it) before giving up naming one. */
const CUT_TRIES = 12;

/**
 * The tensor to name in a refusal: the best candidate (cutPoint.ts) that translates and whose
 * producing op has a gradient. Undefined when none does, or when an output was chosen.
 */
function findCut(
  modelJson: string,
  root: JsonObject,
  weights: LoadedWeights,
  byName: ReadonlyMap<string, TfNode>,
  outputs: readonly string[],
  blocked: ReadonlySet<string>,
  from: string | undefined,
): string | undefined {
  for (const candidate of cutCandidates(byName, outputs, blocked, CUT_TRIES)) {
    try {
      const g = translateGraphModel(modelJson, root, weights, undefined, candidate, from);
      const producer = g.nodes.find((n) => n.outputs.includes(candidate));
      if (producer !== undefined && isSupportedOp(producer.op) && kernelFor(producer.op).vjp !== undefined) return candidate;
    } catch (e) {
      if (!(e instanceof ModelLoadError)) throw e;
    }
  }
  return undefined;
}

/** TF tensor "node:k" -> internal tensor name. */
function tensorName(ref: string): string {
  const [node, k] = splitRef(ref);
  return k === 0 ? node : `${node}:${k}`;
}

/** Output tensors named by the signature, else the nodes nobody reads. */
export function outputRefs(root: JsonObject, nodes: readonly TfNode[]): string[] {
  const sig = isObject(root.signature)
    ? root.signature
    : isObject(root.userDefinedMetadata) && isObject(root.userDefinedMetadata.signature)
      ? root.userDefinedMetadata.signature
      : undefined;
  if (sig !== undefined && isObject(sig.outputs)) {
    const names = Object.values(sig.outputs).flatMap((o) => (isObject(o) && typeof o.name === 'string' ? [o.name] : []));
    if (names.length > 0) return names;
  }
  const read = new Set<string>();
  for (const n of nodes) for (const i of n.inputs) read.add(splitRef(i)[0]);
  return nodes.filter((n) => !read.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp' && n.op !== 'Placeholder').map((n) => n.name);
}

/** Nodes the outputs depend on (those that exist), in no particular order. */
function reachable(byName: ReadonlyMap<string, TfNode>, outputs: readonly string[]): TfNode[] {
  const seen = new Set<string>();
  const stack = outputs.map((o) => splitRef(o)[0]);
  const found: TfNode[] = [];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = byName.get(name);
    if (!node) continue;
    found.push(node);
    for (const i of node.inputs) stack.push(splitRef(i)[0]);
  }
  return found;
}

/** Nodes the outputs depend on, inputs before consumers. */
function neededInOrder(byName: ReadonlyMap<string, TfNode>, outputs: readonly string[], modelJson: string): TfNode[] {
  const sorted = dependencyOrder(
    outputs.map((o) => splitRef(o)[0]),
    byName,
  );
  if ('cycleThrough' in sorted)
    throw new ModelLoadError(modelJson, `the graph has a cycle through node "${sorted.cycleThrough}" (loops are control flow, which is not supported)`);
  if ('missing' in sorted) throw new ModelLoadError(modelJson, `a node reads "${sorted.missing}", which the graph does not define`);
  return sorted.order;
}

function placeholderInfo(node: TfNode): ValueInfo {
  const dims = attrShape(node, 'shape');
  const dtype = tfDType(attrType(node, 'dtype') ?? 'DT_FLOAT') ?? 'float32';
  const shape: Dim[] | null = dims === null ? null : dims.map((d, i) => (d >= 0 ? d : i === 0 ? 'batch' : `dim${i}`));
  return { name: node.name, dtype, shape };
}

/**
 * The nodes with the start tensor (--from) made a Placeholder, so that what computes it (a
 * tf.map over the batch: TensorList control flow before the network) is never translated.
 * Only where its shape is known without running the graph: a TensorListStack's element shape
 * under the batch. Elsewhere the graph is unchanged and the start only moves boundary 0.
 */
function startingAt(nodes: readonly TfNode[], weights: LoadedWeights, from: string): TfNode[] {
  const [name, k] = splitRef(from);
  const node = nodes.find((n) => n.name === name);
  if (node === undefined || k !== 0 || node.op !== 'TensorListStack' || node.inputs.length < 2) return [...nodes];
  const shapeNode = nodes.find((n) => n.name === splitRef(node.inputs[1])[0]);
  const shape = shapeNode === undefined || shapeNode.op !== 'Const' ? null : (weights.tensors.get(shapeNode.name) ?? inlineTensor(shapeNode));
  if (shape === null || shape.shape.length !== 1) return [...nodes];
  const dims = [-1, ...Array.from(shape.data, Number)];
  const placeholder: TfNode = {
    name,
    op: 'Placeholder',
    inputs: [],
    attr: { dtype: { type: attrType(node, 'element_dtype') ?? 'DT_FLOAT' }, shape: { shape: { dim: dims.map((d) => ({ size: String(d) })) } } },
  };
  return nodes.map((n) => (n === node ? placeholder : n));
}

export function translateGraphModel(
  modelJson: string,
  root: JsonObject,
  fileWeights: LoadedWeights,
  producer: string | undefined,
  output?: string,
  from?: string,
): Graph {
  const topology = root.modelTopology as JsonObject;
  const parsed = parseNodes(topology.node);
  const started = from === undefined ? parsed : startingAt(parsed, fileWeights, from);
  // Inputs after the analysed one become constants; conds they decide fold (cond.ts).
  const fixing = fixPlaceholders(started, fileWeights.tensors, from === undefined ? undefined : splitRef(from)[0]);
  const weights: LoadedWeights = { ...fileWeights, tensors: fixing.tensors };
  const nodes = fuseAtrousConvs(foldConds(fixing.nodes, fixing.tensors) ?? fixing.nodes, fixing.tensors);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  if (output !== undefined && !byName.has(splitRef(output)[0])) throw new ModelLoadError(modelJson, `the chosen output "${output}" is no node of the graph`);
  // A chosen output cuts the graph: only the nodes it depends on are translated.
  // Outputs of the file's graph (a folded Switch leaves its predicate unread, not an output), less those folding removed.
  const outputs = output !== undefined ? [output] : outputRefs(root, fixing.nodes).filter((o) => byName.has(splitRef(o)[0]));
  if (outputs.length === 0) throw new ModelLoadError(modelJson, 'the graph has no outputs');
  // Refuse every unsupported op at once, naming its nodes (before ordering: loops are cycles).
  const unsupported = new Map<string, string[]>();
  for (const n of reachable(byName, outputs)) {
    if (n.op === 'Const' || n.op === 'Placeholder' || n.op === 'NoOp' || OP_TRANSLATORS[n.op] !== undefined) continue;
    const list = unsupported.get(n.op) ?? [];
    list.push(n.name);
    unsupported.set(n.op, list);
  }
  if (unsupported.size > 0) {
    const blocked = new Set([...unsupported.values()].flat());
    const cutAt = output === undefined ? findCut(modelJson, root, weights, byName, outputs, blocked, from) : undefined;
    const start = output === undefined && cutAt === undefined && from === undefined ? findStart(modelJson, root, weights, parsed, outputs) : undefined;
    throw unsupportedError(modelJson, unsupported, new Map(), cutAt, start);
  }
  const order = neededInOrder(byName, outputs, modelJson);

  const em = new GraphEmitter();
  const ranks = new Map<string, number | undefined>();
  const consts = new Map<string, ConstTensor>();
  const inputs: ValueInfo[] = [];
  const failures = new Map<string, string[]>();
  // How many nodes read each tensor: a pass-through (Identity) may rename the tensor it passes
  // on only when no other node reads it under its old name.
  const readers = new Map<string, number>();
  for (const node of order) for (const i of node.inputs) readers.set(tensorName(i), (readers.get(tensorName(i)) ?? 0) + 1);
  const outputNames = new Set(outputs.map(tensorName));

  for (const node of order) {
    if (node.op === 'NoOp') continue;
    if (node.op === 'Placeholder') {
      const info = placeholderInfo(node);
      em.reserveTensor(info.name);
      inputs.push(info);
      ranks.set(info.name, info.shape?.length);
      continue;
    }
    if (node.op === 'Const') {
      if (weights.stringWeights.has(node.name)) {
        failures.set(`Const (string)`, [...(failures.get('Const (string)') ?? []), node.name]);
        continue;
      }
      const value = weights.tensors.get(node.name) ?? inlineTensor(node);
      if (value === null) throw new ModelLoadError(modelJson, `Const node "${node.name}" has no value: the weightsManifest does not list it`);
      em.constant(node.name, value);
      consts.set(node.name, value);
      ranks.set(node.name, value.shape.length);
      continue;
    }
    const translator = OP_TRANSLATORS[node.op];
    const inputNames = node.inputs.map(tensorName);
    const constOf = (name: string): ConstTensor | null => {
      let current = name;
      for (let hops = 0; hops < 64; hops++) {
        const c = consts.get(current);
        if (c !== undefined) return c;
        const n = byName.get(splitRef(current)[0]);
        if (!n || n.op !== 'Identity' || n.inputs.length === 0) return null;
        current = tensorName(n.inputs[0]);
      }
      return null;
    };
    /** A shape vector's length: a Const's, a Pack of N scalars, a Shape of a known rank, a concatenation of those. */
    const lengthOf = (name: string, hops: number): number | undefined => {
      const c = constOf(name);
      if (c !== null) return c.shape.length === 1 ? c.shape[0] : undefined;
      const [nodeName, k] = splitRef(name);
      const n = byName.get(nodeName);
      if (n === undefined || k !== 0 || hops > 16) return undefined;
      if (n.op === 'Pack') return n.inputs.every((i) => ranks.get(tensorName(i)) === 0) ? n.inputs.length : undefined;
      if (n.op === 'Shape') return ranks.get(tensorName(n.inputs[0]));
      if (n.op === 'Identity') return lengthOf(tensorName(n.inputs[0]), hops + 1);
      if (n.op === 'ConcatV2') {
        const parts = n.inputs.slice(0, -1).map((i) => lengthOf(tensorName(i), hops + 1));
        return parts.every((p) => p !== undefined) ? parts.reduce<number>((a, b) => a + (b ?? 0), 0) : undefined;
      }
      return undefined;
    };
    const call: OpCall = {
      em,
      node,
      inputs: inputNames,
      scope: node.name,
      origin: { name: node.name, sourceOp: node.op },
      constInput: (i) => (inputNames[i] === undefined ? null : constOf(inputNames[i])),
      rank: (i) => (inputNames[i] === undefined ? undefined : ranks.get(inputNames[i])),
      vectorLength: (i) => (inputNames[i] === undefined ? undefined : lengthOf(inputNames[i], 0)),
    };
    let result;
    try {
      result = translator(call);
    } catch (e) {
      if (e instanceof UnsupportedNode || e instanceof ConfigError) {
        const key = `${node.op} (${e.message})`;
        failures.set(key, [...(failures.get(key) ?? []), node.name]);
        continue;
      }
      throw e;
    }
    const outs = typeof result === 'string' ? [result] : result.outputs;
    const outRanks = typeof result === 'string' || result.ranks === undefined ? outs.map(() => call.rank(0)) : result.ranks;
    outs.forEach((t, k) => {
      const wanted = k === 0 ? node.name : `${node.name}:${k}`;
      // A pass-through output is another node's tensor, which later nodes (or the graph
      // outputs) may still read by its name: renaming it would leave them without a value.
      const shared = inputNames.includes(t) && ((readers.get(t) ?? 0) > 1 || outputNames.has(t));
      const final = !shared && em.renameOutput(t, wanted) ? wanted : em.node('Identity', node.name, [t], {}, call.origin, { output: wanted });
      ranks.set(final, outRanks[k]);
    });
  }
  if (failures.size > 0) {
    const cutAt = output === undefined ? findCut(modelJson, root, weights, byName, outputs, new Set([...failures.values()].flat()), from) : undefined;
    throw unsupportedError(modelJson, new Map(), failures, cutAt);
  }

  const outputInfos: ValueInfo[] = outputs.map((o) => ({ name: tensorName(o), dtype: 'float32', shape: null }));
  const first = inputs[0];
  const inputLayout = first?.shape?.length === 4 ? 'NHWC' : undefined;
  const fixedInputs = fixing.fixed.length > 0 ? { fixedInputs: fixing.fixed } : {};
  return em.build({ format: 'tfjs-graph', formatLabel: 'TensorFlow.js graph-model', producer, inputLayout, ...fixedInputs }, inputs, outputInfos);
}

/**
 * Where no tensor computed from the input avoids the unsupported ops (a tf.map over the batch
 * before the network), a start tensor (a TensorListStack of the map's results, see startingAt)
 * and the cut after it, when the network between them translates.
 */
function findStart(
  modelJson: string,
  root: JsonObject,
  weights: LoadedWeights,
  nodes: readonly TfNode[],
  outputs: readonly string[],
): { readonly from: string; readonly cutAt: string } | undefined {
  for (const candidate of nodes.filter((n) => n.op === 'TensorListStack' && attrType(n, 'element_dtype') === 'DT_FLOAT')) {
    const started = startingAt(nodes, weights, candidate.name);
    if (started.every((n) => n.name !== candidate.name || n.op !== 'Placeholder')) continue;
    const byName = new Map(started.map((n) => [n.name, n]));
    const blocked = new Set(
      reachable(byName, outputs)
        .filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && n.op !== 'NoOp' && OP_TRANSLATORS[n.op] === undefined)
        .map((n) => n.name),
    );
    const cutAt = findCut(modelJson, root, weights, byName, outputs, blocked, candidate.name);
    if (cutAt !== undefined) return { from: candidate.name, cutAt };
  }
  return undefined;
}

function unsupportedError(
  modelJson: string,
  ops: ReadonlyMap<string, string[]>,
  failures: ReadonlyMap<string, string[]>,
  cutAt?: string,
  start?: { readonly from: string; readonly cutAt: string },
): ModelLoadError {
  const list = (names: readonly string[]): string => {
    const shown = names
      .slice(0, 5)
      .map((n) => `"${n}"`)
      .join(', ');
    return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
  };
  const parts = [...ops].map(([op, names]) => `${op}${CONTROL_FLOW_OPS.has(op) ? ' (control flow)' : ''} at ${list(names)}`);
  const failed = [...failures].map(([what, names]) => `${what} at ${list(names)}`);
  const sections: string[] = [];
  if (parts.length > 0) sections.push(`unsupported TensorFlow op${parts.length > 1 ? 's' : ''}: ${parts.join('; ')}`);
  if (failed.length > 0) sections.push(`unsupported use of op${failed.length > 1 ? 's' : ''}: ${failed.join('; ')}`);
  const cut =
    cutAt !== undefined
      ? `; the network is differentiable up to tensor "${cutAt}": analyse it up to there with --output "${cutAt}"`
      : start !== undefined
        ? `; the input reaches the network only through a loop over the batch; the network is differentiable from tensor "${start.from}" up to tensor "${start.cutAt}": analyse it with --from "${start.from}" --output "${start.cutAt}"`
        : '';
  return new ModelLoadError(modelJson, sections.join('. ') + cut);
}
