/**
 * How far two results of the same computation are apart, relative to the size of one of them:
 * what the tests comparing two ways of computing (ONNX Runtime against TensorFlow.js, a fast
 * path against the general one) assert on. Float32 rounding of another summation order is ~1e-6.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';

type Values = tf.Tensor | ArrayLike<number>;

const valuesOf = (v: Values): ArrayLike<number> => (v instanceof tf.Tensor ? v.dataSync() : v);

/** Largest |a - b| over the largest |scale|; against an all-zero `scale`, 0 only when `a` is all zeros too. */
export function maxRelDiff(a: Values, scale: Values): number {
  const x = valuesOf(a);
  const y = valuesOf(scale);
  assert.equal(x.length, y.length, 'the two results have as many values');
  let largest = 0;
  let diff = 0;
  for (let i = 0; i < x.length; i++) {
    largest = Math.max(largest, Math.abs(y[i]));
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
  }
  if (largest === 0) return diff === 0 ? 0 : Infinity;
  return diff / largest;
}
