/**
 * The engine against test/fixtures/models: block partition, exact quantities within 1e-3
 * relative of the independent float64 reference, and probe estimates whose own 99%
 * intervals cover the reference (issue: analysis engine, "Done when").
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import type { AnalysisReport, Estimate } from '../../src/report/schema';
import { testBackendName, useTestBackend } from '../helpers/backend';
import { FIXTURE_NAMES, fixtureDir, loadReference, relDiff, type Reference } from '../helpers/fixtures';

const EXACT_RTOL = 1e-3;

/** Fixtures narrow enough that every estimate can be exact in test time. */
const ALL_EXACT = new Set(['mlp_relu', 'mlp_tanh', 'mlp_selu', 'mlp_bn_relu', 'mlp_ln_tanh', 'resmlp_relu', 'linear_orthogonal', 'tiny_transformer']);

function close(actual: number, expected: number, what: string, rtol = EXACT_RTOL): void {
  assert.ok(relDiff(actual, expected) <= rtol, `${what}: got ${actual}, reference ${expected} (rel diff ${relDiff(actual, expected).toExponential(2)})`);
}

async function analyzeFixture(name: string, modelFile: string, settings: Record<string, unknown>, inputFile = 'input.bin'): Promise<AnalysisReport> {
  const dir = fixtureDir(name);
  return analyzeModel({
    modelPath: path.join(dir, modelFile),
    inputFile: path.join(dir, inputFile),
    settings: { backend: testBackendName(), ...settings },
  });
}

/** Node lists are compared for the file reference.json describes (model.onnx); other exports of the
 * same network (the opset-17 file writes LayerNormalization as one op) keep the same tensors. */
function checkPartition(report: AnalysisReport, ref: Reference, compareNodes: boolean): void {
  assert.deepEqual(
    report.blocks.map((b) => [b.inputTensor, b.outputTensor]),
    ref.blocks.map((b) => [b.onnx_input, b.onnx_output]),
    'block boundaries',
  );
  report.blocks.forEach((b, i) => {
    const r = ref.blocks[i];
    if (compareNodes) assert.deepEqual(b.nodes, r.onnx_nodes, `block ${b.index} nodes`);
    assert.equal(b.kind, r.kind, `block ${b.index} kind`);
    assert.equal(b.dIn, r.d_in);
    assert.equal(b.dOut, r.d_out);
    if (r.residual) {
      assert.equal(b.residual?.skipKind, r.residual.skip_kind, `block ${b.index} skip kind`);
      assert.equal(b.residual?.mergeTensor, r.residual.onnx_merge);
      assert.equal(b.residual?.skipTensor, r.residual.onnx_skip);
      assert.equal(b.residual?.branchTensor, r.residual.onnx_branch);
    }
  });
}

/** Which names of reference.json the model's tensors and nodes carry. */
type Naming = 'onnx' | 'tfjs';

