/**
 * Whole reverse passes on ONNX Runtime. The executor's reverse pass (the kernels' hand-written
 * VJPs, written against tf.*) is run once with the recording backend active (recordBackend.ts):
 * instead of computing, every kernel appends ONNX nodes, so the pass becomes one ONNX graph,
 * which one ONNX Runtime session then runs with the activations and the stacked cotangent
 * seeds as graph inputs and the weights (and values cached from them) as initializers, which
 * ORT pre-packs. The ops are not written twice: eager and recorded passes call the same code.
 *
 * A pass the recording cannot express (a kernel without a recording, a computed value that a
 * kernel reads back) runs eagerly instead, with the same result; `stats` counts both, so the
 * report and the tests can tell which path ran.
 *
 * Sessions of single passes are cached by the pass's signature (seeds, their shapes, wrt,
 * probes) and the forward pass they read, a few at a time: every session holds its own copy of
 * the weights. A family's session runs once and is released right after, never cached.
 *
 * A family of passes (Executor.vjpFamily: the block matrix's rows, which read one forward pass
 * and the same weights) is recorded into one graph with every pass's reduced results as outputs,
 * so it pays one recording and one session for all of them.
 *
 * Weights are initializers of the session, which ORT folds (the layout transposes of kernels)
 * and pre-packs once. That pays even for a graph run once: ResNet-18-sized, the exact
 * GSC-to-output pass built in 0.13 s and ran in 0.2 s, against 0.04 s and 0.6 s with its
 * weights fed as inputs (transposed and packed again in every run). GRADIENT_LENS_ORT_PACK=0
 * feeds them as inputs, for comparison.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeConvExecutor, setConvExecutor, type ConvExecutor, type SpatialPads } from '../ops/convCore';
import { hostValuesOf } from '../ops/hostValues';
import type { Tensor } from '../ops/kernel';
import { encodeModel, type ValueSpec } from './ortModel';
import { foldConstants } from './foldConstants';
import { valuesForRun } from './heapViews';
import { sessionOptions, type OrtRuntime, type OrtSession } from './ortSession';
import { sinkChannelsFirst } from './recordLayout';
import { elemType, Recorder, RecordingBackend, RECORD_BACKEND, typedValues, type Values } from './recordBackend';
import { GROUPED_CONV_KERNEL, registerRecordingKernels } from './recordKernels';

export interface OrtGraphStats {
  /** Passes recorded into a graph (sessions built). */
  recorded: number;
  /** Of those, families of several members (PassRequest.family, passes > 1): one graph and session for all of them. */
  familiesRecorded: number;
  /** Passes ONNX Runtime ran as one graph (cache hits included). */
  runs: number;
  /** Runs that reused a cached session. */
  cacheHits: number;
  /** Passes that could not be recorded and ran eagerly. */
  fallbacks: number;
  /** Passes too small to repay a session (MIN_WEIGHTED_NODES), run eagerly by choice. */
  small: number;
  /** Channels-first Transposes that recordLayout.ts made unnecessary, over every recorded graph. */
  transposesRemoved: number;
  /** Nodes that read only constants, computed before the session was built (foldConstants.ts), over every recorded graph. */
  constantsFolded: number;
  /** Why, one line per distinct reason. */
  readonly fallbackReasons: string[];
  /** Milliseconds spent recording, building sessions and running them (for the bench). */
  recordMs: number;
  sessionMs: number;
  runMs: number;
}

/** A reverse pass as the executor asks for it. */
export interface PassRequest {
  readonly acts: ReadonlyMap<string, Tensor>;
  readonly seeds: ReadonlyMap<string, Tensor>;
  readonly wrt: readonly string[];
  readonly probes: number;
  /** Nodes holding weights on the pass's data paths: a pass with fewer than MIN_WEIGHTED_NODES runs eagerly. */
  readonly weightedNodes: number;
  /** Tensors that are model constants (initializers rather than inputs). */
  readonly constants: ReadonlySet<Tensor>;
  /**
   * A family of passes (Executor.vjpFamily) whose results are already reduced: one graph for
   * all of them, and only the reduced values come back.
   */
  readonly family?: boolean;
  /** Members the family holds (Executor.computeFamily; default 1), each one or more reverse passes. */
  readonly passes?: number;
  /** The eager pass; run under the recording backend, it records the graph. */
  readonly run: () => Map<string, Tensor>;
}

