/**
 * The analysis: load a model, run one seeded batch through it, and measure per block the
 * GSC, the k-dilution and the collapsing-domain measures (docs/metrics.md). Drives the loaders,
 * the executor and the metrics; the CLI, the extension's worker and the tests all call it.
 * The steps: load, prepare the input and the graph, plan the batch, run the forward pass,
 * run the jobs (parallel/), measure the nonlinearities, assemble the report (assembleReport.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import type { AnalysisReport, AnalysisSettings, PartialReport, ReportWarning, Thresholds } from '../report/schema';
import type { Graph } from '../graph/ir';
import { toChannelsLast } from '../passes/layout';
import { loadModel, type LoadedModel } from '../loaders';
import { ExecutionError, Executor, type Activations } from '../runtime/executor';
import { PerSampleExecutor } from '../runtime/perSampleExecutor';
import { initBackend, preferOrtForModel, type BackendChoice, type BackendInfo } from '../runtime/backend';
import { ortPreferredFor } from './backendChoice';
import { MemoryBudget } from '../runtime/memoryBudget';
import { prepareData, type PreparedData } from './prepare';
import { decideBatch, defaultMemoryLimitBytes, type MemoryMeasure } from './resources';
import {
  CancelledError,
  ResourceError,
  DEFAULT_K_TIME_BUDGET_MS,
  DEFAULT_SETTINGS,
  DEFAULT_THRESHOLDS,
  type AnalyzeHooks,
  type AnalyzeRequest,
  type AnalysisPhase,
} from './api';
import { hideSyntheticNodes, partitionBlocks, type Block, type BlockPartition, type StreamResidual } from '../metrics/blocks';
import { unmeasuredReason } from './streamUnits';
import { perSampleNorms } from '../metrics/jacobian';
import { defaultThreads, runJobs, startWorkers, threadsFromEnv, type StartedWorkers } from './parallel/pool';
import {
  analysisJobs,
  EARLY_WORKERS_FORWARD_MS,
  feedData,
  fixedThreads,
  jobCost,
  jobPurposeText,
  reportPhaseOf,
  threadsWorthUsing,
  type JobReportPhase,
} from './parallel/plan';
import { jobPasses, type AnalysisJob, type JobResult } from './parallel/jobs';
import { findNonlinearities, measureCollapse } from '../metrics/collapse';
import { findFirstNonFinite } from '../runtime/finite';
import { assemblePartial, assembleReport, type MeasuredNonlinearity, type ReportHeader, type TensorStats } from './assembleReport';
import { durationText, estimateRun } from './estimate';

export { TOOL_VERSION } from './assembleReport';

export async function analyzeModel(request: AnalyzeRequest, hooks: AnalyzeHooks = {}): Promise<AnalysisReport> {
  const started = Date.now();
  const backend = await startBackend(request, hooks);
  emit(hooks, 'loading', `loading ${path.basename(request.modelPath)}`, 0.02);
  // One budget from the first byte read: the loaders charge the weights, the executor the activations.
  const budget = new MemoryBudget(memoryLimitBytes({ ...DEFAULT_SETTINGS, ...request.settings }, backend));
  const settings = { ...DEFAULT_SETTINGS, ...request.settings };
  const probe = { batch: settings.batch, dims: settings.dimOverrides };
  const loaded = await loadModel(request.modelPath, {
    budget,
    probe,
    ...(request.output !== undefined && { output: request.output }),
    ...(request.from !== undefined && { from: request.from }),
  });
  return analyzeLoadedModel(loaded, request, hooks, { started, backend: autoForModel(request, backend, loaded), loadMs: Date.now() - started, budget });
}

/** 'auto' settles on ONNX Runtime or wasm once the model is known (backendChoice.ts). */
function autoForModel(request: AnalyzeRequest, backend: BackendInfo, loaded: LoadedModel): BackendInfo {
  return requestedBackend(request) === 'auto' ? preferOrtForModel(backend, ortPreferredFor(loaded.graph)) : backend;
}

