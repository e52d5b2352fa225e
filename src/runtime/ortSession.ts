/**
 * ONNX Runtime sessions run synchronously. The kernels' forward and VJP are synchronous
 * functions, and onnxruntime-node's public `InferenceSession.run` is a Promise around a
 * synchronous native call (setImmediate, then the binding's run on the main thread); the
 * binding itself is used here so an op can call ORT in the middle of a reverse pass.
 *
 * The binary is opened only when the ONNX Runtime backend is chosen (loadOnnxRuntime); it
 * throws when there is no binary for the platform or it cannot be opened, and the backend
 * choice falls back to wasm with that reason as a note.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { EncodedModel, ExternalFile } from './ortModel';
import { env, Tensor, type InferenceSession as OrtInferenceSession, type Tensor as OrtTensor, type TensorConstructor } from 'onnxruntime-common';

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: OrtInferenceSession.SessionOptions): void;
  /** `fetches`: null, or a tensor of the output's shape that ORT writes into (pre-allocated). */
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>, options: OrtInferenceSession.RunOptions): Record<string, OrtTensor>;
  dispose(): void;
}

interface NativeBinding {
  readonly InferenceSession: new () => NativeSession;
  initOrtOnce(logLevel: number, tensor: TensorConstructor, isMainThread: boolean): void;
}

export interface OrtRuntime {
  readonly version: string;
  readonly Tensor: TensorConstructor;
  newSession(model: EncodedModel, options: OrtInferenceSession.SessionOptions): NativeSession;
}

export type OrtSession = NativeSession;

/** Loads onnxruntime-node; a parameter so a test can play a runtime that does not load. */
export type OrtLoader = () => OrtRuntime;

/** Where the packaged extension carries the binary (webpack copies it beside dist/worker.js). */
export function bundledBinaryDir(dir: string): string {
  return path.join(dir, 'onnxruntime', `${process.platform}-${process.arch}`);
}

/**
 * The native binding: beside the bundle in a packaged extension (one platform's binary per
 * .vsix), else in node_modules/onnxruntime-node as npm installed it (CLI, tests). Its
 * libonnxruntime sits in the same folder (the binding finds it through its rpath).
 */
function bindingPath(): string {
  const bundled = path.join(bundledBinaryDir(__dirname), 'onnxruntime_binding.node');
  if (existsSync(bundled)) return bundled;
  const pkg = path.dirname(nodeRequire.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch, 'onnxruntime_binding.node');
}

/** Node's own require, which webpack leaves alone: the binding's path is only known at run time. */
const nodeRequire = createRequire(__filename);

let runtime: OrtRuntime | undefined;

/** The external data each session was built from (EncodedModel), kept as long as the session. */
const externalDataOf = new WeakMap<NativeSession, readonly ExternalFile[]>();

export const loadOnnxRuntime: OrtLoader = () => {
  if (runtime) return runtime;
  const file = bindingPath();
  if (!existsSync(file)) throw new Error(`no ONNX Runtime binary for ${process.platform}-${process.arch} (${file})`);
  const native = nodeRequire(file) as NativeBinding;
  // Warnings and above (2), as onnxruntime-node's default; main-thread flag as its own loader passes it.
  native.initOrtOnce(2, Tensor, isMainThread);
  runtime = {
    version: env.versions.common ?? 'unknown',
    Tensor,
    newSession: (model, options) => {
      const session = new native.InferenceSession();
      const { bytes, externalData } = model;
      session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, externalData.length > 0 ? { ...options, externalData } : options);
      // ORT documents the buffers as free to release once the session is built; they stay
      // reachable as long as the session anyway, so a runtime that reads them later is safe too.
      if (externalData.length > 0) externalDataOf.set(session, externalData);
      return session;
    },
  };
  return runtime;
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