export interface PassRunner {
  readonly stats: OrtGraphStats;
  /** Whether families of passes (PassRequest.family) should be asked for: GRADIENT_LENS_ORT_FAMILIES=0 turns them off, for comparison. */
  readonly families: boolean;
  /** The pass's results on the compute backend, or undefined when it must run eagerly. */
  vjp(request: PassRequest): Map<string, Tensor> | undefined;
  dispose(): void;
}

interface InputBinding {
  readonly name: string;
  /** `act:<tensor name>` or `seed:<tensor name>`, fed from the request; else `data`, fed as is. */
  readonly key?: string;
  readonly data?: Values;
}

interface CachedPass {
  readonly session: OrtSession;
  readonly inputs: readonly InputBinding[];
  readonly inputShapes: ReadonlyMap<string, readonly number[]>;
  readonly outputs: readonly { readonly name: string; readonly wrt: string; readonly shape: readonly number[]; readonly dtype: tf.DataType }[];
}

let recording: { readonly backend: string; readonly conv: ConvExecutor } | undefined;

/** Whether a pass is being recorded on this thread right now (KernelContext.recording). */
export function isRecording(): boolean {
  return recording !== undefined;
}

/**
 * Runs `fn` on the compute backend even while a pass is being recorded: the kernels' caches
 * (ctx.cached, derivedFromActivation) hold real values, which the graph then reads as
 * initializers.
 */
export function outsideRecording<T>(fn: () => T): T {
  if (recording === undefined) return fn();
  const saved = recording;
  const conv = setConvExecutor(saved.conv);
  switchBackend(saved.backend);
  recording = undefined;
  try {
    return fn();
  } finally {
    recording = saved;
    switchBackend(RECORD_BACKEND);
    setConvExecutor(conv);
  }
}

/**
 * tf.setBackend is async, but for a backend already initialised with a synchronous factory it
 * switches before its first await; checked, so a change in TensorFlow.js fails loudly here.
 */
function switchBackend(name: string): void {
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`could not switch TensorFlow.js to the ${name} backend synchronously`);
}

let backendRegistered = false;

function ensureRecordingBackend(): void {
  if (backendRegistered) return;
  backendRegistered = true;
  // A negative priority: TensorFlow.js never picks it by itself.
  tf.registerBackend(RECORD_BACKEND, () => new RecordingBackend(), -1);
  registerRecordingKernels();
}

const recordingConv: ConvExecutor = {
  name: 'onnx-record',
  conv: (x: Tensor, w: Tensor, strides: readonly number[], dilations: readonly number[], pads?: SpatialPads): Tensor => {
    const zeros = strides.map(() => 0);
    const attrs = { strides: [...strides], dilations: [...dilations], begin: [...(pads?.begin ?? zeros)], end: [...(pads?.end ?? zeros)] };
    return tf.engine().runKernel(GROUPED_CONV_KERNEL, { x, w }, attrs) as Tensor;
  },
};

/**
 * Passes through fewer weight layers run eagerly: building a session (~100 ms on a 2-core
 * machine for a ResNet-18-sized pass) costs more than such a pass does eagerly (the block-local
 * passes through one convolution and a batch normalisation). Measured on resnet18_64.
 */
export const MIN_WEIGHTED_NODES = Number(process.env.GRADIENT_LENS_ORT_GRAPH_MIN_LAYERS ?? 4);

/** Sessions kept at once (each holds the weights it reads, pre-packed). */
const MAX_CACHED = 4;

export interface PassRunnerOptions {
  /** Ask for families of passes (PassRunner.families); default: unless GRADIENT_LENS_ORT_FAMILIES=0. */
  readonly families?: boolean;
  /** Weights as initializers, folded and pre-packed by ORT; default: unless GRADIENT_LENS_ORT_PACK=0. */
  readonly packWeights?: boolean;
  /** Convolutions chained channels-first (recordLayout.ts); default: unless GRADIENT_LENS_ORT_LAYOUT=0. */
  readonly channelsFirstChains?: boolean;
  /** Nodes that read only constants computed before the session is built (foldConstants.ts); default: unless GRADIENT_LENS_ORT_FOLD=0. */
  readonly foldConstants?: boolean;
}

