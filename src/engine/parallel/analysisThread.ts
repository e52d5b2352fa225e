/**
 * A worker thread of the analysis (pool.ts): starts its own backend, runs the forward pass of
 * the batch it was given once, then runs jobs until the pool terminates it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Executor, type Activations } from '../executor';
import { initBackend } from '../backend';
import { runJob } from './jobs';
import type { WorkerInit, WorkerReply, WorkerRequest } from './protocol';

function post(msg: WorkerReply): void {
  parentPort!.postMessage(msg);
}

async function start(init: WorkerInit): Promise<void> {
  await initBackend(init.backend);
  const exec = new Executor(init.graph);
  const feeds = new Map(init.feeds.map((f) => [f.name, tf.tensor(f.data, [...f.shape], f.dtype)]));
  const acts: Activations = exec.forward(feeds);
  // Jobs run one at a time: the pool sends the next only after this one's result.
  parentPort!.on('message', (msg: WorkerRequest) => {
    const t0 = performance.now();
    runJob(exec, acts, msg.job, init.seed, undefined, () => post({ type: 'pass' }))
      .then((result) => post({ type: 'result', key: msg.job.key, result, ms: performance.now() - t0 }))
      .catch((e: unknown) => post({ type: 'error', message: `${msg.job.key}: ${e instanceof Error ? e.message : String(e)}` }));
  });
  post({ type: 'ready' });
}

start(workerData as WorkerInit).catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
