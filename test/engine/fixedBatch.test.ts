/**
 * Models that run only at batch 1 (the batch baked into a Reshape constant) are analysed
 * sample by sample, with the numbers of a batch pass: the same network exported with a
 * batch-free Reshape gives the same report (test/fixtures/fixed_batch/make_fixed_batch.py). So
 * are models that run at batch n but mix the samples (an output flattened to [1, -1]).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { analyzeModel } from '../../src/engine/analyze';
import { loadModel } from '../../src/loaders';
import { Executor } from '../../src/runtime/executor';
import { PerSampleExecutor } from '../../src/runtime/perSampleExecutor';
import { reportFieldProblem } from '../../src/report/validate';
import { repoRoot } from '../helpers/fixtures';
import { useTestBackend } from '../helpers/backend';
import type { AnalysisReport } from '../../src/report/schema';

const dir = (): string => path.join(repoRoot(), 'test', 'fixtures', 'fixed_batch');
const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('fixed-batch models', () => {
  before(useTestBackend);

  test('a batch-1 Reshape: refused at batch 6 by the plain executor, run sample by sample with the same activations', async () => {
    const fixed = (await loadModel(path.join(dir(), 'model-batch1.onnx'))).graph;
    const x = tf.randomNormal([6, 4, 3], 0, 1, 'float32', 5);
    const feeds = new Map([['x', x]]);
    assert.throws(() => new Executor(fixed).forward(feeds), /Reshape/);
    const dynamic = new Executor((await loadModel(path.join(dir(), 'model.onnx'))).graph);
    const exec = new PerSampleExecutor(fixed);
    const acts = exec.forward(feeds);
    const ref = dynamic.forward(feeds);
    const y = acts.get('y')!;
    assert.deepEqual(y.shape, [6, 5]);
    assert.ok(tf.max(tf.abs(tf.sub(y, ref.get('y')!))).dataSync()[0] < 1e-6);
    // A reverse pass splits the cotangent by sample and concatenates the input cotangents.
    const u = tf.randomNormal([6, 5], 0, 1, 'float32', 6);
    const g = exec.vjp(acts, new Map([['y', u]]), ['x']).get('x')!;
    const gRef = dynamic.vjp(ref, new Map([['y', u]]), ['x']).get('x')!;
    assert.deepEqual(g.shape, [6, 4, 3]);
    assert.ok(tf.max(tf.abs(tf.sub(g, gRef))).dataSync()[0] < 1e-6);
    assert.equal(exec.canStackProbes(acts, ['x']), false);
    // A block-local pass at 2n perturbed points (the linearisation's JVPs) runs point by point.
    const points = tf.randomNormal([12, 4, 3], 0, 1, 'float32', 7);
    const moved = exec.forwardFrom(acts, new Map([['x', points]]), ['y']).get('y')!;
    const movedRef = dynamic.forwardFrom(ref, new Map([['x', points]]), ['y']).get('y')!;
    assert.deepEqual(moved.shape, [12, 5]);
    assert.ok(tf.max(tf.abs(tf.sub(moved, movedRef))).dataSync()[0] < 1e-6);
    assert.throws(() => exec.forwardFrom(acts, new Map([['x', tf.slice(points, 0, 5)]]), ['y']), /does not tile the batch/);
    [points, moved, movedRef].forEach((t) => t.dispose());
    exec.disposeActivations(acts, feeds);
    dynamic.disposeActivations(ref, feeds);
    exec.dispose();
    dynamic.dispose();
    x.dispose();
  });

  test('block-local forward passes at stacked points (the JVPs of k_lin) run row by row, each against its own sample', async () => {
    const fixed = (await loadModel(path.join(dir(), 'model-batch1.onnx'))).graph;
    const dynamic = new Executor((await loadModel(path.join(dir(), 'model.onnx'))).graph);
    const x = tf.randomNormal([3, 4, 3], 0, 1, 'float32', 7);
    const feeds = new Map([['x', x]]);
    const exec = new PerSampleExecutor(fixed);
    const acts = exec.forward(feeds);
    const ref = dynamic.forward(feeds);
    // Two points per sample, laid out point-major (row r belongs to sample r mod 3), as dilution.ts stacks them.
    const moved = tf.randomNormal([6, 4, 3], 0, 1, 'float32', 8);
    const overrides = new Map([['x', moved]]);
    // The batch executor, on the same activations, fails at the batch-1 Reshape.
    assert.throws(() => Executor.prototype.forwardFrom.call(exec, acts, overrides, ['y']), /Reshape/);
    const y = exec.forwardFrom(acts, overrides, ['y']).get('y')!;
    const yRef = dynamic.forwardFrom(ref, overrides, ['y']).get('y')!;
    assert.deepEqual(y.shape, [6, 5]);
    assert.ok(tf.max(tf.abs(tf.sub(y, yRef))).dataSync()[0] < 1e-6);
    // From a tensor after the Reshape, the rest of each row's sample (here none) comes from that sample.
    const h = tf.randomNormal([6, 12], 0, 1, 'float32', 9);
    const fromH = new Map([['/Reshape_output_0', h]]);
    const z = exec.forwardFrom(acts, fromH, ['y']).get('y')!;
    const zRef = dynamic.forwardFrom(ref, fromH, ['y']).get('y')!;
    assert.ok(tf.max(tf.abs(tf.sub(z, zRef))).dataSync()[0] < 1e-6);
    [y, yRef, z, zRef, moved, h].forEach((t) => t.dispose());
    exec.disposeActivations(acts, feeds);
    dynamic.disposeActivations(ref, feeds);
    exec.dispose();
    dynamic.dispose();
    x.dispose();
  });

  test('one point shared by every sample (op(0) of an exact JVP): one row when nothing sample-specific is read, else one per sample', async () => {
    const fixed = (await loadModel(path.join(dir(), 'model-batch1.onnx'))).graph;
    const dynamic = new Executor((await loadModel(path.join(dir(), 'model.onnx'))).graph);
    const x = tf.randomNormal([3, 4, 3], 0, 1, 'float32', 10);
    const feeds = new Map([['x', x]]);
    const exec = new PerSampleExecutor(fixed);
    const acts = exec.forward(feeds);
    const ref = dynamic.forward(feeds);
    const zeroRow = tf.zeros([1, 16]);
    // From the first Tanh to the output: nothing outside the override, so one row, as the batch executor gives.
    const own = new Map([['/Tanh_output_0', zeroRow]]);
    const a = exec.forwardFrom(acts, own, ['y']).get('y')!;
    const aRef = dynamic.forwardFrom(ref, own, ['y']).get('y')!;
    assert.deepEqual(a.shape, [1, 5]);
    assert.ok(tf.max(tf.abs(tf.sub(a, aRef))).dataSync()[0] < 1e-6);
    // The branch's Tanh alone: the Add reads each sample's skip, so one row per sample, broadcast as the batch executor does.
    const branch = new Map([['/Tanh_1_output_0', zeroRow]]);
    const b = exec.forwardFrom(acts, branch, ['/Add_output_0']).get('/Add_output_0')!;
    const bRef = dynamic.forwardFrom(ref, branch, ['/Add_output_0']).get('/Add_output_0')!;
    assert.deepEqual(b.shape, [3, 16]);
    assert.ok(tf.max(tf.abs(tf.sub(b, bRef))).dataSync()[0] < 1e-6);
    [a, aRef, b, bRef, zeroRow].forEach((t) => t.dispose());
    exec.disposeActivations(acts, feeds);
    dynamic.disposeActivations(ref, feeds);
    exec.dispose();
    dynamic.dispose();
    x.dispose();
  });

  test('the analysis of the batch-1 export equals that of the batch-free export, and says it ran sample by sample', async () => {
    const analyse = (file: string): Promise<AnalysisReport> =>
      analyzeModel({ modelPath: path.join(dir(), file), settings: { backend: 'wasm', batch: 6, probes: 4, seed: 2 }, threads: 1 });
    const fixed = await analyse('model-batch1.onnx');
    const dynamic = await analyse('model.onnx');
    assert.equal(fixed.model.sampleBySample, true);
    assert.equal(dynamic.model.sampleBySample, undefined);
    assert.equal(fixed.settings.batch, 6);
    assert.ok(fixed.warnings.some((w) => /runs only at batch 1/.test(w.message) && /one at a time/.test(w.message)));
    assert.equal(reportFieldProblem(JSON.parse(JSON.stringify(fixed))), undefined);
    assert.equal(fixed.blocks.length, dynamic.blocks.length);
    fixed.boundaries.forEach((b, k) => {
      near(b.gscToOutput.value, dynamic.boundaries[k].gscToOutput.value, `GSC(${k} -> B)`);
      near(b.q, dynamic.boundaries[k].q, `Q at ${k}`);
    });
    fixed.blocks.forEach((b, k) => {
      near(b.gscBlock.value, dynamic.blocks[k].gscBlock.value, `GSC block ${k}`);
      const kLin = b.linearisation.kLin;
      if (kLin !== null) near(kLin, dynamic.blocks[k].linearisation.kLin!, `k_lin ${k}`);
      if (b.residual) near(b.residual.kSkip, dynamic.blocks[k].residual!.kSkip, `k_skip ${k}`);
    });
  });

  test('an output flattened to [1, -1] runs at batch 6 but mixes the samples: analysed sample by sample, with the batch-free numbers', async () => {
    const analyse = (file: string): Promise<AnalysisReport> =>
      analyzeModel({ modelPath: path.join(dir(), file), settings: { backend: 'wasm', batch: 6, probes: 4, seed: 2 }, threads: 1 });
    const flat = await analyse('model-flat1.onnx');
    const dynamic = await analyse('model.onnx');
    assert.equal(flat.model.sampleBySample, true);
    assert.ok(flat.warnings.some((w) => /has 1 row\(s\) at batch 6: the batch is baked into the graph/.test(w.message)));
    assert.equal(flat.model.outputDim, 5);
    assert.equal(flat.blocks.length, dynamic.blocks.length);
    flat.boundaries.forEach((b, k) => {
      near(b.gscToOutput.value, dynamic.boundaries[k].gscToOutput.value, `GSC(${k} -> B)`);
      near(b.q, dynamic.boundaries[k].q, `Q at ${k}`);
    });
    flat.blocks.forEach((b, k) => near(b.gscBlock.value, dynamic.blocks[k].gscBlock.value, `GSC block ${k}`));
  });
});