function requestedBackend(request: AnalyzeRequest): BackendChoice {
  return request.settings?.backend ?? DEFAULT_SETTINGS.backend;
}

function memoryLimitBytes(settings: AnalysisSettings, backend: BackendInfo): number {
  return settings.memoryLimitMb > 0 ? settings.memoryLimitMb * 1024 ** 2 : defaultMemoryLimitBytes(backend.name);
}

/** Analyses a graph that is already loaded (tests build graphs directly). */
export async function analyzeGraph(model: LoadedModel, request: AnalyzeRequest, hooks: AnalyzeHooks = {}): Promise<AnalysisReport> {
  const started = Date.now();
  const backend = autoForModel(request, await startBackend(request, hooks), model);
  return analyzeLoadedModel(model, request, hooks, { started, backend, loadMs: 0 });
}

function emit(hooks: AnalyzeHooks, phase: AnalysisPhase, message: string, fraction?: number): void {
  if (hooks.signal?.aborted) throw new CancelledError();
  hooks.onProgress?.({ phase, message, fraction });
}

async function startBackend(request: AnalyzeRequest, hooks: AnalyzeHooks): Promise<BackendInfo> {
  const choice = requestedBackend(request);
  emit(hooks, 'backend', `starting the ${choice} compute backend`, 0);
  return initBackend(choice);
}

interface RunContext {
  readonly started: number;
  readonly backend: BackendInfo;
  readonly loadMs: number;
  /** Already charged for the loaded weights (analyzeModel); a fresh one otherwise. */
  readonly budget?: MemoryBudget;
}

/** The analysed graph with its batch source and executor (prepare.ts, layout pass), and the memory limit. */
interface PreparedModel {
  readonly loaded: LoadedModel;
  readonly data: PreparedData;
  /** Channels-last (the convolutional regions compute without per-Conv layout transposes). */
  readonly graph: Graph;
  readonly exec: Executor;
  /** The executor's size-guard limit (elements of one tensor). */
  readonly maxTensorElements: number;
  readonly limitBytes: number;
  readonly budget: MemoryBudget;
  readonly settings: AnalysisSettings;
  readonly thresholds: Thresholds;
  readonly checkpoint: () => void;
  readonly warnings: ReportWarning[];
}

async function analyzeLoadedModel(loaded: LoadedModel, request: AnalyzeRequest, hooks: AnalyzeHooks, run: RunContext): Promise<AnalysisReport> {
  const settings: AnalysisSettings = { ...DEFAULT_SETTINGS, ...request.settings };
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...request.thresholds };
  // The batch, the labels and the reference layer (the error layer appends loss nodes).
  const data = prepareData(loaded.graph, request, settings);
  const graph = toChannelsLast(data.graph);
  const warnings: ReportWarning[] = run.backend.notes.map((message) => ({ code: 'backend-fallback', message }));
  if (request.reducedSettings) warnings.push({ code: 'input', message: request.reducedSettings });
  const fixed = loaded.graph.description.fixedInputs ?? [];
  if (fixed.length > 0) {
    // The loader fixed the inputs after the analysed one and folded the Ifs they decide.
    const list = fixed.map((f) => `${f.name} = ${f.value}`).join(', ');
    warnings.push({
      code: 'input',
      message: `only the first input is analysed; the other inputs are fixed: ${list} (a fixed state of batch 1 serves every sample)`,
    });
  }
  const limitBytes = memoryLimitBytes(settings, run.backend);
  const budget = run.budget ?? new MemoryBudget(limitBytes);
  // One float32 tensor may not take the whole limit: refuse such a node before it allocates;
  // nor may the activations a pass keeps, together (the budget).
  const maxTensorElements = Math.min(2 ** 31 - 1, Math.floor(limitBytes / 4));
  const exec = new Executor(graph, maxTensorElements, budget);
  const checkpoint = (): void => {
    if (hooks.signal?.aborted) throw new CancelledError();
  };
  const model: PreparedModel = { loaded, data, graph, exec, maxTensorElements, limitBytes, budget, settings, thresholds, checkpoint, warnings };
  try {
    return await runAnalysis(model, request, hooks, run);
  } finally {
    exec.dispose();
  }
}

