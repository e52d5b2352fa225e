/**
 * The analysed batch: seeded N(0, 1) samples in the model's input shape by default, or a raw
 * little-endian float32 file whose length fixes the batch size.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, statSync } from 'node:fs';
import type { Graph, ValueInfo } from '../graph/ir';
import type { AnalysisSettings } from '../report/schema';
import type { AnalyzeRequest } from './api';
import { streamFor } from '../runtime/random';
import { MemoryBudget } from '../runtime/memoryBudget';
import { defaultMemoryLimitBytes } from './resources';

/**
 * Refuses an input whose declared shape would not fit the memory limit, before allocating it
 * (an input declared [N, 3e8] took 2.4 GB before the memory guard saw it).
 */
function chargeInput(settings: AnalysisSettings, info: ValueInfo, shape: readonly number[]): void {
  const limit = settings.memoryLimitMb > 0 ? settings.memoryLimitMb * 1024 ** 2 : defaultMemoryLimitBytes(settings.backend);
  const bytes = 4 * shape.reduce((a, b) => a * b, 1);
  new MemoryBudget(limit).charge(bytes, `the input "${info.name}" of shape [${shape.join(', ')}]`);
}

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface PreparedInput {
  readonly name: string;
  readonly tensor: tf.Tensor;
  /** 'gaussian' or the file path. */
  readonly source: string;
}

/** The one graph input that carries data (float); models with several are refused clearly. */
export function dataInput(graph: Graph): ValueInfo {
  const inputs = graph.inputs.filter((i) => !graph.constants.has(i.name));
  if (inputs.length !== 1) {
    throw new InputError(
      `the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ') || 'none'}); Gradient Lens analyses models with exactly one input`,
    );
  }
  if (inputs[0].dtype !== 'float32') {
    throw new InputError(`the model input "${inputs[0].name}" is ${inputs[0].dtype}; gradients need a float input (token-id inputs are not supported yet)`);
  }
  return inputs[0];
}

/** Per-sample shape with dynamic dimensions resolved from the overrides. */
export function sampleShape(input: ValueInfo, overrides: Readonly<Record<string, number>>): number[] {
  if (input.shape === null || input.shape.length === 0) {
    throw new InputError(`the model does not declare the shape of its input "${input.name}"`);
  }
  const missing: string[] = [];
  // A declared 0 is a size, not a missing one: an empty sample is refused as --dim NAME=0 is.
  const zero = input.shape.slice(1).findIndex((d) => d === 0);
  if (zero >= 0) {
    throw new InputError(
      `the input "${input.name}" declares dimension ${zero + 1} as 0 (shape [${input.shape.join(', ')}]): a sample with no elements has no gradient to measure`,
    );
  }
  const shape = input.shape.slice(1).map((d, i) => {
    if (typeof d === 'number' && d > 0) return d;
    const key = typeof d === 'string' && d !== '?' ? d : `dim${i + 1}`;
    const v = overrides[key];
    if (v === undefined) missing.push(key);
    return v ?? 0;
  });
  if (missing.length > 0) {
    throw new InputError(
      `the input "${input.name}" has dynamic dimensions ${missing.join(', ')} (shape [${input.shape.join(', ')}]); give them sizes, e.g. --dim ${missing[0]}=32`,
    );
  }
  return shape;
}

/** How many samples the analysis would use before the memory guard: the file's count or the setting. */
export function requestedBatch(graph: Graph, request: AnalyzeRequest, settings: AnalysisSettings): number {
  if (request.inputFile === undefined) return settings.batch;
  const d = sampleShape(dataInput(graph), settings.dimOverrides).reduce((a, b) => a * b, 1);
  try {
    return Math.max(1, Math.floor(statSync(request.inputFile).size / (4 * d)));
  } catch {
    return settings.batch; // prepareInput reports the unreadable file with its reason
  }
}

/** A single seeded sample, to measure what one sample's activations take. */
export function singleSample(graph: Graph, settings: AnalysisSettings): PreparedInput {
  const info = dataInput(graph);
  const perSample = sampleShape(info, settings.dimOverrides);
  const d = perSample.reduce((a, b) => a * b, 1);
  chargeInput(settings, info, [1, ...perSample]);
  return { name: info.name, tensor: tf.tensor(streamFor(settings.seed, 'memory-probe').gaussian(d), [1, ...perSample], 'float32'), source: 'gaussian' };
}

/**
 * The batch to analyse. `maxBatch` (from the memory guard) caps it: a Gaussian batch is made
 * that small, a file's samples are cut to the first maxBatch.
 */
export function prepareInput(graph: Graph, request: AnalyzeRequest, settings: AnalysisSettings, maxBatch = Infinity): PreparedInput {
  const info = dataInput(graph);
  const perSample = sampleShape(info, settings.dimOverrides);
  const d = perSample.reduce((a, b) => a * b, 1);
  if (request.inputFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(request.inputFile);
    } catch (e) {
      throw new InputError(`${request.inputFile}: cannot read the input file (${e instanceof Error ? e.message : String(e)})`);
    }
    if (bytes.length === 0 || bytes.length % (4 * d) !== 0) {
      throw new InputError(
        `${request.inputFile}: ${bytes.length} bytes is not a whole number of float32 samples of shape [${perSample.join(', ')}] (${4 * d} bytes each)`,
      );
    }
    const n = Math.min(bytes.length / (4 * d), maxBatch);
    chargeInput(settings, info, [n, ...perSample]);
    const data = new Float32Array(n * d);
    for (let i = 0; i < n * d; i++) data[i] = bytes.readFloatLE(4 * i);
    return { name: info.name, tensor: tf.tensor(data, [n, ...perSample], 'float32'), source: request.inputFile };
  }
  if (!Number.isInteger(settings.batch) || settings.batch < 2) throw new InputError(`batch size must be an integer of at least 2 (got ${settings.batch})`);
  const n = Math.min(settings.batch, maxBatch);
  chargeInput(settings, info, [n, ...perSample]);
  const data = streamFor(settings.seed, 'input').gaussian(n * d);
  return { name: info.name, tensor: tf.tensor(data, [n, ...perSample], 'float32'), source: 'gaussian' };
}
