/**
 * The extension host's side of the analysis worker: forks dist/worker.js, speaks the typed
 * protocol of src/protocol/worker.ts, and owns the process's life.
 *
 * - One analysis at a time per client.
 * - Cancel: send 'cancel' (the engine stops at its next checkpoint and the worker exits so its
 *   memory is returned); if the process has not exited after `killGraceMs`, SIGKILL it. The
 *   returned promise rejects with CancelledError only once the process is gone, so "cancelled"
 *   always means "stopped".
 * - A crash (the process exits while an analysis is running) rejects with WorkerCrashedError;
 *   the next analysis forks a fresh process.
 * - An idle worker is stopped after `idleExitMs` so it holds no memory between analyses.
 *
 * No `vscode` import: the tests drive this with real child processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { withAllocatorTunables } from '../../engine/allocator';
import { CancelledError, type ProgressEvent, type AnalyzeRequest } from '../../engine/api';
import { isPartialReport, workerErrorCode, type ParentToWorker, type WorkerErrorCode, type WorkerErrorInfo, type WorkerToParent } from '../../protocol/worker';
import type { AnalysisReport, PartialReport } from '../../report/schema';
import type { TensorListing } from '../../loaders/tensorList';

export interface WorkerClientOptions {
  /** Path of the worker entry (dist/worker.js). */
  readonly workerPath: string;
  /** Lifecycle lines and the worker's own stdout/stderr. */
  readonly log: (line: string) => void;
  readonly killGraceMs?: number;
  readonly idleExitMs?: number;
  /** Node flags for the child (tests run TypeScript entries with ['--import', 'tsx']). */
  readonly execArgv?: readonly string[];
}

export interface RunHooks {
  readonly onProgress?: (event: ProgressEvent) => void;
  /** The GSC to the output while the rest still runs (never after the run settled or was cancelled). */
  readonly onPartial?: (partial: PartialReport) => void;
  readonly signal?: AbortSignal;
  /** Called once the worker process for this run is known (for the log and tests). */
  readonly onWorkerPid?: (pid: number) => void;
}

/** The engine threw: the error as the worker described it. */
export class AnalysisError extends Error {
  /** What kind of failure it is (validated: an unknown code is 'internal'). */
  readonly code: WorkerErrorCode;

  constructor(readonly info: WorkerErrorInfo) {
    super(info.message);
    this.name = info.name;
    this.code = workerErrorCode(info);
  }
}

/** The worker process ended while an analysis was running. */
export class WorkerCrashedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
  ) {
    super(
      `the analysis process stopped unexpectedly (${signal !== null ? `signal ${signal}` : `exit code ${exitCode}`})` +
        (signal === 'SIGKILL' || exitCode === 134 ? '; it may have run out of memory: try a smaller batch size' : ''),
    );
    this.name = 'WorkerCrashedError';
  }
}

/** How a job ended: the worker's answer (a report or a tensor listing), or an error. */
type Outcome = { readonly report: AnalysisReport } | { readonly listing: TensorListing } | { readonly error: unknown };

interface Job {
  readonly id: number;
  readonly hooks: RunHooks;
  readonly settle: (outcome: Outcome) => void;
  cancelling: boolean;
}

const STDERR_TAIL = 4000;

export class WorkerClient {
  private child: ChildProcess | undefined;
  private job: Job | undefined;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private stderrTail = '';
  private disposed = false;

  constructor(private readonly options: WorkerClientOptions) {}

  get busy(): boolean {
    return this.job !== undefined;
  }

  /** PID of the live worker process, if one is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  analyze(request: AnalyzeRequest, hooks: RunHooks = {}): Promise<AnalysisReport> {
    return this.run(
      hooks,
      (id) => ({ type: 'analyze', id, request }),
      (o) => ('report' in o ? o.report : undefined),
    );
  }

  /** The model file's tensors (for the pick list of where to cut), read by the worker. */
  listTensors(modelPath: string, hooks: RunHooks = {}): Promise<TensorListing> {
    return this.run(
      hooks,
      (id) => ({ type: 'listTensors', id, modelPath }),
      (o) => ('listing' in o ? o.listing : undefined),
    );
  }

