/**
 * A channels-last layout pass: rewrites the NCHW convolutional regions of a graph so that they
 * compute in the N,spatial...,C layout TensorFlow.js convolves in. Without it every Conv kernel
 * transposes its input in and its output back, in the forward pass and in every reverse pass
 * (the cotangent takes the same two transposes); with it a region pays one Transpose where it
 * is entered and one where an NCHW reader leaves it.
 *
 * What moves into a region: the spatial ops with a `channelsLast` form (Conv and ConvTranspose
 * with their kernels transposed into the TF layout as new constants, the pools, the per-channel
 * normalisations, Resize, DepthToSpace/SpaceToDepth), channel Concat (axis remapped), and
 * layout-agnostic elementwise ops whose operands are region tensors of the same rank or
 * constants (permuted into the new layout). Only regions holding a convolution are rewritten;
 * a graph without one is returned as it is (the same object).
 *
 * Tensor names: the analysis finds blocks by cut tensors and reports tensors by name, so a
 * Transpose's OUTPUT keeps the original name and its input gets a suffixed one. At an exit the
 * region producer writes `<t>::nhwc` and the Transpose writes `<t>` (NCHW, what outside readers
 * and graph outputs see); at an entry an outside producer writes `<t>::nchw` and the Transpose
 * writes `<t>` (NHWC, what the region reads). A parameter-free Transpose then always sits at
 * the end of the block holding its producer, so block boundaries keep their names. The model
 * inputs cannot be renamed (the batch is fed NCHW under that name): their entry copy is
 * `<input>::nhwc`. Inserted nodes carry `origin.synthetic` (reports leave them out).
 */
import type { AttrValue, ConstTensor, Graph, GraphNode } from '../graph/ir';
import { toFirstPerm, toLastPerm } from '../ops/spatial';
import { layoutClassOf } from '../ops/registry';
import { lazyTransposeConst, transposeConst } from '../graph/constants';

// What the pass knows of each op is the op's kernel's `layout` fact (src/ops/kernel.ts: LayoutClass).

/** Ops with a `channelsLast` attribute that the kernels implement (the convolutions among them). */
const isChannelsLast = (op: string): boolean => {
  const c = layoutClassOf(op);
  return c === 'channels-last' || c === 'convolution';
};
const isConvolution = (op: string): boolean => layoutClassOf(op) === 'convolution';
/** Reductions over given axes (ONNX opset 18: axes as input 1, keepdims default 1). */
const isReduction = (op: string): boolean => layoutClassOf(op) === 'reduction';
/** Elementwise ops of input 0; their other inputs (Clip's min/max, Dropout's ratio) are scalars. */
const isUnary = (op: string): boolean => layoutClassOf(op) === 'unary';
/** Multidirectional (numpy) broadcasting ops: every input is an operand. */
const isBroadcast = (op: string): boolean => layoutClassOf(op) === 'broadcast';
/** Rank-preserving ops whose output rank is that of input 0 (for rank inference only). */
const keepsRank = (op: string): boolean => {
  const c = layoutClassOf(op);
  return c === 'same-rank' || c === 'unary' || c === 'channels-last' || c === 'convolution';
};

export const NHWC_SUFFIX = '::nhwc';
export const NCHW_SUFFIX = '::nchw';

export function toChannelsLast(graph: Graph): Graph {
  const ranks = inferRanks(graph);
  const inRegion = findRegions(graph, ranks);
  if (inRegion.size === 0) return graph;
  return rewrite(graph, ranks, inRegion);
}

// ---------------------------------------------------------------------------------------------
// Ranks

/** Tensor ranks where the graph determines them (inputs, constants, and per-op rules). */
function inferRanks(graph: Graph): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const v of graph.inputs) if (v.shape !== null) ranks.set(v.name, v.shape.length);
  for (const [name, c] of graph.constants) ranks.set(name, c.shape.length);
  for (const node of graph.nodes) {
    const r = outputRank(node, ranks, graph);
    if (r === undefined) continue;
    for (const o of node.outputs) if (o !== '') ranks.set(o, r);
  }
  return ranks;
}

