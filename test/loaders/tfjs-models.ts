/**
 * Helpers for the TF.js loader tests: write small model.json + weight files into a temp
 * folder, run a loaded graph forward, and check its reverse pass against finite differences.
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Graph } from '../../src/graph/ir';
import { Executor } from '../../src/runtime/executor';

export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly values: ArrayLike<number>;
}

/** Writes model.json (with a one-file weightsManifest for `weights`) and extra files; returns the model.json path. */
export function writeModel(json: Record<string, unknown> | unknown[], weights: readonly WeightSpec[] = [], extraFiles: Record<string, Buffer> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gl-tfjs-'));
  const chunks: Buffer[] = [];
  for (const w of weights) {
    const b = Buffer.alloc(4 * w.values.length);
    for (let i = 0; i < w.values.length; i++) {
      if (w.dtype === 'float32') b.writeFloatLE(w.values[i], 4 * i);
      else b.writeInt32LE(w.values[i], 4 * i);
    }
    chunks.push(b);
  }
  const full: Record<string, unknown> | unknown[] = Array.isArray(json) ? json : { ...json };
  if (weights.length > 0 && !Array.isArray(full) && full.weightsManifest === undefined) {
    writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(chunks));
    full.weightsManifest = [{ paths: ['weights.bin'], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype })) }];
  }
  for (const [name, data] of Object.entries(extraFiles)) writeFileSync(path.join(dir, name), data);
  const file = path.join(dir, 'model.json');
  writeFileSync(file, JSON.stringify(full));
  return file;
}

/** Seeded N(0, scale^2) values. */
export function seeded(shape: readonly number[], seed: number, scale = 1): Float32Array {
  return tf.tidy(() => tf.randomNormal([...shape], 0, scale, 'float32', seed).dataSync() as Float32Array);
}

export function forward(graph: Graph, feeds: Readonly<Record<string, tf.Tensor>>, output = graph.outputs[0].name): Float32Array {
  const exec = new Executor(graph);
  try {
    const acts = exec.forward(new Map(Object.entries(feeds)));
    const out = acts.get(output);
    assert.ok(out, `no value for output ${output}`);
    const values = out.dataSync() as Float32Array;
    const copy = Float32Array.from(values);
    exec.disposeActivations(acts, new Map(Object.entries(feeds)));
    return copy;
  } finally {
    exec.dispose();
  }
}

/** max |a - b| / max |b|, with shapes checked by length. */
export function maxRelErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'number of values');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

/**
 * <J^T u, v> from the executor's reverse pass against central differences of the forward
 * pass along v, for the whole translated graph from input `inputName` to its first output.
 */
export function checkGraphVjp(graph: Graph, inputName: string, x: tf.Tensor, seed: number, rtol = 2e-2): void {
  const exec = new Executor(graph);
  const output = graph.outputs[0].name;
  try {
    tf.tidy(() => {
      const feeds = new Map([[inputName, x]]);
      const acts = exec.forward(feeds);
      const y = acts.get(output)!;
      const u = tf.randomNormal(y.shape, 0, 1, 'float32', seed);
      const grads = exec.vjp(acts, new Map([[output, u]]), [inputName]);
      const v = tf.randomNormal(x.shape, 0, 1, 'float32', seed + 1);
      const xScale = Math.max(1e-3, Math.sqrt(tf.mean(tf.square(x)).dataSync()[0]));
      const h = 1e-2 * xScale;
      const at = (sign: number): tf.Tensor => exec.forward(new Map([[inputName, tf.add(x, tf.mul(v, sign * h))]])).get(output)!;
      const fd = tf.sum(tf.mul(u, tf.sub(at(1), at(-1)))).dataSync()[0] / (2 * h);
      const g = grads.get(inputName)!;
      const an = tf.sum(tf.mul(g, v)).dataSync()[0];
      const scale = tf.sum(tf.abs(tf.mul(g, v))).dataSync()[0] + 1e-6;
      assert.ok(
        Math.abs(an - fd) <= rtol * Math.max(Math.abs(an), Math.abs(fd), 0.05 * scale),
        `VJP through the translated graph disagrees with finite differences: <J^T u, v> = ${an}, FD = ${fd}`,
      );
    });
  } finally {
    exec.dispose();
  }
}

/** A one-Dense-layer layers model (4 -> 3, no bias) whose single shard is `weightsPath`. */
export function denseJson(weightsPath: string): Record<string, unknown> {
  return {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [{ class_name: 'Dense', config: { name: 'dense', units: 3, activation: 'linear', use_bias: false, batch_input_shape: [null, 4] } }],
      },
    },
    weightsManifest: [{ paths: [weightsPath], weights: [{ name: 'dense/kernel', shape: [4, 3], dtype: 'float32' }] }],
  };
}

type Ref = [string, number, number, Record<string, never>];
const call = (...refs: [string, number?][]): Ref[][] => [refs.map(([l, k]) => [l, k ?? 0, 0, {}] as Ref)];

function dense(name: string, units: number, from: [string, number?], activation = 'tanh'): Record<string, unknown> {
  return { class_name: 'Dense', config: { name, units, activation, use_bias: true }, inbound_nodes: call(from) };
}

function denseWeights(name: string, fanIn: number, units: number, seed: number): WeightSpec[] {
  return [
    { name: `${name}/kernel`, shape: [fanIn, units], dtype: 'float32', values: seeded([fanIn, units], seed, 1 / Math.sqrt(fanIn)) },
    { name: `${name}/bias`, shape: [units], dtype: 'float32', values: seeded([units], seed + 1, 0.1) },
  ];
}

/** in [8] -> hidden -> (hidden + branch) -> logits [4] -> decode (Lambda); shared "sq" called twice on the side. */
export function writeDetector(): string {
  const layers = [
    { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 8], dtype: 'float32' }, inbound_nodes: [] },
    dense('hidden', 16, ['in']),
    dense('branch', 16, ['hidden']),
    { class_name: 'Add', config: { name: 'merge' }, inbound_nodes: call(['hidden'], ['branch']) },
    dense('logits', 4, ['merge'], 'linear'),
    { class_name: 'Lambda', config: { name: 'decode', function: 'x => x' }, inbound_nodes: call(['logits']) },
    { class_name: 'Dense', config: { name: 'sq', units: 8, activation: 'tanh', use_bias: true }, inbound_nodes: [...call(['in']), ...call(['sq', 0])] },
  ];
  const json = {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Model',
      config: { name: 'detector', layers, input_layers: [['in', 0, 0]], output_layers: [['decode', 0, 0]] },
    },
  };
  return writeModel(json, [
    ...denseWeights('hidden', 8, 16, 1),
    ...denseWeights('branch', 16, 16, 3),
    ...denseWeights('logits', 16, 4, 5),
    ...denseWeights('sq', 8, 8, 7),
  ]);
}
