/**
 * Stream units measured as blocks (docs/metrics.md, step 7): each measured unit's GSC and its
 * residual branch's GSC agree with the unit's Jacobian built column by column from central
 * finite differences of a forward pass from the unit's input alone (Executor.forwardFrom, the
 * other tensors it reads held at their forward values), on the same Gaussian batch.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Executor, type Activations } from '../../src/runtime/executor';
import { streamFor } from '../../src/runtime/random';
import { analyzeGraph } from '../../src/engine/analyze';
import { reportFieldProblem } from '../../src/report/validate';
import { reportToMarkdown } from '../../src/report/export/markdown';
import { reportToHtml } from '../../src/report/export/html';
import type { StreamUnitReport } from '../../src/report/schema';
import { useTestBackend } from '../helpers/backend';
import { fpnModel, twoHeadResidualModel } from '../helpers/blockShapes';
import { GraphBuilder } from '../helpers/graphs';
import { unmeasuredReason } from '../../src/engine/streamUnits';
import type { StreamUnit } from '../../src/metrics/blocks';

before(async () => {
  await useTestBackend();
});

const SEED = 7;
const N = 2;

/** Per-sample ||J_i||_F^2 of input -> each target, from central differences over every input coordinate. */
function finiteDifferenceSquares(exec: Executor, acts: Activations, input: string, targets: readonly string[]): number[][] {
  const x = acts.get(input)!;
  const d = x.size / N;
  const h = 1e-3;
  const sums = targets.map(() => new Array<number>(N).fill(0));
  // Central differences (y+ - y-) / 2h: y+ is added on the first pass, y- subtracted on the second.
  const diffs = new Map<string, Float64Array>();
  const flat = tf.reshape(x, [N, d]).arraySync() as number[][];
  for (const sign of [1, -1]) {
    // All d perturbations at once: row (j, i) is sample i with coordinate j moved by sign * h.
    const rows: number[] = [];
    for (let j = 0; j < d; j++) for (let i = 0; i < N; i++) rows.push(...flat[i].map((v, k) => (k === j ? v + sign * h : v)));
    const moved = tf.tensor(rows, [d * N, ...x.shape.slice(1)]);
    const out = exec.forwardFrom(acts, new Map([[input, moved]]), targets);
    targets.forEach((t, ti) => {
      const y = out.get(t)!;
      const dy = y.size / (d * N);
      const values = y.dataSync();
      const acc = diffs.get(t) ?? new Float64Array(values.length);
      diffs.set(t, acc);
      for (let k = 0; k < values.length; k++) acc[k] += sign * values[k];
      if (sign === -1) {
        for (let r = 0; r < d * N; r++) {
          let s = 0;
          for (let k = 0; k < dy; k++) s += (acc[r * dy + k] / (2 * h)) ** 2;
          sums[ti][r % N] += s;
        }
      }
    });
    moved.dispose();
    out.forEach((t) => t.dispose());
  }
  return sums;
}

function gsc(squares: readonly number[], dIn: number, inNorms: readonly number[], outNorms: readonly number[]): number {
  const q = (v: readonly number[]): number => Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length);
  const t = squares.reduce((a, b) => a + b, 0) / squares.length;
  return (Math.sqrt(t / dIn) * q(inNorms)) / q(outNorms);
}

function norms(t: tf.Tensor): number[] {
  const rows = tf.reshape(t, [N, -1]).arraySync() as number[][];
  return rows.map((r) => Math.sqrt(r.reduce((a, b) => a + b * b, 0)));
}

