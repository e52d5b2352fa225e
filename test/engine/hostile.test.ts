/**
 * Hostile model files the loaders must refuse (or survive) without harm. Cases already in
 * test/loaders are not repeated here: ONNX external data via "../", absolute paths and
 * symlinks (onnx.test.ts), tfjs weights via "../" and Lambda refusal by class (tfjs.test.ts).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import { ModelLoadError } from '../../src/loaders/errors';
import { ResourceError } from '../../src/engine/api';
import { cli as runCli } from '../helpers/cli';
import { loadModel } from '../../src/loaders';
import type { AnalysisReport } from '../../src/report/schema';
import { useTestBackend } from '../helpers/backend';
import { floatTensor, node, T, valueInfo, writeOnnx } from '../loaders/onnx-models';
import { denseJson, writeModel } from '../loaders/tfjs-models';
import { gscFromSquares } from '../../src/metrics/gsc';

const SETTINGS = { backend: 'wasm', batch: 2, probes: 2, blockMatrix: false } as const;

async function loadFailure(file: string): Promise<ModelLoadError> {
  const e = await loadModel(file).then(
    () => assert.fail(`${file} loaded`),
    (err: unknown) => err,
  );
  assert.ok(e instanceof ModelLoadError, `expected a ModelLoadError, got ${String(e)}`);
  return e;
}

/** A readable 48-byte weight file outside every model folder. */
function outsideWeights(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'gl-outside-')), 'secret.bin');
  writeFileSync(file, Buffer.alloc(48, 1));
  return file;
}

