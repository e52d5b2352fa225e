/**
 * Turns an analysis's measurements (the jobs' results, the per-sample norms of the tensors
 * they involve, the nonlinearities' measures) into the AnalysisReport (report/schema.ts). A
 * pure function of its inputs: the tensors, threads and clocks stay in analyze.ts.
 */
import type {
  AnalysisReport,
  BlockReport,
  BoundaryReport,
  ChainCheck,
  Estimate,
  NonlinearityReport,
  PartialReport,
  ReferenceReport,
  ReportWarning,
  ResidualInfo,
  StreamUnitReport,
} from '../report/schema';
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION } from '../report/schema';
import type { Graph } from '../graph/ir';
import type { Block, StreamUnit } from '../metrics/blocks';
import type { CollapseMeasures, NonlinearitySite } from '../metrics/collapse';
import { quadraticMean, type JacobianSquares } from '../metrics/jacobian';
import { chainChecks, explosionGrowth, gscFromSquares, identityGsc, type GscResult } from '../metrics/gsc';
import { dilutionRelation } from '../metrics/dilution';
import { exactEstimate } from '../metrics/stats';
import { formatNumber } from '../report/format';
import { withGscBlock, type JobResult } from './parallel/jobs';
import { jobKey, lineariseResult, residualParts, residualPartsOf, squaresResult, type PartSquares } from './parallel/plan';
import { unmeasuredReason } from './streamUnits';
import packageJson from '../../package.json';

/** The version the report names: the package's own (package.json), in out/ and in the bundles alike. */
export const TOOL_VERSION: string = packageJson.version;

/** Per-sample norms and per-sample size of one tensor of the forward pass. */
export interface TensorStats {
  readonly norms: readonly number[];
  readonly dim: number;
  /** Elements with the same value in every sample of the batch (they do not depend on the input here). */
  readonly constantSlots?: number;
}

/** One nonlinearity measured (measureCollapse) in a block. */
export interface MeasuredNonlinearity {
  readonly site: NonlinearitySite;
  readonly block: number;
  readonly measures: CollapseMeasures;
}

/** The report's parts that analyze.ts states as they are (the model, the run, the input). */
export type ReportHeader = Pick<
  AnalysisReport,
  'createdAt' | 'model' | 'settings' | 'thresholds' | 'backend' | 'timings' | 'memory' | 'reference' | 'input' | 'warnings'
>;

export interface ReportInputs {
  readonly header: ReportHeader;
  /** The analysed graph (node names, op types and source names of the blocks). */
  readonly graph: Graph;
  readonly blocks: readonly Block[];
  /** boundaries[0] is the input, boundaries[B] the reference output. */
  readonly boundaries: readonly string[];
  /** The boundaries' and the residual blocks' tensors (input, merge, branch, skip). */
  readonly tensors: ReadonlyMap<string, TensorStats>;
  /** Every job's result by key (parallel/pool.ts). */
  readonly results: ReadonlyMap<string, JobResult>;
  readonly nonlinearities: readonly MeasuredNonlinearity[];
}

