/**
 * Runs the analysis's jobs on several threads. TensorFlow.js's wasm backend is single-threaded
 * in Node (no WASM_HAS_MULTITHREAD_SUPPORT), so the second core is used by worker threads,
 * each holding its own copy of the graph and its own forward pass of the same batch, taking
 * jobs from one queue; the calling thread works through the same queue with the activations it
 * already has. The forward pass and every job are deterministic, and each job draws from its
 * own seeded stream, so the results are identical for every thread count.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Graph } from '../../graph/ir';
import type { Activations, Checkpoint, Executor } from '../../runtime/executor';
import type { BackendName } from '../../runtime/backend';
import { jobFamily, runJob, runJobFamily, type AnalysisJob, type JobResult } from './jobs';
import { claimJob, type FeedData, type WorkerInit, type WorkerReply, type WorkerRequest } from './protocol';

/** Environment variable that sets the thread count where no caller does (CLI, extension worker). */
export const THREADS_ENV = 'GRADIENT_LENS_THREADS';

/** GRADIENT_LENS_THREADS when it is a whole number from 1 to 64. */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const given = Number(env[THREADS_ENV]);
  return Number.isInteger(given) && given >= 1 && given <= 64 ? given : undefined;
}

/**
 * Threads used when the caller does not say: GRADIENT_LENS_THREADS if set to a whole number
 * from 1 to 64, else both cores of a 2-core machine, no more.
 */
export function defaultThreads(env: NodeJS.ProcessEnv = process.env): number {
  const given = threadsFromEnv(env);
  if (given !== undefined) return given;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(2, cores));
}

export interface PoolInput {
  readonly graph: Graph;
  readonly backend: BackendName;
  /** Called only when worker threads start (reading the feeds back costs a copy). */
  readonly feeds: () => readonly FeedData[];
  /** The memory guard's cap on probes stacked in one reverse pass; none when absent. */
  readonly maxStackedProbes?: number;
}

export interface RunJobsOptions {
  readonly threads: number;
  readonly seed: number;
  readonly checkpoint?: Checkpoint;
  /** After each reverse pass of a job, on whichever thread it ran. */
  readonly onPass?: (job: AnalysisJob) => void;
  /**
   * After each job, with the time it took, the thread it ran on (0: the caller's, 1..: workers)
   * and its result (already in the map runJobs returns).
   */
  readonly onJobDone?: (job: AnalysisJob, ms: number, thread: number, result: JobResult) => void;
  /**
   * Whether the calling thread runs jobs too (default). false leaves every job to the workers
   * (threads - 1 of them, at least one), keeping the caller free.
   */
  readonly callerWorks?: boolean;
  /** Rough relative cost per job (bigger first keeps the threads' ends close together). */
  readonly cost?: (job: AnalysisJob) => number;
}

/**
 * The worker thread's entry beside this file. Bundles (the extension's dist/) that do not
 * build it get null and run every job on the calling thread.
 */
function workerEntry(): string | null {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `analysisThread${ext}`);
  return existsSync(file) ? file : null;
}

/**
 * Worker threads started ahead of the jobs: each redoes the forward pass of the batch while the
 * calling thread does its own, then waits for the queue (runJobs). Terminate them if unused.
 */
export interface StartedWorkers {
  readonly workers: readonly Worker[];
  terminate(): Promise<void>;
}

/**
 * Starts `count` worker threads on `input` (none when the worker entry is not beside this
 * file: bundles without it run every job on the calling thread).
 */
