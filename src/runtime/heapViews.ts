/**
 * ONNX Runtime reading and writing TensorFlow.js wasm tensors in place. A tensor of the wasm
 * backend lives in the wasm module's memory; its `dataSync()` copies it out into a fresh array,
 * and `tf.tensor(values)` copies an ORT result back in. A view onto the wasm memory instead
 * gives ORT the very bytes (the binding wraps a typed array's memory without a copy), and a
 * tensor allocated on the wasm heap before a run receives ORT's output directly. On this VM a
 * copy into fresh memory costs about 10 us per 4 KB page on top of the copy itself, so each
 * stem-sized tensor ([128, 32, 32, 64], 32 MiB) of a ResNet-18-sized pass spared a copy saves
 * about 20-80 ms.
 *
 * A view is valid until the wasm memory next grows (any allocation on the heap may grow it):
 * take views after every allocation a run needs, and use them only within that synchronous run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hostValuesOf } from '../ops/hostValues';
import type { Tensor } from '../ops/kernel';

type Values = Float32Array | Int32Array | Uint8Array;

/** The two methods of tfjs-backend-wasm's BackendWasm used here. */
interface HeapBackend {
  typedArrayFromHeap(info: tf.TensorInfo): Values;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

function isHeapBackend(b: unknown): b is HeapBackend {
  const candidate = b as Partial<HeapBackend> | undefined;
  return typeof candidate?.typedArrayFromHeap === 'function' && typeof candidate.makeOutput === 'function';
}

/** The backend holding `t`'s data, when it is a wasm heap. */
function heapOf(t: tf.TensorInfo): HeapBackend | undefined {
  const backend: unknown = tf.engine().state.tensorInfo.get(t.dataId)?.backend;
  return isHeapBackend(backend) ? backend : undefined;
}

/**
 * `t`'s values for one synchronous ONNX Runtime run: the host-held array of a weight, a view onto
 * the wasm heap, or (any other backend) a copy.
 */
export function valuesForRun(t: Tensor): Values {
  const host = hostValuesOf(t);
  if (host !== undefined) return host;
  const heap = heapOf(t);
  if (heap !== undefined && t.dtype !== 'string' && t.dtype !== 'complex64') return heap.typedArrayFromHeap(t);
  const data = t.dataSync();
  if (data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array) return data;
  throw new Error(`a ${t.dtype} tensor cannot be fed to ONNX Runtime`);
}

/**
 * A float32 tensor allocated on the active backend's wasm heap for ORT to write into, and a
 * function giving its view (take it after the run's other allocations); undefined when the
 * active backend is not a wasm heap.
 */
export function heapOutput(shape: readonly number[]): { readonly tensor: Tensor; readonly view: () => Float32Array } | undefined {
  const backend: unknown = tf.backend();
  if (!isHeapBackend(backend)) return undefined;
  const info = backend.makeOutput([...shape], 'float32');
  const tensor = tf.engine().makeTensorFromTensorInfo(info) as Tensor;
  return { tensor, view: () => backend.typedArrayFromHeap(info) as Float32Array };
}
