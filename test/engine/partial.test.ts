/**
 * The first chart early: the engine hands the GSC to the output (onPartial) once its job is
 * done, before the block matrix starts (one thread: the jobs run in queue order, the GSC to
 * the output first), and its numbers are the final report's.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import type { AnalysisPhase } from '../../src/engine/api';
import type { PartialReport } from '../../src/report/schema';
import { useTestBackend } from '../helpers/backend';
import { fixtureDir } from '../helpers/fixtures';

const MODEL = path.join(fixtureDir('resnet_cifar8'), 'model.onnx');

describe('partial report (GSC to the output first)', () => {
  before(async () => {
    await useTestBackend();
  });

  for (const threads of [1, 2]) {
    test(`${threads} thread(s): one partial, with the final report's GSC to the output${threads === 1 ? ', before any block-matrix pass' : ''}`, async () => {
      const events: (AnalysisPhase | 'partial')[] = [];
      const partials: PartialReport[] = [];
      const report = await analyzeModel(
        { modelPath: MODEL, settings: { backend: 'wasm', batch: 4, probes: 4, seed: 3, exact: 'off', blockMatrix: true }, threads },
        {
          onProgress: (e) => events.push(e.phase),
          onPartial: (p) => {
            events.push('partial');
            partials.push(p);
          },
        },
      );
      assert.equal(partials.length, 1, 'exactly one partial report');
      const partial = partials[0];
      const at = events.indexOf('partial');
      assert.ok(events.includes('block-matrix'), 'the block matrix ran');
      if (threads === 1) {
        assert.ok(at < events.indexOf('block-matrix'), `partial at ${at}, after a block-matrix pass: ${events.join(' ')}`);
        assert.ok(at < events.indexOf('blocks'), 'partial after a per-block pass');
      }
      assert.ok(at < events.indexOf('nonlinearities'), 'the partial came before the nonlinearities');
      assert.deepEqual(partial.done, ['gsc-to-output']);
      assert.equal(partial.model.path, report.model.path);
      assert.deepEqual(partial.settings, report.settings);
      assert.deepEqual(partial.thresholds, report.thresholds);
      assert.deepEqual(partial.boundaries, report.boundaries);
      assert.deepEqual(partial.growth, report.growth);
      assert.deepEqual(
        partial.blocks,
        report.blocks.map((b) => ({ index: b.index, name: b.name, kind: b.kind, gscToOutput: b.gscToOutput })),
      );
      assert.ok(partial.boundaries.length > 2 && partial.boundaries.every((b) => Number.isFinite(b.gscToOutput.value)));
    });
  }

  test('a listener that throws fails the analysis with its error', async () => {
    await assert.rejects(
      analyzeModel(
        { modelPath: MODEL, settings: { backend: 'wasm', batch: 2, probes: 2, seed: 3, exact: 'off', blockMatrix: false }, threads: 1 },
        {
          onPartial: () => {
            throw new Error('listener broke');
          },
        },
      ),
      /listener broke/,
    );
  });
});
