/**
 * "Analyze Up To Tensor…": the pick lists built from a model's tensor listing, the cut
 * remembered per model file, the cache key that tells cut runs apart, and the reading of the
 * loaders' refusal that names the tensor to cut at (pinned to the real messages).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describeCut, outputItems, parseCutHint, startItems, withoutCliAdvice } from '../../src/extension/analysis/tensorPick';
import { ModelCuts } from '../../src/extension/analysis/modelCuts';
import { cacheKey } from '../../src/extension/history/cacheKey';
import { listModelTensors, type TensorListing } from '../../src/loaders/tensorList';
import { loadModel } from '../../src/loaders';
import { DEFAULT_SETTINGS, DEFAULT_THRESHOLDS } from '../../src/engine/api';
import { repoRoot } from '../helpers/fixtures';
import { writeDetector } from '../loaders/tfjs-models';
import { useTestBackend } from '../helpers/backend';

const CUT_MODEL = (): string => path.join(repoRoot(), 'test', 'fixtures', 'cut', 'model.onnx');
const LOGITS = '/body/body.4/Gemm_output_0';

async function refusal(load: () => Promise<unknown>): Promise<string> {
  try {
    await load();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('the model loaded');
}

describe('the tensor pick lists', () => {
  before(useTestBackend);

  test('the refusals of both loaders name the tensor the pick list suggests', async () => {
    assert.equal(parseCutHint(await refusal(() => loadModel(CUT_MODEL()))), LOGITS);
    assert.equal(parseCutHint(await refusal(() => loadModel(writeDetector()))), 'logits');
    assert.equal(parseCutHint('unsupported operator: TopK (1 node: "t")'), undefined);
    const shown = withoutCliAdvice(await refusal(() => loadModel(CUT_MODEL())));
    assert.ok(!shown.includes('--output') && shown.endsWith(`differentiable up to tensor "${LOGITS}"`), shown);
  });

  test('the advice for a network behind a loop (--from and --output) is dropped too', () => {
    const refusal =
      'model.json: unsupported TensorFlow ops: TensorListStack (control flow) at "map/Stack"; the input reaches the network only through a loop over the batch; ' +
      'the network is differentiable from tensor "map/Stack" up to tensor "Identity_6": analyse it with --from "map/Stack" --output "Identity_6"';
    const shown = withoutCliAdvice(refusal);
    assert.ok(!shown.includes('--from') && !shown.includes('--output'), shown);
    assert.ok(shown.endsWith('differentiable from tensor "map/Stack" up to tensor "Identity_6"'), shown);
  });

  test('blocked output: no "model output" row, the suggestion first, blocked tensors left out', async () => {
    const listing = await listModelTensors(CUT_MODEL());
    const items = outputItems(listing, { suggested: LOGITS });
    assert.equal(items[0].tensor, LOGITS);
    assert.match(items[0].detail ?? '', /last tensor before the unsupported ops/);
    assert.ok(!items.some((i) => i.tensor === null), 'the blocked model output is not offered');
    assert.ok(!items.some((i) => /TopK/.test(i.description ?? '')), 'TopK is not offered');
    assert.equal(new Set(items.map((i) => i.tensor)).size, items.length, 'no tensor twice');
    // The start list ends before the chosen output.
    const starts = startItems(listing, LOGITS);
    assert.equal(starts[0].tensor, null);
    assert.ok(!starts.some((i) => i.tensor === LOGITS));
    assert.equal(
      starts.length - 1,
      listing.tensors.findIndex((t) => t.name === LOGITS),
    );
  });

  test('a whole model: its own output first and marked current; descriptions carry op and shape', () => {
    const listing: TensorListing = {
      inputs: [{ name: 'x', op: 'input', shape: ['batch', 3] }],
      tensors: [
        { name: 'h', op: 'Gemm', shape: ['batch', 8] },
        { name: 'y', op: 'Relu' },
      ],
      outputs: ['y'],
    };
    const items = outputItems(listing);
    assert.deepEqual(
      items.map((i) => [i.label, i.description, i.tensor]),
      [
        ["The model's output", 'y · current', null],
        ['h', 'Gemm [batch, 8]', 'h'],
        ['y', 'Relu', 'y'],
      ],
    );
    assert.equal(outputItems(listing, { current: 'h' })[1].description, 'Gemm [batch, 8] · current');
    assert.deepEqual(
      startItems(listing, 'y', 'h').map((i) => [i.label, i.description]),
      [
        ['The model input', 'x'],
        ['h', 'Gemm [batch, 8] · current'],
      ],
    );
    assert.equal(describeCut({ output: 'y', from: 'h' }), 'up to tensor y, from tensor h');
  });

  test('the cut is remembered per model file, cleared by choosing both model ends, and keys the cache', async () => {
    const values = new Map<string, unknown>();
    const memento = { get: (k: string) => values.get(k), update: async (k: string, v: unknown) => void values.set(k, v), keys: () => [...values.keys()] };
    const cuts = new ModelCuts(memento as never);
    await cuts.set('/a.onnx', { output: 'logits' });
    await cuts.set('/b.onnx', { output: 'z', from: 'h' });
    assert.deepEqual(cuts.get('/a.onnx'), { output: 'logits' });
    assert.deepEqual(cuts.get('/b.onnx'), { output: 'z', from: 'h' });
    await cuts.set('/a.onnx', {});
    assert.equal(cuts.get('/a.onnx'), undefined);
    values.set('gradientLens.cutByModel', { '/c.onnx': { output: 7 }, '/d.onnx': 'x' });
    assert.equal(cuts.get('/c.onnx'), undefined, 'a malformed state is ignored');
    const whole = cacheKey(DEFAULT_SETTINGS, DEFAULT_THRESHOLDS);
    assert.equal(cacheKey(DEFAULT_SETTINGS, DEFAULT_THRESHOLDS, undefined), whole, 'a whole-model key is unchanged');
    assert.notEqual(cacheKey(DEFAULT_SETTINGS, DEFAULT_THRESHOLDS, { output: 'logits' }), whole);
    assert.notEqual(
      cacheKey(DEFAULT_SETTINGS, DEFAULT_THRESHOLDS, { output: 'logits' }),
      cacheKey(DEFAULT_SETTINGS, DEFAULT_THRESHOLDS, { output: 'logits', from: 'h' }),
    );
  });
});
