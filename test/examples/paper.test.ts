/**
 * The paper's claims, computed by the real engine on the generated examples (the same files
 * the extension analyses): the residual MLP's GSC stays far below the tanh MLP's, the deep
 * linear orthogonal network sits at exactly 1, and the other networks order as in Figure 1.
 * Batch 16 and seed 0 (the extension's defaults), no block matrix.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import type { AnalysisReport, AnalysisSettings } from '../../src/report/schema';
import { exampleById } from '../../src/examples/catalog';
import { ensureExample } from '../../src/extension/examples/storage';
import { holdsWeights } from '../../src/ops/registry';
import { seriesFromReport } from '../../src/report/figureData';
import { useTestBackend } from '../helpers/backend';

// GSC to the 10 logits is exact whatever the probes (10 one-hot cotangents); 2 probes only keep
// the per-block estimates (k_lin, block GSC) that this test does not look at cheap.
const SETTINGS: Partial<AnalysisSettings> = { backend: 'wasm', batch: 16, probes: 2, seed: 0, blockMatrix: false };
/** The residual MLP's GSC(input -> output) is at least this many times below the tanh MLP's (measured: ~113x). */
const RESIDUAL_VS_TANH_FACTOR = 50;

let root: string;
const reports = new Map<string, AnalysisReport>();

async function analyse(id: string, settings: Partial<AnalysisSettings> = {}, form: 'onnx' | 'tfjsModel' = 'onnx'): Promise<AnalysisReport> {
  const example = exampleById(id);
  assert.ok(example, id);
  const { paths } = ensureExample(root, example);
  return analyzeModel({ modelPath: paths[form], settings: { ...SETTINGS, ...settings } });
}

const gsc0 = (id: string): number => {
  const r = reports.get(id);
  assert.ok(r, `${id} was analysed`);
  return r.growth.gscInputToOutput;
};

describe('bundled examples: the paper’s Figure 1 on the real engine', () => {
  before(async () => {
    await useTestBackend();
    root = mkdtempSync(path.join(tmpdir(), 'gl-examples-'));
    for (const id of ['mlp_relu', 'mlp_tanh', 'mlp_selu', 'mlp_bn_relu', 'mlp_ln_tanh', 'resmlp_relu']) reports.set(id, await analyse(id));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test(`the residual MLP's GSC stays at least ${RESIDUAL_VS_TANH_FACTOR}x below the tanh MLP's, at every depth`, (t) => {
    const tanh = seriesFromReport(exampleById('mlp_tanh')!, reports.get('mlp_tanh')!, holdsWeights);
    const res = seriesFromReport(exampleById('resmlp_relu')!, reports.get('resmlp_relu')!, holdsWeights);
    t.diagnostic(`GSC(input -> output): tanh ${gsc0('mlp_tanh')}, residual ${gsc0('resmlp_relu')}, factor ${gsc0('mlp_tanh') / gsc0('resmlp_relu')}`);
    assert.ok(gsc0('mlp_tanh') / gsc0('resmlp_relu') > RESIDUAL_VS_TANH_FACTOR);
    // Both are exact (10 one-hot cotangents at the 10 logits), so the ratio has no probe noise.
    assert.equal(reports.get('mlp_tanh')!.boundaries[0].gscToOutput.method, 'exact');
    assert.equal(reports.get('resmlp_relu')!.boundaries[0].gscToOutput.method, 'exact');
    // The residual line stays near 1 all the way, the tanh line climbs towards the input.
    for (const p of res.points) assert.ok(p.gsc < 2, `residual GSC at depth ${p.depth} is ${p.gsc}`);
    const tanhAt = (d: number): number => tanh.points.find((p) => p.depth === d)!.gsc;
    assert.ok(tanhAt(0) > tanhAt(10) && tanhAt(10) > tanhAt(25) && tanhAt(25) > tanhAt(40), 'tanh GSC grows towards the input');
  });

  test('batch-norm ReLU explodes most, tanh and layer-norm tanh next, then SELU; ReLU and residual stay near 1', (t) => {
    t.diagnostic(['mlp_bn_relu', 'mlp_tanh', 'mlp_ln_tanh', 'mlp_selu', 'mlp_relu', 'resmlp_relu'].map((id) => `${id} ${gsc0(id).toPrecision(4)}`).join(', '));
    assert.ok(gsc0('mlp_bn_relu') > 1000, 'batch norm explodes the most');
    assert.ok(gsc0('mlp_bn_relu') > 10 * Math.max(gsc0('mlp_tanh'), gsc0('mlp_ln_tanh')));
    // tanh with and without layer norm explode alike (85 to 131 at depth 50 on this batch).
    assert.ok(Math.min(gsc0('mlp_tanh'), gsc0('mlp_ln_tanh')) > 5 * gsc0('mlp_selu'));
    assert.ok(gsc0('mlp_selu') > 2 * Math.max(gsc0('mlp_relu'), gsc0('resmlp_relu')));
    assert.ok(gsc0('mlp_relu') < 2 && gsc0('resmlp_relu') < 2);
  });

  test('the deep linear orthogonal network: every GSC is exactly 1 in exact mode', async (t) => {
    const started = Date.now();
    const r = await analyse('linear_orthogonal', { exact: 'on', batch: 4 });
    t.diagnostic(`exact run of the linear network: ${Date.now() - started} ms`);
    assert.equal(r.boundaries.length, 51);
    for (const b of r.boundaries) {
      assert.equal(b.gscToOutput.method, b.index === 50 ? b.gscToOutput.method : 'exact');
      assert.ok(Math.abs(b.gscToOutput.value - 1) < 1e-5, `boundary ${b.index}: GSC ${b.gscToOutput.value}`);
      assert.ok(b.gscToOutputPerSample.min > 1 - 1e-5 && b.gscToOutputPerSample.max < 1 + 1e-5, `boundary ${b.index} per sample`);
    }
  });

  test('with Gaussian probes the linear network’s 99% intervals contain 1', async () => {
    const r = await analyse('linear_orthogonal', { exact: 'off', probes: 4, batch: 8 });
    for (const b of r.boundaries.slice(0, -1)) {
      assert.match(b.gscToOutput.method, /^probes:/);
      assert.ok(b.gscToOutput.ci99[0] <= 1 && b.gscToOutput.ci99[1] >= 1, `boundary ${b.index}: interval ${b.gscToOutput.ci99}`);
    }
  });

  test('the TF.js form gives the same numbers as the ONNX form', async () => {
    const tfjs = await analyse('resmlp_relu', {}, 'tfjsModel');
    const onnx = reports.get('resmlp_relu')!;
    assert.equal(tfjs.blocks.length, onnx.blocks.length);
    tfjs.boundaries.forEach((b, i) => {
      const want = onnx.boundaries[i].gscToOutput.value;
      assert.ok(Math.abs(b.gscToOutput.value / want - 1) < 1e-4, `boundary ${i}: ${b.gscToOutput.value} vs ${want}`);
    });
  });
});
