/**
 * Warnings that must be there, and only there: a Clip bounded by +Inf (a legitimate constant), a
 * chain check through slots that do not depend on the input (a class token), a model declared
 * with batch 1 analysed at a larger batch.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeGraph } from '../../src/engine/analyze';
import type { LoadedModel } from '../../src/loaders';
import type { AnalysisReport } from '../../src/report/schema';
import { reportFieldProblem } from '../../src/report/validate';
import { useTestBackend } from '../helpers/backend';
import { GraphBuilder, gaussianMatrix } from '../helpers/graphs';

before(async () => {
  await useTestBackend();
});

function run(model: LoadedModel, batch = 4): Promise<AnalysisReport> {
  return analyzeGraph(model, { modelPath: 'test-graph', settings: { backend: 'wasm', batch, probes: 4, blockMatrix: false } });
}

function dense(b: GraphBuilder, x: string, din: number, dout: number, seed: number, weights?: Float32Array): string {
  return b.node('MatMul', [x, b.constant(weights ?? gaussianMatrix(din, dout, seed, Math.sqrt(2 / din)), [din, dout])]);
}

/** x -> W -> Clip(0, bound) -> W -> Clip(0, bound) -> readout: ReLU6-like with the upper bound given. */
function clipModel(bound: number, firstWeights?: Float32Array): LoadedModel {
  const b = new GraphBuilder('x', ['batch', 8]);
  let t = 'x';
  for (let i = 0; i < 2; i++) {
    t = b.node('Clip', [
      dense(b, t, 8, 8, i + 1, i === 0 ? firstWeights : undefined),
      b.constant(new Float32Array([0]), []),
      b.constant(new Float32Array([bound]), []),
    ]);
  }
  return b.build(dense(b, t, 8, 3, 9));
}

test('a Clip whose upper bound is +Inf: no "weight contains Inf" warning, the numbers are finite', async () => {
  const report = await run(clipModel(Infinity));
  assert.deepEqual(
    report.warnings.filter((w) => w.code === 'non-finite'),
    [],
  );
  assert.ok(report.blocks.every((blk) => Number.isFinite(blk.gscToOutput.value)));
});

test('an Inf in a weight the model computes with is still reported', async () => {
  const w = gaussianMatrix(8, 8, 1, 0.5);
  w[5] = Infinity;
  const report = await run(clipModel(6, w));
  const warning = report.warnings.find((x) => x.code === 'non-finite');
  assert.ok(warning, 'a non-finite warning');
  assert.match(warning.message, /weight tensor .* contains Inf \(element 5\)/);
});

/**
 * Tokens [batch, 4, 8] -> W -> a fifth token of constant value prepended (a class token) ->
 * token mixing (Transpose, MatMul, Transpose) -> tanh -> W -> tanh -> flatten -> readout.
 */
function classTokenModel(): LoadedModel {
  const b = new GraphBuilder('x', ['batch', 4, 8]);
  const embedded = dense(b, 'x', 8, 8, 1);
  const withToken = b.node('Pad', [embedded, b.intConstant([0, 1, 0, 0, 0, 0]), b.constant(new Float32Array([0.1]), [])]);
  // The class token's row of the mixing matrix is 20 times the others: most of the output's
  // gradient at boundary 1 goes to the token, which no gradient from the input reaches.
  const mixing = gaussianMatrix(5, 5, 2, 0.5).map((v, i) => (i < 5 ? 20 * v : v));
  const mixed = b.node('Transpose', [b.node('MatMul', [b.node('Transpose', [withToken], { perm: [0, 2, 1] }), b.constant(mixing, [5, 5])])], {
    perm: [0, 2, 1],
  });
  const h = b.node('Tanh', [dense(b, b.node('Tanh', [mixed]), 8, 8, 3)]);
  return b.build(dense(b, b.node('Flatten', [h], { axis: 1 }), 40, 3, 4));
}

test('a chain check through a class-token slot says why its ratio may be far from 1', async () => {
  const report = await run(classTokenModel(), 8);
  assert.equal(reportFieldProblem(JSON.parse(JSON.stringify(report))), undefined);
  const first = report.chain.find((c) => c.k === 1)!;
  assert.match(first.note ?? '', /^8 of the 40 values of boundary 1 are the same for every sample/);
  assert.ok(
    report.chain.filter((c) => c.k !== 1).every((c) => c.note === undefined),
    'no note where every slot depends on the input',
  );
  assert.ok(first.ratio > 2, `ratio ${first.ratio}`);
  const warning = report.warnings.find((w) => w.message.startsWith('chain check of block 1 '));
  assert.match(warning?.message ?? '', /product \/ direct = [\d.]+: 8 of the 40 values/);
});

test('a model declared with batch 1, analysed at batch 4, gets a note', async () => {
  const b = new GraphBuilder('x', [1, 8]);
  const fixed = await run(b.build(dense(b, b.node('Relu', [dense(b, 'x', 8, 8, 1)]), 8, 3, 2)));
  const note = fixed.warnings.find((w) => w.code === 'input' && w.where === 'x');
  assert.match(note?.message ?? '', /declares a batch size of 1 for "x"; it was analysed with 4 samples/);

  const c = new GraphBuilder('x', ['batch', 8]);
  const symbolic = await run(c.build(dense(c, c.node('Relu', [dense(c, 'x', 8, 8, 1)]), 8, 3, 2)));
  assert.ok(!symbolic.warnings.some((w) => w.message.includes('declares a batch size')));
});

test('an output that is exactly zero (every ReLU before it off) is named as 0/0, not as a NaN of the reverse pass', async () => {
  // x -> W -> ReLU -> Neg -> ReLU: the last ReLU sees only values <= 0, so the output is 0.
  const b = new GraphBuilder('x', ['batch', 8]);
  const hidden = b.node('Relu', [dense(b, 'x', 8, 8, 1)]);
  const dead = b.node('Relu', [b.node('Neg', [dense(b, hidden, 8, 8, 2, new Float32Array(64).fill(0.25))])]);
  const report = await run(b.build(dense(b, dead, 8, 3, 3)));
  const zero = report.warnings.find((w) => /is exactly 0 for every sample/.test(w.message));
  assert.ok(zero, `a warning naming the zero reference layer: ${JSON.stringify(report.warnings)}`);
  assert.match(zero.message, /0\/0/);
  assert.equal(zero.where, report.reference.tensor);
  assert.deepEqual(
    report.warnings.filter((w) => /reverse pass produced NaN/.test(w.message)),
    [],
  );
  // A live output gets no such warning.
  const live = await run(clipModel(6));
  assert.ok(!live.warnings.some((w) => /is exactly 0 for every sample/.test(w.message)));
});
