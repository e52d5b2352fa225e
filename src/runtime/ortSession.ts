/**
 * ONNX Runtime sessions run synchronously. The kernels' forward and VJP are synchronous
 * functions, and onnxruntime-node's public `InferenceSession.run` is a Promise around a
 * synchronous native call (setImmediate, then the binding's run on the main thread); the
 * binding itself is used here so an op can call ORT in the middle of a reverse pass.
 *
 * Loading is lazy and remembered: `loadOrt()` either returns the runtime or the reason it
 * could not load (no binary for the platform, a failing dlopen), for the backend choice.
 */
import type { InferenceSession as OrtInferenceSession, Tensor as OrtTensor, TensorConstructor } from 'onnxruntime-common';

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: OrtInferenceSession.SessionOptions): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: OrtInferenceSession.RunOptions): Record<string, OrtTensor>;
  dispose(): void;
}

interface NativeBinding {
  readonly binding: { readonly InferenceSession: new () => NativeSession };
  initOrt(): void;
}

export interface OrtRuntime {
  readonly version: string;
  readonly Tensor: TensorConstructor;
  newSession(model: Uint8Array, options: OrtInferenceSession.SessionOptions): NativeSession;
}

export type OrtSession = NativeSession;

/** Loads onnxruntime-node; a parameter so a test can play a runtime that does not load. */
export type OrtLoader = () => OrtRuntime;

export const loadOnnxRuntime: OrtLoader = () => {
  // Both requires are lazy: the native binary is opened only when ORT is chosen.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const native = require('onnxruntime-node/dist/binding') as NativeBinding;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const common = require('onnxruntime-common') as { Tensor: TensorConstructor; env: { versions: { common: string } } };
  native.initOrt();
  return {
    version: common.env.versions.common,
    Tensor: common.Tensor,
    newSession: (model, options) => {
      const session = new native.binding.InferenceSession();
      session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, options);
      return session;
    },
  };
};

/**
 * Session options of every op session. Two intra-op threads: the machine class this is tuned
 * on has two cores, and sessions run one at a time. No memory arena and no memory pattern: the
 * arena keeps the largest activation of every session for the life of the process, outside
 * the memory budget; without it a run's buffers are freed when the run ends.
 */
export function sessionOptions(intraOpThreads: number): OrtInferenceSession.SessionOptions {
  return {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: false,
    enableMemPattern: false,
    logSeverityLevel: 3,
    // Spinning workers burn the core the JavaScript thread (or a job thread) needs between runs.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
