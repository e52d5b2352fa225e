/**
 * "Analyze With Data…" goes through the worker protocol: the worker process reads and decodes
 * the sample data itself (the extension host only passes paths), and its report equals the
 * in-process engine's. Malformed data fields are answered with an error, not run.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { AnalysisError, WorkerClient } from '../../src/extension/analysis/workerClient';
import { analyzeModel } from '../../src/engine/analyze';
import type { AnalyzeRequest } from '../../src/engine/api';
import { serveAnalyses } from '../../src/worker/serve';
import { classifyError } from '../../src/engine/classifyError';
import type { WorkerToParent } from '../../src/protocol/worker';
import { useTestBackend } from '../helpers/backend';
import { gaussianMatrix } from '../helpers/graphs';
import { floatTensor, node, valueInfo, writeOnnx } from '../loaders/onnx-models';

const IS_TS = path.extname(__filename) === '.ts';
const WORKER = path.resolve(__dirname, '..', '..', 'src', 'worker', IS_TS ? 'main.ts' : 'main.js');

before(async () => {
  await useTestBackend();
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-worker-data-'));

test('the worker reads an image folder with class labels and measures GSC to the loss like the in-process engine', async () => {
  // A grey 3x3 image model: flatten -> dense 9x4 -> tanh -> dense 4x2 (two classes).
  const FLOAT = 1;
  const model = writeOnnx({
    nodes: [
      node('Flatten', ['img'], ['flat'], { axis: 1 }, 'flatten'),
      node('MatMul', ['flat', 'w1'], ['z1'], {}, 'fc1'),
      node('Tanh', ['z1'], ['h'], {}, 'act1'),
      node('MatMul', ['h', 'w2'], ['logits'], {}, 'fc2'),
    ],
    inputs: [valueInfo('img', FLOAT, ['batch', 1, 3, 3])],
    outputs: [valueInfo('logits', FLOAT, ['batch', 2])],
    initializers: [floatTensor('w1', [9, 4], Array.from(gaussianMatrix(9, 4, 5, 0.8))), floatTensor('w2', [4, 2], Array.from(gaussianMatrix(4, 2, 6, 1)))],
  });
  const root = path.join(dir, 'imgs');
  ['no', 'yes'].forEach((cls, k) => {
    mkdirSync(path.join(root, cls), { recursive: true });
    for (let j = 0; j < 2; j++) {
      const png = new PNG({ width: 6, height: 6 });
      for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : (i * (3 + j) + 90 * k) % 256;
      writeFileSync(path.join(root, cls, `${j}.png`), PNG.sync.write(png));
    }
  });
  const request: AnalyzeRequest = {
    modelPath: model,
    settings: { backend: 'wasm', batch: 4, probes: 2 },
    data: { path: root, mean: [0.5], std: [0.2] },
    reference: 'error',
  };
  const client = new WorkerClient({ workerPath: WORKER, execArgv: IS_TS ? ['--import', 'tsx'] : [], log: () => undefined });
  try {
    const viaWorker = await client.analyze(request, {});
    const direct = await analyzeModel(request);
    assert.equal(viaWorker.input?.kind, 'images');
    assert.equal(viaWorker.input?.layout, 'CHW', 'a [1, 3, 3] input is one grey channel first');
    assert.deepEqual(viaWorker.reference.classes, ['no', 'yes']);
    assert.equal(viaWorker.reference.loss, 'cross-entropy');
    assert.deepEqual(
      viaWorker.boundaries.map((x) => x.gscToOutput.value),
      direct.boundaries.map((x) => x.gscToOutput.value),
    );
    // A data error comes back as DataError naming the file.
    await assert.rejects(client.analyze({ ...request, data: { path: path.join(dir, 'missing.npy') } }, {}), (e: unknown) => {
      assert.ok(e instanceof AnalysisError);
      assert.equal(e.info.name, 'DataError');
      assert.equal(e.code, 'data');
      assert.match(e.message, /missing\.npy: not found/);
      return true;
    });
  } finally {
    client.dispose();
  }
});

test('malformed data fields are answered with an error and never analysed', async () => {
  const sent: WorkerToParent[] = [];
  let listener: (m: unknown) => void = () => undefined;
  let ran = false;
  serveAnalyses(
    { send: (m) => sent.push(m), onMessage: (l) => (listener = l), exit: () => undefined },
    async () => {
      ran = true;
      throw new Error('should not run');
    },
    classifyError,
    1,
  );
  listener({ type: 'analyze', id: 7, request: { modelPath: 'm.onnx', data: { path: 'x.npy', mean: ['a'] } } });
  listener({ type: 'analyze', id: 8, request: { modelPath: 'm.onnx', reference: 'loss' } });
  assert.equal(ran, false);
  const errors = sent.filter((m) => m.type === 'error');
  assert.deepEqual(
    errors.map((m) => (m.type === 'error' ? [m.id, m.error.message] : [])),
    [
      [7, 'data.mean must be a list of numbers'],
      [8, 'reference must be "output" or "error" (got "loss")'],
    ],
  );
});