function outputRank(node: GraphNode, ranks: ReadonlyMap<string, number>, graph: Graph): number | undefined {
  const rankOf = (t: string | undefined): number | undefined => (t === undefined || t === '' ? undefined : ranks.get(t));
  if (isConvolution(node.op)) return rankOf(node.inputs[1]);
  if ((node.op === 'MaxPool' || node.op === 'AveragePool') && Array.isArray(node.attrs.kernel_shape)) {
    return node.attrs.kernel_shape.length + 2;
  }
  if (keepsRank(node.op)) return rankOf(node.inputs[0]);
  if (isBroadcast(node.op)) {
    const rs = node.inputs.filter((t) => t !== '').map(rankOf);
    return rs.every((r): r is number => r !== undefined) ? Math.max(...rs) : undefined;
  }
  if (isReduction(node.op)) {
    const r = rankOf(node.inputs[0]);
    if (r === undefined || node.attrs.keepdims !== 0) return r;
    const axes = node.inputs[1] ? graph.constants.get(node.inputs[1])?.data : Array.isArray(node.attrs.axes) ? node.attrs.axes : undefined;
    return axes === undefined || axes.length === 0 ? undefined : r - new Set(Array.from(axes, (a) => (a < 0 ? a + r : a))).size;
  }
  if (node.op === 'Flatten' || node.op === 'Gemm') return 2;
  if (node.op === 'Reshape') return graph.constants.get(node.inputs[1])?.shape[0];
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Regions

/** How a node's input is treated when the node computes channels-last. */
type InputRole =
  /** A data tensor of the region's layout (a region tensor, or entered by a Transpose). */
  | 'operand'
  /** A constant broadcast against the operands: permuted into the new layout. */
  | 'broadcastConstant'
  /** A convolution kernel: transposed into the TF layout. */
  | 'kernel'
  /** A reduction's constant axes: renumbered for the new layout. */
  | 'axes'
  /** Passed through as it is (per-channel vectors, scalars, shapes). */
  | 'asIs';

/** A node that computes channels-last. */
interface RegionNode {
  readonly roles: readonly InputRole[];
  /** Rank of its operands (the region tensors it reads). */
  readonly rank: number;
  /**
   * False when its output is the same in both layouts (a reduction over the channel or all
   * spatial axes without keepdims: [N, C] either way): that output leaves the region as it is.
   */
  readonly outputInRegion: boolean;
}

/**
 * How a node computes channels-last, or undefined when it cannot (or should not: already
 * channels-last, unknown rank, an operand that is not a plain data tensor).
 */
function regionNodeOf(node: GraphNode, ranks: ReadonlyMap<string, number>, graph: Graph, producer: ReadonlyMap<string, number>): RegionNode | undefined {
  if (isReduction(node.op)) return reductionOf(node, ranks, graph);
  if (node.op === 'Flatten') return flattenOfPooled(node, ranks, graph, producer);
  const r = ranks.get(node.outputs[0] ?? '');
  if (r === undefined || r < 3) return undefined;
  const roles = channelsLastRoles(node, r, ranks, graph);
  return roles && { roles, rank: r, outputInRegion: true };
}

/** Reduce* with constant axes (as input 1 or attribute) of a region tensor. */
function reductionOf(node: GraphNode, ranks: ReadonlyMap<string, number>, graph: Graph): RegionNode | undefined {
  const x = node.inputs[0];
  const r = ranks.get(x);
  if (r === undefined || r < 3 || graph.constants.has(x) || node.outputs.filter((o) => o !== '').length !== 1) return undefined;
  const axesConst = node.inputs[1] ? graph.constants.get(node.inputs[1]) : undefined;
  if (node.inputs[1] && axesConst === undefined) return undefined;
  const given = axesConst ? Array.from(axesConst.data) : Array.isArray(node.attrs.axes) ? (node.attrs.axes as readonly number[]) : [];
  // Empty axes reduce everything (or nothing, with noop_with_empty_axes): not worth a region.
  if (given.length === 0) return undefined;
  const reduced = new Set(given.map((a) => (a < 0 ? a + r : a)));
  const roles: InputRole[] = node.inputs.map((_, i) => (i === 0 ? 'operand' : i === 1 ? 'axes' : 'asIs'));
  if (node.attrs.keepdims !== 0) return { roles, rank: r, outputInRegion: true };
  // Without keepdims the kept axes come out in the order they have in the layout: the result
  // is layout-free when their NCHW order survives the move to NHWC.
  const moved = toFirstPerm(r);
  const kept = Array.from({ length: r }, (_, a) => a)
    .filter((a) => !reduced.has(a))
    .map((a) => moved[a]);
  return kept.every((p, i) => i === 0 || kept[i - 1] < p) ? { roles, rank: r, outputInRegion: false } : undefined;
}

/**
 * Flatten (axis 1) of a global pool's [N, 1, 1, C]: the same [N, C] as from [N, C, 1, 1], so
 * the classifier head needs no exit Transpose.
 */
function flattenOfPooled(node: GraphNode, ranks: ReadonlyMap<string, number>, graph: Graph, producer: ReadonlyMap<string, number>): RegionNode | undefined {
  const x = node.inputs[0];
  const r = ranks.get(x);
  const p = producer.get(x);
  const axis = typeof node.attrs.axis === 'number' ? node.attrs.axis : 1;
  if (r === undefined || r < 3 || p === undefined || (axis !== 1 && axis !== 1 - r)) return undefined;
  if (graph.nodes[p].op !== 'GlobalAveragePool' && graph.nodes[p].op !== 'GlobalMaxPool') return undefined;
  return { roles: node.inputs.map((_, i) => (i === 0 ? 'operand' : 'asIs')), rank: r, outputInRegion: false };
}

function channelsLastRoles(node: GraphNode, r: number, ranks: ReadonlyMap<string, number>, graph: Graph): InputRole[] | undefined {
  const isData = (t: string | undefined): t is string => t !== undefined && t !== '' && !graph.constants.has(t) && ranks.get(t) === r;
  const real = node.outputs.filter((o) => o !== '');
  if (isChannelsLast(node.op) || node.op === 'Resize') {
    if (node.attrs.channelsLast === true || real.length !== 1 || !isData(node.inputs[0])) return undefined;
    if ((node.op === 'DepthToSpace' || node.op === 'SpaceToDepth') && r !== 4) return undefined;
    if (isConvolution(node.op)) {
      const w = graph.constants.get(node.inputs[1]);
      if (w === undefined || w.dtype !== 'float32' || w.shape.length !== r) return undefined;
      return node.inputs.map((_, i) => (i === 0 ? 'operand' : i === 1 ? 'kernel' : 'asIs'));
    }
    return node.inputs.map((_, i) => (i === 0 ? 'operand' : 'asIs'));
  }
  if (isUnary(node.op)) {
    if (real.length !== 1 || !isData(node.inputs[0])) return undefined;
    // Clip's bounds and Dropout's ratio must be scalars (they are, in valid models; check).
    const scalars = node.inputs.slice(1).every((t) => t === '' || ranks.get(t) === 0 || graph.constants.get(t)?.data.length === 1);
    return scalars ? node.inputs.map((_, i) => (i === 0 ? 'operand' : 'asIs')) : undefined;
  }
  if (isBroadcast(node.op)) {
    const roles: InputRole[] = [];
    for (const t of node.inputs) {
      if (t === '') roles.push('asIs');
      else if (isData(t)) roles.push('operand');
      else if (graph.constants.has(t) && graph.constants.get(t)!.shape.length <= r) roles.push('broadcastConstant');
      else return undefined;
    }
    return roles.includes('operand') ? roles : undefined;
  }
  if (node.op === 'Concat') {
    const present = node.inputs.filter((t) => t !== '');
    return present.length > 0 && present.every(isData) ? node.inputs.map(() => 'operand') : undefined;
  }
  return undefined;
}

/**
 * Node indices that compute channels-last: the connected groups of capable nodes (joined by
 * operand tensors) that hold a convolution, with each node's input roles.
 */
function findRegions(graph: Graph, ranks: ReadonlyMap<string, number>): Map<number, RegionNode> {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && producer.set(o, i)));
  const roles = new Map<number, RegionNode>();
  graph.nodes.forEach((node, i) => {
    const r = regionNodeOf(node, ranks, graph, producer);
    if (r !== undefined) roles.set(i, r);
  });
  if (![...roles.keys()].some((i) => isConvolution(graph.nodes[i].op))) return new Map();

  const parent = new Map<number, number>([...roles.keys()].map((i) => [i, i]));
  const find = (i: number): number => {
    let root = i;
    while (parent.get(root)! !== root) root = parent.get(root)!;
    parent.set(i, root);
    return root;
  };
  for (const [i, rn] of roles) {
    graph.nodes[i].inputs.forEach((t, j) => {
      const p = producer.get(t);
      if (rn.roles[j] === 'operand' && p !== undefined && roles.get(p)?.outputInRegion === true) parent.set(find(i), find(p));
    });
  }
  const withConv = new Set<number>();
  for (const i of roles.keys()) if (isConvolution(graph.nodes[i].op)) withConv.add(find(i));
  return new Map([...roles].filter(([i]) => withConv.has(find(i))));
}

