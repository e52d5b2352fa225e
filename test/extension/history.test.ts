import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheKey, cacheKeyOfReport } from '../../src/extension/history/cacheKey';
import { HistoryStore } from '../../src/extension/history/historyStore';
import { entryText } from '../../src/extension/history/labels';
import { DEFAULT_SETTINGS, DEFAULT_THRESHOLDS } from '../../src/engine/api';
import type { UserSettings } from '../../src/extension/config';
import type { AnalysisReport } from '../../src/report/schema';
import fixture from '../fixtures/report-mlp_relu.json';

const fromInputFile = fixture as unknown as AnalysisReport;
/** The same report as if computed on the seeded Gaussian batch, which is what "Analyze" asks for. */
const base: AnalysisReport = { ...fromInputFile, settings: { ...fromInputFile.settings, inputSource: 'gaussian' } };

/** A copy of the fixture report for another model path / content / time. */
function variant(modelPath: string, contentHash: string, createdAt: string, seed = base.settings.seed): AnalysisReport {
  return {
    ...base,
    createdAt,
    model: { ...base.model, path: modelPath, fileName: path.basename(modelPath), contentHash },
    settings: { ...base.settings, seed },
  };
}

const userSettings: UserSettings = {
  batch: 8,
  probes: 6,
  seed: 7,
  exact: 'auto',
  backend: 'auto',
  blockMatrix: true,
  dimOverrides: { seq: 32, batch: 2 },
  memoryLimitMb: 0,
};

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'gl-history-test-'));
}

describe('cacheKey', () => {
  test('equal settings give equal keys whatever the key order; any setting or threshold change gives another key', () => {
    const reordered: UserSettings = {
      memoryLimitMb: 0,
      dimOverrides: { batch: 2, seq: 32 },
      blockMatrix: true,
      backend: 'auto',
      exact: 'auto',
      seed: 7,
      probes: 6,
      batch: 8,
    };
    assert.equal(cacheKey(userSettings, DEFAULT_THRESHOLDS), cacheKey(reordered, DEFAULT_THRESHOLDS));
    const k = cacheKey(userSettings, DEFAULT_THRESHOLDS);
    const changes: Partial<UserSettings>[] = [
      { batch: 9 },
      { probes: 7 },
      { seed: 8 },
      { exact: 'on' },
      { backend: 'wasm' },
      { blockMatrix: false },
      { dimOverrides: { seq: 33, batch: 2 } },
      { memoryLimitMb: 512 },
    ];
    for (const c of changes) assert.notEqual(cacheKey({ ...userSettings, ...c }, DEFAULT_THRESHOLDS), k, JSON.stringify(c));
    assert.notEqual(cacheKey(userSettings, { ...DEFAULT_THRESHOLDS, pseudoLinearK: 4 }), k);
  });

  test("a report's own key equals the key of the request that produced it (defaults, batch unchanged)", () => {
    const s = base.settings;
    const request: UserSettings = {
      batch: s.batch,
      probes: s.probes,
      seed: s.seed,
      exact: s.exact,
      backend: s.backend,
      blockMatrix: s.blockMatrix,
      dimOverrides: s.dimOverrides,
      memoryLimitMb: s.memoryLimitMb,
    };
    assert.equal(cacheKeyOfReport(base), cacheKey(request, base.thresholds));
    assert.notEqual(cacheKeyOfReport(base), cacheKey({ ...DEFAULT_SETTINGS, seed: s.seed + 1 }, base.thresholds));
  });

  test('a report computed on an input file (CLI --input) is never what a plain request gets from the cache', () => {
    const s = fromInputFile.settings;
    const request: UserSettings = {
      batch: s.batch,
      probes: s.probes,
      seed: s.seed,
      exact: s.exact,
      backend: s.backend,
      blockMatrix: s.blockMatrix,
      dimOverrides: s.dimOverrides,
      memoryLimitMb: s.memoryLimitMb,
    };
    assert.notEqual(s.inputSource, 'gaussian');
    assert.notEqual(cacheKeyOfReport(fromInputFile), cacheKey(request, fromInputFile.thresholds));
  });
});

