/**
 * A bench model folder (model.onnx and its input.bin batch) loaded and laid out as the engine
 * runs it, for the scripts that time reverse passes on one forward pass.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '../src/loaders';
import { toChannelsLast } from '../src/passes/layout';
import { Executor } from '../src/runtime/executor';
import type { Graph } from '../src/graph/ir';

export interface ModelWithInput {
  readonly graph: Graph;
  readonly exec: Executor;
  readonly inputName: string;
  /** The input batch, [n, ...sample]. */
  readonly x: tf.Tensor;
}

export async function loadModelWithInput(dir: string): Promise<ModelWithInput> {
  const graph = toChannelsLast((await loadModel(path.join(dir, 'model.onnx'))).graph);
  const sample = (graph.inputs[0].shape ?? []).slice(1).map(Number);
  const raw = readFileSync(path.join(dir, 'input.bin'));
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const x = tf.tensor(data, [data.length / sample.reduce((a, b) => a * b, 1), ...sample]);
  return { graph, exec: new Executor(graph), inputName: graph.inputs[0].name, x };
}
