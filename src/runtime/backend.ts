/**
 * Chooses the TensorFlow.js backend the engine computes on.
 *
 * - 'node': @tensorflow/tfjs-node (native libtensorflow), an optional dependency that only
 *   loads where its install could download libtensorflow (users' machines).
 * - 'wasm': @tensorflow/tfjs-backend-wasm, whose binaries ship inside the npm package: the
 *   embedded default.
 * - 'cpu': plain JavaScript, the last resort.
 * 'auto' tries them in that order. The report names the backend that actually ran.
 */
import * as tf from '@tensorflow/tfjs-core';

export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';
export type BackendName = 'node' | 'wasm' | 'cpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'node', 'wasm', 'cpu'];

export interface BackendInfo {
  readonly name: BackendName;
  /** The tfjs backend id ('tensorflow', 'wasm', 'cpu'). */
  readonly tfjsBackend: string;
  /** Why a preferred backend was not used, for the report and the log. */
  readonly notes: readonly string[];
}

const TFJS_ID: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/** Loads the package that registers a backend; a parameter so a test can play a package that half-loads. */
export type BackendPackageLoader = (name: BackendName) => void;

export const loadBackendPackage: BackendPackageLoader = (name) => {
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

/**
 * The first load's outcome per backend, kept for the life of the process: Node keeps the modules
 * that a failed require did load, so requiring a half-installed tfjs-node again "succeeds" without
 * registering its backend, and every job after the first warned of a backend fallback.
 */
const loadOutcomes = new WeakMap<BackendPackageLoader, Map<BackendName, string | undefined>>();

function tryRegister(name: BackendName, load: BackendPackageLoader): string | undefined {
  let outcomes = loadOutcomes.get(load);
  if (outcomes === undefined) loadOutcomes.set(load, (outcomes = new Map()));
  if (outcomes.has(name)) return outcomes.get(name);
  let outcome: string | undefined;
  try {
    load(name);
    outcome = undefined;
  } catch (e) {
    outcome = `${name} backend did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
  outcomes.set(name, outcome);
  return outcome;
}

/** Activates a backend; throws when an explicitly chosen one cannot be used. */
export async function initBackend(choice: BackendChoice, load: BackendPackageLoader = loadBackendPackage): Promise<BackendInfo> {
  const order: BackendName[] = choice === 'auto' ? ['node', 'wasm', 'cpu'] : [choice];
  const notes: string[] = [];
  for (const name of order) {
    const loadError = tryRegister(name, load);
    if (loadError !== undefined) {
      // In auto mode an absent tfjs-node is the normal case (an optional dependency), not news.
      const expectedAbsence = choice === 'auto' && name === 'node' && /Cannot find module/.test(loadError);
      if (!expectedAbsence) notes.push(loadError);
      continue;
    }
    try {
      // setBackend resolves to false (rather than throwing) when initialisation fails.
      if (await tf.setBackend(TFJS_ID[name])) {
        await tf.ready();
        return { name, tfjsBackend: tf.getBackend(), notes };
      }
      notes.push(`${name} backend failed to initialise`);
    } catch (e) {
      notes.push(`${name} backend failed to initialise: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(`no usable compute backend (${choice}): ${notes.join('; ')}`);
}
