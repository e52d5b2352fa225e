/**
 * Token-id inputs: tiny GPT- and BERT-style models exported by PyTorch 1.13 at opset 17
 * (test/fixtures/tokens/make_token_models.py) analyse from the embedding, and GSC(embedding ->
 * logits) matches the float64 reference the script computed with exact Jacobians.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { analyzeModel } from '../../src/engine/analyze';
import { DEFAULT_SEQUENCE_LENGTH, planTokenInputs } from '../../src/engine/tokens';
import { loadModel } from '../../src/loaders';
import { repoRoot } from '../helpers/fixtures';
import { useTestBackend } from '../helpers/backend';
import { reportFieldProblem } from '../../src/report/validate';
import { inputText } from '../../src/report/referenceText';

interface TokenReference {
  readonly batch: number;
  readonly sequence: number;
  readonly vocabulary: number;
  readonly gsc_embedding_to_logits: number;
  readonly qm_jacobian: number;
}

const dirOf = (name: string): string => path.join(repoRoot(), 'test', 'fixtures', 'tokens', name);
const referenceOf = (name: string): TokenReference => JSON.parse(readFileSync(path.join(dirOf(name), 'reference.json'), 'utf8')) as TokenReference;
const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('token-id inputs', () => {
  before(useTestBackend);

  for (const name of ['tiny_gpt', 'tiny_bert']) {
    test(`${name}: GSC(embedding -> logits) equals the float64 reference within 1e-3`, async () => {
      const ref = referenceOf(name);
      const report = await analyzeModel({
        modelPath: path.join(dirOf(name), 'model.onnx'),
        data: { path: path.join(dirOf(name), 'ids.npy') },
        settings: { backend: 'wasm', batch: ref.batch, exact: 'on', dimOverrides: { sequence: ref.sequence } },
      });
      const tokens = report.input?.tokens;
      assert.ok(tokens, 'the report describes the token inputs');
      assert.equal(tokens.ids, 'input_ids');
      assert.equal(tokens.vocabulary, ref.vocabulary);
      assert.equal(tokens.sequenceLength, ref.sequence);
      assert.equal(report.boundaries[0].tensor, tokens.embedding);
      assert.deepEqual(report.model.inputShape, [ref.batch, ref.sequence, 16]);
      const b0 = report.boundaries[0];
      assert.equal(b0.gscToOutput.method, 'exact');
      const err = relErr(b0.gscToOutput.value, ref.gsc_embedding_to_logits);
      assert.ok(err < 1e-3, `GSC ${b0.gscToOutput.value} vs reference ${ref.gsc_embedding_to_logits}: relative error ${err.toExponential(2)}`);
      assert.ok(relErr(b0.qmJacobian.value, ref.qm_jacobian) < 1e-3, `qm Jacobian ${b0.qmJacobian.value} vs ${ref.qm_jacobian}`);
      assert.equal(reportFieldProblem(JSON.parse(JSON.stringify(report))), undefined);
      assert.match(inputText(report), /token ids of input_ids \(vocabulary 40, length 8\), analysed from the embedding /);
      if (name === 'tiny_bert') {
        assert.deepEqual(tokens.fixed, [
          { name: 'attention_mask', value: 'ones' },
          { name: 'token_type_ids', value: 'zeros' },
        ]);
      }
    });
  }

  test('the embedding is the sum of the token and position lookups (GPT) and of the segment lookup too (BERT)', async () => {
    for (const [name, lookups] of [
      ['tiny_gpt', 2],
      ['tiny_bert', 3],
    ] as const) {
      const { graph } = await loadModel(path.join(dirOf(name), 'model.onnx'));
      const plan = planTokenInputs(graph, {})!;
      const add = graph.nodes.find((n) => n.outputs.includes(plan.start))!;
      assert.equal(add.op, 'Add', `${name}: boundary 0 is produced by ${add.op}`);
      // Count the lookups (Gathers from float tables) upstream of boundary 0.
      const upstream = new Set<string>([plan.start]);
      let found = 0;
      for (let i = graph.nodes.length - 1; i >= 0; i--) {
        const n = graph.nodes[i];
        if (!n.outputs.some((o) => upstream.has(o))) continue;
        n.inputs.forEach((x) => upstream.add(x));
        if (n.op === 'Gather' && graph.constants.get(n.inputs[0])?.shape.length === 2) found++;
      }
      assert.equal(found, lookups, name);
      assert.equal(plan.sequenceLength, DEFAULT_SEQUENCE_LENGTH, 'a dynamic sequence axis without --dim takes the default');
    }
  });

  test('seeded ids: uniform in the vocabulary, default sequence length, the same report for the same seed', async () => {
    const run = () =>
      analyzeModel({ modelPath: path.join(dirOf('tiny_gpt'), 'model.onnx'), settings: { backend: 'wasm', batch: 4, probes: 4, blockMatrix: false, seed: 3 } });
    const a = await run();
    const b = await run();
    assert.equal(a.input?.kind, 'gaussian');
    assert.equal(a.input?.tokens?.sequenceLength, DEFAULT_SEQUENCE_LENGTH);
    assert.deepEqual(a.model.inputShape, [4, DEFAULT_SEQUENCE_LENGTH, 16]);
    assert.ok(Number.isFinite(a.boundaries[0].gscToOutput.value) && a.boundaries[0].gscToOutput.value > 0);
    assert.equal(a.boundaries[0].gscToOutput.value, b.boundaries[0].gscToOutput.value);
  });
});
