/**
 * The list of jobs of one analysis (every reverse pass the report needs), with the same random
 * stream purposes analyze.ts always used, so the numbers do not depend on how they are run.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Block } from '../../metrics/blocks';
import type { Graph } from '../../graph/ir';
import type { BackendName } from '../backend';
import type { AnalysisJob } from './jobs';
import type { FeedData } from './protocol';

export interface PlanArgs {
  readonly blocks: readonly Block[];
  readonly boundaries: readonly string[];
  readonly probes: number;
  readonly blockMatrix: boolean;
  readonly useExact: (tensor: string) => boolean;
}

export const GSC_TO_OUTPUT = 'gsc-to-output';
export const blockMatrixKey = (l: number): string => `block-matrix-${l}`;
export const residualKey = (purpose: 'merge' | 'branch' | 'skip', block: number): string => `${purpose}-${block}`;
export const lineariseKey = (block: number): string => `linearise-${block}`;

/** A job key in words, for progress lines: "GSC to the output", "block matrix row 3", "block 2 merge". */
export function jobPurposeText(key: string): string {
  if (key === GSC_TO_OUTPUT) return 'GSC to the output';
  const dash = key.lastIndexOf('-');
  const [purpose, block] = [key.slice(0, dash), key.slice(dash + 1)];
  if (purpose === 'block-matrix') return `block matrix row ${block}`;
  if (purpose === 'linearise') return `block ${block} linearisation`;
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
  const jobs: AnalysisJob[] = [squares(GSC_TO_OUTPUT, p.boundaries[B], p.boundaries.slice(0, B))];
  for (let l = 1; l < B; l++) {
    jobs.push(squares(blockMatrixKey(l), p.boundaries[l], p.blockMatrix ? p.boundaries.slice(0, l) : [p.boundaries[l - 1]]));
  }
  for (const blk of p.blocks) {
    const r = blk.residual;
    if (r) {
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
    const from = job.kind === 'squares' ? Math.min(...job.wrt.map(at)) : at(job.input);
    const to = job.kind === 'squares' ? at(job.target) : at(job.output);
    return passes(job) * Math.max(1, to - from);
  };
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
 * The default thread count for this analysis: 1 when the jobs are estimated to take less than
 * MIN_PARALLEL_MS (reverse passes cost about a forward pass over the part they traverse),
 * else `available`. Only the speed depends on this, never the numbers.
 */
export function threadsWorthUsing(available: number, forwardMs: number, jobs: readonly AnalysisJob[], cost: (job: AnalysisJob) => number, nodes: number): number {
  const forwardEquivalents = jobs.reduce((t, j) => t + cost(j), 0) / Math.max(1, nodes);
  return forwardMs * forwardEquivalents < MIN_PARALLEL_MS ? 1 : available;
}
