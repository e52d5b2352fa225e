/**
 * Cuts a graph into blocks, as docs/metrics.md defines them: cut tensors (every data path from
 * the input to the output passes through them), segments between consecutive cuts merged so
 * that each block holds an op with weights, and residual blocks recognised by a merge (Add)
 * of two paths from the block's input.
 */
import type { Graph, GraphNode } from '../graph/ir';
import type { ResidualInfo } from '../report/schema';
import { analyzeDataFlow, dataInputNames, tensorsBetween, type DataFlow } from '../passes/dataflow';
import { holdsWeights, kernelFor } from '../ops/registry';
import { isSynthetic } from '../graph/queries';

/** The structural part of a residual block's report entry, found from the graph alone. */
export type ResidualStructure = Pick<ResidualInfo, 'skipKind' | 'mergeTensor' | 'skipTensor' | 'branchTensor' | 'mergeNode' | 'opsAfterMerge'>;

export interface Block {
  /** 1..B from the input. */
  readonly index: number;
  readonly name: string;
  readonly inputTensor: string;
  readonly outputTensor: string;
  /** Indices into graph.nodes, in graph order. */
  readonly nodeIndices: readonly number[];
  readonly residual: ResidualStructure | null;
  /** True when every op in the block is affine in the block input (no nonlinear part). */
  readonly affine: boolean;
  /**
   * The block refines a region that no tensor cuts (U-Net skips, parallel streams, an FPN):
   * its boundaries lie on the region's main path and other data paths go around them.
   */
  readonly bypassed?: boolean;
  /**
   * The units of the streams off the main path whose ops this (bypassed) block holds: another
   * head's residual units, an FPN level's. Structure only: the block's measures are taken
   * along the main path. Absent when the block holds no such stream.
   */
  readonly streamUnits?: readonly StreamUnit[];
}

/** The structural part of a stream unit's residual connection (the merge and its two inputs). */
export type StreamResidual = Omit<ResidualStructure, 'opsAfterMerge'>;

/**
 * A piece of a stream off the main path, cut along the stream's own main path as a region is
 * cut along its (see streamUnitsOf): a block of that stream, nested in a chain block.
 */
export interface StreamUnit {
  readonly name: string;
  readonly inputTensor: string;
  readonly outputTensor: string;
  /** Indices into graph.nodes, in graph order; a subset of the enclosing block's. */
  readonly nodeIndices: readonly number[];
  readonly residual: StreamResidual | null;
}

/**
 * A block between two cuts holding more ops with weights than this is cut finer along its
 * main path. An attention block has 4, a ResNet unit 3 or 4, an Inception-v3 module up to 10;
 * a U-Net, a two-stream network or an FPN neck without a cut has dozens.
 */
export const REFINE_WEIGHTED_OPS = 10;

/** Consecutive boundaries and the nodes between them, merged so that each group has at most one weighted segment start. */
interface Group {
  readonly start: number;
  end: number;
  readonly nodes: number[];
  weighted: boolean;
}

export interface BlockPartition {
  readonly flow: DataFlow;
  /** Boundary tensors 0..B: the model input, then each block's output. */
  readonly boundaries: readonly string[];
  readonly blocks: readonly Block[];
}

