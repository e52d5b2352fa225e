/**
 * The memory guard's cap on probes stacked per reverse pass (Executor.maxStackedProbes) changes
 * how many passes run, not the numbers: the probes are the same seeded streams either way.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Executor } from '../../src/runtime/executor';
import { measureJacobianSquares, probesPerPass, STACK_ELEMENTS } from '../../src/metrics/jacobian';
import { streamFor } from '../../src/runtime/random';
import { useTestBackend } from '../helpers/backend';
import { blazeBlockModel } from '../helpers/blockShapes';
import { GraphBuilder } from '../helpers/graphs';

before(async () => {
  await useTestBackend();
});

test('one probe per pass gives the same squares as eight probes stacked', async () => {
  const { graph } = blazeBlockModel();
  const exec = new Executor(graph);
  const x = tf.randomNormal([4, 4, 8, 8], 0, 1, 'float32', 7);
  const feeds = new Map([[graph.inputs[0].name, x]]);
  const acts = exec.forward(feeds);
  const target = graph.outputs[0].name;
  const wrt = [graph.inputs[0].name];
  try {
    const run = async (cap: number): Promise<{ squares: number[][]; stack: number }> => {
      exec.maxStackedProbes = cap;
      const stack = probesPerPass(exec, acts, wrt, 8, 8);
      const r = await measureJacobianSquares(exec, acts, target, wrt, { exact: false, probes: 8, rng: streamFor(3, 'stack-cap') });
      return { squares: r.squares.get(wrt[0])!, stack };
    };
    const stacked = await run(Infinity);
    const single = await run(1);
    assert.equal(stacked.stack, 8);
    assert.equal(single.stack, 1);
    assert.equal(single.squares.length, 8);
    for (let p = 0; p < 8; p++) {
      for (let i = 0; i < 4; i++) {
        const a = stacked.squares[p][i];
        const b = single.squares[p][i];
        assert.ok(Math.abs(a - b) <= 1e-5 * Math.abs(b), `probe ${p} sample ${i}: ${a} vs ${b}`);
      }
    }
  } finally {
    exec.disposeActivations(acts, feeds);
    x.dispose();
    exec.dispose();
  }
});

test('a weight larger than the stack limit (a word embedding) does not keep passes at one probe', () => {
  // x + table[0]: the table has more elements than STACK_ELEMENTS, as BERT's 30522x768 word
  // embedding does; it is a weight, never stacked, so the probes stack as the activations allow.
  const rows = Math.floor(STACK_ELEMENTS / 64) + 1;
  const b = new GraphBuilder('x', ['batch', 64]);
  const table = b.constant(new Float32Array(rows * 64), [rows, 64]);
  const row = b.node('Gather', [table, b.intConstant([0], [1])]);
  const { graph } = b.build(b.node('Add', ['x', row]));
  const exec = new Executor(graph);
  const x = tf.ones([2, 64]);
  const feeds = new Map([['x', x]]);
  const acts = exec.forward(feeds);
  try {
    assert.ok(acts.get(table)!.size > STACK_ELEMENTS);
    assert.equal(probesPerPass(exec, acts, ['x'], 8, 8), 8);
  } finally {
    exec.disposeActivations(acts, feeds);
    x.dispose();
    exec.dispose();
  }
});