export function startWorkers(input: PoolInput, count: number, seed: number): StartedWorkers {
  const entry = workerEntry();
  const n = entry === null ? 0 : Math.max(0, count);
  const feeds = n > 0 ? input.feeds() : [];
  const stack = input.maxStackedProbes;
  const workers = Array.from({ length: n }, () =>
    startWorker(entry!, {
      graph: input.graph,
      backend: input.backend,
      feeds,
      seed,
      ...(stack !== undefined && Number.isFinite(stack) && { maxStackedProbes: stack }),
    }),
  );
  return { workers, terminate: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
}

/**
 * Runs every job and returns the results by job key. `exec` and `acts` are the calling
 * thread's executor and forward pass; `input` lets worker threads redo that forward pass, or
 * `started` are workers already doing it (this call terminates them when done).
 */
export async function runJobs(
  exec: Executor,
  acts: Activations,
  jobs: readonly AnalysisJob[],
  input: PoolInput,
  opts: RunJobsOptions,
  started?: StartedWorkers,
): Promise<Map<string, JobResult>> {
  const queue = [...jobs];
  if (opts.cost) {
    const cost = opts.cost;
    queue.sort((a, b) => cost(b) - cost(a));
  }
  const results = new Map<string, JobResult>();
  const callerWorks = opts.callerWorks ?? true;
  const wanted = callerWorks ? Math.min(opts.threads - 1, queue.length - 1) : Math.min(Math.max(1, opts.threads - 1), queue.length);
  const pool = started ?? startWorkers(input, wanted, opts.seed);
  const workers = pool.workers;
  // Every thread claims the next job itself (Atomics), in the order above.
  const claims = new Int32Array(new SharedArrayBuffer(4));
  let failure: unknown = null;
  const workerDone = workers.map((w, i) => {
    const request: WorkerRequest = { type: 'jobs', jobs: queue, claims: claims.buffer as SharedArrayBuffer };
    w.postMessage(request);
    return driveWorker(w, i + 1, queue, results, opts).catch((e: unknown) => void (failure ??= e));
  });
  try {
    // The calling thread takes jobs too; worker messages are handled whenever it yields (runJob
    // yields per pass). Without workers (or their entry file) the caller works everything.
    if (workers.length === 0 && exec.passFamiliesPay(acts)) {
      // Alone, the caller may measure a family of jobs at once (one ONNX Runtime session for
      // the block matrix's rows), at the place of its first member in the queue's order.
      for (const unit of familyUnits(queue)) {
        opts.checkpoint?.();
        const t0 = performance.now();
        const unitResults =
          unit.length === 1
            ? [await runJob(exec, acts, unit[0], opts.seed, opts.checkpoint, () => opts.onPass?.(unit[0]))]
            : await runJobFamily(exec, acts, unit, opts.seed, opts.checkpoint, (job) => opts.onPass?.(job));
        // A family's time is shared out evenly: the report's phase times stay sums over jobs.
        const ms = (performance.now() - t0) / unit.length;
        unit.forEach((job, i) => {
          results.set(job.key, unitResults[i]);
          opts.onJobDone?.(job, ms, 0, unitResults[i]);
        });
      }
    } else if (callerWorks || workers.length === 0) {
      for (let i = claimJob(claims, queue.length); i >= 0 && failure === null; i = claimJob(claims, queue.length)) {
        const job = queue[i];
        const t0 = performance.now();
        const result = await runJob(exec, acts, job, opts.seed, opts.checkpoint, () => opts.onPass?.(job));
        results.set(job.key, result);
        opts.onJobDone?.(job, performance.now() - t0, 0, result);
      }
    }
    await Promise.all(workerDone);
    if (failure !== null) throw failure;
    opts.checkpoint?.();
    return results;
  } finally {
    await pool.terminate();
  }
}

/**
 * The queue as units to run: a job alone, or every job of its family (jobFamily, squares jobs
 * only) at the place of the family's first member.
 */
export function familyUnits(queue: readonly AnalysisJob[]): AnalysisJob[][] {
  const units: AnalysisJob[][] = [];
  const byFamily = new Map<string, AnalysisJob[]>();
  for (const job of queue) {
    const family = jobFamily(job);
    const unit = family === undefined ? undefined : byFamily.get(family);
    if (unit !== undefined) unit.push(job);
    else {
      const fresh = [job];
      if (family !== undefined) byFamily.set(family, fresh);
      units.push(fresh);
    }
  }
  return units;
}

/**
 * The compiled worker runs as it is; the TypeScript source (tests run under tsx) goes through
 * tsx's CommonJS hook, which a worker thread does not inherit from its parent.
 */
function startWorker(entry: string, init: WorkerInit): Worker {
  if (!entry.endsWith('.ts')) return new Worker(entry, { workerData: init });
  const code = `require('tsx/cjs'); require(${JSON.stringify(entry)});`;
  return new Worker(code, { eval: true, workerData: init });
}

/** Follows one worker through the shared queue: its progress and results, until it is done or fails. */
function driveWorker(w: Worker, thread: number, queue: readonly AnalysisJob[], results: Map<string, JobResult>, opts: RunJobsOptions): Promise<void> {
  const byKey = new Map(queue.map((j) => [j.key, j]));
  return new Promise<void>((resolve, reject) => {
    /** False (and the drive rejected) once the caller's checkpoint throws, e.g. on cancel. */
    const stillWanted = (): boolean => {
      try {
        opts.checkpoint?.();
        return true;
      } catch (e) {
        reject(e);
        return false;
      }
    };
    let finished = false;
    w.on('message', (msg: WorkerReply) => {
      if (msg.type === 'pass') {
        // A cancel need not wait for the worker's job to end: the pool terminates it.
        const job = byKey.get(msg.key);
        if (job !== undefined && stillWanted()) opts.onPass?.(job);
      } else if (msg.type === 'result') {
        results.set(msg.key, msg.result);
        const job = byKey.get(msg.key);
        if (job !== undefined) opts.onJobDone?.(job, msg.ms, thread, msg.result);
        stillWanted();
      } else if (msg.type === 'done') {
        finished = true;
        resolve();
      } else reject(new Error(`analysis worker: ${msg.message}`));
    });
    w.on('error', reject);
    w.on('exit', (code) => {
      if (!finished) reject(new Error(`analysis worker exited (code ${code}) before finishing its jobs`));
    });
  });
}
