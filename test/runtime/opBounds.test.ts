/**
 * Every op's output-size bound is a fact of its kernel: ops that used to have none (Einsum,
 * Concat, taken to never grow) are refused before they allocate, in graphs built here.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Executor } from '../../src/runtime/executor';
import { ResourceError } from '../../src/engine/api';
import { TensorSizeError } from '../../src/runtime/sizeGuard';
import { useTestBackend } from '../helpers/backend';
import { GraphBuilder } from '../helpers/graphs';

/** Runs the graph's forward pass with a per-tensor element cap; the error, or undefined when it ran. */
function forwardUnder(b: GraphBuilder, output: string, width: number, maxElements: number): Error | undefined {
  const { graph } = b.build(output);
  const exec = new Executor(graph, maxElements);
  const x = tf.ones([1, width]);
  const feeds = new Map([[b.inputName, x]]);
  try {
    exec.disposeActivations(exec.forward(feeds), feeds);
    return undefined;
  } catch (e) {
    return e as Error;
  } finally {
    x.dispose();
    exec.dispose();
  }
}

describe('output-size bounds of ops that had none', () => {
  before(async () => {
    await useTestBackend();
  });

  test('an outer-product Einsum "bi,bj->bij" of [1, 1000] with itself (1e6 elements) is refused under a 1e5 cap', () => {
    const b = new GraphBuilder('x', [1, 1000]);
    const out = b.node('Einsum', ['x', 'x'], { equation: 'bi,bj->bij' }, 'outer');
    const before = tf.memory().numBytes;
    const err = forwardUnder(b, out, 1000, 100_000);
    assert.ok(err instanceof TensorSizeError, `expected a TensorSizeError, got ${String(err)}`);
    assert.ok(err instanceof ResourceError);
    assert.equal(err.elements, 1_000_000);
    assert.match(err.message, /node "outer" \(Einsum\)/);
    assert.equal(tf.memory().numBytes, before, 'nothing left allocated');
  });

  test('the same Einsum runs under a cap its output fits (the bound is not loose)', () => {
    const b = new GraphBuilder('x', [1, 100]);
    const out = b.node('Einsum', ['x', 'x'], { equation: 'bi,bj->bij' }, 'outer');
    assert.equal(forwardUnder(b, out, 100, 10_000), undefined);
  });

  test('a Concat of one [1, 1000] input repeated 1000 times (1e6 elements) is refused under a 1e5 cap', () => {
    const b = new GraphBuilder('x', [1, 1000]);
    const out = b.node(
      'Concat',
      Array.from({ length: 1000 }, () => 'x'),
      { axis: 1 },
      'repeat',
    );
    const err = forwardUnder(b, out, 1000, 100_000);
    assert.ok(err instanceof TensorSizeError, `expected a TensorSizeError, got ${String(err)}`);
    assert.equal(err.elements, 1_000_000);
    assert.match(err.message, /node "repeat" \(Concat\)/);
  });

  test('a Concat of 10 copies runs under a cap it fits', () => {
    const b = new GraphBuilder('x', [1, 1000]);
    const out = b.node(
      'Concat',
      Array.from({ length: 10 }, () => 'x'),
      { axis: 1 },
      'repeat',
    );
    assert.equal(forwardUnder(b, out, 1000, 10_000), undefined);
  });
});
