/**
 * The engine's public surface: what the CLI, the extension's worker process and the tests
 * call. Nothing here depends on VS Code.
 */
import type { AnalysisSettings, PartialReport, Thresholds } from '../report/schema';
import type { DataRequest } from '../data/samples';
import type { RunEstimate } from './estimate';

export type AnalysisPhase = 'backend' | 'loading' | 'forward' | 'gsc-to-output' | 'block-matrix' | 'blocks' | 'nonlinearities' | 'done';

export interface ProgressEvent {
  readonly phase: AnalysisPhase;
  /** Human-readable, e.g. "probe 3 of 8" or "block matrix row 4 of 12". */
  readonly message: string;
  /** Fraction of the whole analysis done, 0..1, when known. */
  readonly fraction?: number;
  /**
   * Sent once, after the forward pass and before the reverse passes: how long the run will
   * take and what cheaper settings would take (./estimate.ts).
   */
  readonly estimate?: RunEstimate;
}

export interface AnalyzeRequest {
  readonly modelPath: string;
  readonly settings?: Partial<AnalysisSettings>;
  readonly thresholds?: Partial<Thresholds>;
  /** Raw little-endian float32 file in the model's input shape; batch size from its length. */
  readonly inputFile?: string;
  /** Sample data (and labels) to analyse instead of the Gaussian batch (src/data). */
  readonly data?: DataRequest;
  /** The reference layer: the model output (default) or the error layer (needs labels). */
  readonly reference?: 'output' | 'error';
  /** Which model output to measure to, 0-based, for a model with several (default 0, the first). */
  readonly outputIndex?: number;
  /**
   * Cut the graph at this tensor: the analysis measures GSC to it, and ops after it need not
   * be supported (ONNX: a tensor; TF.js graph models: a node, `node:1` for its second output;
   * TF.js layers models: a layer, `layer@1` for its second call). Default: the model's output.
   */
  readonly output?: string;
  /** Start the analysis at this tensor (boundary 0) instead of the model input; the input is still fed. */
  readonly from?: string;
  /**
   * Threads for the reverse passes (default min(2, cores)); the report's numbers are the
   * same for any count (src/engine/parallel).
   */
  readonly threads?: number;
  /**
   * Said in the report's warnings: the caller reduced the settings before this run (e.g. after
   * an estimate offered cheaper ones), so the report does not pass for one with the defaults.
   */
  readonly reducedSettings?: string;
}

export interface AnalyzeHooks {
  readonly onProgress?: (e: ProgressEvent) => void;
  /**
   * The GSC to the output, once measured: before the block matrix and the per-block jobs end
   * (with one thread, before they start). Its numbers equal the final report's.
   */
  readonly onPartial?: (partial: PartialReport) => void;
  readonly signal?: AbortSignal;
}

/** Thrown when the caller's AbortSignal fires; the analysis stops at the next node. */
export class CancelledError extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'CancelledError';
  }
}

// Raised by the runtime's size guard; part of the engine's API for its callers.
export { ResourceError } from '../runtime/resourceError';

/** How long one block's k_lin refinement may keep starting new work (settings.kTimeBudgetMs). */
export const DEFAULT_K_TIME_BUDGET_MS = 10_000;

export const DEFAULT_SETTINGS: AnalysisSettings = {
  batch: 16,
  probes: 8,
  seed: 0,
  exact: 'auto',
  exactMaxDim: 64,
  backend: 'auto',
  blockMatrix: true,
  inputSource: 'gaussian',
  dimOverrides: {},
  memoryLimitMb: 0,
  kPrecision: 0.05,
  kTimeBudgetMs: DEFAULT_K_TIME_BUDGET_MS,
};

export const DEFAULT_THRESHOLDS: Thresholds = {
  gsc: 100,
  pseudoLinearK: 3,
  collapsedSpread: 0.1,
};
