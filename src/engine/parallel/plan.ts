/**
 * The list of jobs of one analysis (every reverse pass the report needs), with the same random
 * stream purposes analyze.ts always used, so the numbers do not depend on how they are run.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Block, StreamResidual } from '../../metrics/blocks';
import type { Graph } from '../../graph/ir';
import type { BackendName } from '../../runtime/backend';
import { jobTarget, type AnalysisJob, type JobPhase, type JobResult, type ResidualPart, type SquaresJob } from './jobs';
import type { FeedData } from './protocol';

export interface PlanArgs {
  readonly blocks: readonly Block[];
  readonly boundaries: readonly string[];
  readonly probes: number;
  readonly blockMatrix: boolean;
  /** k_lin's adaptive precision (settings.kPrecision, kTimeBudgetMs); absent: no refinement. */
  readonly kPrecision?: { readonly target: number; readonly timeBudgetMs: number };
  readonly useExact: (tensor: string) => boolean;
  /** Per-sample shape of a tensor of the forward pass (a residual merge that broadcasts is measured part by part). */
  readonly shapeOf: (tensor: string) => readonly number[];
  /**
   * The stream units of a block to measure (indices into its streamUnits): those whose input
   * reaches their output only through their own ops (engine/streamUnits.ts). Absent: none.
   */
  readonly measuredUnits?: (blk: Block) => readonly number[];
}

/**
 * A job's unique id, which is also the purpose its random stream is derived from (jobs.ts):
 * these exact strings keep every report's numbers what they were.
 */
export function jobKey(phase: JobPhase): string {
  switch (phase.kind) {
    case 'gsc-to-output':
      return 'gsc-to-output';
    case 'block-matrix':
      return `block-matrix-${phase.row}`;
    case 'residual-parts':
      return `residual-${phase.block}${unitSuffix(phase.unit)}`;
    case 'residual-part':
      return `${phase.part}-${phase.block}${unitSuffix(phase.unit)}`;
    case 'stream-unit':
      return `stream-unit-${phase.block}${unitSuffix(phase.unit)}`;
    case 'linearise':
      return `linearise-${phase.block}`;
  }
}

/** A stream unit's jobs' keys end in its place in the block (absent for the block's own). */
function unitSuffix(unit: number | undefined): string {
  return unit === undefined ? '' : `.${unit + 1}`;
}

/** A job in words, for progress lines: "GSC to the output", "block matrix row 3", "block 2 residual parts". */
export function jobPurposeText(phase: JobPhase): string {
  switch (phase.kind) {
    case 'gsc-to-output':
      return 'GSC to the output';
    case 'block-matrix':
      return `block matrix row ${phase.row}`;
    case 'residual-parts':
      return `${ownerText(phase.block, phase.unit)} residual parts`;
    case 'residual-part':
      return `${ownerText(phase.block, phase.unit)} ${phase.part === 'branch' ? 'residual branch' : phase.part}`;
    case 'stream-unit':
      return `${ownerText(phase.block, phase.unit)} GSC`;
    case 'linearise':
      return `block ${phase.block} linearisation`;
  }
}

function ownerText(block: number, unit: number | undefined): string {
  return unit === undefined ? `block ${block}` : `block ${block} stream unit ${unit + 1}`;
}

/** The report phases whose time and progress the jobs make up (timings: gscToOutputMs, blockMatrixMs, blocksMs). */
export type JobReportPhase = 'gsc-to-output' | 'block-matrix' | 'blocks';

export function reportPhaseOf(phase: JobPhase): JobReportPhase {
  return phase.kind === 'gsc-to-output' || phase.kind === 'block-matrix' ? phase.kind : 'blocks';
}