  private run<T>(hooks: RunHooks, message: (id: number) => ParentToWorker, answer: (outcome: Outcome) => T | undefined): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('the analysis client was disposed'));
    if (this.job) return Promise.reject(new Error('an analysis is already running'));
    if (hooks.signal?.aborted) return Promise.reject(new CancelledError());
    this.clearIdleTimer();
    const child = this.ensureChild();
    return new Promise<T>((resolve, reject) => {
      const settle = (outcome: Outcome): void => {
        if ('error' in outcome) return reject(outcome.error);
        const value = answer(outcome);
        if (value === undefined) reject(new Error('the analysis process answered with the wrong kind of message'));
        else resolve(value);
      };
      const job: Job = { id: this.nextId++, hooks, settle, cancelling: false };
      this.job = job;
      if (child.pid !== undefined) hooks.onWorkerPid?.(child.pid);
      hooks.signal?.addEventListener('abort', () => this.cancelJob(job), { once: true });
      this.send(message(job.id));
    });
  }

  /** Cancels the running analysis, if any. */
  cancel(): void {
    if (this.job) this.cancelJob(this.job);
  }

  dispose(): void {
    this.disposed = true;
    this.clearIdleTimer();
    const job = this.job;
    this.job = undefined;
    job?.settle({ error: new CancelledError() });
    if (this.child) this.child.kill('SIGKILL');
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    this.stderrTail = '';
    const child = fork(this.options.workerPath, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Deprecation warnings come from bundled dependencies (DEP0005 Buffer()): nothing a user can act on.
      execArgv: ['--no-deprecation', ...(this.options.execArgv ?? [])],
      // Inside Electron (desktop VS Code) the child must run as plain Node; it starts with the
      // allocator settings that keep ONNX Runtime's passes from re-faulting their memory.
      env: withAllocatorTunables({ ...process.env, ELECTRON_RUN_AS_NODE: '1' }),
    });
    this.child = child;
    this.options.log(`worker started (pid ${child.pid})`);
    child.stdout?.setEncoding('utf8').on('data', (text: string) => this.options.log(`[worker] ${text.trimEnd()}`));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
      this.options.log(`[worker] ${text.trimEnd()}`);
    });
    child.on('message', (message: WorkerToParent) => this.onMessage(child, message));
    child.on('error', (error) => {
      this.options.log(`worker error: ${error.message}`);
      // A spawn failure emits 'error' without 'exit'.
      if (child.pid === undefined) this.onExit(child, null, null, error);
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  private send(message: ParentToWorker): void {
    const child = this.child;
    if (!child || !child.connected) return;
    child.send(message, (error) => {
      if (error) this.options.log(`could not send '${message.type}' to the worker: ${error.message}`);
    });
  }

  private onMessage(child: ChildProcess, message: WorkerToParent): void {
    if (child !== this.child) return;
    if (message.type === 'ready') return;
    const job = this.job;
    if (!job || message.id !== job.id) return;
    switch (message.type) {
      case 'progress':
        if (!job.cancelling) job.hooks.onProgress?.(message.event);
        return;
      case 'partial':
        if (!job.cancelling && isPartialReport(message.partial)) job.hooks.onPartial?.(message.partial);
        return;
      case 'result':
        this.finish(job, { report: message.report });
        return;
      case 'tensors':
        this.finish(job, { listing: message.listing });
        return;
      case 'error':
        if (job.cancelling || workerErrorCode(message.error) === 'cancelled') {
          // The worker exits after a cancelled run; settle when it has (see onExit).
          job.cancelling = true;
          this.armKillTimer(child);
          return;
        }
        this.finish(job, { error: new AnalysisError(message.error) });
        return;
    }
  }

  private cancelJob(job: Job): void {
    if (job !== this.job || job.cancelling) return;
    job.cancelling = true;
    this.options.log(`cancelling analysis ${job.id}`);
    this.send({ type: 'cancel', id: job.id });
    if (this.child) this.armKillTimer(this.child);
  }

  private armKillTimer(child: ChildProcess): void {
    if (this.killTimer) return;
    this.killTimer = setTimeout(() => {
      this.killTimer = undefined;
      if (child.exitCode === null && child.signalCode === null) {
        this.options.log(`worker (pid ${child.pid}) did not stop within ${this.killGrace} ms: killing it`);
        child.kill('SIGKILL');
      }
    }, this.killGrace);
  }

  private get killGrace(): number {
    return this.options.killGraceMs ?? 1000;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    if (child !== this.child) return;
    this.child = undefined;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = undefined;
    this.clearIdleTimer();
    this.options.log(`worker (pid ${child.pid ?? '?'}) exited (${signal !== null ? `signal ${signal}` : `code ${code}`})`);
    const job = this.job;
    if (!job) return;
    this.job = undefined;
    if (job.cancelling) job.settle({ error: new CancelledError() });
    else if (spawnError) job.settle({ error: spawnError });
    else job.settle({ error: new WorkerCrashedError(code, signal, this.stderrTail) });
  }

  private finish(job: Job, outcome: Outcome): void {
    this.job = undefined;
    job.settle(outcome);
    this.armIdleTimer();
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    const ms = this.options.idleExitMs ?? 60_000;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.job && this.child) {
        this.options.log('stopping the idle worker');
        this.child.disconnect(); // the worker exits when its channel closes
      }
    }, ms);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