export function assembleReport(inputs: ReportInputs): AnalysisReport {
  const { header, graph, blocks, boundaries } = inputs;
  const stats = (tensor: string): TensorStats => tensorStatsOf(inputs, tensor);
  const n = stats(boundaries[0]).norms.length;
  const norms = boundaries.map((b) => stats(b).norms);
  const dims = boundaries.map((b) => stats(b).dim);

  // GSC from every boundary to the reference output.
  const toOutput = squaresResult(inputs.results, { kind: 'gsc-to-output' });
  const gscOut = gscToOutput(inputs);

  const matrix = blockMatrix(inputs, toOutput, norms, dims);
  const gscBlock = matrix.gscBlock;

  const blockReports: BlockReport[] = blocks.map((blk) => {
    const residual = blk.residual ? residualInfo(blk, stats, residualParts(inputs.results, blk)) : null;
    const lin = lineariseResult(inputs.results, blk.index);
    const nodes = blk.nodeIndices.map((i) => graph.nodes[i]);
    return {
      index: blk.index,
      name: blk.name,
      kind: blk.residual ? 'residual' : 'plain',
      inputTensor: blk.inputTensor,
      outputTensor: blk.outputTensor,
      dIn: dims[blk.index - 1],
      dOut: dims[blk.index],
      nodes: nodes.map((x) => x.name),
      opTypes: nodes.map((x) => x.op),
      sourceNames: [...new Set(nodes.map((x) => x.origin.name))],
      outputQ: quadraticMean(norms[blk.index]),
      gscToOutput: gscOut[blk.index].batch,
      gscToOutputPerSample: gscOut[blk.index].perSample,
      gscBlock: gscBlock[blk.index - 1],
      growthRatio: gscOut[blk.index - 1].batch.value / gscOut[blk.index].batch.value,
      residual,
      linearisation: withGscBlock(lin.info, gscBlock[blk.index - 1].value),
      ...(blk.bypassed === true ? { bypassed: true } : {}),
      ...(blk.streamUnits !== undefined ? { streamUnits: blk.streamUnits.map((u, i) => streamUnitReport(inputs, blk.index, i, u, stats)) } : {}),
    };
  });

  const nonlinearities: NonlinearityReport[] = inputs.nonlinearities.map(({ site, block, measures: m }, q) => {
    const node = graph.nodes[site.nodeIndex];
    return {
      index: q + 1,
      op: site.op,
      node: node.name,
      sourceName: node.origin.name,
      block,
      inputTensor: site.input,
      outputTensor: site.output,
      dim: m.dim,
      signDiversity: m.signDiversity,
      relativeSpread: m.relativeSpread,
      k: m.k,
      meanSlope: m.meanSlope,
      qSz: m.qSz,
      qRho: m.qRho,
      qPreactivation: m.qPreactivation,
      pseudoLinear: m.k === null || m.k > header.thresholds.pseudoLinearK,
      collapsed: m.relativeSpread < header.thresholds.collapsedSpread,
    };
  });

  const boundaryReports = boundaryReportsOf(inputs, gscOut);
  const gscValues = gscOut.map((g) => g.batch.value);
  const deadReference = deadReferenceWarning(header.reference, norms[norms.length - 1]);
  const reverseWarning = deadReference ? null : reversePassNonFinite(header.warnings, gscValues, blockReports);
  const chain = explainChain(
    chainChecks(
      gscValues,
      gscBlock.map((g) => g.value),
    ),
    boundaries.map((b) => stats(b)),
  );
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_SCHEMA_VERSION,
    tool: { name: 'gradient-lens', version: TOOL_VERSION },
    createdAt: header.createdAt,
    model: header.model,
    settings: header.settings,
    thresholds: header.thresholds,
    backend: header.backend,
    timings: header.timings,
    ...(header.memory && { memory: header.memory }),
    reference: header.reference,
    input: header.input,
    boundaries: boundaryReports,
    blocks: blockReports,
    blockMatrix: header.settings.blockMatrix ? { gsc: matrix.gsc, stderr: matrix.stderr, ci99: matrix.ci99, method: matrix.method } : null,
    growth: explosionGrowth(gscValues),
    chain,
    nonlinearities,
    warnings: [
      ...header.warnings,
      ...(deadReference ? [deadReference] : []),
      ...(reverseWarning ? [reverseWarning] : []),
      ...zeroBranchWarnings(blockReports),
      ...chainWarnings(chain, blockReports),
      // Run sample by sample, the batch never went through the graph at once: the fixed-batch
      // warning says so, and this note's assumption ("in one batch") would be false.
      ...(header.model.sampleBySample === true ? [] : declaredBatchNote(graph, boundaries[0], n)),
      ...bypassedBlocksNote(blockReports),
    ],
  };
}

