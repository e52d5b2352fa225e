/**
 * The webpack-bundled worker (dist/worker.js, with the wasm binaries beside it) runs a real
 * analysis through the WorkerClient, and its numbers equal the unbundled engine's for the same
 * settings. Needs `npm run compile` (or `npm run package`) first; skipped with a message when
 * dist/worker.js is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { AnalysisError, WorkerClient } from '../../src/extension/analysis/workerClient';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { analyzeModel } from '../../src/engine/analyze';
import type { ProgressEvent } from '../../src/engine/api';
import type { PartialReport } from '../../src/report/schema';

const REPO = path.resolve(__dirname, path.extname(__filename) === '.ts' ? '../..' : '../../..');
const WORKER = path.join(REPO, 'dist', 'worker.js');
const MODEL = path.join(REPO, 'examples', 'resnet', 'model.onnx');

test('the bundled worker analyses the example and matches the in-process engine', async () => {
  assert.ok(existsSync(WORKER), `${WORKER} not built: run npm run compile before the tests`);
  const request = { modelPath: MODEL, settings: { batch: 2, probes: 2, seed: 3, backend: 'wasm' as const, blockMatrix: false } };
  const lines: string[] = [];
  const client = new WorkerClient({ workerPath: WORKER, log: (l) => lines.push(l) });
  try {
    const phases = new Set<string>();
    const partials: PartialReport[] = [];
    const bundled = await client.analyze(request, { onProgress: (e: ProgressEvent) => phases.add(e.phase), onPartial: (p) => partials.push(p) });
    assert.equal(bundled.backend.name, 'wasm');
    // The GSC to the output crossed the process boundary before the result, with its numbers.
    assert.equal(partials.length, 1);
    assert.deepEqual(partials[0].boundaries, bundled.boundaries);
    assert.ok(bundled.blocks.length > 0);
    assert.ok(phases.has('loading') && phases.has('forward'), `phases seen: ${[...phases].join(', ')}`);
    const direct = await analyzeModel(request);
    assert.deepEqual(
      bundled.blocks.map((b) => [b.name, b.gscToOutput.value, b.gscBlock.value]),
      direct.blocks.map((b) => [b.name, b.gscToOutput.value, b.gscBlock.value]),
    );
  } finally {
    client.dispose();
  }
});

test(
  'the bundled worker sends the code of an engine error (its classifier loads with the engine)',
  { skip: existsSync(WORKER) ? false : `${WORKER} not built (npm run compile)` },
  async () => {
    const bad = path.join(mkdtempSync(path.join(os.tmpdir(), 'gl-bundled-')), 'broken.onnx');
    writeFileSync(bad, 'not a model');
    const client = new WorkerClient({ workerPath: WORKER, log: () => undefined });
    try {
      await assert.rejects(client.analyze({ modelPath: bad, settings: { backend: 'wasm' } }), (e: unknown) => {
        assert.ok(e instanceof AnalysisError);
        assert.equal(e.code, 'model-load', `${e.name}: ${e.message}`);
        return true;
      });
    } finally {
      client.dispose();
    }
  },
);

const THREAD = path.join(REPO, 'dist', 'analysisThread.js');

test('the bundled worker runs reverse passes on a second thread (dist/analysisThread.js) with the same numbers', async () => {
  assert.ok(existsSync(THREAD), `${THREAD} not built: run npm run compile before the tests`);
  const settings = { batch: 2, probes: 2, seed: 5, backend: 'wasm' as const, blockMatrix: true };
  const client = new WorkerClient({ workerPath: WORKER, log: () => undefined });
  try {
    const oneThread = await client.analyze({ modelPath: MODEL, settings, threads: 1 }, {});
    const twoThreads = await client.analyze({ modelPath: MODEL, settings, threads: 2 }, {});
    assert.deepEqual(
      twoThreads.blocks.map((b) => [b.name, b.gscToOutput.value, b.gscBlock.value, b.linearisation.kLin]),
      oneThread.blocks.map((b) => [b.name, b.gscToOutput.value, b.gscBlock.value, b.linearisation.kLin]),
    );
    assert.deepEqual(twoThreads.blockMatrix?.gsc, oneThread.blockMatrix?.gsc);
    assert.equal(oneThread.backend.threads, 1);
    assert.equal(twoThreads.backend.threads, 2, 'the second thread ran jobs');
  } finally {
    client.dispose();
  }
});

test('the bundled worker runs the reverse passes on ONNX Runtime, from the binary webpack copied beside it', async () => {
  assert.ok(existsSync(WORKER), `${WORKER} not built: run npm run compile before the tests`);
  assert.ok(existsSync(path.join(REPO, 'dist', 'onnxruntime', `${process.platform}-${process.arch}`, 'onnxruntime_binding.node')), 'webpack copied the binary');
  const client = new WorkerClient({ workerPath: WORKER, log: () => undefined });
  try {
    const report = await client.analyze({ modelPath: MODEL, settings: { batch: 2, probes: 2, seed: 3, backend: 'ort', blockMatrix: false } }, {});
    assert.equal(report.backend.name, 'ort');
    assert.match(report.backend.reason ?? '', /ONNX Runtime .* runs each reverse pass as one graph/);
  } finally {
    client.dispose();
  }
});

test('the bundled worker lists a model file’s tensors, and names the file it cannot read', async () => {
  assert.ok(existsSync(WORKER), `${WORKER} not built: run npm run compile before the tests`);
  const client = new WorkerClient({ workerPath: WORKER, log: () => undefined });
  try {
    const listing = await client.listTensors(MODEL);
    assert.equal(listing.outputs.length, 1);
    assert.ok(listing.inputs.length === 1 && listing.tensors.length > 10, `${listing.tensors.length} tensors`);
    assert.ok(listing.tensors.some((t) => t.name === listing.outputs[0]));
    assert.ok(listing.tensors.some((t) => t.op === 'Conv'));
    await assert.rejects(
      client.listTensors(path.join(REPO, 'no-such-model.onnx')),
      (e: unknown) => e instanceof AnalysisError && e.code === 'model-load' && /file not found/.test(e.message),
    );
  } finally {
    client.dispose();
  }
});
