/**
 * Everything the analysis needs to know about its input before it runs: the batch (seeded
 * Gaussian, a raw float32 --input file, or user sample data), the labels, and the reference
 * layer (the model output, or the per-sample loss appended as the error layer). The engine
 * calls this once per analysis; it returns the graph to execute and the feeds to give it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '../graph/ir';
import type { AnalysisSettings, InputSourceReport, ReferenceReport, ReportWarning } from '../report/schema';
import type { AnalyzeRequest } from './api';
import { dataInput, InputError, prepareInput, requestedBatch, sampleShape, singleSample } from './input';
import { Executor } from '../runtime/executor';
import { referenceOutput } from '../graph/queries';
import { DataError } from '../data/errors';
import { loadSamples, type LoadedSamples } from '../data/samples';
import { appendErrorLayer, chooseLoss, labelFeedValues, LABELS_TENSOR, LOSS_TENSOR, type LossChoice } from '../data/errorLayer';
import { analyseFromIntegerCast } from './integerImage';
import { idsFromValues, planTokenInputs, sampleIds, tokenFeeds, tokenReport, type TokenPlan } from './tokens';

/** One batch's feeds: the model input and, with the error layer, the labels. */
export interface BatchFeeds {
  readonly inputName: string;
  readonly input: tf.Tensor;
  /** 'gaussian' or the data file's path (settings.inputSource). */
  readonly source: string;
  readonly feeds: ReadonlyMap<string, tf.Tensor>;
  dispose(): void;
}

export interface PreparedData {
  /** The graph to run: the model's, plus the loss nodes when the reference is the error layer. */
  readonly graph: Graph;
  /** The tensor GSC(k -> out) is measured to. */
  readonly referenceTensor: string;
  /** The model's own output (logits), whatever the reference. */
  readonly modelOutput: string;
  readonly reference: ReferenceReport;
  /** The batch size asked for, before the memory guard. */
  readonly requestedBatch: number;
  /** One sample (the memory guard measures a forward pass of it). */
  single(): BatchFeeds;
  /** The analysed batch, cut to maxBatch samples. */
  batch(maxBatch: number): BatchFeeds;
  /** The report's description of the input, for a batch of n samples. */
  describeInput(n: number): InputSourceReport;
  /** Warnings about the reference values of the forward pass (an error layer that is 0 for some samples). */
  referenceWarnings(reference: tf.Tensor): ReportWarning[];
}

function feedsOf(inputName: string, input: tf.Tensor, source: string, labels?: tf.Tensor): BatchFeeds {
  const feeds = new Map([[inputName, input]]);
  if (labels) feeds.set(LABELS_TENSOR, labels);
  return { inputName, input, source, feeds, dispose: () => feeds.forEach((t) => t.dispose()) };
}

/**
 * Per-sample shape of `tensor`, from the declared graph output when it is static, else from a
 * one-sample forward pass of the model (TensorFlow.js models often declare no output shape).
 */
export function outputSampleShape(graph: Graph, tensor: string, settings: AnalysisSettings): number[] {
  const declared = graph.outputs[0]?.shape;
  const producer = graph.nodes.find((n) => n.outputs.includes(graph.outputs[0]?.name ?? ''));
  // The logits before a final Softmax have the Softmax's shape.
  const describes = graph.outputs[0]?.name === tensor || (producer?.op === 'Softmax' && producer.inputs[0] === tensor);
  if (describes && declared && declared.slice(1).every((d) => typeof d === 'number' && d > 0)) return declared.slice(1) as number[];
  const probe = singleSample(graph, settings);
  const exec = new Executor(graph);
  const feeds = new Map([[probe.name, probe.tensor]]);
  try {
    const acts = exec.forward(feeds);
    const shape = acts.get(tensor)!.shape.slice(1);
    exec.disposeActivations(acts, feeds);
    return shape;
  } finally {
    probe.tensor.dispose();
    exec.dispose();
  }
}

export function prepareData(model: Graph, request: AnalyzeRequest, settings: AnalysisSettings): PreparedData {
  const integerImage = analyseFromIntegerCast(model);
  const data = prepareModelData(integerImage?.graph ?? model, request, settings);
  const prepared = integerImage ? withNote(data, { code: 'input', message: integerImage.note }) : data;
  return request.from === undefined ? prepared : startingAt(prepared, request.from);
}

function withNote(prepared: PreparedData, note: ReportWarning): PreparedData {
  return { ...prepared, referenceWarnings: (reference) => [note, ...prepared.referenceWarnings(reference)] };
}

