/**
 * Entry of the analysis child process (bundled to dist/worker.js and started by the extension
 * host with child_process.fork). Connects the engine to the IPC channel.
 */
import type { AnalyzeHooks, AnalyzeRequest } from '../engine/api';
import type { WorkerErrorCode, WorkerToParent } from '../protocol/worker';
import type { AnalysisReport } from '../report/schema';
import { serveAnalyses } from './serve';

/**
 * The engine (tfjs, loaders) is loaded on the first request, not at start-up: 'ready' goes out
 * at once, and a failure to load it is answered as an ordinary analysis error with its stack
 * rather than a crash of the process.
 */
async function analyzeModel(request: AnalyzeRequest, hooks: AnalyzeHooks): Promise<AnalysisReport> {
  const [engine, classifier] = await Promise.all([import('../engine/analyze'), import('../engine/classifyError')]);
  classify = classifier.classifyError;
  return engine.analyzeModel(request, hooks);
}

/** Until the engine has loaded, the only error there can be is its failing to load. */
let classify = (_error: unknown): WorkerErrorCode => 'internal';

if (typeof process.send !== 'function') {
  process.stderr.write('gradient-lens worker: must be started with an IPC channel (child_process.fork)\n');
  process.exit(2);
}

// The parent going away (editor closed, extension host crashed) must not leave us computing.
process.on('disconnect', () => process.exit(0));

// IPC sends are asynchronous: exiting right after one can drop it, so exit waits for the last.
let lastSend: Promise<void> = Promise.resolve();

serveAnalyses(
  {
    send: (message: WorkerToParent) => {
      lastSend = new Promise((resolve) => {
        process.send?.(message, undefined, undefined, () => resolve());
      });
    },
    onMessage: (listener) => process.on('message', listener),
    exit: (code) => {
      void lastSend.then(() => process.exit(code));
    },
  },
  analyzeModel,
  (error) => classify(error),
  process.pid,
  async (modelPath) => {
    const [tensors, classifier] = await Promise.all([import('../loaders/tensorList'), import('../engine/classifyError')]);
    classify = classifier.classifyError;
    return tensors.listModelTensors(modelPath);
  },
);
