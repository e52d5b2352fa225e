/**
 * The memory guard's arithmetic (resources.ts): the plan is the process's resident set now,
 * plus per thread the batch's activations and a reverse pass's peak (growing with the probes
 * stacked), plus per worker thread its runtime and its copy of the weights; and the decision
 * gives up threads before it shrinks the batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideBatch,
  estimatePeakBytes,
  HEAP_GROWTH_SLACK,
  REVERSE_PER_STACKED_PROBE,
  stackedProbes,
  THREAD_BASE_BYTES,
  WORKER_RUNTIME_BYTES,
  type MemoryMeasure,
} from '../../src/engine/resources';
import { STACK_ELEMENTS } from '../../src/metrics/jacobian';

const MB = 1024 ** 2;

/** 10 MB of activations per sample, the largest 2^20 elements; 100 MB of weights held; 300 MB resident. */
const measure: MemoryMeasure = { perSampleBytes: 10 * MB, largestPerSampleElements: 2 ** 20, heldBytes: 100 * MB, residentBytes: 300 * MB, probes: 8 };

test('probes stack as deep as the largest activation allows, at least 1, at most the probes', () => {
  assert.equal(stackedProbes(2 ** 20, 4, 8), 4); // 2^24 / (4 · 2^20)
  assert.equal(stackedProbes(2 ** 20, 2, 8), 8);
  assert.equal(stackedProbes(2 ** 20, 32, 8), 1);
  assert.equal(stackedProbes(10, 1, 8), 8);
  assert.equal(stackedProbes(STACK_ELEMENTS, 1, 8), 1);
});

test('one thread: resident + base + slack · n · per sample · (1 + factor · stack)', () => {
  const n = 4;
  const stack = 4;
  const expected = 300 * MB + THREAD_BASE_BYTES + HEAP_GROWTH_SLACK * n * 10 * MB * (1 + REVERSE_PER_STACKED_PROBE * stack);
  assert.equal(estimatePeakBytes(measure, n, 1), expected);
});

test('each worker thread adds its own batch work, its runtime and the weights again', () => {
  const one = estimatePeakBytes(measure, 4, 1);
  const work = one - 300 * MB;
  assert.equal(estimatePeakBytes(measure, 4, 2), one + work + WORKER_RUNTIME_BYTES + 100 * MB);
  assert.equal(estimatePeakBytes(measure, 4, 3), one + 2 * (work + WORKER_RUNTIME_BYTES + 100 * MB));
});

test('fewer probes stacked per reverse pass before fewer threads', () => {
  // Stack 4 at batch 4: a limit that 2 threads meet only with 2 probes stacked.
  const limit = estimatePeakBytes(measure, 4, 2, 2) + 1;
  assert.ok(limit < estimatePeakBytes(measure, 4, 2, 3));
  const d = decideBatch(measure, 4, limit, 2);
  assert.deepEqual(d, { kind: 'ok', batch: 4, threads: 2, maxStack: 2, estimateBytes: estimatePeakBytes(measure, 4, 2, 2) });
  // A reverse pass holds less with fewer probes stacked.
  assert.ok(estimatePeakBytes(measure, 4, 1, 1) < estimatePeakBytes(measure, 4, 1));
});

test('the batch and threads asked for, when they fit', () => {
  const d = decideBatch(measure, 4, 10_000 * MB, 2);
  assert.deepEqual(d, { kind: 'ok', batch: 4, threads: 2, estimateBytes: estimatePeakBytes(measure, 4, 2) });
});

test('fewer threads before a smaller batch, with a note that says so', () => {
  const limit = (estimatePeakBytes(measure, 4, 1) + estimatePeakBytes(measure, 4, 2, 1)) / 2;
  const d = decideBatch(measure, 4, limit, 2);
  assert.equal(d.kind, 'ok');
  assert.equal(d.kind === 'ok' && d.threads, 1);
  assert.equal(d.kind === 'ok' && d.batch, 4);
  assert.match(d.kind === 'ok' ? (d.message ?? '') : '', /ran on 1 thread instead of 2: 2 would need about \d+ MB, over the memory limit of \d+ MB/);
  assert.ok(d.kind === 'ok' && d.estimateBytes <= limit);
});

test('a batch that does not fit on one thread is shrunk to the largest that does', () => {
  const limit = estimatePeakBytes(measure, 9, 1, 1) + 1;
  const d = decideBatch(measure, 16, limit, 2);
  assert.equal(d.kind, 'shrunk');
  if (d.kind !== 'shrunk') return;
  assert.equal(d.threads, 1);
  assert.ok(d.estimateBytes <= limit);
  assert.ok(d.batch >= 9, `batch ${d.batch}`);
  assert.equal(d.maxStack, 1);
  assert.ok(estimatePeakBytes(measure, d.batch + 1, 1, 1) > limit, 'the next batch up would not fit');
  assert.match(d.message, /^batch 16 would need about \d+ MB, over the memory limit of \d+ MB; analysed a batch of \d+ instead on one thread$/);
});

test('refused when not even 2 samples fit', () => {
  // One probe: the plan grows with the batch (with several, a larger batch stacks fewer and can need less).
  const single = { ...measure, probes: 1 };
  const d = decideBatch(single, 16, estimatePeakBytes(single, 2, 1, 1) - 1, 1);
  assert.equal(d.kind, 'refused');
});
