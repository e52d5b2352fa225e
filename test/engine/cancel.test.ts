/**
 * Cancellation at any point of an analysis stops it promptly and leaves no tensor behind, so a
 * long-lived process (the CLI in a script, a test runner, the extension's worker between
 * analyses) gets its memory back without having to exit.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { analyzeModel } from '../../src/engine/analyze';
import { CancelledError, type AnalysisPhase } from '../../src/engine/api';
import { useTestBackend } from '../helpers/backend';
import { fixtureDir } from '../helpers/fixtures';

const MODEL = path.join(fixtureDir('resnet_cifar8'), 'model.onnx');
const SETTINGS = { backend: 'wasm', batch: 4, probes: 4, seed: 3, exact: 'off', blockMatrix: true } as const;

describe('cancellation', () => {
  before(async () => {
    await useTestBackend();
  });

  const phases: AnalysisPhase[] = ['forward', 'gsc-to-output', 'block-matrix', 'blocks', 'nonlinearities'];
  // One thread: everything in this thread. Two: the reverse passes also run on a worker thread.
  const cases: [AnalysisPhase, number][] = [...phases.map((p): [AnalysisPhase, number] => [p, 1]), ['gsc-to-output', 2], ['blocks', 2]];
  for (const [phase, threads] of cases) {
    test(`${threads} thread(s), cancelled in phase "${phase}": rejects with CancelledError before the next phase and frees every tensor`, async () => {
      const tensorsBefore = tf.memory().numTensors;
      const bytesBefore = tf.memory().numBytes;
      const controller = new AbortController();
      let aborted = false;
      const phasesAfterAbort = new Set<AnalysisPhase>();
      const outcome = await analyzeModel(
        { modelPath: MODEL, settings: SETTINGS, threads },
        {
          signal: controller.signal,
          onProgress: (e) => {
            if (controller.signal.aborted) phasesAfterAbort.add(e.phase);
            if (e.phase === phase && !controller.signal.aborted) {
              aborted = true;
              controller.abort();
            }
          },
        },
      ).then(
        () => 'finished' as const,
        (e: unknown) => e,
      );
      assert.ok(aborted, `the analysis never reached phase ${phase}`);
      assert.ok(outcome instanceof CancelledError, `expected CancelledError, got ${String(outcome)}`);
      // Promptly, counted in work rather than milliseconds (a time bound would measure the
      // machine's load): no later phase starts once the abort is seen.
      assert.deepEqual(
        [...phasesAfterAbort].filter((p) => p !== phase),
        [],
        `phases begun after the abort in ${phase}`,
      );
      assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors left allocated after cancel');
      assert.equal(tf.memory().numBytes, bytesBefore, 'bytes left allocated after cancel');
    });
  }

  test('a finished analysis frees every tensor too', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const report = await analyzeModel({ modelPath: MODEL, settings: SETTINGS });
    assert.ok(report.blocks.length > 0);
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });
});