/** The memory guard's decision (see resources.ts). */
interface BatchPlan {
  readonly batch: number;
  /** Threads the memory allows (at most the ones offered). */
  readonly threads: number;
  /** Probes one reverse pass may stack (Executor.maxStackedProbes). */
  readonly maxStack: number;
  readonly singleForwardMs: number;
  /** The process's planned peak. */
  readonly plannedBytes: number;
  /** Each activation's leading dimension at batch 1 (the memory probe's forward pass). */
  readonly leadingAtOne: ReadonlyMap<string, number>;
}

/**
 * The memory guard: the largest batch and the most threads (up to `threads`) that fit the
 * limit (see resources.ts), and how long the one-sample forward pass took.
 */
function planBatch(model: PreparedModel, threads: number): BatchPlan {
  const { data, exec, graph } = model;
  const probe = data.single();
  let perSampleBytes = 0;
  let largestPerSampleElements = 1;
  const t0 = Date.now();
  let singleForwardMs = 0;
  const leadingAtOne = new Map<string, number>();
  try {
    const acts = exec.forward(probe.feeds, model.checkpoint);
    singleForwardMs = Date.now() - t0;
    for (const [name, t] of acts) {
      if (graph.constants.has(name)) continue;
      if (t.rank > 0) leadingAtOne.set(name, t.shape[0]);
      perSampleBytes += t.size * 4;
      largestPerSampleElements = Math.max(largestPerSampleElements, t.size);
    }
    exec.disposeActivations(acts, probe.feeds);
  } finally {
    probe.dispose();
  }
  const measure: MemoryMeasure = {
    perSampleBytes,
    largestPerSampleElements,
    // What stays held through the analysis: the weights, in the graph and in the backend.
    heldBytes: model.budget.usedBytes,
    residentBytes: process.memoryUsage().rss,
    probes: model.settings.probes,
  };
  const decision = decideBatch(measure, data.requestedBatch, model.limitBytes, threads);
  if (decision.kind === 'refused') throw new ResourceError(decision.message);
  if (decision.message !== undefined) model.warnings.push({ code: 'input', message: decision.message });
  // The process may already have peaked higher, while loading (a TF.js model's weight files
  // and their decoded copies): the plan is the peak to come or that one.
  const plannedBytes = Math.max(decision.estimateBytes, process.resourceUsage().maxRSS * 1024);
  return { batch: decision.batch, threads: decision.threads, maxStack: decision.maxStack ?? Infinity, singleForwardMs, plannedBytes, leadingAtOne };
}

/**
 * A model that runs at batch n without error can still mix its samples: a Reshape to a baked
 * [1, -1] flattens the batch into one row, a slice keeps sample 0 only. The boundaries and the
 * reference tensor have one row per sample at batch 1 (the memory probe); at batch n they must
 * have n. The first that does not is returned as the failure of its producing node.
 */
function batchMixedError(
  graph: Graph,
  acts: Activations,
  tensors: readonly string[],
  leadingAtOne: ReadonlyMap<string, number>,
  n: number,
): ExecutionError | undefined {
  for (const name of tensors) {
    const t = acts.get(name);
    if (t === undefined || t.rank === 0 || leadingAtOne.get(name) !== 1 || t.shape[0] === n) continue;
    const producer = graph.nodes.find((node) => node.outputs.includes(name));
    const cause = new Error(`its output "${name}" has ${t.shape[0]} row(s) at batch ${n}: the batch is baked into the graph`);
    return new ExecutionError(producer?.name ?? name, producer?.op ?? 'input', cause);
  }
  return undefined;
}

