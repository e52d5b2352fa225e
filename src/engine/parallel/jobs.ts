/**
 * The analysis's reverse-pass work as independent jobs: each job is one measurement (a set of
 * probes or one-hot cotangents from one target to some upstream tensors) with its own random
 * stream, streamFor(seed, key). A job's result depends only on the model, the batch and the
 * job, never on which thread ran it or in which order, so the report is the same for any
 * thread count (see pool.ts).
 */
import type { LinearisationInfo } from '../../report/schema';
import * as tf from '@tensorflow/tfjs-core';
import { ExecutionError, type Activations, type Checkpoint, type Executor, type FamilyMember } from '../../runtime/executor';
import { streamFor, type SeededRandom } from '../../runtime/random';
import {
  measureJacobianSquares,
  measureResidualSquares,
  ResidualAccumulator,
  residualCotangents,
  residualRowSquares,
  residualStacks,
  squaresFamilyPart,
  type JacobianSquares,
  type ResidualSquares,
  type ResidualTensors,
} from '../../metrics/jacobian';
import { dilutionRelation, linearise, Linearisation, probeSums, type LinearisationPlan } from '../../metrics/dilution';
import { linearPartNow } from '../../metrics/blockJvp';

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
 * The family a job can be measured with (runJobFamily), or undefined. On a backend where
 * families pay (Executor.passFamiliesPay) the jobs of one family read the same forward pass and
 * weights and run as one graph and session: the block matrix's rows, and the per-block phase's
 * linearisations and residual parts. Exact jobs (one-hot passes, as many as the target's units)
 * stay alone. Two families, not one: the block matrix and the per-block jobs in one graph
 * (ResNet-18-sized) ran 0.2-0.5 s slower with a peak 200-270 MB higher, as ONNX Runtime
 * plans one graph's buffers for all of its passes.
 */
export function jobFamily(job: AnalysisJob): string | undefined {
  if (job.exact) return undefined;
  if (job.kind === 'squares') return job.phase.kind === 'block-matrix' ? 'block-matrix' : undefined;
  return 'blocks';
}

/** A job as a member of its family: the member, and how its result is read from the member's outputs. */
interface FamilyPart {
  readonly member: FamilyMember;
  finish(measured: Map<string, tf.Tensor>): Promise<JobResult>;
}

/**
 * The jobs of one family (jobFamily) at once: every block matrix row and squares job, every
 * block's exact linear part S v, the first probes of every linearisation and every residual
 * part's probes are one family (Executor.computeFamily: on ONNX Runtime one graph and session
 * instead of dozens of small eager passes); a block whose ops have no exact rule has its
 * linear part measured by finite differences first, one by one (Linearisation.start). Then
 * each linearisation is finished (refined where asked, one by one). Cotangents are drawn from
 * each job's own stream in the order runJob draws them, so each result is the one runJob gives
 * it alone. Results in the jobs' order.
 */
export async function runJobFamily(
  exec: Executor,
  acts: Activations,
  jobs: readonly AnalysisJob[],
  seed: number,
  checkpoint?: Checkpoint,
  onPass?: (job: AnalysisJob, done: number, total: number) => void,
): Promise<JobResult[]> {
  const owned: { dispose(): void }[] = [];
  let measured: Map<string, tf.Tensor>[] = [];
  try {
    const parts: FamilyPart[] = [];
    for (const job of jobs) {
      const rng = streamFor(seed, job.key);
      if (job.kind === 'squares') {
        const part = squaresFamilyPart(exec, acts, { target: job.target, wrt: job.wrt, plan: { exact: job.exact, probes: job.probes, rng, checkpoint } });
        owned.push(part);
        parts.push({ member: part.member, finish: async (m) => ({ kind: 'squares', ...part.result(m) }) });
      } else if (job.kind === 'linearise') {
        const lin = await Linearisation.start(exec, acts, job.input, job.output, linearisationPlan(job, rng, checkpoint), true);
        owned.push(lin);
        parts.push(linearisationPart(exec, acts, job, lin, owned, checkpoint));
      } else {
        parts.push(residualPart(exec, acts, job, rng, owned));
      }
    }
    checkpoint?.();
    try {
      measured = exec.computeFamily(
        acts,
        parts.map((p) => p.member),
        checkpoint,
      );
    } catch (e) {
      // A block whose ops could not take the stacked rows of the exact linear part: each job
      // alone, where the finite differences take over.
      if (!(e instanceof ExecutionError)) throw e;
      const alone: JobResult[] = [];
      for (const job of jobs) alone.push(await runJob(exec, acts, job, seed, checkpoint, onPass && ((done, total) => onPass(job, done, total))));
      return alone;
    }
    const results: JobResult[] = [];
    for (const [i, job] of jobs.entries()) {
      for (let p = 1; p <= job.probes; p++) onPass?.(job, p, job.probes);
      results.push(await parts[i].finish(measured[i]));
    }
    return results;
  } finally {
    owned.forEach((o) => o.dispose());
    measured.forEach((byName) => byName.forEach((t) => t.dispose()));
  }
}

/** A linearisation's first probes (and its exact linear part, when it has one) as a family member. */
function linearisationPart(
  exec: Executor,
  acts: Activations,
  job: LineariseJob,
  lin: Linearisation,
  owned: { dispose(): void }[],
  checkpoint: Checkpoint | undefined,
): FamilyPart {
  const stacks = lin.cotangentStacks(lin.firstPasses);
  owned.push(...stacks);
  const measuredPart = lin.linearPart;
  // An exact linear part is computed in the family's graph too (pendingLinearPart).
  const pending = lin.pendingLinearPart;
  return {
    member: {
      feeds: measuredPart === null ? stacks : [...stacks, measuredPart],
      outputs: pending === null ? ['sums'] : ['sums', 'sv'],
      weightedNodes: exec.weightedNodesBetween(new Map([[job.output, null]]), [job.input]) * (pending === null ? 1 : 2),
      compute: (vjp) => {
        const sv = pending === null ? measuredPart : linearPartNow(exec, acts, pending, checkpoint);
        const sums = concatenated(stacks.map((u) => probeSums(vjp, acts, job.input, job.output, u, sv)));
        return new Map(
          sv === measuredPart
            ? [['sums', sums]]
            : [
                ['sums', sums],
                ['sv', sv!],
              ],
        );
      },
    },
    finish: async (measured) => {
      const sv = measured.get('sv');
      if (sv !== undefined) {
        lin.adoptLinearPart(sv as tf.Tensor2D);
        measured.delete('sv');
      }
      lin.accept(measured.get('sums')!.dataSync(), lin.firstPasses);
      return { kind: 'linearise', info: await lin.finish(Number.NaN, job.affine) };
    },
  };
}

/** A residual block's probes on its merge (branch and skip passes) as a family member. */
function residualPart(exec: Executor, acts: Activations, job: ResidualJob, rng: SeededRandom, owned: { dispose(): void }[]): FamilyPart {
  const t = job.tensors;
  const stacks = residualStacks(exec, acts, t, job.probes, job.probes).map(([p, k]) => residualCotangents(acts, t, { exact: false, rng }, p, k));
  owned.push(...stacks);
  const n = acts.get(t.merge)!.shape[0];
  const skipPass = t.skip === t.input ? 0 : exec.weightedNodesBetween(new Map([[t.skip, null]]), [t.input]);
  return {
    member: {
      feeds: stacks,
      outputs: ['rows'],
      weightedNodes: exec.weightedNodesBetween(new Map([[t.branch, null]]), [t.input]) + skipPass,
      compute: (vjp) => new Map([['rows', concatenated(stacks.map((u) => residualRowSquares(vjp, t, u, u.shape[0] / n)))]]),
    },
    finish: async (measured) => {
      const parts = new ResidualAccumulator(false, n);
      parts.add(measured.get('rows')!.dataSync(), job.probes);
      return { kind: 'residual', squares: parts.result(t), method: `probes:${job.probes}` };
    },
  };
}

/** Tensors joined along axis 1 (one is returned as it is); the parts are released. */
function concatenated(parts: readonly tf.Tensor[]): tf.Tensor {
  if (parts.length === 1) return parts[0];
  try {
    return tf.concat([...parts], 1);
  } finally {
    parts.forEach((t) => t.dispose());
  }
}

/** A linearisation job's plan; the block's GSC only enters the relation, which withGscBlock recomputes. */
function linearisationPlan(job: LineariseJob, rng: SeededRandom, checkpoint: Checkpoint | undefined): LinearisationPlan {
  const precision = job.kPrecision && { targetPrecision: job.kPrecision.target, deadline: performance.now() + job.kPrecision.timeBudgetMs };
  return { exact: job.exact, probes: job.probes, rng, checkpoint, ...precision };
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
  const info = await linearise(exec, acts, job.input, job.output, linearisationPlan(job, rng, checkpoint), Number.NaN, job.affine);
  return { kind: 'linearise', info };
}

/** The linearisation with its dilution relation computed for the block's measured GSC. */
export function withGscBlock(info: LinearisationInfo, gscBlock: number): LinearisationInfo {
  const r = info.relation;
  return { ...info, relation: dilutionRelation(r.k, gscBlock, r.gscNonlinear, r.note) };
}