// ---------------------------------------------------------------------------------------------
// Rewriting

function rewrite(graph: Graph, ranks: ReadonlyMap<string, number>, inRegion: ReadonlyMap<number, RegionNode>): Graph {
  const nodes = graph.nodes;
  const graphInputs = new Set(graph.inputs.map((v) => v.name));
  const graphOutputs = new Set(graph.outputs.map((v) => v.name));
  const constants = new Map(graph.constants);
  const taken = new Set<string>(nodes.map((n) => n.name));
  const uniqueNodeName = (base: string): string => {
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}#${k}`;
    taken.add(name);
    return name;
  };

  // Readers of each tensor: region nodes reading it as an operand, and everyone else.
  const regionReaders = new Map<string, number[]>();
  const outsideReaders = new Set<string>(graphOutputs);
  nodes.forEach((node, i) => {
    const rs = inRegion.get(i)?.roles;
    node.inputs.forEach((t, j) => {
      if (t === '') return;
      if (rs !== undefined && rs[j] === 'operand') regionReaders.set(t, [...(regionReaders.get(t) ?? []), i]);
      else if (rs === undefined || rs[j] === 'asIs') outsideReaders.add(t);
    });
  });
  const producedInRegion = new Set<string>();
  for (const [i, rn] of inRegion) if (rn.outputInRegion) nodes[i].outputs.forEach((o) => o !== '' && producedInRegion.add(o));

  // Renames: what region nodes read/write, and what outside nodes read/write, per tensor.
  const regionName = new Map<string, string>();
  const outsideName = new Map<string, string>();
  /** Transposes to emit right after node i (or before everything: key -1). */
  const after = new Map<number, GraphNode[]>();
  const emitAfter = (i: number, n: GraphNode): void => void after.set(i, [...(after.get(i) ?? []), n]);
  const producerOf = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && producerOf.set(o, i)));

  const transpose = (from: string, to: string, perm: number[], originOf: GraphNode, toNhwc: boolean): GraphNode => ({
    name: uniqueNodeName(`${to}::to_${toNhwc ? 'nhwc' : 'nchw'}`),
    op: 'Transpose',
    inputs: [from],
    outputs: [to],
    attrs: { perm },
    origin: { name: originOf.origin.name, sourceOp: 'Transpose', synthetic: true },
  });

  // Exits: a region tensor that something outside reads (or a graph output).
  for (const t of producedInRegion) {
    if (!outsideReaders.has(t)) continue;
    const p = producerOf.get(t)!;
    const inside = `${t}${NHWC_SUFFIX}`;
    regionName.set(t, inside);
    emitAfter(p, transpose(inside, t, toFirstPerm(ranks.get(t)!), nodes[p], false));
  }
  // Entries: a data tensor from outside that a region node reads as an operand.
  for (const [t, readers] of regionReaders) {
    if (producedInRegion.has(t)) continue;
    const p = producerOf.get(t);
    const perm = toLastPerm(ranks.get(t)!);
    if (p === undefined || graphInputs.has(t) || graphOutputs.has(t)) {
      // Fed (or a graph output): its name stays NCHW; the region reads a copy.
      const copy = `${t}${NHWC_SUFFIX}`;
      regionName.set(t, copy);
      const first = Math.min(...readers);
      emitAfter(p ?? -1, transpose(t, copy, perm, nodes[p ?? first], true));
    } else {
      const source = `${t}${NCHW_SUFFIX}`;
      outsideName.set(t, source);
      emitAfter(p, transpose(source, t, perm, nodes[p], true));
    }
  }

  const rewritten: GraphNode[] = [...(after.get(-1) ?? [])];
  nodes.forEach((node, i) => {
    const rn = inRegion.get(i);
    if (rn === undefined) {
      const rename = (t: string): string => outsideName.get(t) ?? t;
      rewritten.push({ ...node, inputs: node.inputs.map(rename), outputs: node.outputs.map(rename) });
    } else {
      const inputs = node.inputs.map((t, j) => {
        const role = rn.roles[j];
        return role === 'asIs' ? (outsideName.get(t) ?? t) : regionInput(t, role, rn.rank, regionName, constants);
      });
      // A layout-free output is an ordinary tensor: outside readers may have renamed it.
      const outputs = node.outputs.map((t) => (rn.outputInRegion ? (regionName.get(t) ?? t) : (outsideName.get(t) ?? t)));
      rewritten.push({ ...node, inputs, outputs, attrs: regionAttrs(node, rn.rank) });
    }
    rewritten.push(...(after.get(i) ?? []));
  });

  // Drop constants nothing reads any more (the ONNX-layout kernels): memory and parameter counts.
  const read = new Set(rewritten.flatMap((n) => n.inputs));
  for (const name of graph.constants.keys()) if (!read.has(name) && !graphOutputs.has(name)) constants.delete(name);
  return { ...graph, nodes: rewritten, constants };
}