describe('hostile models', () => {
  before(async () => {
    await useTestBackend();
  });

  test('tfjs: an absolute weight path is refused, naming the file', async () => {
    const target = outsideWeights();
    const e = await loadFailure(writeModel(denseJson(target)));
    assert.match(e.message, /secret\.bin/);
  });

  test('tfjs: a symlink leading out of the model folder is refused, naming the file', async () => {
    const target = outsideWeights();
    const file = writeModel(denseJson('link.bin'));
    symlinkSync(target, path.join(path.dirname(file), 'link.bin'));
    const e = await loadFailure(file);
    assert.match(e.message, /link\.bin/);
  });

  test('tfjs: a Lambda whose body is JavaScript is refused and never evaluated', async () => {
    const marker = path.join(mkdtempSync(path.join(tmpdir(), 'gl-lambda-')), 'ran');
    const body = `(() => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); globalThis.glLambdaRan = true; return (x) => x; })()`;
    const json = {
      format: 'layers-model',
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'seq',
          layers: [
            { class_name: 'Dense', config: { name: 'dense', units: 3, use_bias: false, batch_input_shape: [null, 4] } },
            { class_name: 'Lambda', config: { name: 'evil', function: body, function_type: 'lambda' } },
          ],
        },
      },
    };
    const e = await loadFailure(writeModel(json));
    assert.match(e.message, /model\.json/);
    assert.match(e.message, /Lambda/);
    assert.equal(existsSync(marker), false, 'the Lambda body ran');
    assert.equal((globalThis as { glLambdaRan?: boolean }).glLambdaRan, undefined);
  });

  function nonFiniteWarning(report: AnalysisReport): { message: string; where?: string } {
    const w = report.warnings.find((x) => x.code === 'non-finite');
    assert.ok(w, `no non-finite warning among ${JSON.stringify(report.warnings)}`);
    return w;
  }

  test('tfjs: NaN in a weight gives a report with a non-finite warning naming the tensor', async () => {
    const kernel = Array.from({ length: 12 }, (_, i) => (i === 5 ? NaN : 0.1 * (i - 6)));
    const json = denseJson('weights.bin');
    delete json.weightsManifest;
    const file = writeModel(json, [{ name: 'dense/kernel', shape: [4, 3], dtype: 'float32', values: kernel }]);
    const report = await analyzeModel({ modelPath: file, settings: SETTINGS });
    const w = nonFiniteWarning(report);
    assert.equal(w.where, 'dense/kernel');
    assert.match(w.message, /dense\/kernel/);
    assert.match(w.message, /NaN/);
  });

  test('onnx: Inf in an initializer gives a report with a non-finite warning naming the tensor', async () => {
    const w1 = Array.from({ length: 12 }, (_, i) => 0.1 * (i - 6));
    const w2 = Array.from({ length: 12 }, (_, i) => (i === 7 ? Infinity : 0.05 * i));
    const file = writeOnnx({
      nodes: [node('MatMul', ['x', 'w1'], ['h'], {}, 'mm1'), node('Relu', ['h'], ['r'], {}, 'relu'), node('MatMul', ['r', 'w2'], ['y'], {}, 'mm2')],
      inputs: [valueInfo('x', T.FLOAT, ['N', 4])],
      outputs: [valueInfo('y', T.FLOAT, ['N', 4])],
      initializers: [floatTensor('w1', [4, 3], w1), floatTensor('w2', [3, 4], w2)],
    });
    const report = await analyzeModel({ modelPath: file, settings: SETTINGS });
    const w = nonFiniteWarning(report);
    assert.equal(w.where, 'w2');
    assert.match(w.message, /"w2"/);
    assert.match(w.message, /Inf/);
  });

  test('onnx: an Expand to [1e6, 1e6] is refused before allocating, naming the node (CLI: and the file)', async () => {
    const file = writeOnnx({
      nodes: [node('Expand', ['x', 'shape'], ['big'], {}, 'blow_up'), node('ReduceMean', ['big'], ['y'], { keepdims: 0 }, 'mean')],
      inputs: [valueInfo('x', T.FLOAT, ['N', 1])],
      outputs: [valueInfo('y', T.FLOAT, [])],
      initializers: [{ name: 'shape', dims: [2], dataType: T.INT64, int64Data: [1_000_000, 1_000_000] }],
    });
    const e = await analyzeModel({ modelPath: file, settings: SETTINGS }).then(
      () => assert.fail('analysed'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof ResourceError, `expected a ResourceError, got ${String(e)}`);
    assert.match(e.message, /node "blow_up" \(Expand\) would produce 1\.00e\+12 elements \(shape \[1000000, 1000000\]\)/);
    const cli = runCli(['analyze', file, '--backend', 'wasm', '--batch', '2', '--quiet']);
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, new RegExp(`error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: node "blow_up"`));
  });

  test('onnx: twenty Expands each under the per-tensor bound are refused together under --memory-limit-mb 16', async () => {
    const expands = Array.from({ length: 20 }, (_, i) => node('Expand', ['x', 'shape'], [`e${i}`], {}, `expand${i}`));
    const file = writeOnnx({
      nodes: [
        ...expands,
        node(
          'Sum',
          expands.map((n) => n.output![0]),
          ['y'],
          {},
          'sum',
        ),
      ],
      inputs: [valueInfo('x', T.FLOAT, ['N', 1])],
      outputs: [valueInfo('y', T.FLOAT, ['N', 2 ** 20])],
      // Each output [1, 2^20] at the one-sample probe: 4 MB, a quarter of what one tensor may take.
      initializers: [{ name: 'shape', dims: [2], dataType: T.INT64, int64Data: [1, 2 ** 20] }],
    });
    const e = await analyzeModel({ modelPath: file, settings: { ...SETTINGS, memoryLimitMb: 16 } }).then(
      () => assert.fail('analysed'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof ResourceError, `expected a ResourceError, got ${String(e)}`);
    assert.match(e.message, /node "expand\d+" \(Expand\): its output would take 4\.0 MB on top of \d+ MB already held, over the memory limit of 16 MB/);
  });
});

describe('hostile sizes and data (issue #17, also)', () => {
  test('a GSC over 150,000 samples (--batch 150000) gives its min and max, not a stack overflow', () => {
    const n = 150_000;
    const squares = Array.from({ length: n }, (_, i) => 1 + (i % 7));
    const ones = new Array<number>(n).fill(1);
    const r = gscFromSquares([squares], 1, ones, ones, 'exact');
    assert.equal(r.perSample.min, 1);
    assert.equal(r.perSample.max, Math.sqrt(7));
  });

  test('CLI: a data error names the data file, not the model', () => {
    const model = writeOnnx({
      nodes: [node('Relu', ['x'], ['y'], {}, 'relu')],
      inputs: [valueInfo('x', T.FLOAT, ['N', 2])],
      outputs: [valueInfo('y', T.FLOAT, ['N', 2])],
    });
    const data = path.join(path.dirname(model), 'samples.json');
    writeFileSync(data, '[[1, 2], [3, "x"]]');
    const r = runCli(['analyze', model, '--data', data, '--backend', 'wasm', '--quiet']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`error: ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the data\\[1\\]\\[1\\] is "x", not a finite number`));
    assert.doesNotMatch(r.stderr, /model\.onnx/);
  });
});