function checkExactQuantities(report: AnalysisReport, ref: Reference, naming: Naming = 'onnx'): void {
  report.boundaries.forEach((b, k) => {
    const r = ref.boundaries[k];
    assert.equal(b.tensor, naming === 'onnx' ? r.onnx_tensor : r.tfjs_layer);
    close(b.q, r.Q, `Q of boundary ${k}`);
    if (b.gscToOutput.method === 'exact' || b.gscToOutput.method === 'identity') {
      close(b.gscToOutput.value, r.gsc_to_output.batch, `GSC(${k} -> out)`);
      close(b.gscToOutputPerSample.median, r.gsc_to_output.per_sample.median, `per-sample median GSC(${k} -> out)`);
      close(b.gscToOutputPerSample.max, r.gsc_to_output.per_sample.max, `per-sample max GSC(${k} -> out)`);
    }
  });
  const m = report.blockMatrix!;
  for (let k = 0; k < m.gsc.length; k++) {
    for (let l = k + 1; l < m.gsc.length; l++) {
      if (m.method[k][l] === 'exact' && ref.block_matrix.method[k][l] === 'exact') {
        close(m.gsc[k][l]!, ref.block_matrix.gsc[k][l]!, `GSC(${k} -> ${l})`);
      }
    }
  }
  report.blocks.forEach((b, i) => {
    const r = ref.blocks[i];
    close(b.outputQ, r.output_Q, `block ${b.index} output Q`);
    if (b.residual && r.residual) {
      close(b.residual.kSkip, r.residual.k_skip, `block ${b.index} k_skip`);
      close(b.residual.qSkip, r.residual.Q_skip, `block ${b.index} Q_skip`);
      close(b.residual.qBranch, r.residual.Q_branch, `block ${b.index} Q_branch`);
      close(b.residual.qMerge, r.residual.Q_merge, `block ${b.index} Q_merge`);
      if (b.residual.gscBranch.method === 'exact' && r.residual.gsc_branch_stderr === 0) {
        close(b.residual.gscBranch.value, r.residual.gsc_branch, `block ${b.index} gsc_branch`);
        close(b.residual.gscMerge.value, r.residual.gsc_merge, `block ${b.index} gsc_merge`);
      }
    }
    const lin = b.linearisation;
    assert.equal(lin.linear, r.linearisation.linear_block, `block ${b.index} linear`);
    close(lin.qF, r.linearisation.Q_f, `block ${b.index} Q_f`);
    close(lin.qV, r.linearisation.Q_v, `block ${b.index} Q_v`);
    if (lin.qSv.method === 'exact') {
      close(lin.qSv.value, r.linearisation.Q_Sv, `block ${b.index} Q_Sv`);
      if (!lin.linear) {
        close(lin.kLin!, r.linearisation.k_lin!, `block ${b.index} k_lin`);
        close(lin.qRho.value, r.linearisation.Q_rho, `block ${b.index} Q_rho`);
      }
      if (r.linearisation.S_frob2_stderr === 0) close(lin.sFrob2.value, r.linearisation.S_frob2, `block ${b.index} ||S||_F^2`);
    }
  });
  assert.equal(report.nonlinearities.length, ref.nonlinearities.length, 'number of nonlinearities');
  report.nonlinearities.forEach((q, i) => {
    const r = ref.nonlinearities[i];
    assert.equal(q.op, r.op);
    if (naming === 'onnx') {
      assert.equal(q.node, r.onnx_node);
      assert.equal(q.inputTensor, r.onnx_input);
    }
    assert.equal(q.block, r.block);
    // A pre-activation within float32 rounding of 0 can flip sign: allow a few units in 16 * d.
    assert.ok(
      Math.abs(q.signDiversity - r.sign_diversity) <= 4 / (16 * r.dim) + 1e-9,
      `nonlinearity ${i + 1} sign diversity ${q.signDiversity} vs ${r.sign_diversity}`,
    );
    close(q.relativeSpread, r.relative_spread, `nonlinearity ${i + 1} relative spread`);
    close(q.meanSlope, r.mean_slope, `nonlinearity ${i + 1} mean slope`, 2e-3);
    close(q.qPreactivation, r.Q_preactivation, `nonlinearity ${i + 1} Q of pre-activation`);
    if (r.k === null) assert.equal(q.k, null);
    else close(q.k!, r.k, `nonlinearity ${i + 1} k`, 2e-3);
  });
}

/** Collects (estimate, reference) pairs for every estimate that used probes. */
function probePairs(report: AnalysisReport, ref: Reference): { what: string; est: Estimate; ref: number }[] {
  const pairs: { what: string; est: Estimate; ref: number }[] = [];
  const m = report.blockMatrix!;
  for (let k = 0; k < m.gsc.length; k++) {
    for (let l = k + 1; l < m.gsc.length; l++) {
      if (m.method[k][l]?.startsWith('probes')) {
        const est: Estimate = { value: m.gsc[k][l]!, stderr: m.stderr[k][l]!, ci99: m.ci99[k][l]!, method: m.method[k][l]! };
        pairs.push({ what: `GSC(${k} -> ${l})`, est, ref: ref.block_matrix.gsc[k][l]! });
      }
    }
  }
  report.blocks.forEach((b, i) => {
    const r = ref.blocks[i];
    if (b.residual && r.residual) {
      if (b.residual.gscBranch.method.startsWith('probes'))
        pairs.push({ what: `block ${b.index} gsc_branch`, est: b.residual.gscBranch, ref: r.residual.gsc_branch });
      if (b.residual.gscMerge.method.startsWith('probes'))
        pairs.push({ what: `block ${b.index} gsc_merge`, est: b.residual.gscMerge, ref: r.residual.gsc_merge });
    }
    const lin = b.linearisation;
    if (lin.qSv.method.startsWith('probes') && lin.kLin !== null && r.linearisation.k_lin !== null) {
      pairs.push({
        what: `block ${b.index} k_lin`,
        est: { value: lin.kLin, stderr: 0, ci99: lin.kLinCi99!, method: lin.qSv.method },
        ref: r.linearisation.k_lin,
      });
      pairs.push({ what: `block ${b.index} Q_Sv`, est: lin.qSv, ref: r.linearisation.Q_Sv });
    }
  });
  return pairs;
}

