/**
 * Messages between the extension host and the analysis worker (a child process running the
 * engine), so a long analysis never blocks the editor. Both sides import these types.
 */
import type { AnalyzeRequest, ProgressEvent } from '../engine/api';
import type { AnalysisReport } from '../report/schema';
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
