/** Backend choice: the report's backend notes say the same thing for every job of a process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadBackendPackage, preferOrtForModel, type BackendPackageLoader } from '../../src/runtime/backend';
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

test('auto starts on wasm before the model is known; an ORT binary that cannot load: ort falls back to wasm and says why', async () => {
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
  assert.equal(ortLoads, 0, 'auto loads ONNX Runtime only for a model that prefers it');
  assert.equal(activeConvExecutor().name, 'tfjs');
  const fallback = await initBackend('ort', noBinary);
  assert.equal(fallback.name, 'wasm');
  assert.equal(fallback.ort, undefined);
  assert.equal(activeConvExecutor().name, 'tfjs', 'the convolutions run on TensorFlow.js');
  assert.equal(fallback.notes.length, 1);
  assert.match(fallback.notes[0], /^ONNX Runtime could not be loaded \(ort backend did not load: libonnxruntime\.so\.1: cannot open shared object file\)/);
  assert.match(fallback.reason, /^--backend ort: ort not usable; TensorFlow\.js wasm computes every op/);
});

test('auto moves to ONNX Runtime for a model that prefers it, and stays on wasm when ORT cannot load', async () => {
  const wasm = await initBackend('auto');
  assert.equal(wasm.name, 'wasm');
  assert.equal(preferOrtForModel(wasm, undefined), wasm, 'a model that does not prefer ORT keeps wasm');
  const ort = preferOrtForModel(wasm, 'the model has 3 convolutions');
  assert.equal(ort.name, 'ort');
  assert.equal(ort.tfjsBackend, 'wasm');
  assert.match(ort.reason, /^auto: the model has 3 convolutions, where ONNX Runtime is faster than wasm; ONNX Runtime \d+\.\d+\.\d+ loaded/);
  assert.equal(activeConvExecutor(), ort.ort);
  const again = await initBackend('auto');
  assert.equal(activeConvExecutor().name, 'tfjs', 'the next analysis starts on wasm again');
  const noBinary: BackendPackageLoader = (name) => {
    if (name === 'ort') throw new Error('libonnxruntime.so.1: cannot open shared object file');
    return loadBackendPackage(name);
  };
  const kept = preferOrtForModel(again, 'the model is dense', noBinary);
  assert.equal(kept.name, 'wasm');
  assert.match(kept.reason, /ONNX Runtime, faster for the model is dense, could not load: ort backend did not load: libonnxruntime/);
  assert.equal(activeConvExecutor().name, 'tfjs');
});
