/**
 * Weights that ONNX Runtime reads stay in JavaScript: the model's constants and the kernels
 * computed from them (the adjoint and sub-pixel phase kernels of convCore.ts). Made with
 * tensorFromValues while ONNX Runtime computes, such a tensor lives on a storage-only backend
 * that holds the very array it was made from; ORT's sessions and recorded graphs read that array
 * (hostValuesOf), and only an op of TensorFlow.js that reads the tensor moves it to its own
 * backend (TensorFlow.js moves data between backends on first use), small weights such as batch
 * norms' mostly. On a ResNet-18 the convolution weights and their adjoints (95 MB) were copied
 * into the wasm heap and back out for every session before: 0.3 s of copying and fresh pages.
 *
 * Off on TensorFlow.js alone (keepHostValues): there every weight is read by TensorFlow.js ops.
 * The arrays are never written after the tensor is made (tensors are immutable).
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataOnlyBackend } from './dataOnlyBackend';
import type { Tensor } from './kernel';

type DataId = object;

const HOST_BACKEND = 'gradient-lens-host';

/** Holds arrays as they are; computes nothing (priority -1: TensorFlow.js never picks it). */
class HostBackend extends DataOnlyBackend {
  protected readonly memoryNote = 'host-held weights are JavaScript arrays';
  private readonly data = new Map<DataId, tf.backend_util.BackendValues>();

  override write(values: tf.backend_util.BackendValues): DataId {
    const id = {};
    this.data.set(id, values);
    return id;
  }

  /** A data id whose values `make` gives when first read (tensorFromLazyValues). */
  writeLazy(make: () => Float32Array): DataId {
    const id = {};
    lazyByDataId.set(id, make);
    return id;
  }

  override move(dataId: DataId, values: tf.backend_util.BackendValues): void {
    this.data.set(dataId, values);
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const values = this.data.get(dataId) ?? made(dataId);
    if (values === undefined) throw new Error('a host-held weight was read after it was released');
    return values;
  }

  override disposeData(dataId: DataId): boolean {
    this.data.delete(dataId);
    lazyByDataId.delete(dataId);
    return true;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) || lazyByDataId.has(dataId) ? 1 : 0;
  }

  override numDataIds(): number {
    return this.data.size;
  }

  override dispose(): void {
    this.data.clear();
  }
}

const valuesByDataId = new WeakMap<DataId, Float32Array>();
/** Values not made yet (tensorFromLazyValues), by data id. */
const lazyByDataId = new WeakMap<DataId, () => Float32Array>();
/** What knownHostTransposes answers, by data id. */
const transposesByDataId = new WeakMap<DataId, ReadonlyMap<string, Float32Array>>();

/** A lazy tensor's values, made on the first call and kept until the tensor is released. */
function made(dataId: DataId): Float32Array | undefined {
  const make = lazyByDataId.get(dataId);
  if (make === undefined) return undefined;
  const values = make();
  lazyByDataId.set(dataId, () => values);
  valuesByDataId.set(dataId, values);
  return values;
}
let keeping = false;

/** Whether tensorFromValues holds values in JavaScript from now on (ONNX Runtime's backend turns it on). */
export function keepHostValues(on: boolean): void {
  keeping = on;
}

function hostBackend(): HostBackend {
  if (tf.engine().registryFactory[HOST_BACKEND] === undefined) tf.registerBackend(HOST_BACKEND, () => new HostBackend(), -1);
  return tf.findBackend(HOST_BACKEND) as HostBackend;
}

/** A float32 tensor of `values`: held as they are while keeping is on (see above), else on the active backend. */
export function tensorFromValues(values: Float32Array, shape: readonly number[]): Tensor {
  if (!keeping) return tf.tensor(values, [...shape], 'float32');
  const backend = hostBackend();
  const t = tf.engine().makeTensorFromDataId(backend.write(values), [...shape], 'float32', backend);
  valuesByDataId.set(t.dataId, values);
  return t;
}

/**
 * A float32 tensor whose values `make` gives when something first reads them, with transposes
 * of them known already (by permutation, perm.join(',')): a weight in the layout TensorFlow.js
 * computes in, which ONNX Runtime reads only transposed (knownHostTransposes). Made at once
 * while keeping is off, where TensorFlow.js reads every weight.
 */
export function tensorFromLazyValues(make: () => Float32Array, shape: readonly number[], transposes: ReadonlyMap<string, Float32Array>): Tensor {
  if (!keeping) return tf.tensor(make(), [...shape], 'float32');
  const backend = hostBackend();
  const t = tf.engine().makeTensorFromDataId(backend.writeLazy(make), [...shape], 'float32', backend);
  transposesByDataId.set(t.dataId, transposes);
  return t;
}

/** The values `t` was made from by tensorFromValues (or tensorFromLazyValues, made now) while keeping was on, wherever it lives now. */
export function hostValuesOf(t: tf.TensorInfo): Float32Array | undefined {
  return valuesByDataId.get(t.dataId) ?? made(t.dataId);
}

/** Transposes of `t`'s values known without reading them (tensorFromLazyValues), by permutation; empty for others. */
export function knownHostTransposes(t: tf.TensorInfo): ReadonlyMap<string, Float32Array> {
  return transposesByDataId.get(t.dataId) ?? NO_TRANSPOSES;
}

const NO_TRANSPOSES: ReadonlyMap<string, Float32Array> = new Map();

/** A tensor's values: the host-held array itself where there is one, else read from its backend (a copy). */
export function valuesOf(t: Tensor): tf.backend_util.TypedArray {
  return hostValuesOf(t) ?? t.dataSync();
}