export function partitionBlocks(graph: Graph, inputName: string, outputName: string): BlockPartition {
  const flow = analyzeDataFlow(graph, inputName);
  const onPath = tensorsBetween(flow, inputName, outputName);
  if (onPath.size === 0) throw new Error(`the output "${outputName}" does not depend on the input "${inputName}"`);

  const cuts = findCutTensors(flow, onPath, inputName, outputName);
  const pathNodes = graph.nodes.map((_, i) => i).filter((i) => graph.nodes[i].outputs.some((o) => onPath.has(o) && o !== inputName));

  const blocks: Block[] = [];
  const addBlock = (boundaryTensors: readonly string[], m: Group, bypassed: boolean, streamUnits: readonly StreamUnit[] = []): void => {
    const inputTensor = boundaryTensors[m.start];
    const outputTensor = boundaryTensors[m.end];
    const nodeIndices = [...m.nodes].sort((a, c) => a - c);
    blocks.push({
      index: blocks.length + 1,
      name: blockName(graph, nodeIndices, flow),
      inputTensor,
      outputTensor,
      nodeIndices,
      residual: findResidual(graph, flow, nodeIndices, inputTensor, boundaryTensors.slice(m.start + 1, m.end + 1)),
      affine: nodeIndices.every((i) => isAffineNode(graph.nodes[i], flow)),
      ...(bypassed ? { bypassed } : {}),
      ...(streamUnits.length > 0 ? { streamUnits } : {}),
    });
  };
  // Each node goes to the first cut at or after its output in graph order.
  const cutOrder = cuts.map((c) => flow.order.get(c)!);
  const outputOnPath = (i: number): string => graph.nodes[i].outputs.find((t) => onPath.has(t))!;
  const byOrder = (i: number): number => cutOrder.findIndex((c) => c >= flow.order.get(outputOnPath(i))!);
  for (const m of groupSegments(graph, flow, cuts, pathNodes, byOrder)) {
    const weighted = m.nodes.filter((i) => hasWeights(graph.nodes[i], flow)).length;
    const main = weighted > REFINE_WEIGHTED_OPS ? mainPath(graph, flow, m.nodes, cuts[m.start], cuts[m.end]) : undefined;
    const local = main && main.path.length > 2 ? localBoundaries(graph, flow, main, m.nodes) : undefined;
    const finer = local ? groupSegments(graph, flow, local.tensors, m.nodes, local.segmentOf) : [];
    if (local && finer.length > 1) {
      const nested = nestStreamUnits(flow, finer, streamUnitsOf(graph, flow, m.nodes.filter(local.offPath)));
      finer.forEach((g, j) => addBlock(local.tensors, g, true, nested[j]));
    } else addBlock(cuts, m, false);
  }
  return { flow, boundaries: [inputName, ...blocks.map((b) => b.outputTensor)], blocks: disambiguateUnitNames(graph, disambiguateNames(graph, blocks, flow)) };
}

/**
 * Segments between consecutive boundary tensors (each node goes to the first boundary at or
 * after its output in graph order), merged: a segment with weights starts a new group once the
 * current one has weights; parameter-free segments join the group before them (or the first).
 */
function groupSegments(
  graph: Graph,
  flow: DataFlow,
  boundaryTensors: readonly string[],
  nodes: readonly number[],
  segmentOf: (node: number) => number,
): Group[] {
  const segments: number[][] = boundaryTensors.slice(1).map(() => []);
  for (const i of nodes) segments[segmentOf(i) - 1].push(i);
  const merged: Group[] = [];
  segments.forEach((seg, j) => {
    const weighted = seg.some((i) => hasWeights(graph.nodes[i], flow));
    const last = merged[merged.length - 1];
    if (last === undefined || (weighted && last.weighted)) {
      merged.push({ start: j, end: j + 1, nodes: [...seg], weighted });
    } else {
      last.end = j + 1;
      last.nodes.push(...seg);
      last.weighted ||= weighted;
    }
  });
  return merged;
}

/**
 * The main path of a region without cuts, from its input to its output: the data path with
 * the most ops with weights (then the most ops), as the tensors along it in graph order. Every
 * tensor on it depends on the one before, so GSC between consecutive ones is defined.
 */
function mainPath(graph: Graph, flow: DataFlow, nodes: readonly number[], from: string, to: string): MainPath | undefined {
  const region = tensorsBetween(flow, from, to);
  const score = new Map<string, readonly [number, number]>([[from, [0, 0]]]);
  const prev = new Map<string, string>();
  for (const i of [...nodes].sort((a, b) => a - b)) {
    const node = graph.nodes[i];
    const o = node.outputs.find((t) => region.has(t));
    if (o === undefined) continue;
    const w = hasWeights(node, flow) ? 1 : 0;
    for (const u of dataInputNames(node)) {
      const s = score.get(u);
      if (s === undefined) continue;
      const cand: readonly [number, number] = [s[0] + w, s[1] + 1];
      const best = score.get(o);
      if (best === undefined || cand[0] > best[0] || (cand[0] === best[0] && cand[1] > best[1])) {
        score.set(o, cand);
        prev.set(o, u);
      }
    }
  }
  if (!score.has(to)) return undefined;
  const path = [to];
  for (let t = to; t !== from;) {
    t = prev.get(t)!;
    path.push(t);
  }
  const depth = new Map([...score].map(([t, s]) => [t, s[0]]));
  return { path: path.reverse(), depth };
}

