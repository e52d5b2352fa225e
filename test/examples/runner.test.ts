/**
 * "Analyze All Examples" without VS Code: the runner analyses the examples one after another
 * through a client (a stub standing in for the worker), reports monotone progress and the
 * growing figure, and stops cleanly on cancel or on an error; the figure's depth axis counts
 * weight layers.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CancelledError, type AnalyzeRequest, type ProgressEvent } from '../../src/engine/api';
import type { AnalysisReport } from '../../src/report/schema';
import { holdsWeights } from '../../src/ops/registry';
import { boundaryDepths, seriesFromReport, type ExamplesFigure } from '../../src/report/figureData';
import { EXAMPLES } from '../../src/examples/catalog';
import { analyzeExamples, type AnalyzeClient } from '../../src/extension/examples/runner';

const FIXTURE_REPORT = path.resolve(__dirname, '..', '..', path.basename(path.resolve(__dirname, '..', '..')) === 'out' ? '..' : '.', 'test', 'fixtures', 'report-mlp_relu.json');
/** A real CLI report (of the 20-layer fixture MLP), relabelled per request. */
const base = JSON.parse(readFileSync(FIXTURE_REPORT, 'utf8')) as AnalysisReport;

function reportFor(modelPath: string, scale: number): AnalysisReport {
  return {
    ...base,
    model: { ...base.model, path: modelPath },
    growth: { ...base.growth, gscInputToOutput: base.growth.gscInputToOutput * scale },
    boundaries: base.boundaries.map((b) => ({ ...b, gscToOutput: { ...b.gscToOutput, value: b.gscToOutput.value * scale } })),
  };
}

class StubClient implements AnalyzeClient {
  readonly requests: AnalyzeRequest[] = [];
  constructor(private readonly behaviour: (i: number, signal: AbortSignal | undefined) => Promise<void> = async () => undefined) {}
  async analyze(request: AnalyzeRequest, hooks: { onProgress?: (e: ProgressEvent) => void; signal?: AbortSignal }): Promise<AnalysisReport> {
    const i = this.requests.length;
    this.requests.push(request);
    hooks.onProgress?.({ phase: 'forward', message: 'forward pass', fraction: 0.25 });
    await this.behaviour(i, hooks.signal);
    hooks.onProgress?.({ phase: 'done', message: 'done', fraction: 1 });
    return reportFor(request.modelPath, i + 1);
  }
}

const jobs = EXAMPLES.map((example) => ({ example, modelPath: `/examples/${example.id}/model.onnx` }));

describe('bundled examples: Analyze All runner and figure data', () => {
  test('analyses every example in order, one at a time, with monotone progress and a growing figure', async () => {
    const client = new StubClient();
    const fractions: number[] = [];
    const figures: ExamplesFigure[] = [];
    const done = await analyzeExamples(client, jobs, { settings: { batch: 4, blockMatrix: false } }, { onProgress: (_, f) => fractions.push(f), onFigure: (f) => figures.push(f) }, new AbortController().signal);
    assert.deepEqual(client.requests.map((r) => r.modelPath), jobs.map((j) => j.modelPath));
    assert.ok(client.requests.every((r) => r.settings?.batch === 4 && r.settings.blockMatrix === false));
    for (let i = 1; i < fractions.length; i++) assert.ok(fractions[i] >= fractions[i - 1], `progress went back at ${i}: ${fractions[i - 1]} -> ${fractions[i]}`);
    assert.equal(fractions[fractions.length - 1], 1);
    assert.deepEqual(figures.map((f) => f.series.length), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(figures.map((f) => f.pending.length), [7, 6, 5, 4, 3, 2, 1, 0]);
    assert.equal(done.status, 'done');
    assert.deepEqual(done.series.map((s) => s.id), EXAMPLES.map((e) => e.id));
    // Each series is the report it came from.
    done.series.forEach((s, i) => assert.equal(s.gscInputToOutput, base.growth.gscInputToOutput * (i + 1)));
    assert.deepEqual(done.settings, { batch: base.settings.batch, probes: base.settings.probes, seed: base.settings.seed, exact: base.settings.exact, backend: base.backend.name });
  });

  test('cancel during the third example ends with the two finished lines and status cancelled', async () => {
    const abort = new AbortController();
    const client = new StubClient(async (i, signal) => {
      if (i !== 2) return;
      abort.abort();
      if (signal?.aborted) throw new CancelledError();
    });
    const figures: ExamplesFigure[] = [];
    const end = await analyzeExamples(client, jobs, {}, { onProgress: () => undefined, onFigure: (f) => figures.push(f) }, abort.signal);
    assert.equal(end.status, 'cancelled');
    assert.equal(end.series.length, 2);
    assert.equal(end.pending.length, 5);
    assert.equal(client.requests.length, 3, 'nothing runs after the cancel');
    assert.equal(figures[figures.length - 1].status, 'cancelled');
  });

  test('an engine error shows a failed figure naming the example and is rethrown', async () => {
    const client = new StubClient(async (i) => {
      if (i === 1) throw new Error('cannot load model.onnx');
    });
    const figures: ExamplesFigure[] = [];
    await assert.rejects(analyzeExamples(client, jobs, {}, { onProgress: () => undefined, onFigure: (f) => figures.push(f) }, new AbortController().signal), /cannot load/);
    const last = figures[figures.length - 1];
    assert.equal(last.status, 'failed');
    assert.match(last.message, new RegExp(`${EXAMPLES[1].id} failed: cannot load`));
    assert.equal(last.series.length, 1);
  });

  test('depth counts weight layers: one per MLP block, two per residual unit', () => {
    // The fixture report is a 20-layer MLP: block k ends after k dense layers, the head adds one.
    assert.deepEqual(boundaryDepths(base, holdsWeights), Array.from({ length: 22 }, (_, i) => i));
    const residual: AnalysisReport = {
      ...base,
      blocks: [
        { ...base.blocks[0], opTypes: ['Gemm'] },
        { ...base.blocks[1], opTypes: ['Gemm', 'Relu', 'Gemm', 'Add'] },
        { ...base.blocks[2], opTypes: ['Gemm', 'Relu', 'Gemm', 'Add'] },
        { ...base.blocks[3], opTypes: ['Gemm'] },
      ],
    };
    assert.deepEqual(boundaryDepths(residual, holdsWeights), [0, 1, 3, 5, 6]);
    const s = seriesFromReport(EXAMPLES[0], base, holdsWeights);
    assert.equal(s.points.length, base.boundaries.length);
    assert.equal(s.points[0].gsc, base.boundaries[0].gscToOutput.value);
    assert.deepEqual([s.points[0].ciLow, s.points[0].ciHigh], [...base.boundaries[0].gscToOutput.ci99]);
    assert.equal(s.gscInputToOutput, base.growth.gscInputToOutput);
  });
});