/** What assemblePartial needs: the GSC-to-output job's result and the boundaries' norms. */
export type PartialInputs = Pick<ReportInputs, 'graph' | 'blocks' | 'boundaries' | 'tensors' | 'results'> & {
  readonly header: Pick<PartialReport, 'model' | 'settings' | 'thresholds' | 'reference'>;
};

/**
 * The GSC to the output alone, as soon as its job is done (analyze.ts sends it while the block
 * matrix runs). The same functions as assembleReport's, so its numbers equal the final report's.
 */
export function assemblePartial(inputs: PartialInputs): PartialReport {
  const gscOut = gscToOutput(inputs);
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_SCHEMA_VERSION,
    partial: true,
    done: ['gsc-to-output'],
    model: inputs.header.model,
    settings: inputs.header.settings,
    thresholds: inputs.header.thresholds,
    reference: inputs.header.reference,
    boundaries: boundaryReportsOf(inputs, gscOut),
    blocks: inputs.blocks.map((blk) => ({
      index: blk.index,
      name: blk.name,
      kind: blk.residual ? 'residual' : 'plain',
      gscToOutput: gscOut[blk.index].batch,
    })),
    growth: explosionGrowth(gscOut.map((g) => g.batch.value)),
  };
}

function tensorStatsOf(inputs: Pick<ReportInputs, 'tensors'>, tensor: string): TensorStats {
  const s = inputs.tensors.get(tensor);
  if (s === undefined) throw new Error(`internal: no norms of ${tensor}`);
  return s;
}

/** GSC from every boundary to the reference output (the last boundary's is 1, the identity). */
function gscToOutput(inputs: Pick<ReportInputs, 'boundaries' | 'tensors' | 'results'>): GscResult[] {
  const { boundaries } = inputs;
  const B = boundaries.length - 1;
  const stats = boundaries.map((b) => tensorStatsOf(inputs, b));
  const toOutput = squaresResult(inputs.results, { kind: 'gsc-to-output' });
  return boundaries.map((_, k) =>
    k === B
      ? identityGsc(stats[0].norms.length)
      : gscFromSquares(toOutput.squares.get(boundaries[k])!, stats[k].dim, stats[k].norms, stats[B].norms, toOutput.method),
  );
}

function boundaryReportsOf(inputs: Pick<ReportInputs, 'boundaries' | 'tensors'>, gscOut: readonly GscResult[]): BoundaryReport[] {
  return inputs.boundaries.map((tensor, k) => {
    const s = tensorStatsOf(inputs, tensor);
    return {
      index: k,
      tensor,
      dim: s.dim,
      q: quadraticMean(s.norms),
      gscToOutput: gscOut[k].batch,
      gscToOutputPerSample: gscOut[k].perSample,
      qmJacobian: gscOut[k].qmJacobian,
    };
  });
}

/**
 * A reference layer that is exactly zero on every sample (every ReLU on the way to it off, or an
 * output that does not depend on the input) makes every GSC to it 0 / 0: not a number, and not
 * a fault of the reverse pass, which is what the non-finite warning would otherwise say.
 */
function deadReferenceWarning(reference: ReferenceReport, referenceNorms: readonly number[]): ReportWarning | null {
  if (referenceNorms.length === 0 || referenceNorms.some((v) => v !== 0)) return null;
  const what = reference.kind === 'error' ? 'the error layer (the loss)' : `the reference layer ${reference.tensor}`;
  return {
    code: 'input',
    message:
      `${what} is exactly 0 for every sample of the batch, so every GSC to it is 0/0 (not a number): ` +
      `the gradients to it are all zero (e.g. every ReLU on the way to it is off, or it does not depend on the input)`,
    where: reference.tensor,
  };
}

