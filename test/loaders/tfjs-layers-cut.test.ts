/**
 * Cutting a TF.js layers model at a layer (--output NAME, --from NAME): a functional model
 * whose output goes through a Lambda layer (code, never run) is refused naming the layer to cut
 * at; cut there it loads without the Lambda and analyses, and --from starts inside it.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadTfjsModel } from '../../src/loaders/tfjs';
import { analyzeModel } from '../../src/engine/analyze';
import { useTestBackend } from '../helpers/backend';
import { writeDetector } from './tfjs-models';

describe('cutting a TF.js layers model', () => {
  before(useTestBackend);

  test('the model output behind a Lambda: refused naming the layer to cut at', async () => {
    const file = writeDetector();
    await assert.rejects(
      () => loadTfjsModel(file),
      (e: unknown) => e instanceof Error && /Lambda \(layer "decode"\)/.test(e.message) && e.message.includes('--output "logits"'),
    );
  });

  test('--output logits: the layers after it are never translated', async () => {
    const graph = await loadTfjsModel(writeDetector(), { output: 'logits' });
    assert.deepEqual(
      graph.outputs.map((o) => o.name),
      ['logits'],
    );
    const origins = new Set(graph.nodes.map((n) => n.origin.name));
    assert.ok(!origins.has('decode') && !origins.has('sq'), `layers kept: ${[...origins].join(', ')}`);
    assert.ok(origins.has('hidden') && origins.has('merge'));
  });

  test('a shared layer: "sq" is its first call, "sq@1" keeps both calls', async () => {
    const file = writeDetector();
    const first = await loadTfjsModel(file, { output: 'sq' });
    const second = await loadTfjsModel(file, { output: 'sq@1' });
    assert.deepEqual(
      first.outputs.map((o) => o.name),
      ['sq'],
    );
    assert.deepEqual(
      second.outputs.map((o) => o.name),
      ['sq@1'],
    );
    const matmuls = (g: typeof first): number => g.nodes.filter((n) => n.op === 'MatMul' || n.op === 'Gemm').length;
    assert.equal(matmuls(second), 2 * matmuls(first));
  });

  test('names that are no top-level tensor are refused by name', async () => {
    const file = writeDetector();
    await assert.rejects(() => loadTfjsModel(file, { output: 'nope' }), /chosen output "nope" is no layer of the model/);
    await assert.rejects(() => loadTfjsModel(file, { output: 'in' }), /chosen output "in" is a model input/);
    await assert.rejects(() => loadTfjsModel(file, { output: 'sq@2' }), /layer "sq" is called 2 time/);
  });

  test('analysed cut at logits, and from hidden: GSC(hidden -> logits) is the same in both', async () => {
    const modelPath = writeDetector();
    const settings = { backend: 'wasm' as const, batch: 4, exact: 'on' as const, seed: 3 };
    const full = await analyzeModel({ modelPath, output: 'logits', settings });
    assert.equal(full.model.outputName, 'logits');
    assert.equal(full.boundaries[full.boundaries.length - 1].tensor, 'logits');
    const hidden = full.boundaries.find((b) => b.tensor === 'hidden');
    assert.ok(hidden, `boundaries: ${full.boundaries.map((b) => b.tensor).join(', ')}`);
    const cut = await analyzeModel({ modelPath, output: 'logits', from: 'hidden', settings });
    assert.equal(cut.boundaries[0].tensor, 'hidden');
    assert.equal(cut.blocks.length, full.blocks.length - full.boundaries.indexOf(hidden));
    const a = cut.boundaries[0].gscToOutput.value;
    assert.ok(Math.abs(a - hidden.gscToOutput.value) <= 1e-5 * hidden.gscToOutput.value, `${a} vs ${hidden.gscToOutput.value}`);
  });
});
