/**
 * Runs the internal graph: one forward pass that retains every activation, then any number
 * of reverse passes (vector-Jacobian products) from chosen tensors back to chosen tensors,
 * all reusing those activations.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConstTensor, Graph, GraphNode } from '../graph/ir';
import { knownTransposes } from '../graph/constants';
import { tensorFromLazyValues, tensorFromValues } from '../ops/hostValues';
import type { JvpArgs, KernelContext, OpKernel, Tensor } from '../ops/kernel';
import { kernelFor } from '../ops/registry';
import { checkOutputSize, outputElementBound } from './sizeGuard';
import type { MemoryBudget } from './memoryBudget';
import { stackedShape, stackedVjp } from './probeStacking';
import { activePassRunner, isRecording, outsideRecording } from './ortGraph';

/** One reverse pass of a family (Executor.vjpFamily): cotangent seeds and the tensors wanted. */
export interface FamilyPass {
  readonly seeds: ReadonlyMap<string, Tensor>;
  readonly wrt: readonly string[];
}

/** A reverse pass as a family member takes it: cotangent seeds, the tensors wanted, probes stacked. */
export type FamilyVjp = (seeds: ReadonlyMap<string, Tensor>, wrt: readonly string[], probes: number) => Map<string, Tensor>;

/** One computation of a family (Executor.computeFamily). */
export interface FamilyMember {
  /**
   * The tensors it reads besides the forward pass and the weights (cotangent seeds, probes, a
   * measured linear part): the inputs of a recorded graph.
   */
  readonly feeds: readonly Tensor[];
  /** The names of the results `compute` returns. */
  readonly outputs: readonly string[];
  /** Weight layers its reverse passes go through (weightedNodesBetween, summed): how families are cut into graphs. */
  readonly weightedNodes: number;
  /**
   * Its results (small: they are read back), computed synchronously from its feeds, the forward
   * pass and reverse passes taken with `vjp`. On ONNX Runtime this runs once under the recording
   * backend, so only ops with a recording may be used; the caller owns the results.
   */
  compute(vjp: FamilyVjp): Map<string, Tensor>;
}

/**
 * Weight layers one recorded family graph may pass through, summed over its passes
 * (GRADIENT_LENS_ORT_FAMILY_MAX_LAYERS). A MobileNetV2-sized block matrix as a single graph
 * (32 rows, 826 weight layers) costs memory and time: ONNX Runtime does not free a pass's
 * buffers before the next pass of the same graph. Whole analyses, --backend ort, load 1.5:
 *   cap            resnet18_64          mobilenetv2_64
 *   a graph a row  17.4 s  1.16 GB      41.9 s  1.41 GB
 *   128            12.1 s  1.23 GB      21.9 s  1.76 GB
 *   256            10.6 s  1.24 GB      18.0 s  1.83 GB
 *   no cap         10.9 s  1.23 GB      24.8 s  1.94 GB
 */
export const FAMILY_MAX_WEIGHTED_NODES = Number(process.env.GRADIENT_LENS_ORT_FAMILY_MAX_LAYERS ?? 256);

/** Consecutive groups of a family's passes (by index), each within FAMILY_MAX_WEIGHTED_NODES unless one pass alone exceeds it. */
export function familyChunks(weighted: readonly number[], max = FAMILY_MAX_WEIGHTED_NODES): number[][] {
  const chunks: number[][] = [];
  let sum = 0;
  weighted.forEach((w, i) => {
    const last = chunks.at(-1);
    if (last !== undefined && sum + w <= max) {
      last.push(i);
      sum += w;
    } else {
      chunks.push([i]);
      sum = w;
    }
  });
  return chunks;
}

/** Activations by tensor name, as the forward pass left them. */
export type Activations = ReadonlyMap<string, Tensor>;

/** Called between nodes; throws (e.g. a CancelledError) to stop the computation. */
export type Checkpoint = () => void;