interface MainPath {
  /** Tensors along the main path, its input first. */
  readonly path: readonly string[];
  /** Ops with weights on the deepest path from the region's input to each tensor. */
  readonly depth: ReadonlyMap<string, number>;
}

/**
 * A data path that leaves the main path and rejoins it at an Add while passing over at most this
 * many of its ops with weights, and holds at most one itself (identity, pooling, one projection: what a
 * skip can be, see pickSkip), is a local skip: a residual unit's shortcut (an inverted residual
 * with squeeze-and-excitation passes over 5), a BlazeBlock's MaxPool. The main-path tensors it
 * passes over are not boundaries, so the unit stays one block and its merge is found. A longer
 * or heavier one (a U-Net's skip, another stream or head) is what the refinement cuts across.
 */
export const LOCAL_SKIP_WEIGHTED_OPS = 6;

/** The refined boundaries of a region along its main path, and which of them each node's segment ends at. */
interface LocalBoundaries {
  /** Main-path tensors no local skip passes over, the region's input first and output last. */
  readonly tensors: readonly string[];
  /** The 1-based index into `tensors` of the boundary that ends a node's segment. */
  readonly segmentOf: (node: number) => number;
  /** The node is on another stream: neither on the main path nor on one of its local skips. */
  readonly offPath: (node: number) => boolean;
}

/**
 * The main path's tensors as boundaries, except those a local skip passes over (see
 * LOCAL_SKIP_WEIGHTED_OPS). Main-path nodes go to the segment their output ends; a node on a
 * local skip to the segment of the merge where it rejoins; any other off-path node (the other
 * stream, a U-Net's skip) to the first boundary at least as deep (counted in ops with weights),
 * so that parallel layers of the same depth share a block.
 */
function localBoundaries(graph: Graph, flow: DataFlow, main: MainPath, nodes: readonly number[]): LocalBoundaries {
  const { path, depth } = main;
  const region = new Set(depth.keys());
  const position = new Map(path.map((t, j) => [t, j]));
  const sorted = [...nodes].sort((a, b) => a - b);
  const outputOf = (i: number): string | undefined => graph.nodes[i].outputs.find((t) => region.has(t));
  // Off-path tensors: the latest main-path position they are reached from, the earliest they rejoin at.
  // Off-path tensors: the latest main-path position they are reached from and the ops with
  // weights on the way (the most), then the earliest position they rejoin at and the ops with
  // weights from them to it.
  const origin = new Map<string, number>();
  const before = new Map<string, number>();
  const spans: [number, number][] = [];
  for (const i of sorted) {
    const o = outputOf(i);
    if (o === undefined) continue;
    const ins = dataInputNames(graph.nodes[i]);
    const from = ins.map((u) => position.get(u) ?? origin.get(u)).filter((x): x is number => x !== undefined);
    if (from.length === 0) continue;
    const at = position.get(o);
    if (at === undefined) {
      origin.set(o, Math.max(...from, origin.get(o) ?? -1));
      const w = (hasWeights(graph.nodes[i], flow) ? 1 : 0) + Math.max(0, ...ins.map((u) => before.get(u) ?? 0));
      before.set(o, Math.max(w, before.get(o) ?? 0));
    } else {
      for (const u of ins) {
        const f = position.get(u);
        if (f !== undefined && at > f + 1) spans.push([f, at]);
      }
    }
  }
  const rejoin = new Map<string, number>();
  const after = new Map<string, number>();
  for (const i of [...sorted].reverse()) {
    const o = outputOf(i);
    if (o === undefined) continue;
    const at = position.get(o) ?? rejoin.get(o);
    if (at === undefined) continue;
    const w = (hasWeights(graph.nodes[i], flow) ? 1 : 0) + (position.has(o) ? 0 : (after.get(o) ?? 0));
    for (const u of dataInputNames(graph.nodes[i])) {
      if (!origin.has(u)) continue;
      rejoin.set(u, Math.min(at, rejoin.get(u) ?? Infinity));
      after.set(u, Math.max(w, after.get(u) ?? 0));
    }
  }
  /** Off-path tensors on a path that can be a skip: at most one op with weights all along it. */
  const light = (t: string): boolean => (before.get(t) ?? 0) + (after.get(t) ?? 0) <= 1;
  for (const [t, f] of origin) {
    const r = rejoin.get(t);
    if (r !== undefined && r > f + 1 && light(t)) spans.push([f, r]);
  }
  const weightOf = (j: number): number => depth.get(path[j])!;
  // A skip rejoins at a residual merge (an Add); a U-Net level's Concat is cut across.
  const mergesAt = (r: number): boolean => ['Add', 'Sum'].includes(graph.nodes[flow.producer.get(path[r])!].op);
  const isLocal = ([f, r]: readonly [number, number]): boolean => weightOf(r) - weightOf(f) <= LOCAL_SKIP_WEIGHTED_OPS && mergesAt(r);
  const passedOver = new Set<number>();
  for (const [f, r] of spans.filter(isLocal)) for (let j = f + 1; j < r; j++) passedOver.add(j);
  const kept = path.map((_, j) => j).filter((j) => !passedOver.has(j));
  const tensors = kept.map((j) => path[j]);
  // The boundary that ends the segment holding main-path position j (at or after it).
  const boundaryAtOrAfter = (j: number): number =>
    Math.max(
      1,
      kept.findIndex((k) => k >= j),
    );
  const keptDepths = kept.map(weightOf);
  /** Where a node's output rejoins the main path when it lies on a local skip. */
  const localRejoin = (o: string): number | undefined => {
    const f = origin.get(o);
    const r = rejoin.get(o);
    return f !== undefined && r !== undefined && light(o) && isLocal([f, r]) ? r : undefined;
  };
  const outputIn = (i: number): string => outputOf(i) ?? graph.nodes[i].outputs[0];
  return {
    tensors,
    segmentOf: (i) => {
      const o = outputIn(i);
      const own = position.get(o);
      if (own !== undefined) return boundaryAtOrAfter(own);
      const r = localRejoin(o);
      if (r !== undefined) return boundaryAtOrAfter(r);
      const d = depth.get(o) ?? 0;
      const j = keptDepths.findIndex((dj, k) => k > 0 && dj >= d);
      return j > 0 ? j : tensors.length - 1;
    },
    offPath: (i) => !position.has(outputIn(i)) && localRejoin(outputIn(i)) === undefined,
  };
}

