import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDimSize, parseDimSize, parseDynamicDimsError } from '../../src/extension/analysis/dynamicDims';
import { ModelDimSizes } from '../../src/extension/analysis/modelDimSizes';
import { sampleShape } from '../../src/engine/input';
import type { ValueInfo } from '../../src/graph/ir';

function refusal(shape: (number | string | null)[]): string {
  try {
    sampleShape({ name: 'pixel_values', dtype: 'float32', shape } as unknown as ValueInfo, {});
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the engine accepted a dynamic shape');
}

describe('dynamic input sizes asked in the editor', () => {
  test("the engine's refusal is understood: the input, its dimensions and shape", () => {
    const r = parseDynamicDimsError(refusal(['batch', 3, 'height', 'width']));
    assert.deepEqual(r, { input: 'pixel_values', dims: ['height', 'width'], shape: ['batch', '3', 'height', 'width'] });
    const unnamed = parseDynamicDimsError(refusal(['N', '?']));
    assert.deepEqual(unnamed?.dims, ['dim1']);
    assert.equal(parseDynamicDimsError('the model has 2 inputs (a, b)'), undefined);
  });
  test('defaults: image axes 224, channels 3, sequences 32', () => {
    const nchw = parseDynamicDimsError(refusal(['batch', 3, 'h', 'w']));
    assert.ok(nchw);
    assert.equal(defaultDimSize(nchw, 'h'), 224);
    const nhwcUnnamed = parseDynamicDimsError(refusal(['N', '?', '?', 3]));
    assert.ok(nhwcUnnamed);
    assert.deepEqual(
      nhwcUnnamed.dims.map((d) => defaultDimSize(nhwcUnnamed, d)),
      [224, 224],
    );
    const allOpen = parseDynamicDimsError(refusal(['N', 'c', 'a', 'b']));
    assert.ok(allOpen);
    assert.deepEqual(
      allOpen.dims.map((d) => defaultDimSize(allOpen, d)),
      [3, 224, 224],
    );
    const seq = parseDynamicDimsError(refusal(['batch', 'sequence', 64]));
    assert.ok(seq);
    assert.equal(defaultDimSize(seq, 'sequence'), 32);
    const p2o = parseDynamicDimsError(refusal(['batch', 'p2o.DynamicDimension.1']));
    assert.ok(p2o);
    assert.equal(defaultDimSize(p2o, 'p2o.DynamicDimension.1'), 32);
  });
  test('answers: whole numbers from 1 to 100000', () => {
    assert.equal(parseDimSize(' 48 '), 48);
    assert.equal(typeof parseDimSize('0'), 'string');
    assert.equal(typeof parseDimSize('2.5'), 'string');
    assert.equal(typeof parseDimSize(''), 'string');
  });
  test('sizes are remembered per model file, not by dimension name for every model', async () => {
    const values = new Map<string, unknown>();
    const memento = { get: (k: string) => values.get(k), update: async (k: string, v: unknown) => void values.set(k, v), keys: () => [...values.keys()] };
    const sizes = new ModelDimSizes(memento as never);
    await sizes.set('/w/a/model.onnx', { seq: 48 });
    await sizes.set('/w/b/model.onnx', { seq: 16 });
    await sizes.set('/w/a/model.onnx', { width: 64 });
    assert.deepEqual(sizes.get('/w/a/model.onnx'), { seq: 48, width: 64 });
    assert.deepEqual(sizes.get('/w/b/model.onnx'), { seq: 16 });
    assert.deepEqual(sizes.get('/w/c/model.onnx'), {});
    values.set('gradientLens.dimSizesByModel', { '/w/a/model.onnx': { seq: -1, w: 'x', h: 7 }, '/w/b/model.onnx': null });
    assert.deepEqual(sizes.get('/w/a/model.onnx'), { h: 7 }, 'a corrupted state keeps only whole positive sizes');
  });
});

describe('reduced settings are notified', () => {
  test("the engine's shrunk batch becomes a notification; a clean report gives none", async () => {
    const { reducedSettingsNotice } = await import('../../src/extension/analysis/notices');
    const { decideBatch } = await import('../../src/engine/resources');
    const { savedReport } = await import('../report/helpers');
    const report = savedReport();
    assert.equal(reducedSettingsNotice(report), undefined);
    const decision = decideBatch({ perSampleBytes: 1024 ** 2, largestPerSampleElements: 1024, heldBytes: 0, residentBytes: 0, probes: 8 }, 16, 50 * 1024 ** 2);
    assert.equal(decision.kind, 'shrunk');
    const shrunk = { ...report, warnings: [...report.warnings, { code: 'input' as const, message: decision.kind === 'shrunk' ? decision.message : '' }] };
    assert.match(
      reducedSettingsNotice(shrunk) ?? '',
      /was analyzed with reduced settings: batch 16 would need about \d+ MB, over the memory limit of 50 MB; analysed a batch of \d+ instead/,
    );
  });
});
