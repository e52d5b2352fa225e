/**
 * The analysis's reverse-pass work as independent jobs: each job is one measurement (a set of
 * probes or one-hot cotangents from one target to some upstream tensors) with its own random
 * stream, streamFor(seed, key). A job's result depends only on the model, the batch and the
 * job, never on which thread ran it or in which order, so the report is the same for any
 * thread count (see pool.ts).
 */
import type { LinearisationInfo } from '../../report/schema';
import type { Activations, Checkpoint, Executor } from '../../runtime/executor';
import { streamFor } from '../../runtime/random';
import {
  measureJacobianSquares,
  measureJacobianSquaresFamily,
  measureResidualSquares,
  type JacobianSquares,
  type ResidualSquares,
  type ResidualTensors,
} from '../../metrics/jacobian';
import { dilutionRelation, linearise } from '../../metrics/dilution';

/**
 * What a job measures for the report: its progress text, the report phase its time counts
 * towards, and where its result goes are read from this, never from its key.
 */
export type JobPhase =
  | { readonly kind: 'gsc-to-output' }
  /** GSC(k -> row) for the boundaries k before `row` (only k = row - 1 without the block matrix). */
  | { readonly kind: 'block-matrix'; readonly row: number }
  /**
   * A residual block's merge, branch and skip from shared probes (ResidualJob); with `unit`,
   * those of the block's stream unit `unit` (0-based in its streamUnits), from the unit's input.
   */
  | { readonly kind: 'residual-parts'; readonly block: number; readonly unit?: number }
  /** One part of a residual block (or stream unit) whose merge broadcasts, measured on its own. */
  | { readonly kind: 'residual-part'; readonly block: number; readonly part: ResidualPart; readonly unit?: number }
  /** GSC(input -> output) of the block's stream unit `unit` (0-based in its streamUnits). */
  | { readonly kind: 'stream-unit'; readonly block: number; readonly unit: number }
  | { readonly kind: 'linearise'; readonly block: number };

export type ResidualPart = 'merge' | 'branch' | 'skip';

/** ||J^T u||^2 per sample from `target` back to each of `wrt` (measureJacobianSquares). */
export interface SquaresJob {
  readonly kind: 'squares';
  /** Unique per analysis (jobKey(phase)); also the purpose its random stream is derived from. */
  readonly key: string;
  readonly phase: Extract<JobPhase, { kind: 'gsc-to-output' | 'block-matrix' | 'residual-part' | 'stream-unit' }>;
  readonly target: string;
  readonly wrt: readonly string[];
  readonly exact: boolean;
  readonly probes: number;
}

/** The linearisation of a block from `input` to `output` (dilution.ts). */
export interface LineariseJob {
  readonly kind: 'linearise';
  readonly key: string;
  readonly phase: Extract<JobPhase, { kind: 'linearise' }>;
  readonly input: string;
  readonly output: string;
  readonly exact: boolean;
  readonly probes: number;
  readonly affine: boolean;
  /** Target relative half-width of k_lin's 99% interval, and the time refinement may take. */
  readonly kPrecision?: { readonly target: number; readonly timeBudgetMs: number };
}

/**
 * A residual block's merge, branch and skip squares from the same cotangents on the merge
 * (measureResidualSquares): one reverse pass from the branch and one from the skip per probe.
 * `exact` and the pass count follow the merge tensor.
 */
export interface ResidualJob {
  readonly kind: 'residual';
  readonly key: string;
  readonly phase: Extract<JobPhase, { kind: 'residual-parts' }>;
  readonly tensors: ResidualTensors;
  readonly exact: boolean;
  readonly probes: number;
}

export type AnalysisJob = SquaresJob | LineariseJob | ResidualJob;

export type JobResult =
  | { readonly kind: 'squares'; readonly squares: JacobianSquares; readonly method: string }
  | { readonly kind: 'residual'; readonly squares: ResidualSquares; readonly method: string }
  /** Its relation is completed with the block's GSC by `withGscBlock` once that is known. */
  | { readonly kind: 'linearise'; readonly info: LinearisationInfo };

/** The tensor whose cotangents a job draws: their count is its pass count in exact mode. */
export function jobTarget(job: AnalysisJob): string {
  if (job.kind === 'squares') return job.target;
  if (job.kind === 'residual') return job.tensors.merge;
  return job.output;
}

/**
 * Reverse passes a job takes, as progress counts them: one per probe (or one-hot cotangent);
 * a residual job's probe is one pass from the branch plus a short one from a projection skip.
 */
export function jobPasses(job: AnalysisJob, dimOf: (tensor: string) => number): number {
  return job.exact ? dimOf(jobTarget(job)) : job.probes;
}

/**
 * The family a job can be measured with (runJobFamily), or undefined: the block matrix's rows
 * read the same forward pass and weights, so on a backend where families pay
 * (Executor.passFamiliesPay) they run as one. Exact rows (one-hot passes, as many as the
 * target's units) stay alone.
 */
export function jobFamily(job: AnalysisJob): string | undefined {
  return job.kind === 'squares' && job.phase.kind === 'block-matrix' && !job.exact ? 'block-matrix' : undefined;
}

/**
 * Squares jobs of one family at once (measureJacobianSquaresFamily); each job keeps its own
 * random stream, so each result is the one runJob gives it alone. Results in the jobs' order.
 */
export async function runJobFamily(
  exec: Executor,
  acts: Activations,
  jobs: readonly SquaresJob[],
  seed: number,
  checkpoint?: Checkpoint,
  onPass?: (job: SquaresJob, done: number, total: number) => void,
): Promise<JobResult[]> {
  const members = jobs.map((job) => ({
    target: job.target,
    wrt: job.wrt,
    plan: {
      exact: job.exact,
      probes: job.probes,
      rng: streamFor(seed, job.key),
      checkpoint,
      onPass: onPass && ((done: number, total: number) => onPass(job, done, total)),
    },
  }));
  const measured = await measureJacobianSquaresFamily(exec, acts, members);
  return measured.map((r) => ({ kind: 'squares', squares: r.squares, method: r.method }));
}

export async function runJob(
  exec: Executor,
  acts: Activations,
  job: AnalysisJob,
  seed: number,
  checkpoint?: Checkpoint,
  onPass?: (done: number, total: number) => void,
): Promise<JobResult> {
  const rng = streamFor(seed, job.key);
  if (job.kind === 'squares') {
    const r = await measureJacobianSquares(exec, acts, job.target, job.wrt, { exact: job.exact, probes: job.probes, rng, checkpoint, onPass });
    return { kind: 'squares', squares: r.squares, method: r.method };
  }
  if (job.kind === 'residual') {
    const r = await measureResidualSquares(exec, acts, job.tensors, { exact: job.exact, probes: job.probes, rng, checkpoint, onPass });
    return { kind: 'residual', squares: r.squares, method: r.method };
  }
  // The block's GSC only enters the relation, which withGscBlock recomputes.
  const precision = job.kPrecision && { targetPrecision: job.kPrecision.target, deadline: performance.now() + job.kPrecision.timeBudgetMs };
  const info = await linearise(
    exec,
    acts,
    job.input,
    job.output,
    { exact: job.exact, probes: job.probes, rng, checkpoint, ...precision },
    Number.NaN,
    job.affine,
  );
  return { kind: 'linearise', info };
}

/** The linearisation with its dilution relation computed for the block's measured GSC. */
export function withGscBlock(info: LinearisationInfo, gscBlock: number): LinearisationInfo {
  const r = info.relation;
  return { ...info, relation: dilutionRelation(r.k, gscBlock, r.gscNonlinear, r.note) };
}