/**
 * NaN or Inf that the forward pass did not have (its check warns on its own) but a reverse pass
 * made, e.g. Sqrt's derivative at an exact zero times 0: the GSC to the output turns non-finite
 * from some boundary down. The reverse pass runs from the output, so the highest such boundary
 * k names where it first appeared: in block k + 1.
 */
function reversePassNonFinite(warnings: readonly ReportWarning[], gscToOutput: readonly number[], blocks: readonly BlockReport[]): ReportWarning | null {
  if (warnings.some((w) => w.code === 'non-finite')) return null;
  let k = gscToOutput.length - 2; // the output boundary's own GSC is 1 by definition
  while (k >= 0 && Number.isFinite(gscToOutput[k])) k--;
  if (k < 0) return null;
  const block = blocks[k];
  return {
    code: 'non-finite',
    message:
      `the reverse pass produced NaN or Inf in block ${block.index} (${block.name}): its input's GSC to the output is not a finite number, ` +
      `and neither is any gradient number measured below it`,
    where: block.inputTensor,
  };
}

/**
 * The block matrix GSC(k -> l) (row l: one job per target boundary, the last row being the
 * GSC to the output), and GSC(l-1 -> l) of each block, which it holds on its diagonal.
 */
function blockMatrix(
  inputs: ReportInputs,
  toOutput: { readonly squares: JacobianSquares; readonly method: string },
  norms: readonly (readonly number[])[],
  dims: readonly number[],
): {
  gsc: (number | null)[][];
  stderr: (number | null)[][];
  ci99: (readonly [number, number] | null)[][];
  method: (string | null)[][];
  gscBlock: Estimate[];
} {
  const { boundaries } = inputs;
  const B = inputs.blocks.length;
  const size = B + 1;
  const grid = <T>(): (T | null)[][] => Array.from({ length: size }, () => new Array<T | null>(size).fill(null));
  const gsc = grid<number>();
  const stderr = grid<number>();
  const method = grid<string>();
  const ci99 = grid<readonly [number, number]>();
  const gscBlock: Estimate[] = [];
  for (let l = 1; l <= B; l++) {
    const row = l === B ? toOutput : squaresResult(inputs.results, { kind: 'block-matrix', row: l });
    for (const [name, squares] of row.squares) {
      const k = boundaries.indexOf(name);
      const g = gscFromSquares(squares, dims[k], norms[k], norms[l], row.method).batch;
      gsc[k][l] = g.value;
      stderr[k][l] = g.stderr;
      method[k][l] = row.method;
      ci99[k][l] = g.ci99;
      if (k === l - 1) gscBlock[l - 1] = g;
    }
  }
  return { gsc, stderr, ci99, method, gscBlock };
}

/** A chain ratio outside [1/2, 2] with input-independent slots at its boundary is worth a warning. */
const CHAIN_RATIO_WARN = 2;

/**
 * Chain check k composes through boundary k. Slots of boundary k that are the same for every
 * sample (a class token, units dead on the whole batch) take no gradient from the block's input,
 * yet the output's gradient reaches them and counts in GSC(k → out) (with their share of the
 * width and norm): the product then differs from the direct value for a reason of structure.
 */
function explainChain(chain: readonly ChainCheck[], boundaryStats: readonly TensorStats[]): ChainCheck[] {
  const B = boundaryStats.length - 1;
  return chain.map((c) => {
    const s = boundaryStats[c.k];
    const constant = s.constantSlots ?? 0;
    if (c.k >= B || constant === 0) return c;
    const note =
      `${constant} of the ${s.dim} values of boundary ${c.k} are the same for every sample (they do not depend on the input: ` +
      `a class token, units dead on the whole batch); the output's gradient reaches them and counts in GSC(${c.k} → out), ` +
      `but no gradient passes from them to block ${c.k}'s input, so the product need not equal the direct value`;
    return { ...c, note };
  });
}

