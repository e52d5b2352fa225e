/**
 * What a TensorFlow.js backend that computes nothing itself answers about timing, precision and
 * memory: the base of the graph recorder's backend (runtime/recordBackend.ts, whose kernels
 * append ONNX nodes) and of the store of host-held weights (hostValues.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

export abstract class DataOnlyBackend extends tf.KernelBackend {
  /** Why tf.memory() cannot count this backend's bytes. */
  protected abstract readonly memoryNote: string;

  override read(dataId: object): Promise<tf.backend_util.BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  override incRef(): void {}

  override memory(): { unreliable: boolean; reasons: string[] } {
    return { unreliable: true, reasons: [this.memoryNote] };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override timerAvailable(): boolean {
    return false;
  }

  override time(): Promise<tf.BackendTimingInfo> {
    return Promise.resolve({ kernelMs: 0 });
  }
}
