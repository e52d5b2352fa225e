/** Messages between the analysis thread and its worker threads (pool.ts, analysisThread.ts). */
import type { Graph } from '../../graph/ir';
import type { BackendName } from '../backend';
import type { AnalysisJob, JobResult } from './jobs';

/** One feed of the forward pass (the input batch; labels for the error layer). */
export interface FeedData {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly data: Float32Array | Int32Array;
}

/** workerData: everything a worker needs to redo the forward pass of the analysed batch. */
export interface WorkerInit {
  readonly graph: Graph;
  readonly backend: BackendName;
  readonly feeds: readonly FeedData[];
  readonly seed: number;
}

export type WorkerRequest = { readonly type: 'job'; readonly job: AnalysisJob };

export type WorkerReply =
  /** The forward pass is done; send a job. */
  | { readonly type: 'ready' }
  /** One reverse pass of the current job is done (for progress). */
  | { readonly type: 'pass' }
  /** `ms`: the job's time on the worker's thread. */
  | { readonly type: 'result'; readonly key: string; readonly result: JobResult; readonly ms: number }
  | { readonly type: 'error'; readonly message: string };
