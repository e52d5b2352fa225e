/**
 * A worker thread of the analysis (pool.ts): starts its own backend, runs the forward pass of
 * the batch it was given once, then claims jobs from the shared queue (protocol.ts) until it
 * is empty.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Executor, type Activations } from '../../runtime/executor';
import { initBackend } from '../../runtime/backend';
import { runJob } from './jobs';
import { claimJob, type WorkerInit, type WorkerReply, type WorkerRequest } from './protocol';

function post(msg: WorkerReply): void {
  parentPort!.postMessage(msg);
}

async function start(init: WorkerInit): Promise<void> {
  await initBackend(init.backend);
  const exec = new Executor(init.graph);
  if (init.maxStackedProbes !== undefined) exec.maxStackedProbes = init.maxStackedProbes;
  const feeds = new Map(init.feeds.map((f) => [f.name, tf.tensor(f.data, [...f.shape], f.dtype)]));
  const acts: Activations = exec.forward(feeds);
  // The queue arrives once the calling thread has its own forward pass (messages sent before
  // this listener are kept for it).
  parentPort!.once('message', (request: WorkerRequest) => void runQueue(exec, acts, init.seed, request));
}

/** Jobs from the shared queue until it is empty; the pool terminates this thread after. */
async function runQueue(exec: Executor, acts: Activations, seed: number, request: WorkerRequest): Promise<void> {
  const claims = new Int32Array(request.claims);
  const jobs = request.jobs;
  for (let i = claimJob(claims, jobs.length); i >= 0; i = claimJob(claims, jobs.length)) {
    const job = jobs[i];
    const t0 = performance.now();
    try {
      const result = await runJob(exec, acts, job, seed, undefined, () => post({ type: 'pass', key: job.key }));
      post({ type: 'result', key: job.key, result, ms: performance.now() - t0 });
    } catch (e) {
      post({ type: 'error', message: `${job.key}: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
  }
  post({ type: 'done' });
}

start(workerData as WorkerInit).catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