async function runAnalysis(prepared: PreparedModel, request: AnalyzeRequest, hooks: AnalyzeHooks, run: RunContext): Promise<AnalysisReport> {
  let model = prepared;
  const { data, graph, settings, checkpoint, warnings } = model;
  const { backend } = run;
  // Threads the caller set (request, environment), else the machine offers; the memory guard
  // may allow fewer (each thread redoes the forward pass). tfjs-node and ONNX Runtime already
  // compute on every core, so they ask for one thread unless the caller says otherwise.
  const askedThreads = fixedThreads(backend.name, request.threads, threadsFromEnv());
  const { batch: maxBatch, threads: memoryThreads, maxStack, singleForwardMs, plannedBytes, leadingAtOne } = planBatch(model, askedThreads ?? defaultThreads());
  model.exec.maxStackedProbes = maxStack;
  const input = data.batch(maxBatch);
  const inputName = input.inputName;
  const referenceTensor = data.referenceTensor;
  const partition = hideSyntheticNodes(partitionBlocks(graph, inputName, referenceTensor), graph);
  const { blocks, boundaries } = partition;
  const n = input.input.shape[0];

  const feeds = input.feeds;
  // A model whose forward pass is long enough starts its worker threads now, so they redo the
  // forward pass while this thread does its own.
  let asked = askedThreads === undefined ? undefined : Math.min(askedThreads, memoryThreads);
  const offered = asked ?? memoryThreads;
  let early =
    offered > 1 && (asked !== undefined || singleForwardMs * n >= EARLY_WORKERS_FORWARD_MS)
      ? startWorkers({ graph, backend: backend.name, feeds: () => feedData(feeds), maxStackedProbes: maxStack }, offered - 1, settings.seed)
      : undefined;

  emit(hooks, 'forward', `forward pass (batch ${n})`, 0.05);
  const tForward = Date.now();
  let acts: Map<string, tf.Tensor>;
  let sampleBySample: PerSampleExecutor | undefined;
  try {
    acts = model.exec.forward(feeds, checkpoint);
    const mixed = n > 1 ? batchMixedError(graph, acts, [...boundaries, referenceTensor], leadingAtOne, n) : undefined;
    if (mixed !== undefined) {
      model.exec.disposeActivations(acts, feeds);
      throw mixed;
    }
  } catch (e) {
    await early?.terminate();
    early = undefined;
    // A model that runs at batch 1 (the memory guard's probe did) but not at batch n has the
    // batch baked in (a Reshape constant): the batch then runs sample by sample.
    if (!(e instanceof ExecutionError) || n < 2) {
      input.dispose(); // cancelled or failed: the batch is freed here, the activations by forward()
      throw e;
    }
    sampleBySample = new PerSampleExecutor(graph, model.maxTensorElements);
    sampleBySample.maxStackedProbes = maxStack;
    try {
      acts = sampleBySample.forward(feeds, checkpoint);
    } catch (second) {
      sampleBySample.dispose();
      input.dispose();
      throw second instanceof CancelledError ? second : e;
    }
    model = { ...model, exec: sampleBySample };
    asked = 1; // worker threads would run the batch at once
    warnings.push({
      code: 'input',
      message: `the model runs only at batch 1 (at batch ${n}: ${e.message}); the ${n} samples were analysed one at a time, which gives the same numbers (every measure is a per-sample sum or average)`,
      where: e.nodeName,
    });
  }
  const exec = model.exec;
  const forwardMs = Date.now() - tForward;
  try {
    const nonFinite = findFirstNonFinite(graph, acts, inputName);
    if (nonFinite) warnings.push({ code: 'non-finite', message: nonFinite.message, where: nonFinite.tensor });
    warnings.push(...data.referenceWarnings(acts.get(referenceTensor)!));

    // Auto: exact for narrow targets, and whenever d one-hot passes cost no more than the probes.
    const useExact = (d: number, probes: number): boolean =>
      settings.exact === 'on' || (settings.exact === 'auto' && (d <= settings.exactMaxDim || d <= probes));
    // Every reverse pass of the report, as independent seeded jobs on one or more threads
    // (src/engine/parallel: the numbers are the same for any thread count).
    const planJobs = (blockMatrix: boolean, probes: number): AnalysisJob[] =>
      analysisJobs({
        blocks,
        boundaries,
        probes,
        blockMatrix,
        ...(settings.kPrecision !== undefined &&
          settings.kPrecision > 0 && { kPrecision: { target: settings.kPrecision, timeBudgetMs: settings.kTimeBudgetMs ?? DEFAULT_K_TIME_BUDGET_MS } }),
        useExact: (t) => useExact(acts.get(t)!.size / n, probes),
        shapeOf: (t) => acts.get(t)!.shape.slice(1),
        measuredUnits: (blk) => measuredUnits(graph, blk),
      });
    const jobList = planJobs(settings.blockMatrix, settings.probes);
    const threadsArgs = { asked, offered, forwardMs, early };
    emitEstimate(hooks, { graph, n, acts, asked, offered, forwardMs, settings, plan: (blockMatrix, probes) => planJobs(blockMatrix, probes) });
    const tensors = tensorStats(graph, blocks, boundaries, acts, n);
    const settingsRun: AnalysisSettings = { ...settings, batch: n, inputSource: input.source };
    const partialOf = (results: ReadonlyMap<string, JobResult>): PartialReport =>
      assemblePartial({
        header: {
          model: { path: path.resolve(request.modelPath), fileName: path.basename(request.modelPath), inputName, outputName: data.modelOutput },
          settings: settingsRun,
          thresholds: model.thresholds,
          reference: data.reference,
        },
        graph,
        blocks,
        boundaries,
        tensors,
        results,
      });
    const ran = await runAnalysisJobs(model, jobList, acts, feeds, n, threadsArgs, backend, hooks, partialOf);

    emit(hooks, 'nonlinearities', 'collapsing-domain measures', 0.99);
    const nonlinearities = measureNonlinearities(model, partition, acts);
    const header: ReportHeader = {
      createdAt: new Date().toISOString(),
      model: {
        path: path.resolve(request.modelPath),
        fileName: path.basename(request.modelPath),
        contentHash: model.loaded.contentHash,
        format: graph.description.format,
        formatLabel: graph.description.formatLabel,
        producer: graph.description.producer,
        inputName,
        // The analysed input: boundary 0 (the embedding for token-id inputs, not the ids).
        inputShape: acts.get(inputName)!.shape,
        inputLayout: graph.description.inputLayout,
        outputName: data.modelOutput,
        outputDim: acts.get(data.modelOutput)!.size / n,
        parameters: countParameters(data.graph),
        nodes: data.graph.nodes.length,
        ...(sampleBySample && { sampleBySample: true }),
      },
      settings: settingsRun,
      thresholds: model.thresholds,
      backend: { name: backend.name, tfjsBackend: backend.tfjsBackend, notes: backend.notes, reason: backend.reason, threads: ran.threadsUsed },
      // With several threads the phases overlap: each phase's time is its jobs' summed time.
      timings: {
        loadMs: run.loadMs,
        forwardMs,
        gscToOutputMs: ran.phaseMs['gsc-to-output'],
        blockMatrixMs: ran.phaseMs['block-matrix'],
        blocksMs: ran.phaseMs.blocks,
        totalMs: Date.now() - run.started,
      },
      memory: { limitMb: mbOf(model.limitBytes), plannedMb: mbOf(plannedBytes), peakMb: mbOf(process.resourceUsage().maxRSS * 1024) },
      reference: data.reference,
      input: data.describeInput(n),
      warnings,
    };
    const report = assembleReport({
      header,
      graph,
      blocks,
      boundaries,
      tensors,
      results: ran.results,
      nonlinearities,
    });
    emit(hooks, 'done', 'done', 1);
    return report;
  } finally {
    await early?.terminate();
    exec.disposeActivations(acts, feeds);
    input.dispose();
    sampleBySample?.dispose();
  }
}

