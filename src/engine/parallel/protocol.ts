/** Messages between the analysis thread and its worker threads (pool.ts, analysisThread.ts). */
import type { Graph } from '../../graph/ir';
import type { BackendName } from '../../runtime/backend';
import type { AnalysisJob, JobResult } from './jobs';

/** One feed of the forward pass (the input batch; labels for the error layer). */
export interface FeedData {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly data: Float32Array | Int32Array;
}

/**
 * workerData: everything a worker needs to redo the forward pass of the analysed batch. It may
 * start before the calling thread's own forward pass; the job queue follows as a message.
 */
export interface WorkerInit {
  readonly graph: Graph;
  readonly backend: BackendName;
  readonly feeds: readonly FeedData[];
  readonly seed: number;
  /** The memory guard's cap on probes stacked in one reverse pass (Executor.maxStackedProbes). */
  readonly maxStackedProbes?: number;
}

/**
 * The job queue. Every thread claims the next job by incrementing `claims[0]` (Atomics), so a
 * worker never waits for the calling thread, which may be inside a long reverse pass.
 */
export interface WorkerRequest {
  readonly type: 'jobs';
  readonly jobs: readonly AnalysisJob[];
  /** Int32Array(1) over a SharedArrayBuffer: the index of the next unclaimed job. */
  readonly claims: SharedArrayBuffer;
}

export type WorkerReply =
  /** One reverse pass of job `key` is done (for progress). */
  | { readonly type: 'pass'; readonly key: string }
  /** `ms`: the job's time on the worker's thread. */
  | { readonly type: 'result'; readonly key: string; readonly result: JobResult; readonly ms: number }
  /** The queue is empty: this worker has sent every result it will send. */
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly message: string };

/** Claims the next job of the shared queue: its index, or -1 when none is left. */
export function claimJob(claims: Int32Array, count: number): number {
  const i = Atomics.add(claims, 0, 1);
  return i < count ? i : -1;
}
