/**
 * Messages between the extension host and the analysis worker (a child process running the
 * engine), so a long analysis never blocks the editor. Both sides import these types.
 */
import type { AnalyzeRequest, ProgressEvent } from '../engine/api';
import type { AnalysisReport, PartialReport } from '../report/schema';
import type { TensorListing } from '../loaders/tensorList';
import { isErrorCode, type ErrorCode } from '../engine/errorCodes';

/** What kind of failure an error is: set on the worker side by classifyError (src/engine/classifyError.ts) only. */
export type WorkerErrorCode = ErrorCode;

export type ParentToWorker =
  | { readonly type: 'analyze'; readonly id: number; readonly request: AnalyzeRequest }
  | { readonly type: 'cancel'; readonly id: number }
  /** The model file's tensors, for the pick list of where to cut the analysis. */
  | { readonly type: 'listTensors'; readonly id: number; readonly modelPath: string };

export interface WorkerErrorInfo {
  /** What the extension acts on. */
  readonly code: WorkerErrorCode;
  /** The error's class name ('ModelLoadError', 'ExecutionError', ...): for the log only. */
  readonly name: string;
  readonly message: string;
  /** The file the error is about, when there is one. */
  readonly file?: string;
  readonly stack?: string;
}

export type WorkerToParent =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'progress'; readonly id: number; readonly event: ProgressEvent }
  /** The GSC to the output, before the rest of the analysis (AnalyzeHooks.onPartial); 'result' follows. */
  | { readonly type: 'partial'; readonly id: number; readonly partial: PartialReport }
  | { readonly type: 'result'; readonly id: number; readonly report: AnalysisReport }
  | { readonly type: 'tensors'; readonly id: number; readonly listing: TensorListing }
  | { readonly type: 'error'; readonly id: number; readonly error: WorkerErrorInfo };

/**
 * The code of an error message from the worker, checked: the worker is a separate bundle (an
 * old dist/worker.js could send anything), and an unknown code must not be mistaken for a known one.
 */
export function workerErrorCode(info: { readonly code?: unknown }): WorkerErrorCode {
  return isErrorCode(info.code) ? info.code : 'internal';
}

/**
 * Whether a 'partial' message from the worker carries something the extension can show (the
 * worker is a separate bundle: an old or broken one could send anything).
 */
export function isPartialReport(value: unknown): value is PartialReport {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as { partial?: unknown; boundaries?: unknown; blocks?: unknown; model?: { path?: unknown }; growth?: unknown };
  return (
    p.partial === true &&
    Array.isArray(p.boundaries) &&
    Array.isArray(p.blocks) &&
    typeof p.model?.path === 'string' &&
    typeof p.growth === 'object' &&
    p.growth !== null
  );
}