interface ThreadChoice {
  /** Threads the caller set (request, environment); undefined: decided here. */
  readonly asked: number | undefined;
  readonly offered: number;
  readonly forwardMs: number;
  readonly early: StartedWorkers | undefined;
}

interface JobsRun {
  readonly results: Map<string, JobResult>;
  /** The jobs' summed time per report phase, rounded to ms. */
  readonly phaseMs: Record<JobReportPhase, number>;
  /** How many threads ran at least one job. */
  readonly threadsUsed: number;
}

/** Runs the jobs on the threads worth using, reporting progress in reverse passes. */
async function runAnalysisJobs(
  model: PreparedModel,
  jobList: readonly AnalysisJob[],
  acts: Map<string, tf.Tensor>,
  feeds: ReadonlyMap<string, tf.Tensor>,
  n: number,
  choice: ThreadChoice,
  backend: BackendInfo,
  hooks: AnalyzeHooks,
  partialOf: (results: ReadonlyMap<string, JobResult>) => PartialReport,
): Promise<JobsRun> {
  const { graph, exec, settings } = model;
  const passesOf = (job: AnalysisJob): number => jobPasses(job, (t) => acts.get(t)!.size / n);
  // Progress is counted in reverse passes (the jobs' probes), the unit of work that dominates.
  const totalPasses = jobList.reduce((s, job) => s + passesOf(job), 0);
  let donePasses = 0;
  const phaseMs: Record<JobReportPhase, number> = { 'gsc-to-output': 0, 'block-matrix': 0, blocks: 0 };
  /** Which threads (0 = this one) ran at least one job: the report says how many worked. */
  const threadsUsed = new Set<number>();
  const passesDone = new Map<string, number>();
  const cost = jobCost(graph, passesOf);
  // Small models do not repay a thread's start.
  const threads = choice.asked ?? threadsWorthUsing(choice.offered, choice.forwardMs, jobList, cost, graph.nodes.length);
  const { early } = choice;
  // The GSC to the output goes first whatever its cost: it is the first chart (onPartial).
  const order = (job: AnalysisJob): number => (job.phase.kind === 'gsc-to-output' ? Number.MAX_VALUE : cost(job));
  /** A failure to assemble or deliver the partial report, thrown once the jobs are done (never inside a worker's message handler). */
  let partialFailure: { error: unknown } | undefined;
  const prestarted = early !== undefined && early.workers.length === threads - 1 ? early : undefined;
  if (early !== undefined && prestarted === undefined) await early.terminate();
  const results = await runJobs(
    exec,
    acts,
    jobList,
    { graph, backend: backend.name, feeds: () => feedData(feeds), maxStackedProbes: exec.maxStackedProbes },
    {
      threads,
      seed: settings.seed,
      checkpoint: model.checkpoint,
      cost: order,
      onPass: (job) => {
        const done = (passesDone.get(job.key) ?? 0) + 1;
        passesDone.set(job.key, done);
        donePasses++;
        const message = `${jobPurposeText(job.phase)}: ${job.exact ? 'pass' : 'probe'} ${done} of ${passesOf(job)}`;
        emit(hooks, reportPhaseOf(job.phase), message, 0.08 + 0.9 * Math.min(1, donePasses / totalPasses));
      },
      onJobDone: (job, ms, thread, result) => {
        phaseMs[reportPhaseOf(job.phase)] += ms;
        threadsUsed.add(thread);
        if (job.phase.kind !== 'gsc-to-output' || hooks.onPartial === undefined || hooks.signal?.aborted) return;
        try {
          hooks.onPartial(partialOf(new Map([[job.key, result]])));
        } catch (error) {
          partialFailure ??= { error };
        }
      },
    },
    prestarted,
  );
  if (partialFailure !== undefined) throw partialFailure.error;
  const rounded = {
    'gsc-to-output': Math.round(phaseMs['gsc-to-output']),
    'block-matrix': Math.round(phaseMs['block-matrix']),
    blocks: Math.round(phaseMs.blocks),
  };
  return { results, phaseMs: rounded, threadsUsed: Math.max(1, threadsUsed.size) };
}