export function analysisJobs(p: PlanArgs): AnalysisJob[] {
  const B = p.blocks.length;
  const squares = (phase: SquaresJob['phase'], target: string, wrt: readonly string[]): AnalysisJob => ({
    kind: 'squares',
    key: jobKey(phase),
    phase,
    target,
    wrt,
    exact: p.useExact(target),
    probes: p.probes,
  });
  const sameShape = (a: string, b: string): boolean => {
    const [sa, sb] = [p.shapeOf(a), p.shapeOf(b)];
    return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
  };
  const jobs: AnalysisJob[] = [squares({ kind: 'gsc-to-output' }, p.boundaries[B], p.boundaries.slice(0, B))];
  for (let l = 1; l < B; l++) {
    jobs.push(squares({ kind: 'block-matrix', row: l }, p.boundaries[l], p.blockMatrix ? p.boundaries.slice(0, l) : [p.boundaries[l - 1]]));
  }
  // A residual's merge, branch and skip w.r.t. `input` (a block's or a stream unit's).
  const residualJobs = (block: number, unit: number | undefined, input: string, r: StreamResidual): void => {
    if (sameShape(r.branchTensor, r.mergeTensor) && sameShape(r.skipTensor, r.mergeTensor) && r.branchTensor !== input) {
      // merge = skip + branch: one set of probes on the merge serves all three (measureResidualSquares).
      // A broadcasting merge, or x + x (the branch is the input), keeps the separate jobs below.
      const phase = { kind: 'residual-parts', block, ...(unit !== undefined && { unit }) } as const;
      jobs.push({
        kind: 'residual',
        key: jobKey(phase),
        phase,
        tensors: { input, merge: r.mergeTensor, branch: r.branchTensor, skip: r.skipTensor },
        exact: p.useExact(r.mergeTensor),
        probes: p.probes,
      });
      return;
    }
    const targets: [ResidualPart, string][] = [
      ['merge', r.mergeTensor],
      ['branch', r.branchTensor],
      ['skip', r.skipTensor],
    ];
    for (const [part, target] of targets) {
      if (target !== input) jobs.push(squares({ kind: 'residual-part', block, part, ...(unit !== undefined && { unit }) }, target, [input]));
    }
  };
  for (const blk of p.blocks) {
    if (blk.residual) residualJobs(blk.index, undefined, blk.inputTensor, blk.residual);
    // A stream unit is measured as a block: GSC(input -> output), and its residual parts.
    for (const unit of p.measuredUnits?.(blk) ?? []) {
      const u = blk.streamUnits![unit];
      jobs.push(squares({ kind: 'stream-unit', block: blk.index, unit }, u.outputTensor, [u.inputTensor]));
      if (u.residual) residualJobs(blk.index, unit, u.inputTensor, u.residual);
    }
    jobs.push({
      kind: 'linearise',
      key: jobKey({ kind: 'linearise', block: blk.index }),
      phase: { kind: 'linearise', block: blk.index },
      input: blk.inputTensor,
      output: blk.outputTensor,
      exact: p.useExact(blk.outputTensor),
      probes: p.probes,
      affine: blk.affine,
      ...(p.kPrecision && { kPrecision: p.kPrecision }),
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
export function residualParts(results: ReadonlyMap<string, JobResult>, blk: Block): Record<ResidualPart, PartSquares | null> {
  if (!blk.residual) throw new Error(`internal: block ${blk.index} is not residual`);
  return residualPartsOf(results, blk.index, undefined, blk.inputTensor, blk.residual);
}

/** residualParts of a block (unit undefined) or of its stream unit `unit`, whose input is `input`. */
export function residualPartsOf(
  results: ReadonlyMap<string, JobResult>,
  block: number,
  unit: number | undefined,
  input: string,
  r: StreamResidual,
): Record<ResidualPart, PartSquares | null> {
  const owner = unit === undefined ? {} : { unit };
  const shared = results.get(jobKey({ kind: 'residual-parts', block, ...owner }));
  if (shared?.kind === 'residual') {
    const { squares, method } = shared;
    return {
      merge: { measurements: squares.merge, method },
      branch: { measurements: squares.branch, method },
      skip: squares.skip === null ? null : { measurements: squares.skip, method },
    };
  }
  const separate = (part: ResidualPart, target: string): PartSquares | null => {
    if (target === input) return null;
    const m = squaresResult(results, { kind: 'residual-part', block, part, ...owner });
    return { measurements: m.squares.get(input)!, method: m.method };
  };
  return { merge: separate('merge', r.mergeTensor), branch: separate('branch', r.branchTensor), skip: separate('skip', r.skipTensor) };
}

/** The result of a squares job (GSC to the output, a block matrix row, a residual part). */
export function squaresResult(results: ReadonlyMap<string, JobResult>, phase: SquaresJob['phase']): Extract<JobResult, { kind: 'squares' }> {
  const r = results.get(jobKey(phase));
  if (r?.kind !== 'squares') throw new Error(`internal: no measurement for ${jobPurposeText(phase)}`);
  return r;
}

/** The linearisation job's result of a block. */
export function lineariseResult(results: ReadonlyMap<string, JobResult>, block: number): Extract<JobResult, { kind: 'linearise' }> {
  const r = results.get(jobKey({ kind: 'linearise', block }));
  if (r?.kind !== 'linearise') throw new Error(`internal: no linearisation of block ${block}`);
  return r;
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

/**
 * The job threads fixed before the analysis looks at the model, or undefined (decided by
 * threadsWorthUsing). tfjs-node computes on every core already: one. ONNX Runtime does too,
 * through its intra-op threads, and a second job thread holds a second forward pass, wasm heap
 * and set of sessions (ResNet-18-sized, batch 16: peak RSS 1.64 GB with two, 1.0 GB with one,
 * and no faster on 2 cores; bench/results-2026-12-07.txt): one unless the caller asks.
 */
export function fixedThreads(backend: BackendName, requested: number | undefined, fromEnv: number | undefined): number | undefined {
  if (backend === 'node') return 1;
  return requested ?? fromEnv ?? (backend === 'ort' ? 1 : undefined);
}

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
export function threadsWorthUsing(
  available: number,
  forwardMs: number,
  jobs: readonly AnalysisJob[],
  cost: (job: AnalysisJob) => number,
  nodes: number,
): number {
  const forwardEquivalents = jobs.reduce((t, j) => t + cost(j), 0) / Math.max(1, nodes);
  return forwardMs * forwardEquivalents < MIN_PARALLEL_MS ? 1 : available;
}