/** The name a region node reads for an operand, kernel or broadcast constant `t` (permuted constants are created here). */
function regionInput(
  t: string,
  role: Exclude<InputRole, 'asIs'>,
  rank: number,
  regionName: ReadonlyMap<string, string>,
  constants: Map<string, ConstTensor>,
): string {
  if (t === '') return t;
  if (role === 'operand') return regionName.get(t) ?? t;
  const c = constants.get(t)!;
  if (role === 'axes') {
    const moved = toFirstPerm(rank);
    const data = Int32Array.from(c.data, (a) => moved[a < 0 ? a + rank : a]);
    return addConstant(constants, `${t}::nhwc_axes${rank}`, () => ({ dtype: 'int32', shape: [data.length], data }));
  }
  if (role === 'kernel') {
    // ONNX [O, I, k...] -> TF [k..., I, O]; the same permutation serves ConvTranspose's
    // [Cin, Cout/g, k...] -> [k..., Cout/g, Cin].
    const r = c.shape.length - 2;
    return addConstant(constants, `${t}::tf`, () => lazyTransposeConst(c, [...Array.from({ length: r }, (_, i) => i + 2), 1, 0]));
  }
  // Broadcasting aligns trailing axes: pad to the operands' rank, then permute like them.
  if (c.data.length === 1) return t;
  return addConstant(constants, `${t}${NHWC_SUFFIX}${rank}`, () => {
    const padded: ConstTensor = { ...c, shape: [...Array.from({ length: rank - c.shape.length }, () => 1), ...c.shape] };
    return transposeConst(padded, toLastPerm(rank));
  });
}

function addConstant(constants: Map<string, ConstTensor>, name: string, make: () => ConstTensor): string {
  if (!constants.has(name)) constants.set(name, make());
  return name;
}

/** Attributes of a node moved into a region: `channelsLast`, or axes renumbered. */
function regionAttrs(node: GraphNode, rank: number): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = { ...node.attrs };
  // NCHW axis a sits at position toFirstPerm[a] of the NHWC tensor.
  const moved = toFirstPerm(rank);
  const axis = (a: number): number => moved[a < 0 ? a + rank : a];
  if (isChannelsLast(node.op)) attrs.channelsLast = true;
  if (node.op === 'Resize') {
    // scales/sizes/roi follow `axes` (all axes in order when absent): renumbering is enough.
    const given = node.attrs.axes;
    attrs.axes = (Array.isArray(given) && given.length > 0 ? (given as readonly number[]) : Array.from({ length: rank }, (_, i) => i)).map(axis);
  }
  if (isReduction(node.op) && Array.isArray(node.attrs.axes)) attrs.axes = (node.attrs.axes as readonly number[]).map(axis);
  if (node.op === 'Concat') attrs.axis = axis(typeof node.attrs.axis === 'number' ? node.attrs.axis : 0);
  return attrs;
}