/**
 * The streams off a region's main path (another head, an FPN level's lateral), each cut into
 * units along its own main path as the region is along its: local skips keep a residual unit
 * whole, so its merge is found. A stream is a connected group of off-path ops holding an op
 * with weights; it runs along its deepest path (the most ops with weights, then the latest
 * end) from a tensor it reads from outside to one of its tensors that something outside it
 * reads. Its ops that path's start does not reach form streams of their own.
 */
function streamUnitsOf(graph: Graph, flow: DataFlow, offPath: readonly number[]): StreamUnit[] {
  const units: StreamUnit[] = [];
  for (const stream of connectedGroups(graph, flow, offPath)) {
    if (!stream.some((i) => hasWeights(graph.nodes[i], flow))) continue;
    const produced = new Set(stream.flatMap((i) => graph.nodes[i].outputs));
    const members = new Set(stream);
    const entries = [...new Set(stream.flatMap((i) => dataInputNames(graph.nodes[i])))].filter((t) => flow.dataTensors.has(t) && !produced.has(t));
    const graphOutputs = new Set(graph.outputs.map((o) => o.name));
    const exits = [...produced].filter((t) => graphOutputs.has(t) || (flow.dataConsumers.get(t) ?? []).some((c) => !members.has(c)));
    // The deepest path (most ops with weights, then the latest exit) from an entry to an exit.
    const depthOf = (mp: MainPath): readonly [number, number] => [mp.depth.get(mp.path[mp.path.length - 1])!, flow.order.get(mp.path[mp.path.length - 1])!];
    const deeper = (a: MainPath, b: MainPath): boolean => depthOf(a)[0] > depthOf(b)[0] || (depthOf(a)[0] === depthOf(b)[0] && depthOf(a)[1] > depthOf(b)[1]);
    const main = entries
      .flatMap((entry) => exits.map((exit) => mainPath(graph, flow, stream, entry, exit)))
      .filter((mp): mp is MainPath => mp !== undefined)
      .reduce<MainPath | undefined>((best, mp) => (best === undefined || deeper(mp, best) ? mp : best), undefined);
    if (main === undefined) continue;
    // Ops of the group that the stream's entry does not reach hang off other tensors (a head
    // reading the main path at several depths): they are streams of their own.
    const reached = stream.filter((i) => graph.nodes[i].outputs.some((t) => main.depth.has(t)));
    const apart = stream.filter((i) => !reached.includes(i));
    if (apart.length > 0) units.push(...streamUnitsOf(graph, flow, apart));
    const local = localBoundaries(graph, flow, main, reached);
    for (const g of groupSegments(graph, flow, local.tensors, reached, local.segmentOf)) {
      const nodeIndices = [...g.nodes].sort((a, c) => a - c);
      const inputTensor = local.tensors[g.start];
      const found = findResidual(graph, flow, nodeIndices, inputTensor, local.tensors.slice(g.start + 1, g.end + 1));
      const residual = found === null ? null : (({ opsAfterMerge: _, ...r }) => r)(found);
      units.push({ name: blockName(graph, nodeIndices, flow), inputTensor, outputTensor: local.tensors[g.end], nodeIndices, residual });
    }
  }
  return units;
}

