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

function tryRegister(name: BackendName): string | undefined {
  try {
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
    return undefined;
  } catch (e) {
    return `${name} backend did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
}

/** Activates a backend; throws when an explicitly chosen one cannot be used. */
export async function initBackend(choice: BackendChoice): Promise<BackendInfo> {
  const order: BackendName[] = choice === 'auto' ? ['node', 'wasm', 'cpu'] : [choice];
  const notes: string[] = [];
  for (const name of order) {
    const loadError = tryRegister(name);
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
