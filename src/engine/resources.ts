/**
 * The memory guard: before the analysis proper, measure what one sample's activations take
 * (a forward pass at batch 1) and what the process holds, estimate the process's peak (the
 * plan, reported beside the measured peak), and use fewer threads, shrink the batch or refuse
 * with a clear message when that passes the limit, rather than letting the machine swap or
 * the process die.
 */
import * as os from 'node:os';
import { STACK_ELEMENTS } from '../metrics/jacobian';

/** The wasm heap cannot grow past 4 GiB (32-bit addresses); leave room for the runtime. */
const WASM_HEAP_BYTES = 3.5 * 1024 ** 3;

/** What the memory guard measured before the batch: one sample's forward pass and the process as it stands. */
export interface MemoryMeasure {
  /** One sample's activations, as a forward pass keeps them (bytes). */
  readonly perSampleBytes: number;
  /** One sample's largest activation (elements): how deep probes stack in a reverse pass. */
  readonly largestPerSampleElements: number;
  /** Bytes charged for the weights (as decoded and as copied to the backend): each worker thread holds them again. */
  readonly heldBytes: number;
  /** The process's resident set now: Node, the backend's heap, the model as loaded. */
  readonly residentBytes: number;
  /** Probes per estimate: up to this many are stacked into one reverse pass. */
  readonly probes: number;
}

/**
 * A reverse pass with s probes stacked holds about REVERSE_PER_STACKED_PROBE · s times the
 * forward pass's activations at its peak: the cotangents of the boundaries it measures, kept
 * to the end, the cotangents in flight and the kernels' temporaries. Measured (bench/
 * memory-plan.json): the wasm heap's high-water mark less the weights and the activations was
 * 1.37 (resnet_cifar8) and 1.46 (ResNet-18 at 64×64) times s times the activations, s = 8.
 */
export const REVERSE_PER_STACKED_PROBE = 1.5;

/** The wasm heap grows in steps and is never given back: what a thread computes is planned this much larger. */
export const HEAP_GROWTH_SLACK = 1.1;

/**
 * What a thread's analysis holds whatever the model: its JavaScript objects (probe seeds,
 * results read back) and the wasm heap's first growth steps. Measured: a 16-unit MLP and a
 * tiny transformer peaked 24 and 14 MB above the resident set before the batch.
 */
export const THREAD_BASE_BYTES = 32 * 1024 ** 2;

/** A worker thread's own Node isolate and compute backend, before it receives the model. */
export const WORKER_RUNTIME_BYTES = 64 * 1024 ** 2;

/** Probes one reverse pass stacks at batch n (as metrics/jacobian.ts probesPerPass decides). */
export function stackedProbes(largestPerSampleElements: number, n: number, probes: number): number {
  return Math.max(1, Math.min(probes, Math.floor(STACK_ELEMENTS / Math.max(1, n * largestPerSampleElements))));
}

/**
 * The process's peak resident bytes for an analysis at batch n on `threads` threads: what it
 * holds now, plus per thread the batch's activations and a reverse pass's peak (which grows
 * with the probes it stacks), plus per worker thread its runtime and its copy of the weights.
 */
export function estimatePeakBytes(m: MemoryMeasure, n: number, threads: number, maxStack = Infinity): number {
  const stack = Math.min(maxStack, stackedProbes(m.largestPerSampleElements, n, m.probes));
  const perThread = THREAD_BASE_BYTES + HEAP_GROWTH_SLACK * n * m.perSampleBytes * (1 + REVERSE_PER_STACKED_PROBE * stack);
  return m.residentBytes + threads * perThread + (threads - 1) * (WORKER_RUNTIME_BYTES + m.heldBytes);
}

/** The default limit: half of the memory that is free now (and the wasm heap's ceiling). */
export function defaultMemoryLimitBytes(backend: string): number {
  const half = os.freemem() / 2;
  // Under 'ort' the activations are TensorFlow.js tensors on wasm too; only the convolutions run natively.
  return backend === 'wasm' || backend === 'ort' ? Math.min(half, WASM_HEAP_BYTES) : half;
}

export type BatchDecision =
  | {
      readonly kind: 'ok';
      readonly batch: number;
      readonly threads: number;
      /** A cap on the probes one reverse pass stacks (the numbers do not depend on it); none when absent. */
      readonly maxStack?: number;
      readonly estimateBytes: number;
      readonly message?: string;
    }
  | {
      readonly kind: 'shrunk';
      readonly batch: number;
      readonly threads: number;
      readonly maxStack: number;
      readonly requested: number;
      readonly estimateBytes: number;
      readonly message: string;
    }
  | { readonly kind: 'refused'; readonly message: string };

/**
 * The batch and threads to analyse with: the requested batch on as many of `threads` as fit
 * the limit (each thread redoes the forward pass and holds its own reverse passes), stacking
 * fewer probes per reverse pass where that makes them fit (the numbers are the same); failing
 * that, on one thread with one probe per pass, the largest batch of at least 2 that fits;
 * failing that, a refusal.
 */
export function decideBatch(m: MemoryMeasure, requested: number, limitBytes: number, threads = 1): BatchDecision {
  const mb = (b: number): string => `${Math.round(b / 1024 ** 2)} MB`;
  const full = stackedProbes(m.largestPerSampleElements, requested, m.probes);
  for (let t = threads; t >= 1; t--) {
    let stack = full;
    while (stack > 1 && estimatePeakBytes(m, requested, t, stack) > limitBytes) stack--;
    const est = estimatePeakBytes(m, requested, t, stack);
    if (est > limitBytes) continue;
    const fewer =
      t < threads
        ? `the analysis ran on ${t} thread${t > 1 ? 's' : ''} instead of ${threads}: ${threads} would need about ${mb(estimatePeakBytes(m, requested, threads))}, over the memory limit of ${mb(limitBytes)}`
        : undefined;
    return {
      kind: 'ok',
      batch: requested,
      threads: t,
      ...(stack < full && { maxStack: stack }),
      estimateBytes: est,
      ...(fewer !== undefined && { message: fewer }),
    };
  }
  for (let n = requested - 1; n >= 2; n--) {
    const est = estimatePeakBytes(m, n, 1, 1);
    if (est > limitBytes) continue;
    return {
      kind: 'shrunk',
      batch: n,
      threads: 1,
      maxStack: 1,
      requested,
      estimateBytes: est,
      message: `batch ${requested} would need about ${mb(estimatePeakBytes(m, requested, 1, 1))}, over the memory limit of ${mb(limitBytes)}; analysed a batch of ${n} instead${threads > 1 ? ' on one thread' : ''}`,
    };
  }
  return {
    kind: 'refused',
    message: `this model needs about ${mb(estimatePeakBytes(m, 2, 1, 1))} for the smallest batch (2 samples), over the memory limit of ${mb(limitBytes)}; raise the limit (memory limit setting / --memory-limit-mb) if the machine has the memory`,
  };
}