describe('HistoryStore', () => {
  test('stores reports in its folder, lists newest first, reloads them equal, and finds the cached one by content + settings', async () => {
    const dir = await tempDir();
    const store = new HistoryStore(dir);
    const key = cacheKeyOfReport(base);
    const a = await store.add(variant('/w/a.onnx', 'h1', '2026-01-01T00:00:00.000Z'), key);
    const b = await store.add(variant('/w/b.onnx', 'h2', '2026-01-02T00:00:00.000Z'), key);
    assert.deepEqual(
      (await store.list()).map((e) => e.id),
      [b.id, a.id],
    );
    assert.deepEqual(await store.load(a.id), variant('/w/a.onnx', 'h1', '2026-01-01T00:00:00.000Z'));
    assert.equal((await store.findCached('h1', key, '/w/a.onnx'))?.id, a.id);
    assert.equal(await store.findCached('h1', 'another key', '/w/a.onnx'), undefined, 'other settings: no hit');
    assert.equal(await store.findCached('h3', key, '/w/a.onnx'), undefined, 'changed content: no hit');
    // The same content under another path is still a hit (the numbers depend on content only).
    assert.equal((await store.findCached('h2', key, '/elsewhere/copy.onnx'))?.id, b.id);
    // Everything lives in the given folder (the extension passes its globalStorage folder).
    const files = (await fs.readdir(dir)).sort();
    assert.deepEqual(files, [`${a.id}.json`, `${b.id}.json`, 'index.json'].sort());
    const e = (await store.list())[0];
    assert.equal(e.summary.blocks, base.blocks.length);
    assert.equal(e.summary.gscInputToOutput, base.growth.gscInputToOutput);
  });

  test('a re-run of the same content and settings replaces the earlier entry; other content adds a checkpoint', async () => {
    const store = new HistoryStore(await tempDir());
    const key = cacheKeyOfReport(base);
    const first = await store.add(variant('/w/m.onnx', 'h1', '2026-01-01T00:00:00.000Z'), key);
    const second = await store.add(variant('/w/m.onnx', 'h1', '2026-01-01T01:00:00.000Z'), key);
    assert.deepEqual(
      (await store.list()).map((e) => e.id),
      [second.id],
    );
    assert.equal(await store.load(first.id), undefined, "the replaced entry's file is deleted");
    await store.add(variant('/w/m.onnx', 'h2', '2026-01-01T02:00:00.000Z'), key);
    assert.equal((await store.entriesFor('/w/m.onnx')).length, 2);
    assert.equal((await store.entriesFor('/w/other.onnx')).length, 0);
  });

  test('keeps at most maxEntries (oldest dropped with their files) and survives concurrent adds', async () => {
    const dir = await tempDir();
    let max = 3;
    const store = new HistoryStore(dir, () => max);
    const key = cacheKeyOfReport(base);
    await Promise.all([0, 1, 2, 3, 4].map((i) => store.add(variant(`/w/m${i}.onnx`, `h${i}`, `2026-01-0${i + 1}T00:00:00.000Z`), key)));
    const list = await store.list();
    assert.equal(list.length, 3);
    assert.deepEqual(
      list.map((e) => e.fileName),
      ['m4.onnx', 'm3.onnx', 'm2.onnx'],
    );
    assert.equal((await fs.readdir(dir)).filter((f) => f.endsWith('.json')).length, 4, '3 reports + the index');
    max = 1;
    await store.add(variant('/w/m5.onnx', 'h5', '2026-01-06T00:00:00.000Z'), key);
    assert.deepEqual(
      (await store.list()).map((e) => e.fileName),
      ['m5.onnx'],
    );
  });

  test('a corrupt index is an empty history, a missing or foreign report file loads as undefined, ids cannot escape the folder', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'index.json'), '{ not json');
    const store = new HistoryStore(dir);
    assert.deepEqual(await store.list(), []);
    const e = await store.add(base, cacheKeyOfReport(base));
    await fs.writeFile(path.join(dir, `${e.id}.json`), JSON.stringify({ schema: 'something-else' }));
    assert.equal(await store.load(e.id), undefined);
    assert.equal(await store.load('../index'), undefined);
    await store.remove(e.id);
    assert.deepEqual(await store.list(), []);
  });

  test('quick pick text names the file, time, settings and the headline numbers', async () => {
    const store = new HistoryStore(await tempDir());
    const e = await store.add(variant('/w/model.onnx', 'abcdef0123456789', '2026-01-01T00:00:00.000Z', 7), cacheKeyOfReport(base));
    const t = entryText(e);
    assert.equal(t.label, 'model.onnx');
    assert.match(t.description, new RegExp(`batch ${base.settings.batch}, ${base.settings.probes} probes, seed 7`));
    assert.match(t.detail, new RegExp(`^${base.blocks.length} blocks`));
    assert.match(t.detail, /sha256 abcdef012345 · \/w\/model\.onnx$/);
    assert.match(t.description, / · Gaussian input · /);
    assert.equal(entryText(e, 'resnet/model.onnx').label, 'resnet/model.onnx', 'pick lists show the relative path');
  });

  test('runs with data or the error layer do not read like Gaussian runs', async () => {
    const store = new HistoryStore(await tempDir());
    const withData: AnalysisReport = {
      ...variant('/w/model.onnx', 'abcdef0123456789', '2026-01-01T00:00:00.000Z'),
      input: { kind: 'npy', path: '/w/data/samples.npy', samples: 16, available: 100 },
      reference: { kind: 'error', tensor: 'loss', loss: 'cross-entropy', modelOutput: 'logits', labels: '/w/data/labels.npy' },
    };
    const e = await store.add(withData, cacheKeyOfReport(withData));
    const t = entryText(e);
    assert.match(t.description, / · data samples\.npy \(16 samples\) · error layer \(cross-entropy\) · batch /);
    assert.doesNotMatch(t.description, /Gaussian/);
    // An older report with only settings.inputSource (the fixture was computed on input.bin).
    const old = await store.add(fromInputFile, cacheKeyOfReport(fromInputFile));
    assert.match(entryText(old).description, / · data input\.bin · /);
  });
});