function chainWarnings(chain: readonly ChainCheck[], blocks: readonly BlockReport[]): ReportWarning[] {
  return chain
    .filter((c) => c.note !== undefined && Number.isFinite(c.ratio) && (c.ratio > CHAIN_RATIO_WARN || c.ratio < 1 / CHAIN_RATIO_WARN))
    .map((c) => ({
      code: 'other',
      message: `chain check of block ${c.k} (${blocks[c.k - 1].name}): product / direct = ${formatNumber(c.ratio)}: ${c.note}`,
      where: blocks[c.k - 1].outputTensor,
    }));
}

/**
 * A stream unit as the report lists it (metrics/blocks.ts, streamUnitsOf), with its GSC and its
 * residual parts' GSCs measured as a block's (the jobs of plan.ts), or why it was not measured.
 */
function streamUnitReport(inputs: ReportInputs, block: number, unit: number, u: StreamUnit, stats: (tensor: string) => TensorStats): StreamUnitReport {
  const { graph, results } = inputs;
  const nodes = u.nodeIndices.map((i) => graph.nodes[i]);
  const structure = {
    name: u.name,
    kind: u.residual === null ? ('plain' as const) : ('residual' as const),
    inputTensor: u.inputTensor,
    outputTensor: u.outputTensor,
    nodes: nodes.map((x) => x.name),
    opTypes: nodes.map((x) => x.op),
  };
  const reason = unmeasuredReason(graph, u);
  const own = results.get(jobKey({ kind: 'stream-unit', block, unit }));
  if (reason !== undefined || own?.kind !== 'squares') {
    return { ...structure, residual: u.residual, ...(reason !== undefined && { unmeasured: reason }) };
  }
  const input = stats(u.inputTensor);
  const gscTo = (target: string, m: PartSquares | null): Estimate =>
    m === null ? exactEstimate(1, 'identity') : gscFromSquares(m.measurements, input.dim, input.norms, stats(target).norms, m.method).batch;
  const gscUnit = gscTo(u.outputTensor, { measurements: own.squares.get(u.inputTensor)!, method: own.method });
  if (u.residual === null) return { ...structure, residual: null, gscUnit };
  const r = u.residual;
  const parts = residualPartsOf(results, block, unit, u.inputTensor, r);
  // An exactly zero branch has a GSC of 0/0: left out, as the block's branchZero says.
  const branchZero = quadraticMean(stats(r.branchTensor).norms) === 0;
  return {
    ...structure,
    residual: {
      ...r,
      gscMerge: gscTo(r.mergeTensor, parts.merge),
      ...(!branchZero && { gscBranch: gscTo(r.branchTensor, parts.branch) }),
      gscSkip: gscTo(r.skipTensor, parts.skip),
    },
    gscUnit,
  };
}

/** One note per run of consecutive blocks cut along a main path (metrics/blocks.ts, REFINE_WEIGHTED_OPS). */
function bypassedBlocksNote(blocks: readonly BlockReport[]): ReportWarning[] {
  const runs: [number, number][] = [];
  for (const b of blocks) {
    if (b.bypassed !== true) continue;
    const last = runs[runs.length - 1];
    if (last !== undefined && last[1] === b.index - 1) last[1] = b.index;
    else runs.push([b.index, b.index]);
  }
  return runs.map(([first, last]) => {
    const units = blocks.slice(first - 1, last).flatMap((b) => b.streamUnits ?? []);
    const residual = units.filter((u) => u.kind === 'residual').length;
    const measured = units.filter((u) => u.gscUnit !== undefined).length;
    const unmeasured = units.length - measured;
    const streams =
      units.length === 0
        ? ''
        : `; the streams off that path are listed per block as ${units.length} stream units (${residual} residual), ` +
          `${measured} of them measured each as a block from its input to its output (GSC, and a residual unit's branch and skip GSCs), ` +
          `with the other tensors it reads held at their forward values` +
          (unmeasured > 0 ? `; ${unmeasured} not measured, as their input also reaches their output around them` : '');
    return {
      code: 'other',
      message:
        `${first === last ? `block ${first}` : `blocks ${first}–${last}`} cut finer a region that no single tensor separates from the output ` +
        `(parallel streams, U-Net or FPN connections): their boundaries follow the region's main path and data also flows around them, ` +
        `so a block's GSC is the derivative along that path, and GSC to the output of a boundary counts only what passes through it` +
        streams,
      where: blocks[first - 1].inputTensor,
    };
  });
}

