/**
 * Runs analyzeModel on one fuzzed variant with a time bound and classifies how it ended.
 * An acceptable end is a report or one of the engine's typed errors with a useful message;
 * anything else (TypeError, RangeError, a hang) is a finding.
 */
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import { CancelledError, ResourceError } from '../../src/engine/api';
import { ExecutionError } from '../../src/runtime/executor';
import { InputError } from '../../src/engine/input';
import { ModelLoadError } from '../../src/loaders/errors';
import { KernelError } from '../../src/ops/kernel';

export const FUZZ_SETTINGS = { backend: 'wasm', batch: 2, probes: 2, blockMatrix: false } as const;

export interface Outcome {
  /** 'report' or the error's class name. */
  readonly ending: string;
  /** Why this ending is not acceptable; undefined when it is. */
  readonly problem?: string;
  /** The error message, for tracing (FUZZ_TRACE=<kind>). */
  readonly detail?: string;
}

const TYPED_ERRORS = [ExecutionError, InputError, ResourceError, KernelError] as const;

export async function runVariant(modelPath: string, timeoutMs: number): Promise<Outcome> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    const result = await Promise.race([analyzeModel({ modelPath, settings: FUZZ_SETTINGS }, { signal: abort.signal }), timeout]);
    if (result === 'timeout') return { ending: 'timeout', problem: `no result within ${timeoutMs} ms` };
    return { ending: 'report' };
  } catch (e) {
    return classify(e, modelPath, abort.signal.aborted);
  } finally {
    clearTimeout(timer);
  }
}

function classify(e: unknown, modelPath: string, timedOut: boolean): Outcome {
  if (!(e instanceof Error)) return { ending: typeof e, problem: `non-Error thrown: ${String(e)}` };
  return { ...judge(e, modelPath, timedOut), detail: e.message };
}

function judge(e: Error, modelPath: string, timedOut: boolean): Outcome {
  const ending = e.name;
  if (e instanceof CancelledError) return { ending, problem: timedOut ? 'hit the time bound' : 'cancelled without a request' };
  if (e instanceof ModelLoadError) {
    const inFolder = path.resolve(e.file).startsWith(path.dirname(path.resolve(modelPath)));
    if (!inFolder) return { ending, problem: `.file "${e.file}" is not in the model folder` };
    if (!e.message.includes(path.basename(e.file))) return { ending, problem: `message does not name the file: ${e.message}` };
    return { ending };
  }
  if (TYPED_ERRORS.some((cls) => e instanceof cls)) {
    return e.message.trim() === '' ? { ending, problem: 'empty message' } : { ending };
  }
  return { ending, problem: `${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n') ?? ''}` };
}