/** Nodes grouped by the data edges between them (a tensor one of them produces and another reads). */
function connectedGroups(graph: Graph, flow: DataFlow, nodes: readonly number[]): number[][] {
  const members = new Set(nodes);
  const parent = new Map(nodes.map((i) => [i, i]));
  const find = (i: number): number => {
    while (parent.get(i)! !== i) i = parent.get(i)!;
    return i;
  };
  for (const i of nodes) {
    for (const t of dataInputNames(graph.nodes[i])) {
      const p = flow.producer.get(t);
      if (p !== undefined && members.has(p)) parent.set(find(p), find(i));
    }
  }
  const groups = new Map<number, number[]>();
  for (const i of [...nodes].sort((a, b) => a - b)) {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), i]);
  }
  return [...groups.values()];
}

/**
 * Nests each stream unit in one chain block: the one that holds the op producing the unit's
 * output (the depth rule may have spread the unit's ops over two blocks). Moves those ops into
 * that block and returns, per group, the units it holds.
 */
function nestStreamUnits(flow: DataFlow, groups: Group[], units: readonly StreamUnit[]): StreamUnit[][] {
  const nested: StreamUnit[][] = groups.map(() => []);
  for (const unit of units) {
    const last = flow.producer.get(unit.outputTensor);
    const home = groups.findIndex((g) => last !== undefined && g.nodes.includes(last));
    if (home < 0) continue;
    const moved = new Set(unit.nodeIndices);
    groups.forEach((g, j) => {
      if (j === home) return;
      const kept = g.nodes.filter((i) => !moved.has(i));
      g.nodes.length = 0;
      g.nodes.push(...kept);
    });
    for (const i of unit.nodeIndices) if (!groups[home].nodes.includes(i)) groups[home].nodes.push(i);
    nested[home].push(unit);
  }
  return nested;
}

/**
 * Tensors every data path from input to output passes through, in graph order. Every on-path
 * tensor lies on some input-to-output path, so in graph order (a topological order) a tensor is
 * such a cut exactly when no edge jumps over it: an edge a -> b with a before it and b after it
 * would complete a path around it. One sweep finds them all, in time linear in the edges (a
 * search per tensor took minutes on a hostile chain of 20,000 nodes).
 */
export function findCutTensors(flow: DataFlow, onPath: ReadonlySet<string>, input: string, output: string): string[] {
  const nodes = flow.graph.nodes;
  const sorted = [...onPath].sort((a, b) => flow.order.get(a)! - flow.order.get(b)!);
  const position = new Map(sorted.map((t, p) => [t, p]));
  const cuts: string[] = [];
  // The furthest position an edge from a tensor before the current one reaches.
  let reach = 0;
  sorted.forEach((t, p) => {
    if (t === input || t === output || reach <= p) cuts.push(t);
    for (const i of flow.dataConsumers.get(t) ?? []) {
      for (const o of nodes[i].outputs) {
        const q = position.get(o);
        if (q !== undefined && q > reach) reach = q;
      }
    }
  });
  return cuts;
}

