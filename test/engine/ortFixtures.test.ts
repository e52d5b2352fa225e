/**
 * The convolutional fixture's exact quantities computed with --backend ort (ONNX Runtime's
 * convolutions) against the independent float64 reference; and a check that ORT really ran
 * (a fallback to TensorFlow.js would pass the numbers silently). The whole fixture suite runs
 * on ORT with GRADIENT_LENS_TEST_BACKEND=ort; this file keeps the ORT path in every unit run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import { activeConvExecutor } from '../../src/ops/convCore';
import type { OrtConvExecutor } from '../../src/runtime/ortConv';
import { fixtureDir, loadReference, relDiff } from '../helpers/fixtures';

/**
 * As the fixture suite (fixtures.test.ts). Each convolution agrees with TensorFlow.js to ~1e-7
 * (ortConv.test.ts), and most per-sample GSCs to ~1e-7 as well; two samples differ by 1e-4 and
 * 5e-4, where a pre-activation within rounding of a ReLU's kink lands on the other side.
 */
const RTOL = 1e-3;

test('resnet_cifar8 on ONNX Runtime: exact GSCs to the output and between blocks match the float64 reference', async () => {
  const dir = fixtureDir('resnet_cifar8');
  const ref = loadReference('resnet_cifar8');
  const report = await analyzeModel({
    modelPath: path.join(dir, 'model.onnx'),
    inputFile: path.join(dir, 'input.bin'),
    settings: { backend: 'ort', exact: 'auto', exactMaxDim: 64 },
    threads: 1,
  });
  assert.equal(report.backend.name, 'ort');
  assert.match(report.backend.reason ?? '', /ONNX Runtime .* computes the convolutions/);
  const ort = activeConvExecutor() as OrtConvExecutor;
  assert.equal(ort.name, 'onnxruntime', 'the convolutions were installed on ONNX Runtime');
  assert.ok(ort.stats.runs >= 100, `ONNX Runtime ran ${ort.stats.runs} convolutions`);

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
});
