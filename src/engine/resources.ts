/**
 * The memory guard: before the analysis proper, measure what one sample's activations take
 * (a forward pass at batch 1), estimate the whole analysis's peak, and shrink the batch or
 * refuse with a clear message when that passes the limit, rather than letting the machine
 * swap or the process die.
 */
import * as os from 'node:os';

/** The wasm heap cannot grow past 4 GiB (32-bit addresses); leave room for the runtime. */
const WASM_HEAP_BYTES = 3.5 * 1024 ** 3;

/**
 * Peak bytes of an analysis at batch n: every activation is kept (n x perSample), a reverse
 * pass holds cotangents for about as much again plus the kernels' temporaries, and the
 * constants are resident once.
 */
export function estimatePeakBytes(perSampleActivationBytes: number, constantBytes: number, n: number): number {
  const reverseFactor = 2.5;
  return constantBytes + n * perSampleActivationBytes * (1 + reverseFactor);
}

/** The default limit: half of the memory that is free now (and the wasm heap's ceiling). */
export function defaultMemoryLimitBytes(backend: string): number {
  const half = os.freemem() / 2;
  // Under 'ort' the activations are TensorFlow.js tensors on wasm too; only the convolutions run natively.
  return backend === 'wasm' || backend === 'ort' ? Math.min(half, WASM_HEAP_BYTES) : half;
}

export type BatchDecision =
  | { readonly kind: 'ok'; readonly batch: number; readonly estimateBytes: number }
  | { readonly kind: 'shrunk'; readonly batch: number; readonly requested: number; readonly estimateBytes: number; readonly message: string }
  | { readonly kind: 'refused'; readonly message: string };

export function decideBatch(perSampleBytes: number, constantBytes: number, requested: number, limitBytes: number): BatchDecision {
  const mb = (b: number): string => `${Math.round(b / 1024 ** 2)} MB`;
  const est = estimatePeakBytes(perSampleBytes, constantBytes, requested);
  if (est <= limitBytes) return { kind: 'ok', batch: requested, estimateBytes: est };
  const fits = Math.floor((limitBytes - constantBytes) / (perSampleBytes * 3.5));
  if (fits >= 2) {
    return {
      kind: 'shrunk',
      batch: fits,
      requested,
      estimateBytes: estimatePeakBytes(perSampleBytes, constantBytes, fits),
      message: `batch ${requested} would need about ${mb(est)}, over the memory limit of ${mb(limitBytes)}; analysed a batch of ${fits} instead`,
    };
  }
  return {
    kind: 'refused',
    message: `this model needs about ${mb(estimatePeakBytes(perSampleBytes, constantBytes, 2))} for the smallest batch (2 samples), over the memory limit of ${mb(limitBytes)}; raise the limit (memory limit setting / --memory-limit-mb) if the machine has the memory`,
  };
}