/** The analysis starts at `from` (boundary 0), a tensor inside the graph; the model input is still fed. */
function startingAt(prepared: PreparedData, from: string): PreparedData {
  const graph = prepared.graph;
  const exists = graph.inputs.some((i) => i.name === from) || graph.nodes.some((n) => n.outputs.includes(from));
  if (!exists) throw new InputError(`the start tensor "${from}" is no tensor of the graph (give a node output's name)`);
  const moved = (b: BatchFeeds): BatchFeeds => ({ ...b, inputName: from });
  return { ...prepared, single: () => moved(prepared.single()), batch: (maxBatch) => moved(prepared.batch(maxBatch)) };
}

function prepareModelData(model: Graph, request: AnalyzeRequest, settings: AnalysisSettings): PreparedData {
  const tokens = planTokenInputs(model, settings.dimOverrides);
  if (tokens) return prepareTokenData(model, request, settings, tokens);
  const info = dataInput(model);
  const perSample = sampleShape(info, settings.dimOverrides);
  const outputIndex = request.outputIndex ?? 0;
  if (!Number.isInteger(outputIndex) || outputIndex < 0 || outputIndex >= model.outputs.length) {
    throw new InputError(
      `output index ${outputIndex} does not exist: the model has ${model.outputs.length} output(s) (${model.outputs.map((o) => o.name).join(', ')})`,
    );
  }
  const modelOutput = referenceOutput(model, outputIndex);
  // Several outputs (heads): the report says which one was measured and which others there are.
  // A cut (--output, "Analyze Up To Tensor…"): the reference layer is the chosen tensor, and the report says so.
  const chosenOutput = {
    ...(model.outputs.length > 1 && { outputIndex, outputs: model.outputs.map((o) => o.name) }),
    ...(request.output !== undefined && { cutAt: request.output }),
  };
  const wantsError = request.reference === 'error';
  if (request.data !== undefined && request.inputFile !== undefined) throw new InputError('give either sample data or a raw float32 input file, not both');
  if (!Number.isInteger(settings.batch) || settings.batch < 2) throw new InputError(`batch size must be an integer of at least 2 (got ${settings.batch})`);

  let samples: LoadedSamples | undefined;
  if (request.data !== undefined) {
    samples = loadSamples(
      request.data,
      { inputName: info.name, shape: perSample, layoutHint: model.description.inputLayout },
      { count: settings.batch, mode: request.data.sample ?? 'first', seed: settings.seed },
    );
    if (samples.indices.length < 2) throw new DataError(samples.path, `holds ${samples.total} sample; the analysis needs at least 2`);
  }

  let graph = model;
  let loss: LossChoice | undefined;
  let labelValues: Float32Array | undefined;
  if (wantsError) {
    const labels = samples?.labels;
    if (labels === undefined) {
      throw new InputError(
        'the error layer (reference "error") needs labels: give sample data with labels (a labels file, a CSV label column, or image class sub-folders)',
      );
    }
    const outShape = outputSampleShape(model, modelOutput, settings);
    loss = chooseLoss(labels, outShape);
    labelValues = labelFeedValues(labels, loss);
    graph = appendErrorLayer(model, modelOutput, loss);
  }
  const feedWidth = loss ? loss.feedShape.reduce((a, b) => a * b, 1) : 0;
  const labelTensor = (n: number, first = 0): tf.Tensor | undefined =>
    loss && labelValues ? tf.tensor(labelValues.slice(first * feedWidth, (first + n) * feedWidth), [n, ...loss.feedShape], 'float32') : undefined;

  const reference: ReferenceReport = loss
    ? {
        kind: 'error',
        tensor: LOSS_TENSOR,
        loss: loss.loss,
        modelOutput,
        ...chosenOutput,
        ...(samples?.labels && { labels: samples.labels.source }),
        ...(samples?.labels?.classes && { classes: samples.labels.classes }),
      }
    : { kind: 'output', tensor: modelOutput, ...chosenOutput };

  return {
    graph,
    referenceTensor: loss ? LOSS_TENSOR : modelOutput,
    modelOutput,
    reference,
    requestedBatch: samples ? samples.indices.length : requestedBatch(model, request, settings),
    single(): BatchFeeds {
      const probe = singleSample(model, settings);
      return feedsOf(probe.name, probe.tensor, probe.source, labelTensor(1));
    },
    batch(maxBatch: number): BatchFeeds {
      if (!samples) {
        const input = prepareInput(model, request, settings, maxBatch);
        return feedsOf(input.name, input.tensor, input.source);
      }
      const d = perSample.reduce((a, b) => a * b, 1);
      const n = Math.min(samples.indices.length, maxBatch);
      const input = tf.tensor(samples.values.subarray(0, n * d), [n, ...perSample], 'float32');
      return feedsOf(info.name, input, samples.path, labelTensor(n));
    },
    referenceWarnings(reference: tf.Tensor): ReportWarning[] {
      if (!loss) return [];
      // A confidently right prediction can give a loss of exactly 0 in float32 (and a zero
      // gradient): that sample's GSC to the loss is 0/0, undefined.
      const zero = Array.from(reference.dataSync()).filter((v) => v === 0).length;
      if (zero === 0) return [];
      return [
        {
          code: 'input',
          message: `the ${loss.loss} loss is exactly 0 in float32 for ${zero} of ${reference.shape[0]} samples; their per-sample GSC to the error layer is undefined (0/0)`,
          where: LOSS_TENSOR,
        },
      ];
    },
    describeInput(n: number): InputSourceReport {
      if (!samples) {
        return request.inputFile !== undefined ? { kind: 'float32', path: request.inputFile, samples: n } : { kind: 'gaussian', samples: n };
      }
      return {
        kind: samples.kind,
        path: samples.path,
        samples: n,
        available: samples.total,
        sample: request.data?.sample ?? 'first',
        ...(samples.labels && { labels: samples.labels.source }),
        ...(samples.layout && { layout: samples.layout }),
        ...(samples.normalisation && { mean: samples.normalisation.mean, std: samples.normalisation.std }),
      };
    },
  };
}

