import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReportStore } from '../../src/extension/reportStore';
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION, type AnalysisReport } from '../../src/report/schema';
import { savedReport } from '../report/helpers';

/** VS Code's Memento, named without importing `vscode` here. */
type Memento = ConstructorParameters<typeof ReportStore>[0];

/** An in-memory Memento (the real one is VS Code's workspaceState). */
function memento(): Memento {
  const values = new Map<string, unknown>();
  return {
    keys: () => [...values.keys()],
    get: <T>(key: string, fallback?: T) => (values.has(key) ? (values.get(key) as T) : fallback),
    update: async (key: string, value: unknown) => {
      values.set(key, JSON.parse(JSON.stringify(value)));
    },
  } as Memento;
}

// A real report (readers validate every field) with its model path replaced.
const saved = savedReport();
const report = (modelPath: string, version = REPORT_SCHEMA_VERSION): AnalysisReport =>
  ({ ...saved, schema: REPORT_SCHEMA, version, model: { ...saved.model, path: modelPath } }) as AnalysisReport;

test('ReportStore keeps the newest report per model, most recent first, at most 8', async () => {
  const store = new ReportStore(memento());
  assert.equal(store.latest(), undefined);
  await store.put(report('/a.onnx'));
  await store.put(report('/b.onnx'));
  await store.put(report('/a.onnx'));
  assert.deepEqual(
    store.all().map((e) => e.modelPath),
    ['/a.onnx', '/b.onnx'],
  );
  for (let i = 0; i < 10; i++) await store.put(report(`/m${i}.onnx`));
  assert.equal(store.all().length, 8);
  assert.equal(store.latest()?.modelPath, '/m9.onnx');
  assert.equal(store.get('/a.onnx'), undefined, 'the oldest fell out');
});

test('ReportStore drops stored entries this version cannot read', async () => {
  const m = memento();
  await m.update('gradientLens.reports', [
    { modelPath: '/new.onnx', report: report('/new.onnx') },
    { modelPath: '/future.onnx', report: report('/future.onnx', '99.0') },
    { modelPath: 42, report: report('/x.onnx') },
    'garbage',
  ]);
  assert.deepEqual(
    new ReportStore(m).all().map((e) => e.modelPath),
    ['/new.onnx'],
  );
});