function hasWeights(node: GraphNode, flow: DataFlow): boolean {
  if (!holdsWeights(node.op)) return false;
  const ins = dataInputNames(node);
  return ins.some((n) => flow.fixedTensors.has(n)) && ins.some((n) => flow.dataTensors.has(n));
}

/** Affine in the data path: the kernel says so, or it multiplies data by something fixed. */
export function isAffineNode(node: GraphNode, flow: DataFlow): boolean {
  const kernel = kernelFor(node.op);
  if (kernel.affine) return true;
  const dataIns = dataInputNames(node).filter((n) => flow.dataTensors.has(n));
  if (holdsWeights(node.op) || node.op === 'Mul') return dataIns.length <= 1;
  if (node.op === 'Div') return node.inputs[1] === undefined || !flow.dataTensors.has(node.inputs[1]);
  return false;
}

function findResidual(
  graph: Graph,
  flow: DataFlow,
  nodeIndices: readonly number[],
  inputTensor: string,
  cutsInBlock: readonly string[],
): ResidualStructure | null {
  // The last merge in the block: a cut tensor produced by Add from two paths of the input.
  for (let c = cutsInBlock.length - 1; c >= 0; c--) {
    const merge = cutsInBlock[c];
    const p = flow.producer.get(merge);
    if (p === undefined) continue;
    const node = graph.nodes[p];
    if (node.op !== 'Add' && node.op !== 'Sum') continue;
    const ins = dataInputNames(node);
    if (ins.length !== 2) continue;
    const paths = ins.map((t) => tensorsBetween(flow, inputTensor, t));
    if (paths.some((s) => s.size === 0)) continue;
    const skipIdx = pickSkip(graph, flow, ins, paths, inputTensor);
    if (skipIdx === undefined) return null;
    const after = nodeIndices.filter((i) => i > p).map((i) => graph.nodes[i].op);
    return {
      skipKind: ins[skipIdx] === inputTensor ? 'identity' : 'projection',
      mergeTensor: merge,
      skipTensor: ins[skipIdx],
      branchTensor: ins[1 - skipIdx],
      mergeNode: node.name,
      opsAfterMerge: after,
    };
  }
  return null;
}

/** How much a merge input's path from the block input computes (its ops, in graph order). */
interface PathCost {
  /** Ops with weights (convolution, dense). */
  readonly weighted: number;
  /** Ops that are not affine in the block input (activations, max pooling…). */
  readonly nonlinear: number;
  readonly ops: readonly number[];
}

function pathCost(graph: Graph, flow: DataFlow, tensors: ReadonlySet<string>, inputTensor: string): PathCost {
  const ops = [...tensors]
    .filter((t) => t !== inputTensor)
    .map((t) => flow.producer.get(t))
    .filter((p): p is number => p !== undefined);
  const unique = [...new Set(ops)].sort((a, b) => a - b);
  return {
    weighted: unique.filter((i) => hasWeights(graph.nodes[i], flow)).length,
    nonlinear: unique.filter((i) => !isAffineNode(graph.nodes[i], flow)).length,
    ops: unique,
  };
}

/** Less computation first: fewer ops with weights, then fewer nonlinear ops, then fewer ops. */
function compareCost(a: PathCost, b: PathCost): number {
  return a.weighted - b.weighted || a.nonlinear - b.nonlinear || a.ops.length - b.ops.length;
}

/**
 * Which merge input is the skip: the path with less computation, provided it is one a skip can
 * be: the block input itself, a path without weights (pooling, padding, reshapes: BlazeBlock's
 * MaxPool shortcut) or an affine path (a 1×1 projection with its norm). The other input is the
 * branch. Neither qualifies: the block is not residual.
 */
function pickSkip(graph: Graph, flow: DataFlow, ins: readonly string[], paths: readonly Set<string>[], inputTensor: string): number | undefined {
  const identity = ins.indexOf(inputTensor);
  if (identity >= 0) return identity;
  const costs = paths.map((tensors) => pathCost(graph, flow, tensors, inputTensor));
  const canSkip = costs.map((c) => c.weighted === 0 || c.nonlinear === 0);
  if (!canSkip[0] && !canSkip[1]) return undefined;
  if (canSkip[0] !== canSkip[1]) return canSkip[0] ? 0 : 1;
  return compareCost(costs[0], costs[1]) <= 0 ? 0 : 1;
}

