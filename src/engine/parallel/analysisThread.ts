/**
 * A worker thread of the analysis (pool.ts): starts its own backend, runs the forward pass of
 * the batch it was given once, then claims jobs from the shared queue (protocol.ts) until it
 * is empty.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Executor, type Activations } from '../executor';
import { initBackend } from '../backend';
import { runJob } from './jobs';
import { claimJob, type WorkerInit, type WorkerReply } from './protocol';

function post(msg: WorkerReply): void {
  parentPort!.postMessage(msg);
}

async function start(init: WorkerInit): Promise<void> {
  await initBackend(init.backend);
  const exec = new Executor(init.graph);
  const feeds = new Map(init.feeds.map((f) => [f.name, tf.tensor(f.data, [...f.shape], f.dtype)]));
  const acts: Activations = exec.forward(feeds);
  // Jobs from the shared queue until it is empty; the pool terminates this thread after.
  const claims = new Int32Array(init.claims);
  for (let i = claimJob(claims, init.jobs.length); i >= 0; i = claimJob(claims, init.jobs.length)) {
    const job = init.jobs[i];
    const t0 = performance.now();
    try {
      const result = await runJob(exec, acts, job, init.seed, undefined, () => post({ type: 'pass', key: job.key }));
      post({ type: 'result', key: job.key, result, ms: performance.now() - t0 });
    } catch (e) {
      post({ type: 'error', message: `${job.key}: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
  }
  post({ type: 'done' });
}

start(workerData as WorkerInit).catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
