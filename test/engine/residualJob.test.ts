/**
 * The residual job (measureResidualSquares): one set of cotangents u on a block's merge, one
 * reverse pass from the branch and one from the skip, and the merge's squares from their sum.
 * Checked against separate executor.vjp calls with the same u (and against a pass seeded on the
 * merge itself), in probe and exact mode, and the plan's fallback for a broadcasting merge.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '../../src/loaders';
import { Executor, type Activations } from '../../src/runtime/executor';
import { partitionBlocks } from '../../src/metrics/blocks';
import { analysisJobs, jobKey, residualParts } from '../../src/engine/parallel/plan';
import { jobPasses, runJob, type JobResult, type ResidualJob } from '../../src/engine/parallel/jobs';
import { measureJacobianSquares, perSampleSquares } from '../../src/metrics/jacobian';
import { streamFor } from '../../src/runtime/random';
import { analyzeGraph } from '../../src/engine/analyze';
import { useTestBackend } from '../helpers/backend';
import { fixtureDir } from '../helpers/fixtures';
import { GraphBuilder, gaussianMatrix } from '../helpers/graphs';

const SEED = 11;

function near(actual: number, expected: number, what: string, rtol = 1e-4): void {
  const rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-30);
  assert.ok(rel <= rtol, `${what}: ${actual} vs ${expected} (rel ${rel.toExponential(2)})`);
}

/** J^T u from `from` back to `input`: one executor.vjp call (the caller owns the result). */
function vjpToInput(exec: Executor, acts: Activations, from: string, input: string, u: tf.Tensor): tf.Tensor {
  return exec.vjp(acts, new Map([[from, u]]), [input]).get(input)!;
}

