/**
 * Chooses the backend the engine computes on.
 *
 * - 'ort': ONNX Runtime (onnxruntime-node, native, its CPU binaries inside the npm package)
 *   runs each reverse pass through enough weight layers as one recorded graph
 *   (src/runtime/ortGraph.ts), and the convolutions of everything else (the forward pass, small
 *   passes: src/runtime/ortConv.ts); the other ops of those run on TensorFlow.js's wasm
 *   backend (depthwise convolutions too: XNNPACK's are faster). It beats wasm on models with
 *   convolutions, not on those without (engine/backendChoice.ts), so 'auto' picks it per model
 *   (preferOrtForModel).
 * - 'node': @tensorflow/tfjs-node (native libtensorflow), an optional dependency that only
 *   loads where its install could download libtensorflow (users' machines).
 * - 'wasm': @tensorflow/tfjs-backend-wasm, whose binaries ship inside the npm package: the
 *   embedded fallback.
 * - 'cpu': plain JavaScript, the last resort.
 * 'auto' tries node, wasm and cpu in that order, then, once the model is loaded, moves from
 * wasm to ONNX Runtime for a model that prefers it. The report names the backend that actually
 * ran, and why.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setConvExecutor, tfjsConvExecutor } from '../ops/convCore';
import { keepHostValues } from '../ops/hostValues';
import { ortConvExecutor, type OrtConvExecutor } from './ortConv';
import { ortPassRunner, setPassRunner, type PassRunner } from './ortGraph';
import { loadOnnxRuntime, type OrtRuntime } from './ortSession';

export type BackendChoice = 'auto' | 'ort' | 'node' | 'wasm' | 'cpu';
export type BackendName = 'ort' | 'node' | 'wasm' | 'cpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'ort', 'node', 'wasm', 'cpu'];

export interface BackendInfo {
  readonly name: BackendName;
  /** The tfjs backend id ('tensorflow', 'wasm', 'cpu') of the ops TensorFlow.js computes. */
  readonly tfjsBackend: string;
  /** Why a preferred backend was not used, for the report and the log. */
  readonly notes: readonly string[];
  /** Why this backend ran and what computes on it, one sentence for the report. */
  readonly reason: string;
  /** ONNX Runtime's convolution executor when name is 'ort' (its run count shows that it ran). */
  readonly ort?: OrtConvExecutor;
  /** ONNX Runtime's runner of whole reverse passes when name is 'ort' and graphs are on (its stats show which path ran). */
  readonly ortGraph?: PassRunner;
}

const TFJS_ID: Record<Exclude<BackendName, 'ort'>, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/**
 * Loads the package of a backend: registers a tfjs backend, or for 'ort' returns the runtime.
 * A parameter so a test can play a package that half-loads or a binary that cannot load.
 */
export type BackendPackageLoader = (name: BackendName) => OrtRuntime | void;

export const loadBackendPackage: BackendPackageLoader = (name) => {
  if (name === 'ort') return loadOnnxRuntime();
  if (name === 'node') {
    // Optional: absent where libtensorflow could not be downloaded at install time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
  } else if (name === 'wasm') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-wasm');
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-cpu');
  }
};

/** Environment variable: ONNX Runtime's intra-op threads per session (default ORT_DEFAULT_THREADS). */
export const ORT_THREADS_ENV = 'GRADIENT_LENS_ORT_THREADS';
export const ORT_DEFAULT_THREADS = 2;

/**
 * Environment variable: '0' turns off whole reverse passes as one ONNX Runtime graph
 * (ortGraph.ts), leaving one session per convolution. On by default: measured under load
 * (bench/results-2026-12-07-ortgraph.md) the graphs took 2.1x less CPU on the
 * MobileNetV2-sized model and about the same (+-20%) on the ResNet-18-sized one, where each
 * pass's session costs what its graph saves.
 */
export const ORT_GRAPH_ENV = 'GRADIENT_LENS_ORT_GRAPH';

function ortGraphsOn(): boolean {
  return process.env[ORT_GRAPH_ENV] !== '0';
}

function ortThreads(): number {
  const v = Number(process.env[ORT_THREADS_ENV]);
  return Number.isInteger(v) && v >= 1 && v <= 64 ? v : ORT_DEFAULT_THREADS;
}

interface LoadOutcome {
  readonly error?: string;
  readonly ort?: OrtRuntime;
}

/**
 * The first load's outcome per backend, kept for the life of the process: Node keeps the modules
 * that a failed require did load, so requiring a half-installed tfjs-node again "succeeds" without
 * registering its backend, and every job after the first warned of a backend fallback.
 */
const loadOutcomes = new WeakMap<BackendPackageLoader, Map<BackendName, LoadOutcome>>();