/**
 * A model with token-id inputs (src/engine/tokens.ts): the integer inputs are fed, and the
 * analysis input (boundary 0) is the embedding they produce, a tensor inside the graph.
 */
function prepareTokenData(model: Graph, request: AnalyzeRequest, settings: AnalysisSettings, plan: TokenPlan): PreparedData {
  if (request.reference === 'error') throw new InputError('the error layer (reference "error") is not supported for models with token-id inputs yet');
  if (request.inputFile !== undefined) throw new InputError('a raw float32 input file cannot hold token ids; give them as sample data (--data ids.npy)');
  if (!Number.isInteger(settings.batch) || settings.batch < 2) throw new InputError(`batch size must be an integer of at least 2 (got ${settings.batch})`);
  const t = plan.sequenceLength;
  let samples: LoadedSamples | undefined;
  let given: Int32Array | undefined;
  if (request.data !== undefined) {
    samples = loadSamples(
      request.data,
      { inputName: plan.ids.name, shape: [t] },
      { count: settings.batch, mode: request.data.sample ?? 'first', seed: settings.seed },
    );
    if (samples.indices.length < 2) throw new DataError(samples.path, `holds ${samples.total} sample; the analysis needs at least 2`);
    given = idsFromValues(plan, samples.values.subarray(0, samples.indices.length * t), samples.path);
  }
  const source = samples?.path ?? 'gaussian';
  const feeds = (ids: Int32Array, n: number): BatchFeeds => {
    const all = tokenFeeds(plan, ids, n);
    return { inputName: plan.start, input: all.get(plan.ids.name)!, source, feeds: all, dispose: () => all.forEach((x) => x.dispose()) };
  };
  const modelOutput = referenceOutput(model);
  return {
    graph: model,
    referenceTensor: modelOutput,
    modelOutput,
    reference: { kind: 'output', tensor: modelOutput, ...(request.output !== undefined && { cutAt: request.output }) },
    requestedBatch: samples ? samples.indices.length : settings.batch,
    single: () => feeds(given ?? sampleIds(plan, 1, settings.seed, 'memory-probe'), 1),
    batch(maxBatch: number): BatchFeeds {
      const n = Math.min(samples ? samples.indices.length : settings.batch, maxBatch);
      return feeds(given ?? sampleIds(plan, n, settings.seed, 'input'), n);
    },
    referenceWarnings: () => [],
    describeInput(n: number): InputSourceReport {
      const tokens = tokenReport(plan);
      if (!samples) return { kind: 'gaussian', samples: n, tokens };
      return { kind: samples.kind, path: samples.path, samples: n, available: samples.total, sample: request.data?.sample ?? 'first', tokens };
    },
  };
}