interface EstimateArgs {
  readonly graph: Graph;
  readonly n: number;
  readonly acts: Map<string, tf.Tensor>;
  readonly asked: number | undefined;
  readonly offered: number;
  readonly forwardMs: number;
  readonly settings: AnalysisSettings;
  readonly plan: (blockMatrix: boolean, probes: number) => AnalysisJob[];
}

/** The run's time estimate from the measured forward pass, sent before the reverse passes (estimate.ts). */
function emitEstimate(hooks: AnalyzeHooks, a: EstimateArgs): void {
  if (!hooks.onProgress) return;
  const passesOf = (job: AnalysisJob): number => jobPasses(job, (t) => a.acts.get(t)!.size / a.n);
  const cost = jobCost(a.graph, passesOf);
  const nodes = Math.max(1, a.graph.nodes.length);
  const jobs = a.plan(a.settings.blockMatrix, a.settings.probes);
  const estimate = estimateRun({
    // A forward pass too quick for the millisecond clock still costs something.
    forwardMs: Math.max(1, a.forwardMs),
    threads: a.asked ?? threadsWorthUsing(a.offered, a.forwardMs, jobs, cost, nodes),
    batch: a.n,
    settings: a.settings,
    forwardEquivalents: (blockMatrix, probes) => a.plan(blockMatrix, probes).reduce((t, j) => t + cost(j), 0) / nodes,
  });
  hooks.onProgress({ phase: 'forward', message: `estimated ${durationText(estimate.totalMs)} in all`, fraction: 0.08, estimate });
}