/**
 * Blocks that share a module (a transformer layer's attention and MLP sub-blocks both live in
 * "layers.0") are named by the module of their weighted ops instead: "layers.0.attn".
 */
function disambiguateNames(graph: Graph, blocks: Block[], flow: DataFlow): Block[] {
  const count = new Map<string, number>();
  blocks.forEach((b) => count.set(b.name, (count.get(b.name) ?? 0) + 1));
  if (![...count.values()].some((c) => c > 1)) return blocks;
  // Some blocks share a module: name every block that sits inside a submodule by that
  // submodule, so sibling layers read alike ("layers.1.attn", not "layers.1").
  return blocks.map((b) => {
    const weighted = b.nodeIndices.map((i) => graph.nodes[i]).filter((n) => hasWeights(n, flow));
    const deeper = dottedModulePath(commonPrefix(weighted.map(modulePath)));
    if (deeper.startsWith(`${b.name}.`)) return { ...b, name: deeper };
    return (count.get(b.name) ?? 0) > 1 ? { ...b, name: `${b.name} #${b.index}` } : b;
  });
}

/**
 * Stream units whose names repeat (every unit of a TF.js head is "StatefulPartitionedCall.model")
 * are named by the layers they span instead: "batch_normalization_37…p_re_lu_38", the first and
 * last op's own layer (their name's part after the path they share).
 */
function disambiguateUnitNames(graph: Graph, blocks: Block[]): Block[] {
  const count = new Map<string, number>();
  for (const u of blocks.flatMap((b) => b.streamUnits ?? [])) count.set(u.name, (count.get(u.name) ?? 0) + 1);
  if (![...count.values()].some((c) => c > 1)) return blocks;
  const spanName = (u: StreamUnit): string => {
    const paths = u.nodeIndices.map((i) => graph.nodes[i].origin.name.split('/'));
    const shared = commonPrefix(paths).length;
    const layer = (p: readonly string[]): string => p[Math.min(shared, p.length - 1)];
    const [first, last] = [layer(paths[0]), layer(paths[paths.length - 1])];
    return first === last ? first : `${first}…${last}`;
  };
  return blocks.map((b) =>
    b.streamUnits === undefined ? b : { ...b, streamUnits: b.streamUnits.map((u) => ((count.get(u.name) ?? 0) > 1 ? { ...u, name: spanName(u) } : u)) },
  );
}

/** Module path components of a node name: "/layer1/layer1.0/conv1/Conv" -> [layer1, layer1.0, conv1]. */
function modulePath(n: GraphNode): string[] {
  return modulePathOf(n.origin.name, n.origin.sourceOp);
}

/**
 * The module path a node name carries. Exporters end a node's name with its op
 * ("/layer1/conv1/Conv", "model/conv2d/BiasAdd"): that part is dropped. A layer name of its own
 * ("enc/dense_one", a Keras layer in a nested model) ends with the layer, which is kept, or two
 * layers of one parent would both be called after the parent.
 */
export function modulePathOf(name: string, sourceOp: string): string[] {
  const parts = name.split('/').filter((s) => s !== '');
  if (parts.length < 2) return parts;
  const last = parts[parts.length - 1];
  const namesTheOp = last === sourceOp || last.startsWith(`${sourceOp}_`) || /^[A-Z_]/.test(last);
  return namesTheOp ? parts.slice(0, -1) : parts;
}

function commonPrefix(paths: string[][]): string[] {
  if (paths.length === 0) return [];
  let prefix = paths[0];
  for (const p of paths.slice(1)) {
    let k = 0;
    while (k < prefix.length && k < p.length && prefix[k] === p[k]) k++;
    prefix = prefix.slice(0, k);
  }
  return prefix;
}

/**
 * PyTorch's exporter writes each level either as the full dotted path ("layer1.0" under
 * "layer1") or as the child's own name ("attn" under "layers.0"): rebuild the dotted path.
 */
function dottedModulePath(prefix: readonly string[]): string {
  let path = '';
  for (const part of prefix) {
    path = path === '' || part.startsWith(`${path}.`) ? part : `${path}.${part}`;
  }
  return path;
}