before(async () => {
  await useTestBackend();
});

for (const name of FIXTURE_NAMES) {
  const ref = loadReference(name);
  describe(`fixture ${name}`, () => {
    for (const onnx of ref.files.onnx) {
      test(`${onnx.file}: partition and exact quantities match the float64 reference`, async () => {
        const report = await analyzeFixture(name, onnx.file, ALL_EXACT.has(name) ? { exact: 'on' } : { exact: 'auto', exactMaxDim: 64 });
        assert.equal(report.settings.batch, ref.settings.n);
        assert.equal(report.backend.name, testBackendName());
        checkPartition(report, ref, onnx.file === 'model.onnx');
        checkExactQuantities(report, ref);
        close(report.growth.gscInputToOutput, ref.growth.gsc_input_to_output, 'GSC(input -> output)');
        close(report.growth.logFit.rate, ref.growth.log_fit.rate, 'explosion rate');
      });
    }

    if (ref.files.tfjs) {
      const tfjs = ref.files.tfjs;
      test(`${tfjs.model_json}: same partition by layer names, exact quantities match, and the same numbers as the ONNX file`, async () => {
        const settings = ALL_EXACT.has(name) ? { exact: 'on' } : { exact: 'auto', exactMaxDim: 64 };
        const report = await analyzeFixture(name, tfjs.model_json, settings, path.basename(tfjs.input_file));
        assert.deepEqual(
          report.blocks.map((b) => [b.inputTensor, b.outputTensor]),
          ref.blocks.map((b) => [b.tfjs_input, b.tfjs_output]),
          'block boundaries by TF.js layer names',
        );
        report.blocks.forEach((b, i) => assert.equal(b.kind, ref.blocks[i].kind, `block ${b.index} kind`));
        checkExactQuantities(report, ref, 'tfjs');
        const onnx = await analyzeFixture(name, ref.files.onnx[0].file, settings);
        report.boundaries.forEach((bd, k) => {
          if (bd.gscToOutput.method === 'exact') close(bd.gscToOutput.value, onnx.boundaries[k].gscToOutput.value, `TF.js vs ONNX GSC(${k} -> out)`);
        });
        report.blocks.forEach((b, i) => {
          const o = onnx.blocks[i];
          if (b.residual && o.residual) close(b.residual.kSkip, o.residual.kSkip, `TF.js vs ONNX k_skip of block ${b.index}`);
          if (b.linearisation.qSv.method === 'exact' && b.linearisation.kLin !== null)
            close(b.linearisation.kLin, o.linearisation.kLin!, `TF.js vs ONNX k_lin of block ${b.index}`);
        });
      });
    }

    test('probe estimates: their 99% intervals cover the reference across seeds, and are not absurdly wide', async () => {
      const pairs: { what: string; est: Estimate; ref: number }[] = [];
      for (const seed of [1, 2, 3]) {
        const report = await analyzeFixture(name, ref.files.onnx[0].file, { exact: 'auto', exactMaxDim: 16, probes: 8, seed });
        pairs.push(...probePairs(report, ref).map((p) => ({ ...p, what: `seed ${seed} ${p.what}` })));
      }
      assert.ok(pairs.length > 0, 'no probe estimates were made');
      const missed = pairs.filter((p) => !(p.est.ci99[0] <= p.ref && p.ref <= p.est.ci99[1]));
      // 99% intervals: about 1 in 100 may miss by chance; allow 4% before calling it wrong.
      assert.ok(
        missed.length <= Math.max(1, Math.ceil(0.04 * pairs.length)),
        `${missed.length} of ${pairs.length} intervals miss the reference:\n${missed
          .slice(0, 10)
          .map((p) => `  ${p.what}: ${p.est.value} [${p.est.ci99[0]}, ${p.est.ci99[1]}] vs ${p.ref}`)
          .join('\n')}`,
      );
      const widths = pairs.map((p) => (p.est.ci99[1] - p.est.ci99[0]) / 2 / Math.abs(p.ref)).sort((a, b) => a - b);
      const medianWidth = widths[widths.length >> 1];
      assert.ok(medianWidth < 0.5, `median relative half-width of the 99% intervals is ${medianWidth}`);
    });
  });
}
