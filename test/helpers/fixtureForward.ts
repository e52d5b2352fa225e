/**
 * A fixture model's forward pass on its committed input batch, for the tests that compare two
 * ways of running reverse passes over the same activations (ONNX Runtime graphs, families).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '../../src/loaders';
import { toChannelsLast } from '../../src/passes/layout';
import { Executor } from '../../src/runtime/executor';
import type { Tensor } from '../../src/ops/kernel';
import type { Graph } from '../../src/graph/ir';
import { fixtureDir } from './fixtures';

export interface FixtureForward {
  readonly graph: Graph;
  readonly exec: Executor;
  readonly inputName: string;
  readonly acts: Map<string, Tensor>;
  /** Releases the activations, the input batch and the executor. */
  dispose(): void;
}

export async function fixtureForward(name: string): Promise<FixtureForward> {
  const dir = fixtureDir(name);
  const graph = toChannelsLast((await loadModel(path.join(dir, 'model.onnx'))).graph);
  const exec = new Executor(graph);
  const input = graph.inputs[0];
  const sample = (input.shape ?? []).slice(1).map(Number);
  const raw = readFileSync(path.join(dir, 'input.bin'));
  const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const x = tf.tensor(data, [data.length / sample.reduce((a, b) => a * b, 1), ...sample]);
  const feeds = new Map([[input.name, x]]);
  const acts = exec.forward(feeds);
  return {
    graph,
    exec,
    inputName: input.name,
    acts,
    dispose: () => {
      exec.disposeActivations(acts, feeds);
      x.dispose();
      exec.dispose();
    },
  };
}