/**
 * A readable block name from the module paths in its nodes' names, as PyTorch exports write
 * them ("/layer1/layer1.0/conv1/Conv" belongs to module "layer1.0"): the deepest module that
 * contains the block's weighted ops, or all its ops; else the module its weights' names share;
 * else a common layer-name stem; else the first weighted node's name.
 */
function blockName(graph: Graph, nodeIndices: readonly number[], flow: DataFlow): string {
  const nodes = nodeIndices.map((i) => graph.nodes[i]);
  const weighted = nodes.filter((n) => hasWeights(n, flow));
  // Node names without module paths (torch.onnx.dynamo_export's "node_linear_3", old exports'
  // "Gemm_3"): the module the weights' names share ("blocks.0.attn.qkv.weight" and
  // "blocks.0.attn.proj.weight" -> "blocks.0.attn"), as a state dict names them.
  const fromWeights = commonPrefix(weighted.map((n) => weightModulePath(n, flow))).join('.');
  // With such a name at hand, the stem every node of the graph shares (dynamo's "node"), or a
  // lone flat name under it ("node_linear_8"), names nothing.
  const graphStem = fromWeights === '' ? '' : graphWideStem(graph);
  const namesNothing = (path: readonly string[]): boolean =>
    graphStem !== '' && (path.join('_') === graphStem || (path.length === 1 && path[0].startsWith(`${graphStem}_`)));
  for (const group of [nodes, weighted]) {
    const prefix = commonPrefix(group.map(modulePath));
    if (prefix.length > 0 && !namesNothing(prefix)) return dottedModulePath(prefix);
    // Flat names (Keras layers "layer1_conv1", "layer1_bn1", "layer1_add"): their common
    // underscore-separated stem, when it is a whole token.
    const stem = commonPrefix(group.map((n) => n.origin.name.split('_'))).join('_');
    if (stem !== '' && !namesNothing([stem])) return stem;
  }
  if (fromWeights !== '') return fromWeights;
  return (weighted[0] ?? nodes[0])?.origin.name ?? 'block';
}

/**
 * The module path a weighted op's weight name carries when it is a state-dict key
 * ("blocks.0.attn.qkv.weight_t" -> [blocks, 0, attn, qkv]); [] for other names ("onnx::Conv_7",
 * "model/conv2d/kernel").
 */
function weightModulePath(node: GraphNode, flow: DataFlow): string[] {
  const weight = node.inputs.find((t) => flow.fixedTensors.has(t));
  if (weight === undefined || !/^[A-Za-z_]\w*(?:\.\w+)+$/.test(weight)) return [];
  return weight.split('.').slice(0, -1);
}

const stems = new WeakMap<Graph, string>();

/** The underscore-separated stem every node name of the graph shares ("node" for dynamo's). */
function graphWideStem(graph: Graph): string {
  let stem = stems.get(graph);
  if (stem === undefined) {
    stem = commonPrefix(graph.nodes.map((n) => n.origin.name.split('_'))).join('_');
    stems.set(graph, stem);
  }
  return stem;
}

/**
 * The partition of a transformed graph as the model's own: synthetic nodes leave the blocks'
 * node lists and a residual block's ops after its merge (the cuts and tensors are unchanged).
 */
export function hideSyntheticNodes(partition: BlockPartition, graph: Graph): BlockPartition {
  if (!graph.nodes.some(isSynthetic)) return partition;
  const blocks = partition.blocks.map((b) => {
    const nodeIndices = b.nodeIndices.filter((i) => !isSynthetic(graph.nodes[i]));
    const streamUnits = b.streamUnits?.map((u) => ({ ...u, nodeIndices: u.nodeIndices.filter((i) => !isSynthetic(graph.nodes[i])) }));
    if (streamUnits !== undefined) b = { ...b, streamUnits };
    if (b.residual === null) return { ...b, nodeIndices };
    const merge = graph.nodes.findIndex((n) => n.name === b.residual!.mergeNode);
    const opsAfterMerge = nodeIndices.filter((i) => i > merge).map((i) => graph.nodes[i].op);
    return { ...b, nodeIndices, residual: { ...b.residual, opsAfterMerge } };
  });
  return { ...partition, blocks };
}
