/**
 * Tests run on the wasm backend, the embedded fallback users get without ONNX Runtime or
 * tfjs-node; GRADIENT_LENS_TEST_BACKEND=ort (or cpu) runs the same tests on another backend.
 */
import { initBackend, type BackendInfo, type BackendName } from '../../src/runtime/backend';

let ready: Promise<BackendInfo> | undefined;

/** The backend this test process runs on. */
export function testBackendName(): BackendName {
  return (process.env.GRADIENT_LENS_TEST_BACKEND as BackendName | undefined) ?? 'wasm';
}

export function useTestBackend(): Promise<BackendInfo> {
  ready ??= initBackend(testBackendName());
  return ready;
}