/** A model that declares a fixed batch size (often 1) analysed with another one. */
function declaredBatchNote(graph: Graph, inputName: string, n: number): ReportWarning[] {
  const declared = graph.inputs.find((i) => i.name === inputName)?.shape?.[0];
  if (typeof declared !== 'number' || declared === n) return [];
  return [
    {
      code: 'input',
      message:
        `the model declares a batch size of ${declared} for "${inputName}"; it was analysed with ${n} samples in one batch, ` +
        `which assumes that its ops treat samples independently (inference-mode norms, no reshape that folds the batch)`,
      where: inputName,
    },
  ];
}

const ZERO_BRANCH_NOTE = 'n/a: the residual branch is exactly zero on this batch';

/** One warning per residual block whose branch is exactly zero: its k_skip is ∞ and its branch GSC 0/0. */
function zeroBranchWarnings(blocks: readonly BlockReport[]): ReportWarning[] {
  return blocks
    .filter((b) => b.residual?.branchZero === true)
    .map((b) => ({
      code: 'relation-na',
      message:
        `the residual branch of block ${b.index} (${b.name}) is exactly zero on this batch (e.g. a zero-initialised last norm): ` +
        `k_skip is ∞, the GSC of the branch is 0/0 (not a number) and the k² + 1 relation does not apply; the block computes its skip alone`,
      where: b.residual!.branchTensor,
    }));
}

/** A residual block's skip/branch/merge scales, GSCs and dilution relation (docs/metrics.md). */
function residualInfo(blk: Block, stats: (tensor: string) => TensorStats, parts: Record<'merge' | 'branch' | 'skip', PartSquares | null>): ResidualInfo {
  const r = blk.residual!;
  const input = stats(blk.inputTensor);
  const gscTo = (target: string, purpose: 'merge' | 'branch' | 'skip'): Estimate => {
    const m = parts[purpose];
    if (m === null) return exactEstimate(1, 'identity');
    return gscFromSquares(m.measurements, input.dim, input.norms, stats(target).norms, m.method).batch;
  };
  const qSkip = quadraticMean(stats(r.skipTensor).norms);
  const qBranch = quadraticMean(stats(r.branchTensor).norms);
  const qMerge = quadraticMean(stats(r.mergeTensor).norms);
  // A branch that is exactly zero (timm zero-initialises a block's last norm) makes k_skip
  // infinite and the branch's GSC 0/0: said in the report, not left as a bare null.
  const branchZero = qBranch === 0;
  const kSkip = qSkip / qBranch;
  const gscMerge = gscTo(r.mergeTensor, 'merge');
  const gscBranch = gscTo(r.branchTensor, 'branch');
  const gscSkip = gscTo(r.skipTensor, 'skip');
  return {
    skipKind: r.skipKind,
    mergeTensor: r.mergeTensor,
    skipTensor: r.skipTensor,
    branchTensor: r.branchTensor,
    mergeNode: r.mergeNode,
    opsAfterMerge: r.opsAfterMerge,
    qSkip,
    qBranch,
    qMerge,
    kSkip,
    ...(branchZero ? { branchZero } : {}),
    gscMerge,
    gscBranch,
    gscSkip,
    relation: branchZero ? dilutionRelation(kSkip, gscMerge.value, null, ZERO_BRANCH_NOTE) : dilutionRelation(kSkip, gscMerge.value, gscBranch.value),
  };
}