describe('cache hit messages', () => {
  test('another file with the same content is named, not called unchanged', async () => {
    const { cacheHitText } = await import('../../src/extension/history/labels');
    const same = cacheHitText('model.onnx', '2026-01-01T00:00:00.000Z');
    assert.match(same.long, /^Gradient Lens: model\.onnx is unchanged since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d — showing the cached report/);
    const other = cacheHitText('ckpt.onnx', '2026-01-01T00:00:00.000Z', 'resnet/model.onnx');
    assert.match(other.long, /^Gradient Lens: ckpt\.onnx has the same content as resnet\/model\.onnx \(analyzed /);
    assert.doesNotMatch(other.long, /unchanged/);
    assert.equal(other.short, 'Gradient Lens: ckpt.onnx same as resnet/model.onnx (cached)');
    assert.ok(same.short.length < 60, 'the status bar text is short');
    const { STATUS_MAX } = await import('../../src/extension/statusText');
    const long = 'checkpoints/run-2026-12-06/epoch-0042-validation-best.onnx';
    for (const t of [cacheHitText(long, '2026-01-01T00:00:00.000Z', long).short, cacheHitText(long, '2026-01-01T00:00:00.000Z').short]) {
      assert.ok([...t].length <= STATUS_MAX, `${t} fits the status bar`);
      assert.match(t, /\.onnx/, 'the end of the name (its extension) is kept');
    }
  });
});