/** The collapsing-domain measures of every nonlinearity inside a block (metrics/collapse.ts). */
function measureNonlinearities(model: PreparedModel, partition: BlockPartition, acts: Activations): MeasuredNonlinearity[] {
  const blockOfNode = new Map<number, number>();
  partition.blocks.forEach((blk) => blk.nodeIndices.forEach((i) => blockOfNode.set(i, blk.index)));
  return findNonlinearities(model.graph, partition.flow)
    .filter((s) => blockOfNode.has(s.nodeIndex))
    .map((site) => {
      model.checkpoint();
      return { site, block: blockOfNode.get(site.nodeIndex)!, measures: measureCollapse(model.exec, acts, site) };
    });
}

/** Per-sample norms and sizes of the tensors the report is assembled from: the boundaries and the residual blocks' parts. */
function tensorStats(graph: Graph, blocks: readonly Block[], boundaries: readonly string[], acts: Activations, n: number): Map<string, TensorStats> {
  const names = new Set(boundaries);
  const residualTensors = (input: string, r: StreamResidual): string[] => [input, r.mergeTensor, r.branchTensor, r.skipTensor];
  for (const blk of blocks) {
    if (blk.residual) residualTensors(blk.inputTensor, blk.residual).forEach((t) => names.add(t));
    for (const unit of measuredUnits(graph, blk)) {
      const u = blk.streamUnits![unit];
      [u.inputTensor, u.outputTensor, ...(u.residual ? residualTensors(u.inputTensor, u.residual) : [])].forEach((t) => names.add(t));
    }
  }
  const stats = new Map<string, TensorStats>();
  for (const name of names) {
    const t = acts.get(name)!;
    stats.set(name, { norms: perSampleNorms(t), dim: t.size / n, constantSlots: constantSlots(t, n) });
  }
  return stats;
}

/** Elements of a tensor with the same value in every sample (a class token; units dead on the whole batch). */
function constantSlots(t: tf.Tensor, n: number): number {
  if (n < 2 || t.dtype !== 'float32') return 0;
  return tf.tidy(() => {
    const rows = tf.reshape(t, [n, -1]);
    return tf.sum(tf.cast(tf.equal(tf.max(rows, 0), tf.min(rows, 0)), 'int32')).dataSync()[0];
  });
}

/** The block's stream units that are measured (indices into its streamUnits): see engine/streamUnits.ts. */
function measuredUnits(graph: Graph, blk: Block): number[] {
  return (blk.streamUnits ?? []).flatMap((u, i) => (unmeasuredReason(graph, u) === undefined ? [i] : []));
}

function countParameters(graph: Graph): number {
  let count = 0;
  for (const c of graph.constants.values()) if (c.dtype === 'float32') count += c.data.length;
  return count;
}

/** Bytes as whole MB (2^20). */
function mbOf(bytes: number): number {
  return Math.round(bytes / 1024 ** 2);
}
