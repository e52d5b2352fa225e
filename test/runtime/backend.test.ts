/** Backend choice: the report's backend notes say the same thing for every job of a process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadBackendPackage, type BackendPackageLoader } from '../../src/runtime/backend';
import { activeConvExecutor, convValid } from '../../src/ops/convCore';

test('a half-installed tfjs-node warns on no job: the first load decides for the whole process', async () => {
  let nodeLoads = 0;
  // As a tfjs-node without its native binding behaves: the first require fails for a missing
  // file, a second one returns (Node cached the parts that did load) but registers no backend.
  const halfInstalled: BackendPackageLoader = (name) => {
    if (name !== 'node') return loadBackendPackage(name);
    nodeLoads++;
    if (nodeLoads === 1) throw new Error("Cannot find module '/x/tfjs-node/lib/napi-v8/tfjs_binding.node'");
  };
  const first = await initBackend('wasm', halfInstalled);
  const viaAuto = await initBackend('auto', halfInstalled);
  const second = await initBackend('auto', halfInstalled);
  assert.equal(first.name, 'wasm');
  assert.equal(viaAuto.name, 'wasm');
  assert.deepEqual(viaAuto.notes, [], 'an absent tfjs-node is expected under auto');
  assert.deepEqual(second.notes, viaAuto.notes, 'the second job must not report a backend fallback the first did not');
  assert.equal(nodeLoads, 1, 'tfjs-node is tried once per process');
});

test('--backend ort runs the convolutions on ONNX Runtime, and says so', async () => {
  const info = await initBackend('ort');
  assert.equal(info.name, 'ort');
  assert.equal(info.tfjsBackend, 'wasm', 'the other ops run on wasm');
  assert.match(info.reason, /^--backend ort: ONNX Runtime \d+\.\d+\.\d+ loaded/);
  assert.equal(activeConvExecutor(), info.ort, 'the convolution primitive is ONNX Runtime');
  const before = info.ort!.stats.runs;
  const y = convValid(tf.ones([1, 4, 4, 2]), tf.ones([3, 3, 2, 1]), [1, 1], [1, 1], { begin: [1, 1], end: [1, 1] });
  assert.equal(info.ort!.stats.runs, before + 1);
  assert.equal(y.dataSync()[5], 18, 'an interior output sums 3 x 3 x 2 ones');
  const back = await initBackend('wasm');
  assert.equal(back.name, 'wasm');
  assert.equal(activeConvExecutor().name, 'tfjs', 'choosing wasm afterwards puts the convolutions back on TensorFlow.js');
});

test('auto does not use ONNX Runtime yet (no measured gain); an ORT binary that cannot load: ort falls back to wasm and says why', async () => {
  let ortLoads = 0;
  const noBinary: BackendPackageLoader = (name) => {
    if (name === 'ort') {
      ortLoads++;
      throw new Error('libonnxruntime.so.1: cannot open shared object file\n(details)');
    }
    return loadBackendPackage(name);
  };
  const info = await initBackend('auto', noBinary);
  assert.equal(info.name, 'wasm');
  assert.deepEqual(info.notes, []);
  assert.equal(ortLoads, 0, 'auto never loads ONNX Runtime');
  assert.equal(activeConvExecutor().name, 'tfjs');
  const fallback = await initBackend('ort', noBinary);
  assert.equal(fallback.name, 'wasm');
  assert.equal(fallback.ort, undefined);
  assert.equal(activeConvExecutor().name, 'tfjs', 'the convolutions run on TensorFlow.js');
  assert.equal(fallback.notes.length, 1);
  assert.match(fallback.notes[0], /^ONNX Runtime could not be loaded \(ort backend did not load: libonnxruntime\.so\.1: cannot open shared object file\)/);
  assert.match(fallback.reason, /^--backend ort: ort not usable; TensorFlow\.js wasm computes every op/);
});
