/** Tests run on the wasm backend, the embedded default users get without tfjs-node. */
import { initBackend, type BackendInfo } from '../../src/runtime/backend';

let ready: Promise<BackendInfo> | undefined;

export function useTestBackend(): Promise<BackendInfo> {
  ready ??= initBackend((process.env.GRADIENT_LENS_TEST_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'wasm');
  return ready;
}