describe('residual job: merge, branch and skip from shared cotangents', () => {
  before(async () => {
    await useTestBackend();
  });

  test('resnet_cifar8: per probe, merge squares = ||g_branch + g_skip||^2 = ||J_merge^T u||^2 from separate VJPs with the same u', async () => {
    const dir = fixtureDir('resnet_cifar8');
    const { graph } = await loadModel(path.join(dir, 'model.onnx'));
    // 4 of the 16 samples keep this fast; the per-sample arithmetic is the same.
    const n = 4;
    const bytes = readFileSync(path.join(dir, 'input.bin'));
    const x = tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, n * 3 * 32 * 32).slice(), [n, 3, 32, 32]);
    const exec = new Executor(graph);
    const feeds = new Map([[graph.inputs[0].name, x]]);
    const acts = exec.forward(feeds);
    try {
      const { blocks, boundaries } = partitionBlocks(graph, graph.inputs[0].name, graph.outputs[0].name);
      const jobs = analysisJobs({ blocks, boundaries, probes: 2, blockMatrix: false, useExact: () => false, shapeOf: (t) => acts.get(t)!.shape.slice(1) });
      // One job per residual block, none of the old per-part jobs.
      const residual = jobs.filter((j): j is ResidualJob => j.kind === 'residual');
      assert.deepEqual(
        residual.map((j) => j.key),
        blocks.filter((b) => b.residual).map((b) => jobKey({ kind: 'residual-parts', block: b.index })),
      );
      assert.ok(!jobs.some((j) => j.phase.kind === 'residual-part'), 'no separate merge/branch/skip jobs');
      const kinds = new Set(residual.map((j) => (j.tensors.skip === j.tensors.input ? 'identity' : 'projection')));
      assert.deepEqual([...kinds].sort(), ['identity', 'projection'], 'both skip kinds exercised');

      for (const job of residual) {
        const { tensors: t } = job;
        const r = await runJob(exec, acts, job, SEED);
        assert.equal(r.kind, 'residual');
        if (r.kind !== 'residual') return;
        assert.equal(r.method, 'probes:2');
        assert.equal(r.squares.merge.length, 2);
        assert.equal(r.squares.skip === null, t.skip === t.input, `${job.key}: skip measured only for a projection`);
        // The same cotangents, drawn again from the job's stream.
        const rng = streamFor(SEED, job.key);
        const y = acts.get(t.merge)!;
        for (let p = 0; p < 2; p++) {
          const u = tf.tensor(rng.normal(y.size), y.shape);
          const gB = vjpToInput(exec, acts, t.branch, t.input, u);
          const gS = t.skip === t.input ? u.clone() : vjpToInput(exec, acts, t.skip, t.input, u);
          const gM = vjpToInput(exec, acts, t.merge, t.input, u);
          const sum = tf.add(gB, gS);
          const [branch, skip, merge, direct] = [gB, gS, sum, gM].map(perSampleSquares);
          [u, gB, gS, gM, sum].forEach((z) => z.dispose());
          for (let i = 0; i < n; i++) {
            near(r.squares.merge[p][i], merge[i], `${job.key} probe ${p} sample ${i} merge vs ||g_b + g_s||^2`);
            near(r.squares.merge[p][i], direct[i], `${job.key} probe ${p} sample ${i} merge vs a pass seeded on the merge`, 1e-3);
            near(r.squares.branch[p][i], branch[i], `${job.key} probe ${p} sample ${i} branch`);
            if (r.squares.skip) near(r.squares.skip[p][i], skip[i], `${job.key} probe ${p} sample ${i} skip`);
          }
        }
      }
    } finally {
      exec.disposeActivations(acts, feeds);
      exec.dispose();
      x.dispose();
    }
  });

  /** x -> [W1, Relu, W2] + [Ws] (a projection skip) -> Relu -> dense 3: a residual block of width 5. */
  function projectionResidualModel(): { model: ReturnType<GraphBuilder['build']>; merge: string; branch: string; skip: string } {
    const b = new GraphBuilder('x', ['batch', 6]);
    const h = b.node('Relu', [b.node('MatMul', ['x', b.constant(gaussianMatrix(6, 8, 1, 0.6), [6, 8])])]);
    const branch = b.node('MatMul', [h, b.constant(gaussianMatrix(8, 5, 2, 0.5), [8, 5])]);
    const skip = b.node('MatMul', ['x', b.constant(gaussianMatrix(6, 5, 3, 0.4), [6, 5])]);
    const merge = b.node('Add', [skip, branch]);
    const out = b.node('MatMul', [b.node('Relu', [merge]), b.constant(gaussianMatrix(5, 3, 4, 0.5), [5, 3])]);
    return { model: b.build(out), merge, branch, skip };
  }

  test('exact mode: one-hot cotangents on the merge give exact ||J||_F^2 for merge, branch and skip, and exact GSCs in the report', async () => {
    const { model, merge, branch, skip } = projectionResidualModel();
    const { graph } = model;
    const n = 5;
    const x = tf.tensor(gaussianMatrix(n, 6, 9, 1), [n, 6]);
    const exec = new Executor(graph);
    const feeds = new Map([['x', x]]);
    const acts = exec.forward(feeds);
    try {
      const { blocks, boundaries } = partitionBlocks(graph, 'x', graph.outputs[0].name);
      const blk = blocks.find((b) => b.residual !== null);
      assert.ok(blk?.residual, 'the partition finds the residual block');
      assert.equal(blk.residual.skipKind, 'projection');
      assert.deepEqual([blk.residual.mergeTensor, blk.residual.branchTensor, blk.residual.skipTensor], [merge, branch, skip]);
      const jobs = analysisJobs({ blocks, boundaries, probes: 8, blockMatrix: false, useExact: () => true, shapeOf: (t) => acts.get(t)!.shape.slice(1) });
      const job = jobs.find((j): j is ResidualJob => j.key === jobKey({ kind: 'residual-parts', block: blk.index }) && j.kind === 'residual');
      assert.ok(job?.exact);
      // As many passes as the merge has units (5), whatever the probe setting.
      assert.equal(
        jobPasses(job, (t) => acts.get(t)!.size / n),
        5,
      );
      let passes = 0;
      const r = await runJob(exec, acts, job, SEED, undefined, () => passes++);
      assert.equal(passes, 5);
      assert.ok(r.kind === 'residual' && r.method === 'exact' && r.squares.skip !== null);
      // Reference: each part's exact ||J||_F^2 from its own one-hot passes (the old separate jobs).
      const plan = { exact: true, probes: 8, rng: streamFor(SEED, 'unused') };
      for (const [part, target] of [
        ['merge', merge],
        ['branch', branch],
        ['skip', skip],
      ] as const) {
        const ref = (await measureJacobianSquares(exec, acts, target, ['x'], plan)).squares.get('x')!;
        const got: number[][] = r.squares[part]!;
        assert.equal(got.length, 1, `${part}: one exact measurement`);
        for (let i = 0; i < n; i++) near(got[0][i], ref[0][i], `${part} sample ${i}`);
      }
      // The merge's Jacobian is the sum of the parts': not the sum of their squares.
      const sumOfSquares = r.squares.branch[0][0] + r.squares.skip![0][0];
      assert.ok(Math.abs(r.squares.merge[0][0] - sumOfSquares) > 1e-3 * sumOfSquares, 'the cross term J_b J_s^T counts');
    } finally {
      exec.disposeActivations(acts, feeds);
      exec.dispose();
      x.dispose();
    }

    // Through the whole analysis: exact GSCs of the three parts, equal to the separate exact ones.
    const report = await analyzeGraph(model, {
      modelPath: 'projection-residual.test',
      settings: { backend: 'wasm', batch: n, exact: 'on', seed: 3 },
      threads: 1,
    });
    const res = report.blocks.find((b) => b.residual)!.residual!;
    for (const g of [res.gscMerge, res.gscBranch, res.gscSkip]) {
      assert.equal(g.method, 'exact');
      assert.equal(g.stderr, 0);
    }
    assert.notEqual(res.gscSkip.value, 1, 'a projection skip is measured, not the identity');
  });

  test('a merge that broadcasts keeps the separate merge, branch and skip jobs; residualParts reads either form', async () => {
    const { model, merge, skip } = projectionResidualModel();
    const { blocks, boundaries } = partitionBlocks(model.graph, 'x', model.graph.outputs[0].name);
    const blk = blocks.find((b) => b.residual !== null)!;
    const shapes =
      (skipShape: number[]) =>
      (t: string): number[] =>
        t === skip ? skipShape : t === 'x' ? [6] : t === merge ? [5] : [5];
    const residualJobKeys = (skipShape: number[]): string[] =>
      analysisJobs({ blocks, boundaries, probes: 3, blockMatrix: false, useExact: () => false, shapeOf: shapes(skipShape) })
        .filter((j) => j.phase.kind === 'residual-parts' || j.phase.kind === 'residual-part')
        .map((j) => j.key);
    assert.deepEqual(residualJobKeys([5]), [jobKey({ kind: 'residual-parts', block: blk.index })]);
    assert.deepEqual(
      residualJobKeys([1]),
      (['merge', 'branch', 'skip'] as const).map((p) => jobKey({ kind: 'residual-part', block: blk.index, part: p })),
    );

    // residualParts: the same PartSquares shape from both forms; an identity part is null.
    const m = (v: number): number[][] => [[v, v]];
    const fromShared = new Map<string, JobResult>([
      [jobKey({ kind: 'residual-parts', block: blk.index }), { kind: 'residual', squares: { merge: m(1), branch: m(2), skip: m(3) }, method: 'probes:1' }],
    ]);
    const fromSeparate = new Map<string, JobResult>(
      (['merge', 'branch', 'skip'] as const).map((p, i) => [
        jobKey({ kind: 'residual-part', block: blk.index, part: p }),
        { kind: 'squares', squares: new Map([['x', m(i + 1)]]), method: 'probes:1' },
      ]),
    );
    const a = residualParts(fromShared, blk);
    const b = residualParts(fromSeparate, blk);
    assert.deepEqual(a, b);
    assert.deepEqual(a.skip, { measurements: m(3), method: 'probes:1' });
  });
});
