/** "Analyze With Data…" without VS Code: the settings it reads and the request it builds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDataConfig } from '../../src/extension/data/dataConfig';
import { labelOptions, requestInput } from '../../src/extension/data/choices';
import { dataRequestProblem } from '../../src/data/request';
import { cacheKey, cacheKeyOfReport } from '../../src/extension/history/cacheKey';
import type { AnalysisReport } from '../../src/report/schema';

const source = (values: Record<string, unknown>) => ({ get: (key: string): unknown => values[key] });

test('gradientLens.data.* settings: defaults, valid values, and invalid ones named', () => {
  assert.deepEqual(parseDataConfig(source({})), { mean: [0], std: [1], sample: 'first', problems: [] });
  const ok = parseDataConfig(source({ 'data.mean': [0.485, 0.456, 0.406], 'data.std': [0.229, 0.224, 0.225], 'data.sample': 'random' }));
  assert.deepEqual([ok.mean, ok.std, ok.sample], [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 'random']);
  const bad = parseDataConfig(source({ 'data.mean': 'gray', 'data.std': [0], 'data.sample': 'all' }));
  assert.deepEqual([bad.mean, bad.std, bad.sample], [[0], [1], 'first']);
  assert.equal(bad.problems.length, 3);
  assert.match(bad.problems[1], /gradientLens\.data\.std: \[0\] is not a list of positive numbers/);
});

test('the picked data, labels and reference become the request fields the worker checks', () => {
  const config = parseDataConfig(source({ 'data.mean': [0.5], 'data.std': [0.25], 'data.sample': 'random' }));
  const folder = requestInput({ dataPath: '/d/imgs', isFolder: true, labels: { kind: 'withData' }, reference: 'error' }, config);
  assert.deepEqual(folder, { data: { path: '/d/imgs', sample: 'random', mean: [0.5], std: [0.25], folderLabels: true }, reference: 'error' });
  const csv = requestInput({ dataPath: '/d/t.csv', isFolder: false, labels: { kind: 'csvColumn', column: 'y' }, reference: 'error' }, config);
  assert.deepEqual(csv, { data: { path: '/d/t.csv', sample: 'random', labelColumn: 'y' }, reference: 'error' });
  const none = requestInput({ dataPath: '/d/x.npy', isFolder: false, labels: { kind: 'none' }, reference: 'error' }, config);
  assert.equal(none.reference, 'output', 'without labels the reference is the model output');
  const file = requestInput({ dataPath: '/d/x.npy', isFolder: false, labels: { kind: 'file', path: '/d/y.npy' }, reference: 'output' }, config);
  assert.equal(file.data?.labels, '/d/y.npy');
  for (const r of [folder, csv, none, file]) assert.equal(dataRequestProblem(r), undefined);
  assert.deepEqual(labelOptions('/d/t.csv', false), ['csvColumn', 'file', 'none']);
  assert.deepEqual(labelOptions('/d/imgs', true), ['withData', 'file', 'none']);
  assert.deepEqual(labelOptions('/d/x.npy', false), ['file', 'none']);
});

test('a report on sample data or to the error layer never shares a cache key with a plain request', () => {
  const settings = { batch: 16, probes: 8, seed: 0, exact: 'auto', backend: 'auto', blockMatrix: true, dimOverrides: {}, memoryLimitMb: 0 } as const;
  const thresholds = { gsc: 100, pseudoLinearK: 3, collapsedSpread: 0.1 };
  const report = (inputSource: string, kind: 'output' | 'error') =>
    ({
      settings: { ...settings, inputSource },
      thresholds,
      reference: { kind, tensor: 't' },
      input: inputSource === 'gaussian' ? { kind: 'gaussian', samples: 16 } : { kind: 'npy', path: inputSource, samples: 16 },
    }) as unknown as AnalysisReport;
  const plain = cacheKey(settings, thresholds);
  assert.equal(cacheKeyOfReport(report('gaussian', 'output')), plain);
  assert.notEqual(cacheKeyOfReport(report('/d/x.npy', 'output')), plain);
  assert.notEqual(cacheKeyOfReport(report('/d/x.npy', 'error')), cacheKeyOfReport(report('/d/x.npy', 'output')));
});
