/**
 * The analysis worker's message loop, independent of how it is connected (a forked child's
 * IPC channel in production, an in-memory pair in tests). One analysis at a time: the
 * extension host never sends a second 'analyze' before the first one answered.
 *
 * Cancellation: 'cancel' aborts the engine's AbortSignal; the engine throws CancelledError at
 * its next checkpoint. After a cancelled run the worker exits, so the operating system takes
 * back all of its memory (the wasm heap never shrinks), and the next analysis starts fresh.
 */
import type { AnalyzeHooks, AnalyzeRequest } from '../engine/api';
import type { ParentToWorker, WorkerErrorCode, WorkerErrorInfo, WorkerToParent } from '../protocol/worker';
import type { AnalysisReport } from '../report/schema';
import type { TensorListing } from '../loaders/tensorList';
import { dataRequestProblem } from '../data/request';

export type AnalyzeFn = (request: AnalyzeRequest, hooks: AnalyzeHooks) => Promise<AnalysisReport>;
/** listModelTensors (src/loaders/tensorList.ts), passed in so that it is loaded on first use. */
export type ListTensorsFn = (modelPath: string) => Promise<TensorListing>;
/** classifyError (src/engine/classifyError.ts), passed in so that it can be loaded with the engine. */
export type ClassifyFn = (error: unknown) => WorkerErrorCode;

export interface WorkerPort {
  send(message: WorkerToParent): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Ends the worker process (after a cancelled run, or when the parent goes away). */
  exit(code: number): void;
}

/** Describes any thrown value for the parent; engine errors carry `file` (ModelLoadError, DataError). */
export function describeError(error: unknown, code: WorkerErrorCode): WorkerErrorInfo {
  if (error instanceof Error) {
    const file = (error as { file?: unknown }).file;
    return {
      code,
      name: error.name,
      message: error.message,
      ...(typeof file === 'string' && { file }),
      ...(error.stack !== undefined && { stack: error.stack }),
    };
  }
  return { code, name: 'Error', message: String(error) };
}

function isParentMessage(value: unknown): value is ParentToWorker {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; id?: unknown; request?: unknown };
  if (!Number.isInteger(m.id)) return false;
  if (m.type === 'cancel') return true;
  if (m.type === 'listTensors') return typeof (value as { modelPath?: unknown }).modelPath === 'string';
  if (m.type !== 'analyze' || typeof m.request !== 'object' || m.request === null) return false;
  return typeof (m.request as { modelPath?: unknown }).modelPath === 'string';
}

export function serveAnalyses(port: WorkerPort, analyze: AnalyzeFn, classify: ClassifyFn, pid: number, listTensors?: ListTensorsFn): void {
  let running: { id: number; controller: AbortController } | undefined;

  port.onMessage((raw) => {
    if (!isParentMessage(raw)) return; // the parent is our own code; ignore anything malformed
    if (raw.type === 'cancel') {
      if (running?.id === raw.id) running.controller.abort();
      return;
    }
    const id = raw.id;
    if (raw.type === 'listTensors') {
      // Reads the file's graph only (no engine, no computation); may run beside nothing else.
      if (listTensors === undefined) {
        port.send({ type: 'error', id, error: { code: 'internal', name: 'Error', message: 'this worker cannot list tensors' } });
        return;
      }
      listTensors(raw.modelPath).then(
        (listing) => port.send({ type: 'tensors', id, listing }),
        (error: unknown) => port.send({ type: 'error', id, error: describeError(error, classify(error)) }),
      );
      return;
    }
    const dataProblem = dataRequestProblem(raw.request);
    if (dataProblem !== undefined) {
      port.send({ type: 'error', id, error: { code: 'data', name: 'DataError', message: dataProblem } });
      return;
    }
    const controller = new AbortController();
    running = { id, controller };
    analyze(raw.request, {
      signal: controller.signal,
      onProgress: (event) => port.send({ type: 'progress', id, event }),
      onPartial: (partial) => port.send({ type: 'partial', id, partial }),
    }).then(
      (report) => {
        running = undefined;
        port.send({ type: 'result', id, report });
      },
      (error: unknown) => {
        running = undefined;
        port.send({ type: 'error', id, error: describeError(error, classify(error)) });
        if (controller.signal.aborted) port.exit(0);
      },
    );
  });
  port.send({ type: 'ready', pid });
}