/** `minWeightedNodes`: smaller passes run eagerly (tests record every pass with 0). */
export function ortPassRunner(ort: OrtRuntime, intraOpThreads: number, minWeightedNodes = MIN_WEIGHTED_NODES, opts: PassRunnerOptions = {}): PassRunner {
  const packWeights = opts.packWeights ?? process.env.GRADIENT_LENS_ORT_PACK !== '0';
  const channelsFirstChains = opts.channelsFirstChains ?? process.env.GRADIENT_LENS_ORT_LAYOUT !== '0';
  const fold = opts.foldConstants ?? process.env.GRADIENT_LENS_ORT_FOLD !== '0';
  const options = sessionOptions(intraOpThreads);
  const stats: OrtGraphStats = {
    recorded: 0,
    familiesRecorded: 0,
    runs: 0,
    cacheHits: 0,
    fallbacks: 0,
    small: 0,
    transposesRemoved: 0,
    constantsFolded: 0,
    fallbackReasons: [],
    recordMs: 0,
    sessionMs: 0,
    runMs: 0,
  };
  const cache = new Map<string, CachedPass>();
  const actsIds = new WeakMap<object, number>();
  let nextActsId = 0;
  let busy = false;
  /** Data of the constants the graphs read, by data id: read from the compute backend once. */
  const constantData = new WeakMap<object, Values>();
  const externalData = (t: tf.TensorInfo): Values => {
    let data = constantData.get(t.dataId) ?? hostValuesOf(t);
    if (data === undefined) {
      const info = tf.engine().state.tensorInfo.get(t.dataId);
      if (info === undefined) throw new Error('a tensor from outside the recording has no backend');
      data = typedValues(info.backend.readSync(t.dataId), t.dtype);
      constantData.set(t.dataId, data);
    }
    return data;
  };

  const fallback = (reason: string): undefined => {
    stats.fallbacks++;
    const line = reason.split('\n')[0];
    if (!stats.fallbackReasons.includes(line) && stats.fallbackReasons.length < 20) stats.fallbackReasons.push(line);
    return undefined;
  };

  const record = (req: PassRequest): CachedPass | string => {
    ensureRecordingBackend();
    const t0 = Date.now();
    const bindings = new Map<object, string>();
    for (const [name, t] of req.acts) if (!req.constants.has(t)) bindings.set(t.dataId, `act:${name}`);
    for (const [name, t] of req.seeds) bindings.set(t.dataId, `seed:${name}`);
    const previous = tf.getBackend();
    const conv = activeConvExecutor();
    switchBackend(RECORD_BACKEND);
    const backend = tf.findBackend(RECORD_BACKEND) as RecordingBackend;
    const recorder = new Recorder(backend, bindings, externalData, packWeights ? Infinity : undefined);
    backend.recorder = recorder;
    setConvExecutor(recordingConv);
    recording = { backend: previous, conv };
    let results: Map<string, Tensor> | undefined;
    const outputs: { name: string; wrt: string; shape: number[]; dtype: tf.DataType }[] = [];
    try {
      results = req.run();
      const taken = new Set<string>([...recorder.inputs.map((i) => i.name), ...recorder.initializers.map((i) => i.name)]);
      for (const name of req.wrt) {
        const g = results.get(name);
        if (g === undefined) return `no result for ${name}`;
        let value = recorder.value(g);
        // A graph output must be a node's own output, once.
        if (taken.has(value)) value = recorder.node('Identity', [value]);
        taken.add(value);
        outputs.push({ name: value, wrt: name, shape: g.shape, dtype: g.dtype });
      }
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    } finally {
      recording = undefined;
      backend.recorder = undefined;
      setConvExecutor(conv);
      switchBackend(previous);
      results?.forEach((t) => t.dispose());
      stats.recordMs += Date.now() - t0;
    }
    // Convolutions read and write channels-first without a Transpose pair each (recordLayout.ts).
    if (channelsFirstChains)
      stats.transposesRemoved += sinkChannelsFirst(
        recorder,
        outputs.map((o) => o.name),
      );
    const t1 = Date.now();
    const outSpecs: ValueSpec[] = outputs.map((o) => ({ name: o.name, shape: o.shape, dtype: elemType(o.dtype) }));
    // The nodes that read only weights (kernel transposes, batch-norm scales) are computed
    // here, not by ORT's slower folding while it builds the session (foldConstants.ts).
    const recorded = { nodes: recorder.nodes, inputs: recorder.inputSpecs, outputs: outSpecs, initializers: recorder.initializers };
    const spec = fold ? foldConstants(recorded) : recorded;
    stats.constantsFolded += recorder.nodes.length - spec.nodes.length;
    const model = encodeModel(spec, 'gradient-lens-reverse-pass');
    const session = ort.newSession(model, options);
    stats.sessionMs += Date.now() - t1;
    stats.recorded++;
    if (req.family === true && (req.passes ?? 1) > 1) stats.familiesRecorded++;
    const inputShapes = new Map(recorder.inputSpecs.map((v) => [v.name, v.shape as number[]]));
    return { session, inputs: recorder.inputs, inputShapes, outputs };
  };

  const run = (pass: CachedPass, req: PassRequest): Map<string, Tensor> | string => {
    const t0 = Date.now();
    const feeds: Record<string, InstanceType<OrtRuntime['Tensor']>> = {};
    for (const b of pass.inputs) {
      let data: Values;
      let dims: readonly number[];
      if (b.key === undefined) {
        data = b.data!;
        dims = pass.inputShapes.get(b.name)!;
      } else {
        const colon = b.key.indexOf(':');
        const name = b.key.slice(colon + 1);
        const t = b.key.slice(0, colon) === 'seed' ? req.seeds.get(name) : req.acts.get(name);
        if (t === undefined) return `no tensor ${b.key} to feed`;
        // In place (a view of the wasm heap): nothing allocates on the heap until the run is over.
        data = valuesForRun(t);
        dims = t.shape;
      }
      const type = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'bool';
      feeds[b.name] = new ort.Tensor(type, data, dims);
    }
    const fetches: Record<string, null> = {};
    for (const o of pass.outputs) fetches[o.name] = null;
    const got = pass.session.run(feeds, fetches, {});
    const result = new Map<string, Tensor>();
    for (const o of pass.outputs) {
      const y = got[o.name];
      result.set(o.wrt, tf.tensor(y.data as Float32Array | Int32Array | Uint8Array, o.shape as number[], o.dtype));
    }
    stats.runs++;
    stats.runMs += Date.now() - t0;
    return result;
  };

  /** A run's results, or the fallback its failure reason makes. */
  const outcome = (out: Map<string, Tensor> | string): Map<string, Tensor> | undefined => (typeof out === 'string' ? fallback(out) : out);

  return {
    stats,
    families: opts.families ?? process.env.GRADIENT_LENS_ORT_FAMILIES !== '0',
    vjp(req) {
      // A pass that starts inside another (a kernel's own reverse pass) runs eagerly.
      if (busy) return undefined;
      if (req.weightedNodes < minWeightedNodes) {
        stats.small++;
        return undefined;
      }
      busy = true;
      try {
        if (req.family === true) {
          // A family runs once per forward pass (the block matrix, the exact GSC pass): it is
          // not cached, and its session and pre-packed weights are released at once, so the
          // next session reuses their memory instead of faulting in fresh pages.
          const made = record(req);
          if (typeof made === 'string') return fallback(made);
          try {
            return outcome(run(made, req));
          } finally {
            made.session.dispose();
          }
        }
        let actsId = actsIds.get(req.acts);
        if (actsId === undefined) actsIds.set(req.acts, (actsId = nextActsId++));
        const seeds = [...req.seeds].map(([name, t]) => `${name}[${t.shape.join(',')}]`).join(';');
        const key = `${actsId}|${seeds}|${req.wrt.join(';')}|${req.probes}`;
        let pass = cache.get(key);
        if (pass !== undefined) {
          stats.cacheHits++;
          cache.delete(key);
        } else {
          const made = record(req);
          if (typeof made === 'string') return fallback(made);
          pass = made;
        }
        cache.set(key, pass);
        while (cache.size > MAX_CACHED) {
          const [oldest, entry] = cache.entries().next().value as [string, CachedPass];
          entry.session.dispose();
          cache.delete(oldest);
        }
        return outcome(run(pass, req));
      } finally {
        busy = false;
      }
    },
    dispose() {
      for (const p of cache.values()) p.session.dispose();
      cache.clear();
    },
  };
}

let installed: PassRunner | undefined;

/** Installs the runner of reverse passes on this thread (undefined: every pass runs eagerly); returns the previous one. */
export function setPassRunner(runner: PassRunner | undefined): PassRunner | undefined {
  const previous = installed;
  installed = runner;
  return previous;
}

export function activePassRunner(): PassRunner | undefined {
  return installed;
}