test("two heads: each of the second head's residual units is measured, its GSC and branch GSC match its finite-difference Jacobian", async () => {
  const model = twoHeadResidualModel(6);
  const report = await analyzeGraph(model, {
    modelPath: 'test-graph',
    settings: { backend: 'wasm', batch: N, probes: 2, blockMatrix: false, exact: 'on', seed: SEED },
  });
  assert.equal(reportFieldProblem(report), undefined);
  const units: StreamUnitReport[] = report.blocks.flatMap((b) => b.streamUnits ?? []);
  assert.equal(units.length, 6);

  // The analysis's batch: the seeded Gaussian input (engine/input.ts).
  const graph = model.graph;
  const shape = [N, 3, 8, 8];
  const x = tf.tensor(streamFor(SEED, 'input').gaussian(N * 3 * 8 * 8), shape, 'float32');
  const exec = new Executor(graph);
  const acts = exec.forward(new Map([[graph.inputs[0].name, x]]));
  const expected: number[] = [];
  try {
    for (const u of units) {
      assert.ok(u.gscUnit, `${u.name} measured`);
      assert.equal(u.unmeasured, undefined);
      assert.equal(u.gscUnit.method, 'exact');
      const r = u.residual!;
      assert.equal(r.skipKind, 'identity');
      assert.ok(r.gscMerge && r.gscBranch && r.gscSkip);
      assert.equal(r.gscSkip.method, 'identity');
      const [toOut, toBranch] = finiteDifferenceSquares(exec, acts, u.inputTensor, [u.outputTensor, r.branchTensor]);
      const xIn = acts.get(u.inputTensor)!;
      const dIn = xIn.size / N;
      const expectUnit = gsc(toOut, dIn, norms(xIn), norms(acts.get(u.outputTensor)!));
      const expectBranch = gsc(toBranch, dIn, norms(xIn), norms(acts.get(r.branchTensor)!));
      assert.ok(Math.abs(u.gscUnit.value / expectUnit - 1) < 5e-3, `${u.name}: GSC ${u.gscUnit.value} vs finite differences ${expectUnit}`);
      assert.ok(Math.abs(r.gscBranch.value / expectBranch - 1) < 5e-3, `${u.name}: branch GSC ${r.gscBranch.value} vs finite differences ${expectBranch}`);
      expected.push(expectUnit);
    }
  } finally {
    x.dispose();
    acts.forEach((t) => t.dispose());
  }
  // The new fields are validated: a unit is measured or says why not, and its GSC is an estimate.
  const withUnits = (f: (u: StreamUnitReport) => object): unknown => ({
    ...report,
    blocks: report.blocks.map((b) => (b.streamUnits ? { ...b, streamUnits: b.streamUnits.map((u) => ({ ...u, ...f(u) })) } : b)),
  });
  assert.match(reportFieldProblem(withUnits(() => ({ unmeasured: 'x' }))) ?? '', /unmeasured/);
  assert.match(reportFieldProblem(withUnits(() => ({ gscUnit: { value: 1 } }))) ?? '', /gscUnit/);
  assert.match(reportFieldProblem(withUnits((u) => ({ residual: { ...u.residual, gscBranch: 'big' } }))) ?? '', /gscBranch/);
  // Finite differences agree within 0.2% (ReLU kinks, float32); the units are not all near the 1 of an identity.
  assert.ok(
    expected.some((g) => Math.abs(g - 1) > 0.1),
    expected.join(', '),
  );
  const note = report.warnings.find((w) => w.message.includes('stream units'));
  assert.ok(note);
  assert.match(note.message, /6 of them measured each as a block/);
  assert.doesNotMatch(note.message, /not measured/);
  const md = reportToMarkdown(report);
  const section = md.slice(md.indexOf('### Stream units'), md.indexOf('### Nonlinearities'));
  assert.equal((section.match(/\(exact\) \| [^|]+ \(exact\) \| 1 \(identity\) \|/g) ?? []).length, 6, section);
  // The HTML export lists the same units, one row each.
  const html = reportToHtml(report);
  const table = html.slice(html.indexOf('<table class="stream-units">'), html.indexOf('</table>', html.indexOf('<table class="stream-units">')));
  assert.equal((table.match(/<td class="text">1 \(identity\)<\/td><\/tr>/g) ?? []).length, 6, table);
});

test('FPN: every stream unit (laterals, output units) is measured, with finite GSCs', async () => {
  const report = await analyzeGraph(fpnModel(), {
    modelPath: 'test-graph',
    settings: { backend: 'wasm', batch: N, probes: 4, blockMatrix: false, exact: 'off', seed: SEED },
  });
  assert.equal(reportFieldProblem(report), undefined);
  const units = report.blocks.flatMap((b) => b.streamUnits ?? []);
  assert.equal(units.length, 8);
  for (const u of units) {
    assert.equal(u.unmeasured, undefined, u.name);
    assert.ok(u.gscUnit !== undefined && Number.isFinite(u.gscUnit.value) && u.gscUnit.value > 0, u.name);
    assert.equal(u.gscUnit.method, 'probes:4');
    assert.ok(u.gscUnit.ci99[0] <= u.gscUnit.value && u.gscUnit.value <= u.gscUnit.ci99[1], u.name);
    if (u.residual) assert.ok(u.residual.gscBranch && u.residual.gscMerge && u.residual.gscSkip, u.name);
  }
});

test('a unit whose input also reaches its output through an op outside it is not measured, and says which', () => {
  const b = new GraphBuilder('x', ['batch', 4]);
  const a = b.node('Relu', ['x']);
  const around = b.node('Sigmoid', ['x']);
  const c = b.node('Add', [a, around]);
  const { graph } = b.build(c);
  const index = (out: string): number => graph.nodes.findIndex((n) => n.outputs.includes(out));
  const unit: StreamUnit = { name: 'u', inputTensor: 'x', outputTensor: c, nodeIndices: [index(a), index(c)], residual: null };
  const reason = unmeasuredReason(graph, unit);
  assert.ok(reason !== undefined);
  assert.match(reason, new RegExp(`1 op\\(s\\) outside it \\(${graph.nodes[index(around)].name}\\)`));
  assert.equal(unmeasuredReason(graph, { ...unit, nodeIndices: [index(a), index(around), index(c)] }), undefined);
});
