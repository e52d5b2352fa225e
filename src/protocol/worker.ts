/**
 * Messages between the extension host and the analysis worker (a child process running the
 * engine), so a long analysis never blocks the editor. Both sides import these types.
 */
import type { AnalyzeRequest, ProgressEvent } from '../engine/api';
import type { AnalysisReport } from '../report/schema';

export type ParentToWorker =
  | { readonly type: 'analyze'; readonly id: number; readonly request: AnalyzeRequest }
  | { readonly type: 'cancel'; readonly id: number };

export interface WorkerErrorInfo {
  /** 'ModelLoadError', 'CancelledError', 'ExecutionError', ... */
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
  | { readonly type: 'error'; readonly id: number; readonly error: WorkerErrorInfo };
