/**
 * The convolutional fixture's exact quantities computed with --backend ort (ONNX Runtime's
 * convolutions, GRADIENT_LENS_ORT_GRAPH=0; then whole reverse passes as ORT graphs, the default) against the
 * independent float64 reference; and a check that ORT really ran
 * (a fallback to TensorFlow.js would pass the numbers silently). The whole fixture suite runs
 * on ORT with GRADIENT_LENS_TEST_BACKEND=ort; this file keeps the ORT path in every unit run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import { activeConvExecutor } from '../../src/ops/convCore';
import type { OrtConvExecutor } from '../../src/runtime/ortConv';
import { activePassRunner } from '../../src/runtime/ortGraph';
import { ORT_GRAPH_ENV } from '../../src/runtime/backend';
import type { AnalysisReport } from '../../src/report/schema';
import { fixtureDir, loadReference, relDiff } from '../helpers/fixtures';

/**
 * As the fixture suite (fixtures.test.ts). Each convolution agrees with TensorFlow.js to ~1e-7
 * (ortConv.test.ts), and most per-sample GSCs to ~1e-7 as well; two samples differ by 1e-4 and
 * 5e-4, where a pre-activation within rounding of a ReLU's kink lands on the other side.
 */
const RTOL = 1e-3;

async function analyzeOnOrt(): Promise<AnalysisReport> {
  const dir = fixtureDir('resnet_cifar8');
  return analyzeModel({
    modelPath: path.join(dir, 'model.onnx'),
    inputFile: path.join(dir, 'input.bin'),
    settings: { backend: 'ort', exact: 'auto', exactMaxDim: 64 },
    threads: 1,
  });
}

/** The report's exact quantities against the float64 reference. */
function compareWithReference(report: AnalysisReport): void {
  const ref = loadReference('resnet_cifar8');

  let compared = 0;
  const close = (actual: number, expected: number, what: string): void => {
    compared++;
    assert.ok(relDiff(actual, expected) <= RTOL, `${what}: got ${actual}, reference ${expected} (rel diff ${relDiff(actual, expected).toExponential(2)})`);
  };
  report.boundaries.forEach((b, k) => {
    const r = ref.boundaries[k];
    close(b.q, r.Q, `Q of boundary ${k}`);
    if (b.gscToOutput.method === 'exact') {
      close(b.gscToOutput.value, r.gsc_to_output.batch, `GSC(${k} -> out)`);
      close(b.gscToOutputPerSample.max, r.gsc_to_output.per_sample.max, `per-sample max GSC(${k} -> out)`);
    }
  });
  const m = report.blockMatrix!;
  m.gsc.forEach((row, k) =>
    row.forEach((g, l) => {
      if (l > k && g !== null && m.method[k][l] === 'exact' && ref.block_matrix.method[k][l] === 'exact')
        close(g, ref.block_matrix.gsc[k][l]!, `GSC(${k} -> ${l})`);
    }),
  );
  assert.ok(compared >= 20, `${compared} quantities compared`);
}

test('resnet_cifar8 on ONNX Runtime, one session per convolution: exact GSCs to the output and between blocks match the float64 reference', async () => {
  process.env[ORT_GRAPH_ENV] = '0';
  let report: AnalysisReport;
  try {
    report = await analyzeOnOrt();
  } finally {
    delete process.env[ORT_GRAPH_ENV];
  }
  assert.equal(report.backend.name, 'ort');
  assert.match(report.backend.reason ?? '', /ONNX Runtime .* computes the convolutions/);
  const ort = activeConvExecutor() as OrtConvExecutor;
  assert.equal(ort.name, 'onnxruntime', 'the convolutions were installed on ONNX Runtime');
  assert.ok(ort.stats.runs >= 100, `ONNX Runtime ran ${ort.stats.runs} convolutions`);
  assert.equal(activePassRunner(), undefined, 'whole-pass graphs are off');
  compareWithReference(report);
});

test('resnet_cifar8 with whole reverse passes as ONNX Runtime graphs (the default): the same agreement, and the graphs ran', async () => {
  const report = await analyzeOnOrt();
  assert.match(report.backend.reason ?? '', /ONNX Runtime .* runs each reverse pass as one graph/);
  const graphs = activePassRunner()!.stats;
  assert.ok(graphs.runs >= 10, `ONNX Runtime ran ${graphs.runs} whole reverse passes`);
  assert.equal(graphs.fallbacks, 0, `passes that could not be recorded: ${graphs.fallbackReasons.join('; ')}`);
  compareWithReference(report);
});
