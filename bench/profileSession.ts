/**
 * What both profilers (profile.ts per engine op, kprof.ts per tfjs kernel) set up: the graph
 * the analysis runs, a batch, the forward pass and the reverse passes' target and boundaries.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import type { Graph } from '../src/graph/ir';
import { loadModel } from '../src/loaders';
import { toChannelsLast } from '../src/passes/layout';
import { initBackend } from '../src/runtime/backend';
import type { Executor } from '../src/runtime/executor';
import { partitionBlocks } from '../src/metrics/blocks';
import { referenceOutput } from '../src/graph/queries';
import { SeededRandom } from '../src/runtime/random';

/** The wasm backend and the model's graph as the analysis runs it (convolutions channels-last). */
export async function benchGraph(modelPath: string): Promise<Graph> {
  await initBackend('wasm');
  return toChannelsLast((await loadModel(modelPath)).graph);
}

/** A batch of `batch` samples: the first ones of input.bin, or seeded Gaussian values. */
export function benchFeeds(graph: Graph, batch: number, inputPath?: string): { input: string; feeds: Map<string, tf.Tensor> } {
  const input = graph.inputs.find((i) => !graph.constants.has(i.name))!;
  const shape = [batch, ...(input.shape ?? []).slice(1).map((d) => (typeof d === 'number' ? d : 1))];
  const size = shape.reduce((a, b) => a * b, 1);
  const data = inputPath ? new Float32Array(readFileSync(inputPath).buffer.slice(0, size * 4)) : new SeededRandom(1).gaussian(size);
  return { input: input.name, feeds: new Map([[input.name, tf.tensor(data, shape)]]) };
}

/**
 * The reference output and the block boundaries below it, after one untimed reverse pass:
 * XNNPACK packs each new kernel on its first use, as the forward's first run did.
 */
export function reversePassTargets(
  exec: Executor,
  graph: Graph,
  input: string,
  acts: ReadonlyMap<string, tf.Tensor>,
): { out: string; wrt: string[]; y: tf.Tensor } {
  const out = referenceOutput(graph);
  const wrt = partitionBlocks(graph, input, out).boundaries.slice(0, -1);
  const y = acts.get(out)!;
  const seed = tf.onesLike(y);
  exec.vjp(acts, new Map([[out, seed]]), wrt).forEach((g) => g.dispose());
  seed.dispose();
  return { out, wrt, y };
}
