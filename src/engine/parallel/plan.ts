/**
 * The list of jobs of one analysis (every reverse pass the report needs), with the same random
 * stream purposes analyze.ts always used, so the numbers do not depend on how they are run.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Block } from '../../metrics/blocks';
import type { Graph } from '../../graph/ir';
import type { BackendName } from '../../runtime/backend';
import { jobTarget, type AnalysisJob, type JobResult } from './jobs';
import type { FeedData } from './protocol';

export interface PlanArgs {
  readonly blocks: readonly Block[];
  readonly boundaries: readonly string[];
  readonly probes: number;
  readonly blockMatrix: boolean;
  readonly useExact: (tensor: string) => boolean;
  /** Per-sample shape of a tensor of the forward pass (a residual merge that broadcasts is measured part by part). */
  readonly shapeOf: (tensor: string) => readonly number[];
}

export const GSC_TO_OUTPUT = 'gsc-to-output';
export const blockMatrixKey = (l: number): string => `block-matrix-${l}`;
/** The separate jobs of a residual block whose merge broadcasts (residualPartsKey otherwise). */
export const residualKey = (purpose: 'merge' | 'branch' | 'skip', block: number): string => `${purpose}-${block}`;
/** The one job that measures a residual block's merge, branch and skip with shared probes. */
export const residualPartsKey = (block: number): string => `residual-${block}`;
export const lineariseKey = (block: number): string => `linearise-${block}`;

/** A job key in words, for progress lines: "GSC to the output", "block matrix row 3", "block 2 residual parts". */
export function jobPurposeText(key: string): string {
  if (key === GSC_TO_OUTPUT) return 'GSC to the output';
  const dash = key.lastIndexOf('-');
  const [purpose, block] = [key.slice(0, dash), key.slice(dash + 1)];
  if (purpose === 'block-matrix') return `block matrix row ${block}`;
  if (purpose === 'linearise') return `block ${block} linearisation`;
  if (purpose === 'residual') return `block ${block} residual parts`;
  return `block ${block} ${purpose === 'branch' ? 'residual branch' : purpose}`;
}

export function analysisJobs(p: PlanArgs): AnalysisJob[] {
  const B = p.blocks.length;
  const squares = (key: string, target: string, wrt: readonly string[]): AnalysisJob => ({
    kind: 'squares',
    key,
    target,
    wrt,
    exact: p.useExact(target),
    probes: p.probes,
  });
  const sameShape = (a: string, b: string): boolean => {
    const [sa, sb] = [p.shapeOf(a), p.shapeOf(b)];
    return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
  };
  const jobs: AnalysisJob[] = [squares(GSC_TO_OUTPUT, p.boundaries[B], p.boundaries.slice(0, B))];
  for (let l = 1; l < B; l++) {
    jobs.push(squares(blockMatrixKey(l), p.boundaries[l], p.blockMatrix ? p.boundaries.slice(0, l) : [p.boundaries[l - 1]]));
  }
  for (const blk of p.blocks) {
    const r = blk.residual;
    if (r && sameShape(r.branchTensor, r.mergeTensor) && sameShape(r.skipTensor, r.mergeTensor) && r.branchTensor !== blk.inputTensor) {
      // merge = skip + branch: one set of probes on the merge serves all three (measureResidualSquares).
      // A broadcasting merge, or x + x (the branch is the input), keeps the separate jobs below.
      jobs.push({
        kind: 'residual',
        key: residualPartsKey(blk.index),
        tensors: { input: blk.inputTensor, merge: r.mergeTensor, branch: r.branchTensor, skip: r.skipTensor },
        exact: p.useExact(r.mergeTensor),
        probes: p.probes,
      });
    } else if (r) {
      const targets: ['merge' | 'branch' | 'skip', string][] = [
        ['merge', r.mergeTensor],
        ['branch', r.branchTensor],
        ['skip', r.skipTensor],
      ];
      for (const [purpose, target] of targets) {
        if (target !== blk.inputTensor) jobs.push(squares(residualKey(purpose, blk.index), target, [blk.inputTensor]));
      }
    }
    jobs.push({
      kind: 'linearise',
      key: lineariseKey(blk.index),
      input: blk.inputTensor,
      output: blk.outputTensor,
      exact: p.useExact(blk.outputTensor),
      probes: p.probes,
      affine: blk.affine,
    });
  }
  return jobs;
}