export class ExecutionError extends Error {
  constructor(
    readonly nodeName: string,
    readonly opType: string,
    cause: unknown,
  ) {
    super(`node "${nodeName}" (${opType}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ExecutionError';
  }
}

/** Bytes of `elements` values of `dtype` as the backends hold them (bool 1, every other 4). */
function bytesFor(elements: number, dtype: string): number {
  return elements * (dtype === 'bool' ? 1 : 4);
}

function bytesOf(t: Tensor): number {
  return bytesFor(t.size, t.dtype);
}

export function constToTensor(c: ConstTensor): Tensor {
  // A kernel the layout pass turned channels-last stays unmade until TensorFlow.js reads it:
  // ONNX Runtime reads the channels-first values it came from (graph/constants.ts).
  const known = knownTransposes(c);
  if (known.size > 0 && c.dtype === 'float32') return tensorFromLazyValues(() => c.data as Float32Array, c.shape, known);
  // Float32 weights keep their values for ONNX Runtime's sessions (ops/hostValues.ts).
  return c.data instanceof Float32Array && c.dtype === 'float32' ? tensorFromValues(c.data, c.shape) : tf.tensor(c.data, [...c.shape], c.dtype);
}

/** Bytes a constant's values take, from its shape: a lazy one's are not made for this. */
function constBytes(c: ConstTensor): number {
  return bytesFor(
    c.shape.reduce((a, b) => a * b, 1),
    c.dtype,
  );
}

export class Executor implements KernelContext {
  private readonly constants = new Map<string, Tensor>();
  private readonly cache = new Map<string, tf.Tensor | tf.Tensor[]>();
  /** Values derived from activations, by the activation's tensor id (ids are never reused). */
  private readonly activationCache = new Map<number, Map<string, tf.Tensor>>();
  private readonly kernels: OpKernel[];
  /** For each node, the set of tensor names it reads through data inputs. */
  private readonly producerIndex = new Map<string, number>();
  /** Bytes charged to the budget for each forward pass's live activations, released with them. */
  private readonly chargedByPass = new WeakMap<Map<string, Tensor>, number>();
  private readonly constantBytes: number;
  /**
   * At most this many probes go through one reverse pass stacked (metrics/jacobian.ts
   * probesPerPass): the memory guard lowers it when deeper stacks would not fit the limit.
   */
  maxStackedProbes = Infinity;

  /**
   * `maxTensorElements`: no node may produce a tensor larger than this; checked from shapes
   * before the node runs (see sizeGuard.ts). The default is what one tensor can address.
   */
  /**
   * `budget`: when given, a forward pass charges every activation it keeps (the sum, not each
   * tensor alone: twenty Expands each under the per-tensor bound may together be far over the
   * limit) before the node runs, from the op's output bound, and releases them on disposal.
   */
  constructor(
    readonly graph: Graph,
    private readonly maxTensorElements: number = 2 ** 31 - 1,
    private readonly budget?: MemoryBudget,
  ) {
    this.kernels = graph.nodes.map((n) => kernelFor(n.op));
    graph.nodes.forEach((n, i) => n.outputs.forEach((o) => this.producerIndex.set(o, i)));
    // The backend holds its own copy of every constant (the wasm heap, say), beside the graph's.
    let constantBytes = 0;
    for (const c of graph.constants.values()) constantBytes += constBytes(c);
    budget?.charge(constantBytes, "the model's weights, copied to the compute backend");
    this.constantBytes = constantBytes;
    for (const [name, c] of graph.constants) this.constants.set(name, tf.keep(constToTensor(c)));
  }

  get recording(): boolean {
    return isRecording();
  }

  readNumbers(t: Tensor): number[] {
    return Array.from(t.dataSync() as ArrayLike<number>);
  }

  cached<T extends tf.Tensor | tf.Tensor[]>(key: string, make: () => T): T {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit as T;
    // Real values even while a reverse pass is being recorded (ortGraph.ts): they outlive it.
    const made = outsideRecording(() => tf.tidy(make));
    if (Array.isArray(made)) made.forEach((t) => tf.keep(t));
    else tf.keep(made);
    this.cache.set(key, made);
    return made;
  }

  derivedFromActivation<T extends tf.Tensor>(source: tf.Tensor, key: string, make: () => T): T {
    let entries = this.activationCache.get(source.id);
    const hit = entries?.get(key);
    if (hit !== undefined && !hit.isDisposed) return hit as T;
    const made = tf.keep(outsideRecording(() => tf.tidy(make)));
    if (entries === undefined) this.activationCache.set(source.id, (entries = new Map()));
    entries.set(key, made);
    return made;
  }

  /** Releases what was derived from the tensor `id` (see derivedFromActivation). */
  private releaseDerived(id: number): void {
    const entries = this.activationCache.get(id);
    if (entries === undefined) return;
    for (const t of entries.values()) t.dispose();
    this.activationCache.delete(id);
  }

  /**
   * Runs every node once. The returned map holds the feeds, the constants and every node
   * output; dispose it with `disposeActivations` when done.
   */
  forward(feeds: ReadonlyMap<string, Tensor>, checkpoint?: Checkpoint): Map<string, Tensor> {
    const acts = new Map<string, Tensor>(this.constants);
    for (const [name, t] of feeds) acts.set(name, t);
    try {
      if (this.budget !== undefined) {
        let fed = 0;
        for (const t of feeds.values()) fed += bytesOf(t);
        this.chargePass(acts, fed, 'the input batch');
      }
      this.graph.nodes.forEach((node, i) => this.runNode(node, i, acts, checkpoint));
    } catch (e) {
      // Cancelled or failed half-way: free what this pass allocated before passing it on.
      this.disposeActivations(acts, feeds);
      throw e;
    }
    return acts;
  }

  private runNode(node: GraphNode, i: number, acts: Map<string, Tensor>, checkpoint: Checkpoint | undefined): void {
    checkpoint?.();
    const inputs = node.inputs.map((name) => (name === '' ? undefined : this.lookup(acts, name, node)));
    const kernel = this.kernels[i];
    checkOutputSize(node, inputs, this, this.maxTensorElements);
    // Charged at the bound before the node runs, then corrected to what it produced.
    const bound = this.budget === undefined ? 0 : 4 * (outputElementBound(node, inputs, this)?.elements ?? 0);
    this.chargePass(acts, bound, `node "${node.name}" (${node.op}): its output`);
    let outputs: Tensor[];
    try {
      outputs = tf.tidy(() => kernel.forward({ inputs, attrs: node.attrs, node, ctx: this }));
    } catch (e) {
      throw new ExecutionError(node.name, node.op, e);
    }
    if (this.budget !== undefined) {
      const produced = outputs.slice(0, node.outputs.length).reduce((sum, t) => sum + bytesOf(t), 0);
      this.chargePass(acts, produced - bound, `node "${node.name}" (${node.op}): its output`);
    }
    node.outputs.forEach((name, j) => {
      if (name !== '' && outputs[j] !== undefined) acts.set(name, outputs[j]);
    });
    // Outputs the graph does not name are not needed by anyone.
    for (let j = node.outputs.length; j < outputs.length; j++) outputs[j].dispose();
  }

  /**
   * Re-runs only the nodes between `overrides` and `targets`: the nodes downstream of an
   * overridden tensor that a target depends on, reading every other tensor from `acts`. Used
   * for block-local forward passes at perturbed inputs (finite-difference Jacobian-vector
   * products). The overrides may carry a multiple of the batch along axis 0 when every node on
   * the way reads nothing of batch size from outside the overrides. The caller owns the
   * returned targets (copies when a target is not recomputed); everything else is freed here.
   */
  forwardFrom(acts: Activations, overrides: ReadonlyMap<string, Tensor>, targets: readonly string[], checkpoint?: Checkpoint): Map<string, Tensor> {
    const reach = this.forwardReach(new Set(overrides.keys()));
    const needed = new Set(targets);
    const run: number[] = [];
    for (let i = this.graph.nodes.length - 1; i >= 0; i--) {
      const node = this.graph.nodes[i];
      if (!node.outputs.some((o) => needed.has(o) && reach.has(o))) continue;
      run.push(i);
      for (const name of node.inputs) if (name !== '' && reach.has(name) && !overrides.has(name)) needed.add(name);
    }
    const local = new Map<string, Tensor>(acts);
    for (const [name, t] of overrides) local.set(name, t);
    const made: Tensor[] = [];
    let returned = false;
    try {
      for (const i of run.reverse()) {
        const node = this.graph.nodes[i];
        this.runNode(node, i, local, checkpoint);
        node.outputs.forEach((o) => o !== '' && local.has(o) && made.push(local.get(o)!));
      }
      const result = new Map<string, Tensor>();
      for (const name of targets) {
        const t = this.lookup(local, name);
        result.set(name, made.includes(t) ? t : t.clone());
      }
      returned = true;
      return result;
    } finally {
      // The nodes run here charged the budget on behalf of `local`: give it back (the caller's
      // targets are small next to the pass; without this, every finite-difference pass of
      // k_lin kept its charge and a long analysis was refused for memory it no longer held).
      this.budget?.release(this.chargedByPass.get(local) ?? 0);
      this.chargedByPass.delete(local);
      const kept = new Set(returned ? targets.map((name) => local.get(name)) : []);
      for (const t of made) {
        this.releaseDerived(t.id);
        if (!kept.has(t)) t.dispose();
      }
    }
  }

  /** Disposes what `forward` allocated (not the feeds the caller owns, not the constants). */
  disposeActivations(acts: Map<string, Tensor>, feeds: ReadonlyMap<string, Tensor>): void {
    this.budget?.release(this.chargedByPass.get(acts) ?? 0);
    this.chargedByPass.delete(acts);
    for (const [name, t] of acts) {
      this.releaseDerived(t.id);
      if (!this.constants.has(name) && !feeds.has(name)) t.dispose();
    }
    acts.clear();
  }

  /**
   * Vector-Jacobian products: given cotangents `seeds` on some tensors, returns the
   * cotangent on each tensor of `wrt` (the sum over every data path from it to the seeds).
   * Tensors of `wrt` that no seed depends on get zeros. The caller owns the result.
   * With `probes` > 1 every cotangent, seeds and results included, holds that many probes
   * stacked along axis 0 (probeStacking.ts; check canStackProbes first).
   */
  vjp(acts: Activations, seeds: ReadonlyMap<string, Tensor>, wrt: readonly string[], checkpoint?: Checkpoint, probes = 1): Map<string, Tensor> {
    // On ONNX Runtime the whole pass runs as one graph, recorded from this same code
    // (ortGraph.ts); what cannot be recorded runs eagerly below.
    const runner = activePassRunner();
    if (runner !== undefined) {
      const constants = new Set(this.constants.values());
      const weightedNodes = this.weightedNodesBetween(seeds, wrt);
      const ran = runner.vjp({ acts, seeds, wrt, probes, constants, weightedNodes, run: () => this.eagerVjp(acts, seeds, wrt, checkpoint, probes) });
      if (ran !== undefined) return ran;
    }
    return this.eagerVjp(acts, seeds, wrt, checkpoint, probes);
  }

  /**
   * Whether vjpFamily runs its passes together (one ONNX Runtime graph and session for the
   * family, its weights shared and packed once) rather than one after the other. Callers group
   * passes only when it does: grouped, progress arrives per family rather than per pass.
   */
  passFamiliesPay(_acts: Activations): boolean {
    return activePassRunner()?.families === true;
  }

  /**
   * Several reverse passes over the same forward pass, each of whose results is reduced by
   * `reduce` (e.g. to per-sample squared norms) before it leaves the pass: result[i] holds pass
   * i's reduced cotangent on each of its `wrt`. The numbers are those of vjp() per pass, reduced.
   * A family of one reverse pass per member (computeFamily).
   */
  vjpFamily(acts: Activations, passes: readonly FamilyPass[], reduce: (g: Tensor) => Tensor, checkpoint?: Checkpoint, probes = 1): Map<string, Tensor>[] {
    const members = passes.map((p): FamilyMember => ({
      feeds: [...p.seeds.values()],
      outputs: p.wrt,
      weightedNodes: this.weightedNodesBetween(p.seeds, p.wrt),
      compute: (vjp) => {
        const grads = vjp(p.seeds, p.wrt, probes);
        try {
          return new Map(p.wrt.map((w) => [w, tf.tidy(() => reduce(grads.get(w)!))]));
        } finally {
          grads.forEach((g) => g.dispose());
        }
      },
    }));
    return this.computeFamily(acts, members, checkpoint);
  }

  /**
   * Computations over the same forward pass, each taking reverse passes and reducing them to
   * small results: result[i] holds member i's outputs. On ONNX Runtime (passFamiliesPay) the
   * members are recorded into one graph (a few graphs for a large family, familyChunks) that
   * one session runs, so a family pays one recording and one session instead of one per pass,
   * and only the results come back; what cannot be recorded, and every other backend, runs
   * member by member with vjp(). The numbers are the same either way.
   */
  computeFamily(acts: Activations, members: readonly FamilyMember[], checkpoint?: Checkpoint): Map<string, Tensor>[] {
    const alone = (m: FamilyMember): Map<string, Tensor> => m.compute((seeds, wrt, probes) => this.vjp(acts, seeds, wrt, checkpoint, probes));
    const runner = activePassRunner();
    if (runner === undefined || !this.passFamiliesPay(acts)) return members.map(alone);
    const constants = new Set(this.constants.values());
    const key = (i: number, name: string): string => `${i}/${name}`;
    const out: Map<string, Tensor>[] = [];
    for (const chunk of familyChunks(members.map((m) => m.weightedNodes))) {
      const group = chunk.map((i) => members[i]);
      // The feeds are bound to the graph's inputs by identity; their names only need to differ.
      const seeds = new Map<string, Tensor>();
      group.forEach((m, i) => m.feeds.forEach((t, j) => seeds.set(key(i, `feed${j}`), t)));
      const merged = (compute: (m: FamilyMember) => Map<string, Tensor>): Map<string, Tensor> => {
        const all = new Map<string, Tensor>();
        group.forEach((m, i) => compute(m).forEach((t, name) => all.set(key(i, name), t)));
        return all;
      };
      const flat =
        runner.vjp({
          acts,
          seeds,
          wrt: group.flatMap((m, i) => m.outputs.map((name) => key(i, name))),
          probes: 1,
          constants,
          weightedNodes: chunk.reduce((sum, i) => sum + members[i].weightedNodes, 0),
          family: true,
          passes: group.length,
          run: () => merged((m) => m.compute((s, wrt, probes) => this.eagerVjp(acts, s, wrt, checkpoint, probes))),
        }) ?? merged(alone);
      group.forEach((m, i) => out.push(new Map(m.outputs.map((name) => [name, flat.get(key(i, name))!]))));
    }
    return out;
  }

  private eagerVjp(
    acts: Activations,
    seeds: ReadonlyMap<string, Tensor>,
    wrt: readonly string[],
    checkpoint: Checkpoint | undefined,
    probes: number,
  ): Map<string, Tensor> {
    const wrtSet = new Set(wrt);
    const downstreamOfWrt = this.forwardReach(wrtSet);
    const grads = new Map<string, Tensor>();
    const add = (name: string, g: Tensor): void => {
      const prev = grads.get(name);
      if (prev === undefined) grads.set(name, g);
      else {
        grads.set(name, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      }
    };
    for (const [name, g] of seeds) add(name, g.clone());

    for (let i = this.graph.nodes.length - 1; i >= 0; i--) {
      const node = this.graph.nodes[i];
      const kernel = this.kernels[i];
      if (!kernel.vjp) continue;
      const dys = node.outputs.map((o) => (o === '' ? undefined : grads.get(o)));
      if (dys.every((d) => d === undefined)) continue;
      const wanted = kernel.dataInputs.filter((j) => {
        const name = node.inputs[j];
        return name !== undefined && name !== '' && downstreamOfWrt.has(name);
      });
      // Cotangents of this node's outputs are final now (topological order): release them
      // unless the caller asked for them.
      const release = (): void => {
        node.outputs.forEach((o) => {
          const g = grads.get(o);
          if (g !== undefined && !wrtSet.has(o)) {
            g.dispose();
            grads.delete(o);
          }
        });
      };
      if (wanted.length === 0) {
        release();
        continue;
      }
      checkpoint?.();
      const inputs = node.inputs.map((name) => (name === '' ? undefined : this.lookup(acts, name, node)));
      const outputs = node.outputs.map((name) => this.lookup(acts, name, node));
      // tidy can only return tensors, so remember which wanted inputs got one.
      let present: number[] = [];
      let defined: Tensor[];
      try {
        defined = tf.tidy(() => {
          const full = dys.map((d, j) => d ?? tf.fill(stackedShape(outputs[j].shape, probes), 0, outputs[j].dtype));
          const r = stackedVjp(kernel, { inputs, outputs, dys: full, attrs: node.attrs, node, ctx: this, wanted: new Set(wanted) }, probes);
          const out: Tensor[] = [];
          present = [];
          wanted.forEach((j, k) => {
            const g = r[j];
            if (g === undefined) return;
            const x = inputs[j]!;
            if (!tf.util.arraysEqual(g.shape, stackedShape(x.shape, probes))) {
              throw new Error(`VJP for input ${j} has shape [${g.shape}], input has [${x.shape}]${probes > 1 ? ` (${probes} probes)` : ''}`);
            }
            // A pass-through VJP may hand back its incoming cotangent, which is released below
            // once this node is done: give the caller its own copy. The same tensor for two
            // inputs (x + x) likewise needs two owners.
            out.push(full.includes(g) || out.includes(g) || inputs.includes(g) ? g.clone() : g);
            present.push(k);
          });
          return out;
        });
      } catch (e) {
        throw new ExecutionError(node.name, node.op, e);
      }
      const aligned: (Tensor | undefined)[] = wanted.map(() => undefined);
      present.forEach((k, m) => (aligned[k] = defined[m]));
      release();
      wanted.forEach((j, k) => {
        const g = aligned[k];
        if (g !== undefined) add(node.inputs[j], g);
      });
    }
    const result = new Map<string, Tensor>();
    for (const name of wrt) {
      const g = grads.get(name);
      if (g !== undefined) {
        result.set(name, g);
        grads.delete(name);
      } else {
        const x = this.lookup(acts, name);
        result.set(name, tf.fill(stackedShape(x.shape, probes), 0, x.dtype));
      }
    }
    for (const g of grads.values()) g.dispose();
    return result;
  }

  /**
   * The exact Jacobian-vector product of node `index`'s first output (OpKernel.jvp) with
   * `tangents` (one per input, `copies` stacked along axis 0); null when the op has no such rule.
   * The caller owns the result.
   */
  nodeJvp(acts: Activations, index: number, tangents: readonly (Tensor | undefined)[], copies: number): Tensor | null {
    const jvp = this.kernels[index].jvp;
    return jvp ? this.atNode(acts, index, (args) => jvp({ ...args, tangents, copies })) : null;
  }

  /** The mean over the points of node `index`'s JVPs (OpKernel.jvpMean), or undefined where the kernel has none for this call. */
  nodeJvpMean(acts: Activations, index: number, tangent: Tensor, slope: Tensor | undefined): Tensor | undefined {
    const jvpMean = this.kernels[index].jvpMean;
    return jvpMean ? this.atNode(acts, index, (args) => jvpMean({ ...args, tangent, ...(slope && { slope }) })) : undefined;
  }

  /** Calls a kernel method of node `index` with the node's retained inputs and outputs; its failure names the node. */
  private atNode<T extends Tensor | undefined>(acts: Activations, index: number, call: (args: Omit<JvpArgs, 'tangents' | 'copies'>) => T): T {
    const node = this.graph.nodes[index];
    const inputs = node.inputs.map((name) => (name === '' ? undefined : this.lookup(acts, name, node)));
    const outputs = node.outputs.map((name) => this.lookup(acts, name, node));
    try {
      return tf.tidy(() => call({ inputs, outputs, attrs: node.attrs, node, ctx: this }));
    } catch (e) {
      throw new ExecutionError(node.name, node.op, e);
    }
  }

  /**
   * Whether reverse passes to `wrt` can stack probes (vjp's `probes`): every tensor on a data
   * path from them has an axis 0 to stack along.
   */
  canStackProbes(acts: Activations, wrt: readonly string[]): boolean {
    for (const name of this.forwardReach(new Set(wrt))) {
      const t = acts.get(name);
      if (t !== undefined && t.rank === 0) return false;
    }
    return true;
  }

  dispose(): void {
    if (this.constants.size > 0) this.budget?.release(this.constantBytes);
    for (const t of this.constants.values()) t.dispose();
    for (const c of this.cache.values()) (Array.isArray(c) ? c : [c]).forEach((t) => t.dispose());
    for (const id of [...this.activationCache.keys()]) this.releaseDerived(id);
    this.constants.clear();
    this.cache.clear();
  }

  /** Charges (or, when negative, releases) `bytes` to the budget on behalf of the pass `acts`. */
  private chargePass(acts: Map<string, Tensor>, bytes: number, what: string): void {
    if (this.budget === undefined || bytes === 0) return;
    if (bytes > 0) this.budget.charge(bytes, what);
    else this.budget.release(-bytes);
    this.chargedByPass.set(acts, (this.chargedByPass.get(acts) ?? 0) + bytes);
  }

  /** Nodes holding weights (convolutions, matrix products) on a data path from `wrt` to a seed: the reverse pass's size. */
  weightedNodesBetween(seeds: ReadonlyMap<string, unknown>, wrt: readonly string[]): number {
    const reach = this.forwardReach(new Set(wrt));
    const needed = new Set(seeds.keys());
    let count = 0;
    for (let i = this.graph.nodes.length - 1; i >= 0; i--) {
      const node = this.graph.nodes[i];
      if (!node.outputs.some((o) => needed.has(o) && reach.has(o))) continue;
      if (this.kernels[i].holdsWeights === true) count++;
      for (const j of this.kernels[i].dataInputs) if (node.inputs[j]) needed.add(node.inputs[j]);
    }
    return count;
  }

  /** Tensor names reachable from `from` along data inputs (including `from`). */
  private forwardReach(from: ReadonlySet<string>): Set<string> {
    const reach = new Set(from);
    this.graph.nodes.forEach((node, i) => {
      const kernel = this.kernels[i];
      if (kernel.dataInputs.some((j) => reach.has(node.inputs[j] ?? ''))) {
        node.outputs.forEach((o) => o !== '' && reach.add(o));
      }
    });
    return reach;
  }

  private lookup(acts: Activations, name: string, node?: GraphNode): Tensor {
    const t = acts.get(name) ?? this.constants.get(name);
    if (t === undefined) {
      throw new Error(`tensor "${name}"${node ? ` (input of node "${node.name}")` : ''} has no value`);
    }
    return t;
  }
}
