/**
 * The memory limit applies from the first byte: an input whose declared shape does not fit is
 * refused before it is allocated (the one-sample probe used to allocate it first).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_SETTINGS, ResourceError } from '../../src/engine/api';
import { singleSample } from '../../src/engine/input';
import { MemoryBudget } from '../../src/runtime/memoryBudget';
import { useTestBackend } from '../helpers/backend';
import { GraphBuilder } from '../helpers/graphs';
import { Executor } from '../../src/runtime/executor';
import { blazeBlockModel } from '../helpers/blockShapes';

describe('memory budget', () => {
  before(async () => {
    await useTestBackend();
  });

  test('charges add up and the charge that passes the limit is refused, naming its cause', () => {
    const budget = new MemoryBudget(100);
    budget.charge(60, 'a');
    assert.throws(
      () => budget.charge(41, 'the shard w.bin'),
      (e: unknown) => e instanceof ResourceError && /the shard w\.bin/.test(e.message),
    );
    budget.charge(40, 'b');
    assert.equal(budget.usedBytes, 100);
  });

  test('an input declared [N, 3e7] (120 MB a sample) is refused under a 16 MB limit before it is allocated', () => {
    const { graph } = new GraphBuilder('x', ['N', 30_000_000]).build('x');
    const before = tf.memory().numBytes;
    assert.throws(
      () => singleSample(graph, { ...DEFAULT_SETTINGS, memoryLimitMb: 16 }).tensor.dispose(),
      (e: unknown) => e instanceof ResourceError && /input "x" of shape \[1, 30000000\]/.test(e.message),
    );
    assert.equal(tf.memory().numBytes, before, 'nothing allocated');
  });

  test('a small input fits a 1 MB limit', () => {
    const { graph } = new GraphBuilder('x', ['N', 1000]).build('x');
    const t = singleSample(graph, { ...DEFAULT_SETTINGS, memoryLimitMb: 1 }).tensor;
    assert.deepEqual(t.shape, [1, 1000]);
    t.dispose();
  });

  test('a block-local forward pass (forwardFrom, as k_lin runs hundreds) gives its charge back', () => {
    const { graph } = blazeBlockModel();
    const budget = new MemoryBudget(1024 ** 3);
    const exec = new Executor(graph, 2 ** 31 - 1, budget);
    const x = tf.randomNormal([4, 4, 8, 8], 0, 1, 'float32', 5);
    const feeds = new Map([[graph.inputs[0].name, x]]);
    const acts = exec.forward(feeds);
    const held = budget.usedBytes;
    try {
      const moved = tf.mul(x, 1.5);
      for (let r = 0; r < 3; r++) {
        const out = exec.forwardFrom(acts, new Map([[graph.inputs[0].name, moved]]), [graph.outputs[0].name]);
        out.forEach((t) => t.dispose());
        assert.equal(budget.usedBytes, held, `after pass ${r + 1}`);
      }
      moved.dispose();
    } finally {
      exec.disposeActivations(acts, feeds);
      x.dispose();
      exec.dispose();
    }
  });
});