/**
 * Relative cost of a job: its passes times the nodes a reverse pass from its target to its
 * farthest upstream tensor visits (enough to hand out the long jobs first).
 */
export function jobCost(graph: Graph, passes: (job: AnalysisJob) => number): (job: AnalysisJob) => number {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const at = (t: string): number => producer.get(t) ?? -1;
  return (job) => {
    const from = job.kind === 'squares' ? Math.min(...job.wrt.map(at)) : job.kind === 'residual' ? at(job.tensors.input) : at(job.input);
    const to = at(jobTarget(job));
    return passes(job) * Math.max(1, to - from);
  };
}

/** A residual part's squares w.r.t. the block input: per probe (one when exact) per sample. */
export interface PartSquares {
  readonly measurements: readonly (readonly number[])[];
  readonly method: string;
}

/**
 * A residual block's merge, branch and skip squares, whichever jobs measured them (the shared
 * residual job, or the separate ones of a broadcasting merge); null for a part that is the
 * block input itself (an identity skip: GSC 1).
 */
export function residualParts(results: ReadonlyMap<string, JobResult>, blk: Block): Record<'merge' | 'branch' | 'skip', PartSquares | null> {
  const r = blk.residual;
  if (!r) throw new Error(`internal: block ${blk.index} is not residual`);
  const shared = results.get(residualPartsKey(blk.index));
  if (shared?.kind === 'residual') {
    const { squares, method } = shared;
    return {
      merge: { measurements: squares.merge, method },
      branch: { measurements: squares.branch, method },
      skip: squares.skip === null ? null : { measurements: squares.skip, method },
    };
  }
  const separate = (purpose: 'merge' | 'branch' | 'skip', target: string): PartSquares | null => {
    if (target === blk.inputTensor) return null;
    const m = results.get(residualKey(purpose, blk.index));
    if (m?.kind !== 'squares') throw new Error(`internal: no measurement for ${residualKey(purpose, blk.index)}`);
    return { measurements: m.squares.get(blk.inputTensor)!, method: m.method };
  };
  return { merge: separate('merge', r.mergeTensor), branch: separate('branch', r.branchTensor), skip: separate('skip', r.skipTensor) };
}

/** The feeds as plain arrays for the worker threads (they redo the forward pass). */
export function feedData(feeds: ReadonlyMap<string, tf.Tensor>): FeedData[] {
  return [...feeds].map(([name, t]) => ({
    name,
    shape: t.shape,
    dtype: t.dtype === 'int32' ? 'int32' : 'float32',
    data: t.dtype === 'int32' ? Int32Array.from(t.dataSync()) : Float32Array.from(t.dataSync()),
  }));
}

export type { BackendName };

/** Below this estimated reverse-pass time a worker thread's start (a backend, the graph, a forward pass) does not pay. */
export const MIN_PARALLEL_MS = 1500;

/**
 * A batch's forward pass estimated this long (the memory guard's one-sample pass times the
 * batch) starts the worker threads before the analysis thread's own forward pass: the reverse
 * passes will take tens of forward passes, well above MIN_PARALLEL_MS, and the workers' forward
 * passes then overlap it. The thread count is still decided after it (threadsWorthUsing).
 */
export const EARLY_WORKERS_FORWARD_MS = 250;

/**
 * The default thread count for this analysis: 1 when the jobs are estimated to take less than
 * MIN_PARALLEL_MS (reverse passes cost about a forward pass over the part they traverse),
 * else `available`. Only the speed depends on this, never the numbers.
 */
export function threadsWorthUsing(available: number, forwardMs: number, jobs: readonly AnalysisJob[], cost: (job: AnalysisJob) => number, nodes: number): number {
  const forwardEquivalents = jobs.reduce((t, j) => t + cost(j), 0) / Math.max(1, nodes);
  return forwardMs * forwardEquivalents < MIN_PARALLEL_MS ? 1 : available;
}
