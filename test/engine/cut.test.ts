/**
 * Cutting the graph at any tensor: a model whose graph ends in unsupported post-processing
 * (TopK) is refused naming the tensor to cut at; with that tensor as the output it analyses
 * (test/fixtures/cut/make_cut_model.py), and --from starts the analysis at a middle tensor.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import { loadModel } from '../../src/loaders';
import { UnsupportedOperatorError } from '../../src/loaders/errors';
import { repoRoot } from '../helpers/fixtures';
import { useTestBackend } from '../helpers/backend';
import { referenceShortText, referenceText } from '../../src/report/referenceText';
import { reportFieldProblem } from '../../src/report/validate';

const model = (): string => path.join(repoRoot(), 'test', 'fixtures', 'cut', 'model.onnx');
const LOGITS = '/body/body.4/Gemm_output_0';

describe('cutting the graph at a tensor', () => {
  before(useTestBackend);

  test('unsupported post-processing: the refusal names the op and the last differentiable tensor', async () => {
    await assert.rejects(
      () => loadModel(model()),
      (e: unknown) => e instanceof UnsupportedOperatorError && e.ops.has('TopK') && e.cutAt === LOGITS && e.message.includes(`--output "${LOGITS}"`),
    );
  });

  test('with --output at the logits, the op after it is no error and the analysis measures GSC to the logits', async () => {
    const { graph } = await loadModel(model(), { output: LOGITS });
    assert.deepEqual(
      graph.outputs.map((o) => o.name),
      [LOGITS],
    );
    assert.ok(!graph.nodes.some((n) => n.op === 'TopK'));
    const report = await analyzeModel({ modelPath: model(), output: LOGITS, settings: { backend: 'wasm', batch: 4, exact: 'on' } });
    assert.equal(report.model.outputName, LOGITS);
    assert.equal(report.blocks.length, 3);
    assert.equal(report.boundaries[3].tensor, LOGITS);
    // Every surface says the reference layer is the chosen tensor, not "model output".
    assert.equal(report.reference.cutAt, LOGITS);
    assert.equal(referenceShortText(report), 'chosen tensor');
    assert.match(referenceText(report), /where the analysis was cut/);
    assert.equal(reportFieldProblem(JSON.parse(JSON.stringify(report))), undefined);
  });

  test('without a cut the reference layer is the model output', async () => {
    const report = await analyzeModel({
      modelPath: path.join(repoRoot(), 'test', 'fixtures', 'models', 'mlp_relu', 'model.onnx'),
      settings: { backend: 'wasm', batch: 4, exact: 'on', blockMatrix: false },
    });
    assert.equal(report.reference.cutAt, undefined);
    assert.equal(referenceShortText(report), 'model output');
  });

  test('--from starts at a middle tensor: boundary 0 is that tensor, the blocks before it are gone', async () => {
    const full = await analyzeModel({ modelPath: model(), output: LOGITS, settings: { backend: 'wasm', batch: 4, exact: 'on' } });
    const from = full.boundaries[1].tensor;
    const cut = await analyzeModel({ modelPath: model(), output: LOGITS, from, settings: { backend: 'wasm', batch: 4, exact: 'on' } });
    assert.equal(cut.boundaries[0].tensor, from);
    assert.equal(cut.blocks.length, 2);
    // Same batch, same tensors: GSC(from -> logits) is the full analysis's GSC(1 -> B).
    const a = cut.boundaries[0].gscToOutput.value;
    const b = full.boundaries[1].gscToOutput.value;
    assert.ok(Math.abs(a - b) <= 1e-5 * b, `${a} vs ${b}`);
  });

  test('a chosen output or start that is no tensor of the graph is refused by name', async () => {
    await assert.rejects(() => loadModel(model(), { output: 'nope' }), /chosen output "nope"/);
    await assert.rejects(
      () => analyzeModel({ modelPath: model(), output: LOGITS, from: 'nope', settings: { backend: 'wasm', batch: 2 } }),
      /start tensor "nope"/,
    );
  });
});
