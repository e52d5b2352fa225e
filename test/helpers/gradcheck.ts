/**
 * Checks an operator's hand-written VJP against central finite differences of its forward.
 *
 * Compares scalars rather than whole Jacobians: for random u (output space) and v (input
 * space), <J^T u, v> from the VJP must equal <u, (f(x + h v) - f(x - h v)) / 2h>. Float32
 * forward passes make the difference quotient noisy, so the step is a relative one and the
 * tolerance is loose, but a wrong VJP (missing term, transposed axis, wrong scale) is off by
 * far more than that. Runs in float32 on the test backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import type { Attributes, ConstTensor, Graph, GraphNode } from '../../src/graph/ir';
import { Executor } from '../../src/runtime/executor';

export interface GradCheckInput {
  /** A float input that gets a cotangent, given as a tensor value. */
  readonly value?: tf.Tensor;
  /** A non-data input (axes, shape, indices): passed as a constant. */
  readonly constant?: ConstTensor;
  /** Omitted optional input. */
  readonly omitted?: boolean;
}

export interface GradCheckOptions {
  readonly op: string;
  readonly attrs?: Attributes;
  readonly inputs: readonly GradCheckInput[];
  /** Number of node outputs (default 1). Every output gets a random cotangent. */
  readonly outputs?: number;
  readonly seed?: number;
  readonly step?: number;
  readonly rtol?: number;
  readonly trials?: number;
}

export function singleNodeGraph(op: string, attrs: Attributes, inputs: readonly GradCheckInput[], nOut = 1): Graph {
  const constants = new Map<string, ConstTensor>();
  const names = inputs.map((inp, i) => {
    if (inp.omitted) return '';
    const name = `in${i}`;
    if (inp.constant) constants.set(name, inp.constant);
    return name;
  });
  const node: GraphNode = {
    name: `test_${op}`,
    op,
    inputs: names,
    outputs: Array.from({ length: nOut }, (_, j) => `out${j}`),
    attrs,
    origin: { name: `test_${op}`, sourceOp: op },
  };
  return {
    description: { format: 'test', formatLabel: 'test' },
    inputs: inputs.flatMap((inp, i) => (inp.value ? [{ name: `in${i}`, dtype: 'float32' as const, shape: inp.value.shape }] : [])),
    outputs: node.outputs.map((o) => ({ name: o, dtype: 'float32' as const, shape: null })),
    nodes: [node],
    constants,
  };
}

/** Asserts that the VJP of `op` matches finite differences for every data input given as `value`. */
export function checkVjp(opts: GradCheckOptions): void {
  const graph = singleNodeGraph(opts.op, opts.attrs ?? {}, opts.inputs, opts.outputs ?? 1);
  const exec = new Executor(graph);
  const seed = opts.seed ?? 1;
  const rtol = opts.rtol ?? 2e-2;
  const trials = opts.trials ?? 2;
  const dataIdx = opts.inputs.flatMap((inp, i) => (inp.value ? [i] : []));
  try {
    for (let trial = 0; trial < trials; trial++) {
      tf.tidy(() => {
        const feeds = new Map<string, tf.Tensor>(dataIdx.map((i) => [`in${i}`, opts.inputs[i].value!]));
        const acts = exec.forward(feeds);
        const outs = graph.nodes[0].outputs.map((o) => acts.get(o)!);
        const us = outs.map((o, j) => tf.randomNormal(o.shape, 0, 1, 'float32', seed + 101 * trial + j));
        const seeds = new Map(outs.map((_, j) => [`out${j}`, us[j]] as [string, tf.Tensor]));
        const grads = exec.vjp(
          acts,
          seeds,
          dataIdx.map((i) => `in${i}`),
        );
        for (const i of dataIdx) {
          const x = opts.inputs[i].value!;
          const v = tf.randomNormal(x.shape, 0, 1, 'float32', seed + 7 + 13 * trial + i);
          const xScale = Math.max(1e-3, Math.sqrt(tf.mean(tf.square(x)).dataSync()[0]));
          const h = (opts.step ?? 1e-2) * xScale;
          const evalAt = (sign: number): tf.Tensor[] => {
            const shifted = new Map(feeds);
            shifted.set(`in${i}`, tf.add(x, tf.mul(v, sign * h)));
            const a = exec.forward(shifted);
            return graph.nodes[0].outputs.map((o) => a.get(o)!);
          };
          const plus = evalAt(1);
          const minus = evalAt(-1);
          let fd = 0;
          outs.forEach((_, j) => {
            fd += tf.sum(tf.mul(us[j], tf.sub(plus[j], minus[j]))).dataSync()[0] / (2 * h);
          });
          const an = tf.sum(tf.mul(grads.get(`in${i}`)!, v)).dataSync()[0];
          // Scale for the tolerance: the size of the terms being summed, so a result that
          // cancels to near zero is not held to a relative bound it cannot meet in float32.
          const scale = tf.sum(tf.abs(tf.mul(grads.get(`in${i}`)!, v))).dataSync()[0] + 1e-6;
          assert.ok(
            Math.abs(an - fd) <= rtol * Math.max(Math.abs(an), Math.abs(fd), 0.05 * scale),
            `${opts.op}: VJP of input ${i} disagrees with finite differences: <J^T u, v> = ${an}, FD = ${fd} (trial ${trial})`,
          );
        }
      });
    }
  } finally {
    exec.dispose();
  }
}

/** A float32 tensor of seeded N(0, 1) values. */
export function randn(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

export function intConst(values: number[], shape: number[] = [values.length]): ConstTensor {
  return { dtype: 'int32', shape, data: Int32Array.from(values) };
}

export function floatConst(values: number[] | Float32Array, shape: number[]): ConstTensor {
  return { dtype: 'float32', shape, data: Float32Array.from(values) };
}