function tryLoad(name: BackendName, load: BackendPackageLoader): LoadOutcome {
  let outcomes = loadOutcomes.get(load);
  if (outcomes === undefined) loadOutcomes.set(load, (outcomes = new Map()));
  const known = outcomes.get(name);
  if (known !== undefined) return known;
  let outcome: LoadOutcome;
  try {
    const ort = load(name);
    outcome = name === 'ort' && !ort ? { error: 'ort backend did not load: no runtime' } : { ort: ort ?? undefined };
  } catch (e) {
    outcome = { error: `${name} backend did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  outcomes.set(name, outcome);
  return outcome;
}

/** Activates a tfjs backend; the reason it failed, or undefined. */
async function activateTfjs(name: Exclude<BackendName, 'ort'>, load: BackendPackageLoader): Promise<string | undefined> {
  const loaded = tryLoad(name, load);
  if (loaded.error !== undefined) return loaded.error;
  try {
    // setBackend resolves to false (rather than throwing) when initialisation fails.
    if (await tf.setBackend(TFJS_ID[name])) {
      await tf.ready();
      return undefined;
    }
    return `${name} backend failed to initialise`;
  } catch (e) {
    return `${name} backend failed to initialise: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The executor installed by the last initBackend('ort') of this thread, released when another backend is chosen. */
let installedOrt: OrtConvExecutor | undefined;
let installedRunner: PassRunner | undefined;

function useTfjsConvolutions(): void {
  setConvExecutor(tfjsConvExecutor);
  keepHostValues(false);
  installedOrt?.dispose();
  installedOrt = undefined;
  setPassRunner(undefined);
  installedRunner?.dispose();
  installedRunner = undefined;
}

/** What 'auto' tries before the model is known, best first ('ort' comes per model: preferOrtForModel). */
export const AUTO_ORDER: readonly BackendName[] = ['node', 'wasm', 'cpu'];

/** What '--backend ort' runs on when ONNX Runtime cannot load. */
export const ORT_FALLBACK_ORDER: readonly BackendName[] = ['ort', 'wasm', 'cpu'];

/** Activates a backend; throws when an explicitly chosen one (other than ort, which falls back) cannot be used. */
export async function initBackend(choice: BackendChoice, load: BackendPackageLoader = loadBackendPackage): Promise<BackendInfo> {
  // An ONNX Runtime binary that cannot load (a .vsix of another platform, a missing shared
  // library) must not cost the user the analysis: wasm (cpu at worst) runs it, and says why.
  const order: readonly BackendName[] = choice === 'auto' ? AUTO_ORDER : choice === 'ort' ? ORT_FALLBACK_ORDER : [choice];
  const notes: string[] = [];
  const chosen = choice === 'auto' ? 'auto' : `--backend ${choice}`;
  for (const name of order) {
    if (name === 'ort') {
      const loaded = tryLoad('ort', load);
      if (loaded.error !== undefined || loaded.ort === undefined) {
        notes.push(
          `ONNX Runtime could not be loaded (${loaded.error ?? 'ort backend did not load'}): TensorFlow.js computes every op, ` +
            `convolutions included, which gives the same numbers within float32 rounding but runs slower`,
        );
        continue;
      }
      // The ops ONNX Runtime does not execute run on wasm (cpu where wasm cannot start).
      const rest = (await activateTfjs('wasm', load)) === undefined ? 'wasm' : (await activateTfjs('cpu', load)) === undefined ? 'cpu' : undefined;
      if (rest === undefined) {
        notes.push('ort backend needs the wasm or cpu backend for its other ops, and neither started');
        continue;
      }
      return installOrt(loaded.ort, rest, `${chosen}: `, notes);
    }
    const failure = await activateTfjs(name, load);
    if (failure !== undefined) {
      // In auto mode an absent tfjs-node is the normal case (an optional dependency), not news.
      const expectedAbsence = choice === 'auto' && name === 'node' && /Cannot find module/.test(failure);
      if (!expectedAbsence) notes.push(failure);
      continue;
    }
    useTfjsConvolutions();
    const why = choice === 'auto' || name !== choice ? `${chosen}: ${order.slice(0, order.indexOf(name)).join(', ')} not usable` : chosen;
    return { name, tfjsBackend: tf.getBackend(), notes, reason: `${why}; TensorFlow.js ${name} computes every op` };
  }
  throw new Error(`no usable compute backend (${choice}): ${notes.join('; ')}`);
}

/** Puts ONNX Runtime's convolutions and reverse-pass graphs in place, TensorFlow.js `rest` computing the other ops. */
function installOrt(ort: OrtRuntime, rest: string, why: string, notes: readonly string[]): BackendInfo {
  const threads = ortThreads();
  useTfjsConvolutions();
  installedOrt = ortConvExecutor(ort, threads);
  setConvExecutor(installedOrt);
  // Its sessions read the weights from the values they were made from (ops/hostValues.ts).
  keepHostValues(true);
  if (ortGraphsOn()) {
    installedRunner = ortPassRunner(ort, threads);
    setPassRunner(installedRunner);
  }
  const what = installedRunner
    ? `it runs each reverse pass as one graph (${threads} intra-op threads; a pass it cannot record, and the forward pass, run on ${rest} with ONNX Runtime's dense convolutions)`
    : `it computes the convolutions but depthwise ones (${threads} intra-op threads), ${rest} the other ops`;
  return {
    name: 'ort',
    tfjsBackend: tf.getBackend(),
    notes,
    reason: `${why}ONNX Runtime ${ort.version} loaded; ${what}`,
    ort: installedOrt,
    ortGraph: installedRunner,
  };
}

/**
 * 'auto' once the model is known: ONNX Runtime where `modelPrefersOrt` (the caller's reading
 * of the graph) says it is the faster backend and 'auto' settled on wasm, else `info` as it is.
 * wasm stays the TensorFlow.js backend either way, so the loaded weights stay where they are.
 * An ONNX Runtime that cannot load keeps wasm, with that in the reason.
 */
export function preferOrtForModel(info: BackendInfo, modelPrefersOrt: string | undefined, load: BackendPackageLoader = loadBackendPackage): BackendInfo {
  if (modelPrefersOrt === undefined || info.name !== 'wasm') return info;
  const loaded = tryLoad('ort', load);
  if (loaded.error !== undefined || loaded.ort === undefined) {
    return { ...info, reason: `${info.reason} (ONNX Runtime, faster for ${modelPrefersOrt}, could not load: ${loaded.error ?? 'no runtime'})` };
  }
  return installOrt(loaded.ort, 'wasm', `auto: ${modelPrefersOrt}, where ONNX Runtime is faster than wasm; `, info.notes);
}
