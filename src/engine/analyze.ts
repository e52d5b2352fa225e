/**
 * The analysis: load a model, run one seeded batch through it, and measure per block the
 * GSC, the k-dilution and the collapsing-domain measures (metrics.md). Drives the loaders,
 * the executor and the metrics; the CLI, the extension's worker and the tests all call it.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import type {
  AnalysisReport,
  AnalysisSettings,
  BlockReport,
  BoundaryReport,
  Estimate,
  NonlinearityReport,
  ReportWarning,
  ResidualInfo,
  Thresholds,
} from '../report/schema';
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION } from '../report/schema';
import type { Graph } from '../graph/ir';
import { toChannelsLast } from '../passes/layout';
import { loadModel, type LoadedModel } from '../loaders';
import { Executor } from '../runtime/executor';
import { initBackend, type BackendInfo } from '../runtime/backend';
import { prepareData } from './prepare';
import { decideBatch, defaultMemoryLimitBytes } from './resources';
import { CancelledError, ResourceError, DEFAULT_SETTINGS, DEFAULT_THRESHOLDS, type AnalyzeHooks, type AnalyzeRequest, type AnalysisPhase } from './api';
import { hideSyntheticNodes, partitionBlocks, type Block } from '../metrics/blocks';
import { perSampleNorms, quadraticMean, type JacobianSquares } from '../metrics/jacobian';
import { defaultThreads, runJobs, startWorkers, threadsFromEnv } from './parallel/pool';
import { analysisJobs, blockMatrixKey, EARLY_WORKERS_FORWARD_MS, feedData, GSC_TO_OUTPUT, jobCost, jobPurposeText, lineariseKey, residualParts, threadsWorthUsing, type PartSquares } from './parallel/plan';
import { jobPasses, withGscBlock, type AnalysisJob, type JobResult } from './parallel/jobs';
import { chainChecks, explosionGrowth, gscFromSquares, identityGsc, type GscResult } from '../metrics/gsc';
import { dilutionRelation } from '../metrics/dilution';
import { findNonlinearities, measureCollapse } from '../metrics/collapse';
import { exactEstimate } from '../metrics/stats';
import { findFirstNonFinite } from '../runtime/finite';

export const TOOL_VERSION = '0.1.0';

export async function analyzeModel(request: AnalyzeRequest, hooks: AnalyzeHooks = {}): Promise<AnalysisReport> {
  const started = Date.now();
  const backend = await startBackend(request, hooks);
  emit(hooks, 'loading', `loading ${path.basename(request.modelPath)}`, 0.02);
  const loaded = await loadModel(request.modelPath);
  return analyzeLoadedModel(loaded, request, hooks, { started, backend, loadMs: Date.now() - started });
}

/** Analyses a graph that is already loaded (tests build graphs directly). */
export async function analyzeGraph(model: LoadedModel, request: AnalyzeRequest, hooks: AnalyzeHooks = {}): Promise<AnalysisReport> {
  const started = Date.now();
  const backend = await startBackend(request, hooks);
  return analyzeLoadedModel(model, request, hooks, { started, backend, loadMs: 0 });
}

function emit(hooks: AnalyzeHooks, phase: AnalysisPhase, message: string, fraction?: number): void {
  if (hooks.signal?.aborted) throw new CancelledError();
  hooks.onProgress?.({ phase, message, fraction });
}

async function startBackend(request: AnalyzeRequest, hooks: AnalyzeHooks): Promise<BackendInfo> {
  const choice = request.settings?.backend ?? DEFAULT_SETTINGS.backend;
  emit(hooks, 'backend', `starting the ${choice} compute backend`, 0);
  return initBackend(choice);
}

interface RunContext {
  readonly started: number;
  readonly backend: BackendInfo;
  readonly loadMs: number;
}

