/**
 * The checks at the end of metrics.md, on graphs built directly in the internal
 * representation, plus exact-versus-probe agreement on a small model.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeGraph } from '../../src/engine/analyze';
import type { AnalysisReport } from '../../src/report/schema';
import { useTestBackend } from '../helpers/backend';
import { GraphBuilder, gaussianMatrix, orthogonalMatrix } from '../helpers/graphs';

before(async () => {
  await useTestBackend();
});

function run(model: ReturnType<GraphBuilder['build']>, settings: Record<string, unknown>): Promise<AnalysisReport> {
  return analyzeGraph(model, { modelPath: 'test-graph', settings: { backend: 'wasm', ...settings } });
}

test('a linear model with orthogonal weights: every GSC is 1, per sample and over the batch', async () => {
  const d = 24;
  const b = new GraphBuilder('x', ['batch', d]);
  let t = 'x';
  for (let i = 0; i < 4; i++) t = b.node('MatMul', [t, b.constant(orthogonalMatrix(d, 10 + i), [d, d])]);
  const report = await run(b.build(t), { exact: 'on', batch: 12 });
  assert.equal(report.blocks.length, 4);
  for (const bd of report.boundaries) {
    assert.ok(Math.abs(bd.gscToOutput.value - 1) < 1e-4, `GSC(${bd.index} -> out) = ${bd.gscToOutput.value}`);
    for (const v of bd.gscToOutputPerSample.values) assert.ok(Math.abs(v - 1) < 1e-4, `per-sample GSC ${v}`);
  }
  const m = report.blockMatrix!;
  for (let k = 0; k < 5; k++) for (let l = k + 1; l < 5; l++) assert.ok(Math.abs(m.gsc[k][l]! - 1) < 1e-4, `GSC(${k} -> ${l}) = ${m.gsc[k][l]}`);
  for (const blk of report.blocks) {
    assert.equal(blk.linearisation.linear, true, 'a linear block has no nonlinear part');
    assert.equal(blk.linearisation.kLin, null);
  }
});

test('y = a W x on isotropic Gaussian x: GSC(x -> y) is 1 up to sampling error, for any W and a', async () => {
  for (const [a, seed] of [
    [0.01, 3],
    [50, 4],
  ] as const) {
    const b = new GraphBuilder('x', ['batch', 40]);
    const w = gaussianMatrix(40, 30, seed, a);
    const y = b.node('MatMul', ['x', b.constant(w, [40, 30])]);
    const report = await run(b.build(y), { exact: 'on', batch: 256 });
    const g = report.boundaries[0].gscToOutput.value;
    assert.ok(Math.abs(g - 1) < 0.1, `GSC(x -> y) = ${g} for a = ${a}`);
  }
});

/** f(v) = v + c tanh(W v) with W scaled to preserve the norm: one residual block. */
function residualTanh(c: number, d: number): ReturnType<GraphBuilder['build']> {
  const b = new GraphBuilder('x', ['batch', d]);
  const w = b.constant(gaussianMatrix(d, d, 77, 1.5 / Math.sqrt(d)), [d, d]);
  const h = b.node('Tanh', [b.node('MatMul', ['x', w])]);
  const scaled = b.node('Mul', [h, b.constant(Float32Array.of(c), [])]);
  // A readout so that the residual block is followed by an output layer.
  const merged = b.node('Add', ['x', scaled]);
  const out = b.node('MatMul', [merged, b.constant(gaussianMatrix(d, 10, 5, 1 / Math.sqrt(d)), [d, 10])]);
  return b.build(out);
}

test('f(v) = v + c tanh(W v): k_skip falls as c grows, and the k^2+1 relation holds for a wide layer', async () => {
  const ks: number[] = [];
  for (const c of [0.25, 1, 4]) {
    const report = await run(residualTanh(c, 256), { batch: 64, probes: 16, exact: 'auto' });
    const blk = report.blocks.find((x) => x.kind === 'residual');
    assert.ok(blk?.residual, 'the residual block is recognised');
    assert.equal(blk.residual.skipKind, 'identity');
    ks.push(blk.residual.kSkip);
    const ratio = blk.residual.relation.predictedOverMeasured!;
    assert.ok(Math.abs(ratio - 1) < 0.1, `c = ${c}: predicted/measured GSC of the block = ${ratio}`);
  }
  assert.ok(ks[0] > ks[1] && ks[1] > ks[2], `k_skip should fall as c grows: ${ks.join(', ')}`);
});

test('every probe estimate agrees, within its 99% interval, with the exact computation', async () => {
  const d = 48;
  const b = new GraphBuilder('x', ['batch', d]);
  let t = 'x';
  for (let i = 0; i < 5; i++) {
    t = b.node('Tanh', [b.node('MatMul', [t, b.constant(gaussianMatrix(d, d, 20 + i, 1.3 / Math.sqrt(d)), [d, d])])]);
  }
  const model = b.build(t);
  let total = 0;
  let missed = 0;
  for (const seed of [1, 2, 3, 4]) {
    const exact = await run(model, { exact: 'on', batch: 16, seed });
    const probed = await run(model, { exact: 'off', probes: 8, batch: 16, seed });
    const m = probed.blockMatrix!;
    for (let k = 0; k < m.gsc.length; k++) {
      for (let l = k + 1; l < m.gsc.length; l++) {
        total++;
        const [lo, hi] = m.ci99[k][l]!;
        const ref = exact.blockMatrix!.gsc[k][l]!;
        if (!(lo <= ref && ref <= hi)) missed++;
      }
    }
  }
  assert.ok(missed <= Math.ceil(0.04 * total), `${missed} of ${total} intervals miss the exact value`);
});

test('NaN born in a reverse pass (Sqrt of an exact zero) is a non-finite warning naming the block, not a silent null', async () => {
  const d = 6;
  const build = (scale: number) => {
    const b = new GraphBuilder('x', ['batch', d]);
    const h = b.node('MatMul', ['x', b.constant(gaussianMatrix(d, d, 3, 0.5), [d, d])]);
    const scaled = b.node('Mul', [h, b.constant(new Float32Array(d).fill(scale), [d])]);
    const root = b.node('Sqrt', [b.node('Mul', [scaled, scaled])]); // |h| * scale: its derivative at 0 is 0/0
    // The bias keeps the output away from 0, so the only NaN is the one the reverse pass makes
    // (an output that is exactly 0 is a different warning: a 0/0 reference layer).
    const logits = b.node('MatMul', [root, b.constant(gaussianMatrix(d, 3, 4, 0.5), [d, 3])]);
    return b.build(b.node('Add', [logits, b.constant(new Float32Array([1, -2, 0.5]), [3])]));
  };
  const broken = await run(build(0), { exact: 'on', batch: 4, blockMatrix: false });
  const w = broken.warnings.filter((x) => x.code === 'non-finite');
  assert.equal(w.length, 1, JSON.stringify(broken.warnings));
  assert.match(w[0].message, /reverse pass produced NaN or Inf in block \d+/);
  assert.ok(!Number.isFinite(broken.boundaries[0].gscToOutput.value), 'the GSC it warns about is indeed not finite');
  const clean = await run(build(1), { exact: 'on', batch: 4, blockMatrix: false });
  assert.deepEqual(
    clean.warnings.filter((x) => x.code === 'non-finite'),
    [],
  );
});
