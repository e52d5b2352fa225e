/**
 * A ViT in the form torch.onnx.dynamo_export writes at opset 20 (Gelu, LayerNormalization,
 * Split/Squeeze/Unsqueeze/ReduceMean with axes as inputs, batch 1 baked into its Reshape and
 * Expand constants; test/fixtures/dynamo_vit/make_dynamo_vit.py) analyses at batch 16, sample
 * by sample, and its GSCs to the logits equal the float64 reference the script computed in
 * PyTorch from the same weights, without ONNX.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { analyzeModel } from '../../src/engine/analyze';
import { loadModel } from '../../src/loaders';
import { Executor } from '../../src/runtime/executor';
import { reportFieldProblem } from '../../src/report/validate';
import { repoRoot } from '../helpers/fixtures';
import { useTestBackend } from '../helpers/backend';

interface VitReference {
  readonly batch: number;
  readonly output: string;
  readonly boundaries: readonly {
    readonly stage: string;
    readonly tensor: string;
    readonly gsc_to_output: number;
    readonly qm_jacobian: number;
    readonly q: number;
  }[];
}

const dir = (): string => path.join(repoRoot(), 'test', 'fixtures', 'dynamo_vit');
const reference = (): VitReference => JSON.parse(readFileSync(path.join(dir(), 'reference.json'), 'utf8')) as VitReference;
const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('a dynamo-style opset-20 ViT with batch 1 baked in', () => {
  before(useTestBackend);

  test('loads with its opset-20 ops and runs only at batch 1', async () => {
    const { graph } = await loadModel(path.join(dir(), 'model.onnx'));
    assert.equal(graph.description.formatLabel, 'ONNX (opset 20)');
    const ops = new Set(graph.nodes.map((n) => n.op));
    for (const op of ['Gelu', 'LayerNormalization', 'Split', 'Squeeze', 'Unsqueeze', 'ReduceMean', 'Softmax', 'Expand'])
      assert.ok(ops.has(op), `${op} is in the graph`);
    const exec = new Executor(graph);
    const x = tf.zeros([2, 3, 8, 8]);
    assert.throws(() => exec.forward(new Map([['pixel_values', x]])), /node_view.*Reshape/);
    x.dispose();
    exec.dispose();
  });

  test('at batch 16: sample by sample, and every GSC to the logits equals the float64 reference within 1e-3', async () => {
    const ref = reference();
    const report = await analyzeModel({
      modelPath: path.join(dir(), 'model.onnx'),
      data: { path: path.join(dir(), 'input.npy') },
      // GSC to the 10 logits exactly; the linearisation and residual parts by probes (the
      // per-sample path of the finite-difference JVPs too); no block matrix, to keep it short.
      settings: { backend: 'wasm', batch: ref.batch, exact: 'auto', exactMaxDim: 10, probes: 4, blockMatrix: false, seed: 1 },
    });
    assert.equal(report.model.sampleBySample, true);
    assert.equal(report.settings.batch, 16);
    assert.deepEqual(report.model.inputShape, [16, 3, 8, 8]);
    assert.equal(report.model.outputName, ref.output);
    assert.ok(report.warnings.some((w) => /runs only at batch 1/.test(w.message) && /node_view/.test(w.message)));
    assert.ok(!report.warnings.some((w) => /in one batch/.test(w.message)), 'no note that the batch ran at once');
    assert.equal(reportFieldProblem(JSON.parse(JSON.stringify(report))), undefined);
    const byTensor = new Map(report.boundaries.map((b) => [b.tensor, b]));
    let compared = 0;
    for (const r of ref.boundaries) {
      const b = byTensor.get(r.tensor);
      if (b === undefined) continue;
      compared++;
      assert.equal(b.gscToOutput.method, 'exact', r.stage);
      const err = relErr(b.gscToOutput.value, r.gsc_to_output);
      assert.ok(err < 1e-3, `${r.stage} (${r.tensor}): GSC ${b.gscToOutput.value} vs ${r.gsc_to_output}, relative error ${err.toExponential(2)}`);
      assert.ok(relErr(b.q, r.q) < 1e-3, `${r.stage}: Q ${b.q} vs ${r.q}`);
      assert.ok(relErr(b.qmJacobian.value, r.qm_jacobian) < 1e-3, `${r.stage}: qm Jacobian ${b.qmJacobian.value} vs ${r.qm_jacobian}`);
    }
    // The input, the patch embedding, the residual merges of the blocks and the pooled tokens.
    assert.ok(byTensor.has('add'), 'the patch embedding (pos-embedding Add) is a boundary');
    assert.ok(compared >= 6, `${compared} boundaries compared`);
    for (const b of report.blocks) {
      const kLin = b.linearisation.kLin;
      if (kLin !== null) assert.ok(Number.isFinite(kLin) && kLin > 1, `block ${b.index}: k_lin ${kLin}`);
    }
  });
});
