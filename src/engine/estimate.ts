/**
 * How long the reverse passes of an analysis will take, estimated before they start, and what
 * cheaper settings would take (#18: a MobileNetV2 with defaults ran for minutes with nothing
 * suggesting the block matrix could be turned off).
 *
 * The estimate is measured, not guessed from a model family: the engine has just timed the
 * forward pass of the batch (`forwardMs`); each job's cost is its passes times the share of
 * the graph a pass visits (parallel/plan.ts jobCost), and a reverse pass over a share of the
 * graph costs REVERSE_PASS_FACTOR forward passes over that share. Pure: the engine passes the
 * job lists, the tests pass small ones.
 */
import type { AnalysisSettings } from '../report/schema';
import { REDUCED_BEFORE_RUN } from '../report/referenceText';

/**
 * A reverse pass (VJP) over some nodes costs this many forward passes over the same nodes.
 * Calibrated with bench/estimate.ts (figures in bench/estimate.json; wasm, one thread, load
 * average about 30): the factor that would have made the estimate exact was 0.48
 * (examples/resnet), 0.81 (mlp_tanh), 0.97 (resmlp_relu), 0.84 (resnet_cifar8) and 1.13
 * (tiny_transformer). The upper end is taken so the offer comes rather too early than too late;
 * the estimate then errs on the long side, by up to 2.3× (examples/resnet).
 */
export const REVERSE_PASS_FACTOR = 1.1;

/** Default threshold above which the extension offers cheaper settings (gradientLens.estimateThresholdSeconds). */
export const DEFAULT_ESTIMATE_THRESHOLD_MS = 60_000;

export interface CheaperOption {
  readonly id: 'block-matrix-off' | 'fewer-probes' | 'smaller-batch';
  /** "block matrix off", "4 probes instead of 8", "batch 8 instead of 16". */
  readonly label: string;
  /** The settings that make it (merged over the run's own). */
  readonly settings: Partial<Pick<AnalysisSettings, 'blockMatrix' | 'probes' | 'batch'>>;
  readonly totalMs: number;
}

export interface RunEstimate {
  /** The whole analysis: the forward pass already done plus the reverse passes to come. */
  readonly totalMs: number;
  /** The measured forward pass of the batch it is based on. */
  readonly forwardMs: number;
  readonly threads: number;
  /** Cheapest last; only options that save at least a fifth. */
  readonly options: readonly CheaperOption[];
}

/**
 * Milliseconds of the reverse passes: the jobs' forward equivalents (cost / graph nodes) times
 * the forward time and REVERSE_PASS_FACTOR, shared by the threads.
 */
export function reverseMs(forwardEquivalents: number, forwardMs: number, threads: number): number {
  return (forwardEquivalents * forwardMs * REVERSE_PASS_FACTOR) / Math.max(1, threads);
}

/** The inputs of an estimate: forward equivalents of the run's job list and of each alternative. */
export interface EstimateInput {
  readonly forwardMs: number;
  readonly threads: number;
  readonly batch: number;
  readonly settings: Pick<AnalysisSettings, 'blockMatrix' | 'probes'>;
  /** Forward equivalents of the job list for the given block matrix and probe settings. */
  readonly forwardEquivalents: (blockMatrix: boolean, probes: number) => number;
}

export function estimateRun(p: EstimateInput): RunEstimate {
  const total = (blockMatrix: boolean, probes: number, batchShare = 1): number =>
    p.forwardMs * batchShare + reverseMs(p.forwardEquivalents(blockMatrix, probes), p.forwardMs * batchShare, p.threads);
  const totalMs = total(p.settings.blockMatrix, p.settings.probes);
  const options: CheaperOption[] = [];
  if (p.settings.blockMatrix) {
    options.push({ id: 'block-matrix-off', label: 'block matrix off', settings: { blockMatrix: false }, totalMs: total(false, p.settings.probes) });
  }
  const fewer = Math.max(2, Math.floor(p.settings.probes / 2));
  if (fewer < p.settings.probes) {
    options.push({
      id: 'fewer-probes',
      label: `${fewer} probes instead of ${p.settings.probes}`,
      settings: { probes: fewer },
      totalMs: total(p.settings.blockMatrix, fewer),
    });
  }
  const smaller = Math.max(1, Math.floor(p.batch / 2));
  if (smaller < p.batch) {
    // Every pass is over the whole batch: its time scales with the batch (the forward pass
    // measured at `batch` stands for all of them).
    options.push({
      id: 'smaller-batch',
      label: `batch ${smaller} instead of ${p.batch}`,
      settings: { batch: smaller },
      totalMs: total(p.settings.blockMatrix, p.settings.probes, smaller / p.batch),
    });
  }
  const worth = options.filter((o) => o.totalMs <= totalMs * 0.8).sort((a, b) => b.totalMs - a.totalMs);
  return { totalMs, forwardMs: p.forwardMs, threads: p.threads, options: worth };
}

/** "about 40 s", "about 3 min". */
export function durationText(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 90 ? `about ${s} s` : `about ${Math.round(s / 60)} min`;
}

export function reducedBeforeRunText(option: Pick<CheaperOption, 'label'>, estimateMs: number): string {
  return `${REDUCED_BEFORE_RUN}, as offered for an estimated ${durationText(estimateMs)}: ${option.label}`;
}