async function analyzeLoadedModel(loaded: LoadedModel, request: AnalyzeRequest, hooks: AnalyzeHooks, run: RunContext): Promise<AnalysisReport> {
  const settings: AnalysisSettings = { ...DEFAULT_SETTINGS, ...request.settings };
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...request.thresholds };
  const { started, backend, loadMs } = run;
  const checkpoint = (): void => {
    if (hooks.signal?.aborted) throw new CancelledError();
  };
  const progress = (phase: AnalysisPhase, message: string, fraction?: number): void => emit(hooks, phase, message, fraction);
  // The batch, the labels and the reference layer (the error layer appends loss nodes).
  const data = prepareData(loaded.graph, request, settings);
  // Convolutional regions compute channels-last (no per-Conv layout transposes in every pass).
  const graph = toChannelsLast(data.graph);

  const warnings: ReportWarning[] = backend.notes.map((message) => ({ code: 'backend-fallback', message }));
  const limitBytes = settings.memoryLimitMb > 0 ? settings.memoryLimitMb * 1024 ** 2 : defaultMemoryLimitBytes(backend.name);
  // One float32 tensor may not take the whole limit: refuse such a node before it allocates.
  const exec = new Executor(graph, Math.min(2 ** 31 - 1, Math.floor(limitBytes / 4)));
  try {
    return await runAnalysis();
  } finally {
    exec.dispose();
  }

  /**
   * The memory guard: the largest batch that fits the limit (see resources.ts), and how long
   * the one-sample forward pass took.
   */
  function planBatch(): { batch: number; singleForwardMs: number } {
    const probe = data.single();
    let perSampleBytes = 0;
    const t0 = Date.now();
    let singleForwardMs = 0;
    try {
      const acts = exec.forward(probe.feeds, checkpoint);
      singleForwardMs = Date.now() - t0;
      for (const [name, t] of acts) if (!graph.constants.has(name)) perSampleBytes += t.size * 4;
      exec.disposeActivations(acts, probe.feeds);
    } finally {
      probe.dispose();
    }
    let constantBytes = 0;
    for (const c of graph.constants.values()) constantBytes += c.data.byteLength;
    const decision = decideBatch(perSampleBytes, constantBytes, data.requestedBatch, limitBytes);
    if (decision.kind === 'refused') throw new ResourceError(decision.message);
    if (decision.kind === 'shrunk') warnings.push({ code: 'input', message: decision.message });
    return { batch: decision.batch, singleForwardMs };
  }

  async function runAnalysis(): Promise<AnalysisReport> {
    const { batch: maxBatch, singleForwardMs } = planBatch();
    const input = data.batch(maxBatch);
    const inputName = input.inputName;
    const referenceTensor = data.referenceTensor;
    const partition = hideSyntheticNodes(partitionBlocks(graph, inputName, referenceTensor), graph);
    const { blocks, boundaries } = partition;
    const B = blocks.length;
    const n = input.input.shape[0];
    const effective: AnalysisSettings = { ...settings, batch: n, inputSource: input.source };

    const feeds = input.feeds;
    // Threads the caller set (request, environment), else the machine offers; a model whose
    // forward pass is long enough starts its worker threads now, so they redo the forward pass
    // while this thread does its own. tfjs-node already computes on every core.
    const asked = backend.name === 'node' ? 1 : (request.threads ?? threadsFromEnv());
    const offered = asked ?? defaultThreads();
    const early =
      offered > 1 && (asked !== undefined || singleForwardMs * n >= EARLY_WORKERS_FORWARD_MS)
        ? startWorkers({ graph, backend: backend.name, feeds: () => feedData(feeds) }, offered - 1, settings.seed)
        : undefined;

    progress('forward', `forward pass (batch ${n})`, 0.05);
    const tForward = Date.now();
    let acts: Map<string, tf.Tensor>;
    try {
      acts = exec.forward(feeds, checkpoint);
    } catch (e) {
      input.dispose(); // cancelled or failed: the batch is freed here, the activations by forward()
      await early?.terminate();
      throw e;
    }
    const forwardMs = Date.now() - tForward;
    try {
      const nonFinite = findFirstNonFinite(graph, acts, inputName);
      if (nonFinite) warnings.push({ code: 'non-finite', message: nonFinite.message, where: nonFinite.tensor });
      warnings.push(...data.referenceWarnings(acts.get(referenceTensor)!));

      const norms = boundaries.map((b) => perSampleNorms(acts.get(b)!));
      const dims = boundaries.map((b) => acts.get(b)!.size / n);
      // Auto: exact for narrow targets, and whenever d one-hot passes cost no more than the probes.
      const useExact = (d: number): boolean =>
        settings.exact === 'on' || (settings.exact === 'auto' && (d <= settings.exactMaxDim || d <= settings.probes));

      // Every reverse pass of the report, as independent seeded jobs on one or more threads
      // (src/engine/parallel: the numbers are the same for any thread count).
      const passesOf = (job: AnalysisJob): number => jobPasses(job, (t) => acts.get(t)!.size / n);
      const jobList = analysisJobs({
        blocks,
        boundaries,
        probes: settings.probes,
        blockMatrix: settings.blockMatrix,
        useExact: (t) => useExact(acts.get(t)!.size / n),
        shapeOf: (t) => acts.get(t)!.shape.slice(1),
      });
      // Progress is counted in reverse passes (the jobs' probes), the unit of work that dominates.
      const totalPasses = jobList.reduce((s, job) => s + passesOf(job), 0);
      let donePasses = 0;
      const advance = (phase: AnalysisPhase, message: string): void => {
        donePasses++;
        progress(phase, message, 0.08 + 0.9 * Math.min(1, donePasses / totalPasses));
      };

      const jobMs = new Map<string, number>();
      /** Which threads (0 = this one) ran at least one job: the report says how many worked. */
      const threadsUsed = new Set<number>();
      const passesDone = new Map<string, number>();
      const cost = jobCost(graph, passesOf);
      // Small models do not repay a thread's start.
      const threads = asked ?? threadsWorthUsing(offered, forwardMs, jobList, cost, graph.nodes.length);
      const prestarted = early !== undefined && early.workers.length === threads - 1 ? early : undefined;
      if (early !== undefined && prestarted === undefined) await early.terminate();
      const jobs: Map<string, JobResult> = await runJobs(
        exec,
        acts,
        jobList,
        { graph, backend: backend.name, feeds: () => feedData(feeds) },
        {
          threads,
          seed: settings.seed,
          checkpoint,
          cost,
          onPass: (job) => {
            const done = (passesDone.get(job.key) ?? 0) + 1;
            passesDone.set(job.key, done);
            const phase: AnalysisPhase = job.key === GSC_TO_OUTPUT ? 'gsc-to-output' : job.key.startsWith('block-matrix-') ? 'block-matrix' : 'blocks';
            advance(phase, `${jobPurposeText(job.key)}: ${job.exact ? 'pass' : 'probe'} ${done} of ${passesOf(job)}`);
          },
          onJobDone: (job, ms, thread) => {
            jobMs.set(job.key, ms);
            threadsUsed.add(thread);
          },
        },
        prestarted,
      );
      const phaseMs = (keys: (key: string) => boolean): number => Math.round([...jobMs].reduce((t, [k, ms]) => t + (keys(k) ? ms : 0), 0));
      const squaresOf = (key: string): { squares: JacobianSquares; method: string } => {
        const r = jobs.get(key);
        if (r?.kind !== 'squares') throw new Error(`internal: no measurement for ${key}`);
        return r;
      };

      // GSC from every boundary to the reference output.
      const tGsc = Date.now();
      const toOutput = squaresOf(GSC_TO_OUTPUT);
      const gscOut: GscResult[] = boundaries.map((_, k) =>
        k === B ? identityGsc(n) : gscFromSquares(toOutput.squares.get(boundaries[k])!, dims[k], norms[k], norms[B], toOutput.method),
      );
      // With several threads the phases overlap: each phase's time is its jobs' summed time.
      const gscToOutputMs = Date.now() - tGsc + phaseMs((k) => k === GSC_TO_OUTPUT);

      // Block matrix GSC(k -> l): one set of reverse passes per target boundary l.
      const tMatrix = Date.now();
      const size = B + 1;
      const matrix = Array.from({ length: size }, () => new Array<number | null>(size).fill(null));
      const matrixErr = Array.from({ length: size }, () => new Array<number | null>(size).fill(null));
      const matrixMethod = Array.from({ length: size }, () => new Array<string | null>(size).fill(null));
      const matrixCi = Array.from({ length: size }, () => new Array<readonly [number, number] | null>(size).fill(null));
      const gscBlock: Estimate[] = [];
      for (let l = 1; l <= B; l++) {
        let row: JacobianSquares;
        let method: string;
        if (l === B) {
          row = toOutput.squares;
          method = toOutput.method;
        } else {
          const r = squaresOf(blockMatrixKey(l));
          row = r.squares;
          method = r.method;
        }
        for (const [name, squares] of row) {
          const k = boundaries.indexOf(name);
          const g = gscFromSquares(squares, dims[k], norms[k], norms[l], method).batch;
          matrix[k][l] = g.value;
          matrixErr[k][l] = g.stderr;
          matrixMethod[k][l] = method;
          matrixCi[k][l] = g.ci99;
          if (k === l - 1) gscBlock[l - 1] = g;
        }
      }
      const blockMatrixMs = Date.now() - tMatrix + phaseMs((k) => k.startsWith('block-matrix-'));

      // Per block: residual structure and linearisation.
      const tBlocks = Date.now();
      const blockReports: BlockReport[] = [];
      for (const blk of blocks) {
        const residual = blk.residual ? measureResidual(blk, acts, n, residualParts(jobs, blk)) : null;
        const linJob = jobs.get(lineariseKey(blk.index));
        if (linJob?.kind !== 'linearise') throw new Error(`internal: no linearisation of block ${blk.index}`);
        const lin = withGscBlock(linJob.info, gscBlock[blk.index - 1].value);
        const nodes = blk.nodeIndices.map((i) => graph.nodes[i]);
        blockReports.push({
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
          linearisation: lin,
        });
      }
      const blocksMs = Date.now() - tBlocks + phaseMs((k) => k !== GSC_TO_OUTPUT && !k.startsWith('block-matrix-'));

      progress('nonlinearities', 'collapsing-domain measures', 0.99);
      const sites = findNonlinearities(graph, partition.flow);
      const blockOfNode = new Map<number, number>();
      blocks.forEach((blk) => blk.nodeIndices.forEach((i) => blockOfNode.set(i, blk.index)));
      const nonlinearities: NonlinearityReport[] = sites
        .filter((s) => blockOfNode.has(s.nodeIndex))
        .map((site, q) => {
          checkpoint();
          const m = measureCollapse(exec, acts, site);
          const node = graph.nodes[site.nodeIndex];
          return {
            index: q + 1,
            op: site.op,
            node: node.name,
            sourceName: node.origin.name,
            block: blockOfNode.get(site.nodeIndex)!,
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
            pseudoLinear: m.k === null || m.k > thresholds.pseudoLinearK,
            collapsed: m.relativeSpread < thresholds.collapsedSpread,
          };
        });

      const boundaryReports: BoundaryReport[] = boundaries.map((tensor, k) => ({
        index: k,
        tensor,
        dim: dims[k],
        q: quadraticMean(norms[k]),
        gscToOutput: gscOut[k].batch,
        gscToOutputPerSample: gscOut[k].perSample,
        qmJacobian: gscOut[k].qmJacobian,
      }));
      const gscValues = gscOut.map((g) => g.batch.value);
      progress('done', 'done', 1);
      return {
        schema: REPORT_SCHEMA,
        version: REPORT_SCHEMA_VERSION,
        tool: { name: 'gradient-lens', version: TOOL_VERSION },
        createdAt: new Date().toISOString(),
        model: {
          path: path.resolve(request.modelPath),
          fileName: path.basename(request.modelPath),
          contentHash: loaded.contentHash,
          format: graph.description.format,
          formatLabel: graph.description.formatLabel,
          producer: graph.description.producer,
          inputName,
          inputShape: input.input.shape,
          inputLayout: graph.description.inputLayout,
          outputName: data.modelOutput,
          outputDim: acts.get(data.modelOutput)!.size / n,
          parameters: countParameters(data.graph),
          nodes: data.graph.nodes.length,
        },
        settings: effective,
        thresholds,
        backend: { name: backend.name, tfjsBackend: backend.tfjsBackend, notes: backend.notes, threads: Math.max(1, threadsUsed.size) },
        timings: { loadMs, forwardMs, gscToOutputMs, blockMatrixMs, blocksMs, totalMs: Date.now() - started },
        reference: data.reference,
        input: data.describeInput(n),
        boundaries: boundaryReports,
        blocks: blockReports,
        blockMatrix: settings.blockMatrix ? { gsc: matrix, stderr: matrixErr, ci99: matrixCi, method: matrixMethod } : null,
        growth: explosionGrowth(gscValues),
        chain: chainChecks(
          gscValues,
          gscBlock.map((g) => g.value),
        ),
        nonlinearities,
        warnings,
      };
    } finally {
      await early?.terminate();
      exec.disposeActivations(acts, feeds);
      input.dispose();
    }
  }

  function measureResidual(
    blk: Block,
    acts: ReadonlyMap<string, tf.Tensor>,
    n: number,
    parts: Record<'merge' | 'branch' | 'skip', PartSquares | null>,
  ): ResidualInfo {
    const r = blk.residual!;
    const normsIn = perSampleNorms(acts.get(blk.inputTensor)!);
    const dIn = acts.get(blk.inputTensor)!.size / n;
    const gscTo = (target: string, purpose: 'merge' | 'branch' | 'skip'): Estimate => {
      const m = parts[purpose];
      if (m === null) return exactEstimate(1, 'identity');
      return gscFromSquares(m.measurements, dIn, normsIn, perSampleNorms(acts.get(target)!), m.method).batch;
    };
    const qSkip = quadraticMean(perSampleNorms(acts.get(r.skipTensor)!));
    const qBranch = quadraticMean(perSampleNorms(acts.get(r.branchTensor)!));
    const qMerge = quadraticMean(perSampleNorms(acts.get(r.mergeTensor)!));
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
      gscMerge,
      gscBranch,
      gscSkip,
      relation: dilutionRelation(kSkip, gscMerge.value, gscBranch.value),
    };
  }
}

function countParameters(graph: Graph): number {
  let count = 0;
  for (const c of graph.constants.values()) if (c.dtype === 'float32') count += c.data.length;
  return count;
}
