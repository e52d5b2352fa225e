/**
 * The analysis's reverse passes on worker threads (src/engine/parallel): the report's numbers
 * must be identical whatever the thread count, because every job is deterministic and draws
 * from its own seeded stream.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { analyzeModel } from '../../src/engine/analyze';
import type { AnalysisReport } from '../../src/report/schema';
import { loadModel } from '../../src/loaders';
import { Executor } from '../../src/runtime/executor';
import { partitionBlocks, type Block } from '../../src/metrics/blocks';
import { analysisJobs, fixedThreads, jobKey, jobPurposeText, MIN_PARALLEL_MS, reportPhaseOf, threadsWorthUsing } from '../../src/engine/parallel/plan';
import { defaultThreads, runJobs, THREADS_ENV } from '../../src/engine/parallel/pool';
import { parseArgs, UsageError } from '../../src/cli/args';
import type { JobResult } from '../../src/engine/parallel/jobs';
import { useTestBackend } from '../helpers/backend';
import { fixtureDir } from '../helpers/fixtures';
import { readFileSync } from 'node:fs';

/** Everything but when it ran, how long it took, the memory it planned and used, and how many threads did the work. */
function numbersOf(r: AnalysisReport): unknown {
  const { createdAt: _c, timings: _t, memory: _m, backend, ...rest } = r;
  const { threads: _n, ...backendRest } = backend;
  return { ...rest, backend: backendRest };
}

async function analyze(name: string, threads: number): Promise<AnalysisReport> {
  const dir = fixtureDir(name);
  return analyzeModel({
    modelPath: path.join(dir, 'model.onnx'),
    inputFile: path.join(dir, 'input.bin'),
    // Enough probes that the calling thread is still busy when the worker thread is ready (at 4
    // probes the caller finished every job before the worker's start, and threads stayed 1; with
    // probes stacked into one pass, 24 were not enough either).
    settings: { backend: 'wasm', probes: 160, exact: 'off' },
    threads,
  });
}

describe('parallel analysis', () => {
  before(async () => {
    await useTestBackend();
  });

  test('1 thread and 2 threads give identical reports (resmlp_relu: probes, residual blocks, linearisation)', async () => {
    const one = await analyze('resmlp_relu', 1);
    const two = await analyze('resmlp_relu', 2);
    // Guard against a vacuous comparison: random probes and residual blocks are both exercised.
    assert.ok(
      one.blocks.some((b) => b.gscToOutput.method.startsWith('probes')),
      'expected probe estimates',
    );
    assert.ok(
      one.blocks.some((b) => b.residual !== null),
      'expected residual blocks',
    );
    assert.deepEqual(numbersOf(two), numbersOf(one));
    assert.equal(one.backend.threads, 1);
    assert.equal(two.backend.threads, 2, 'the second thread ran jobs');
  });

  test('runJobs hands jobs to a worker thread and gets the same results as the calling thread', async () => {
    const dir = fixtureDir('resnet_cifar8');
    const { graph } = await loadModel(path.join(dir, 'model.onnx'));
    const shape = [16, 3, 32, 32];
    const bytes = readFileSync(path.join(dir, 'input.bin'));
    const x = tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), shape);
    const exec = new Executor(graph);
    const feeds = new Map([[graph.inputs[0].name, x]]);
    const acts = exec.forward(feeds);
    try {
      const out = graph.outputs[0].name;
      const { blocks, boundaries } = partitionBlocks(graph, graph.inputs[0].name, out);
      // A few jobs with two probes each keep this fast: two squares jobs and two residual blocks'
      // shared-probe jobs (an identity and a projection skip).
      const all = analysisJobs({ blocks, boundaries, probes: 2, blockMatrix: false, useExact: () => false, shapeOf: (t) => acts.get(t)!.shape.slice(1) });
      const residualJobs = all.filter((j) => j.kind === 'residual');
      const jobs = [...all.slice(0, 2), ...residualJobs.slice(0, 2)];
      assert.equal(residualJobs.length, blocks.filter((b) => b.residual).length);
      assert.ok(
        jobs.some((j) => j.kind === 'residual' && j.tensors.skip === j.tensors.input),
        'an identity skip',
      );
      assert.ok(
        jobs.some((j) => j.kind === 'residual' && j.tensors.skip !== j.tensors.input),
        'a projection skip',
      );
      const input = {
        graph,
        backend: 'wasm' as const,
        feeds: () => [{ name: graph.inputs[0].name, shape, dtype: 'float32' as const, data: x.dataSync() as Float32Array }],
      };
      const threadsUsed = new Set<number>();
      const seq = await runJobs(exec, acts, jobs, input, { threads: 1, seed: 7 });
      // callerWorks false: every job goes to the worker, whatever the timing.
      const par = await runJobs(exec, acts, jobs, input, { threads: 2, seed: 7, callerWorks: false, onJobDone: (_j, _ms, t) => threadsUsed.add(t) });
      assert.deepEqual([...threadsUsed], [1]);
      assert.equal(par.size, jobs.length);
      const plain = (m: Map<string, JobResult>): unknown => jobs.map((j) => m.get(j.key));
      assert.deepEqual(plain(par), plain(seq));
    } finally {
      exec.disposeActivations(acts, feeds);
      exec.dispose();
      x.dispose();
    }
  });

  test('a cancel reaches a job running on a worker thread: runJobs rejects with the checkpoint error', async () => {
    const dir = fixtureDir('resmlp_relu');
    const { graph } = await loadModel(path.join(dir, 'model.onnx'));
    const bytes = readFileSync(path.join(dir, 'input.bin'));
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const x = tf.tensor(data, [16, data.length / 16]);
    const exec = new Executor(graph);
    const feeds = new Map([[graph.inputs[0].name, x]]);
    const acts = exec.forward(feeds);
    try {
      const { blocks, boundaries } = partitionBlocks(graph, graph.inputs[0].name, graph.outputs[0].name);
      const jobs = analysisJobs({ blocks, boundaries, probes: 50, blockMatrix: true, useExact: () => false, shapeOf: (t) => acts.get(t)!.shape.slice(1) });
      const input = { graph, backend: 'wasm' as const, feeds: () => [{ name: graph.inputs[0].name, shape: x.shape, dtype: 'float32' as const, data }] };
      let passes = 0;
      const cancelled = new Error('cancelled by the test');
      const checkpoint = (): void => {
        if (passes >= 3) throw cancelled;
      };
      await assert.rejects(
        runJobs(exec, acts, jobs, input, { threads: 2, seed: 1, callerWorks: false, checkpoint, onPass: () => passes++ }),
        (e) => e === cancelled,
      );
      // Passes after the cancel are not reported: the drive stopped at the fourth.
      assert.equal(passes, 3);
    } finally {
      exec.disposeActivations(acts, feeds);
      exec.dispose();
      x.dispose();
    }
  });

  test('thread count: GRADIENT_LENS_THREADS, else min(2, cores); the CLI takes --threads', () => {
    assert.equal(defaultThreads({ [THREADS_ENV]: '1' }), 1);
    assert.equal(defaultThreads({ [THREADS_ENV]: '3' }), 3);
    const fallback = defaultThreads({ [THREADS_ENV]: 'many' });
    assert.ok(fallback === 1 || fallback === 2, `fallback ${fallback}`);
    assert.equal(defaultThreads({ [THREADS_ENV]: '0' }), fallback);
    const parsed = parseArgs(['analyze', 'm.onnx', '--threads', '1']);
    assert.ok(parsed.command === 'analyze' && parsed.threads === 1);
    assert.throws(() => parseArgs(['analyze', 'm.onnx', '--threads', '0']), UsageError);
  });

  test('small analyses stay on one thread: a worker start must be repaid by the estimated reverse-pass time', () => {
    const jobs = analysisJobs({ blocks: [], boundaries: ['x'], probes: 8, blockMatrix: false, useExact: () => false, shapeOf: () => [8] });
    // One job whose reverse passes span the whole graph of 10 nodes, 8 times: 8 forward passes.
    const cost = (): number => 80;
    assert.equal(threadsWorthUsing(2, (MIN_PARALLEL_MS / 8) * 0.9, jobs, cost, 10), 1);
    assert.equal(threadsWorthUsing(2, (MIN_PARALLEL_MS / 8) * 1.1, jobs, cost, 10), 2);
  });

  test('progress lines name each job in words (the cancel e2e test waits for "probe" / "row")', () => {
    assert.equal(jobPurposeText({ kind: 'gsc-to-output' }), 'GSC to the output');
    assert.equal(jobPurposeText({ kind: 'block-matrix', row: 12 }), 'block matrix row 12');
    assert.equal(jobPurposeText({ kind: 'residual-part', block: 3, part: 'branch' }), 'block 3 residual branch');
    assert.equal(jobPurposeText({ kind: 'residual-part', block: 3, part: 'skip' }), 'block 3 skip');
    assert.equal(jobPurposeText({ kind: 'residual-parts', block: 3 }), 'block 3 residual parts');
    assert.equal(jobPurposeText({ kind: 'linearise', block: 7 }), 'block 7 linearisation');
  });

  test('job keys keep the strings the random streams were always derived from (the reports stay the same)', () => {
    assert.equal(jobKey({ kind: 'gsc-to-output' }), 'gsc-to-output');
    assert.equal(jobKey({ kind: 'block-matrix', row: 12 }), 'block-matrix-12');
    assert.equal(jobKey({ kind: 'residual-part', block: 3, part: 'merge' }), 'merge-3');
    assert.equal(jobKey({ kind: 'residual-parts', block: 3 }), 'residual-3');
    assert.equal(jobKey({ kind: 'linearise', block: 7 }), 'linearise-7');
  });

  test('each job counts towards its report phase by its phase field, not its key', () => {
    assert.equal(reportPhaseOf({ kind: 'gsc-to-output' }), 'gsc-to-output');
    assert.equal(reportPhaseOf({ kind: 'block-matrix', row: 1 }), 'block-matrix');
    assert.equal(reportPhaseOf({ kind: 'residual-part', block: 2, part: 'skip' }), 'blocks');
    assert.equal(reportPhaseOf({ kind: 'residual-parts', block: 2 }), 'blocks');
    assert.equal(reportPhaseOf({ kind: 'linearise', block: 2 }), 'blocks');
  });

  test('planned jobs carry their phase, and their keys are unique and follow from it', () => {
    const x = ['x0', 'x1', 'x2', 'x3'];
    const block = (index: number): Block => ({
      index,
      name: `b${index}`,
      inputTensor: x[index - 1],
      outputTensor: x[index],
      nodeIndices: [],
      residual: null,
      affine: false,
    });
    const jobs = analysisJobs({
      blocks: [block(1), block(2), block(3)],
      boundaries: x,
      probes: 4,
      blockMatrix: true,
      useExact: () => false,
      shapeOf: () => [4],
    });
    assert.deepEqual(
      jobs.map((j) => j.phase),
      [
        { kind: 'gsc-to-output' },
        { kind: 'block-matrix', row: 1 },
        { kind: 'block-matrix', row: 2 },
        { kind: 'linearise', block: 1 },
        { kind: 'linearise', block: 2 },
        { kind: 'linearise', block: 3 },
      ],
    );
    for (const j of jobs) assert.equal(j.key, jobKey(j.phase));
    assert.equal(new Set(jobs.map((j) => j.key)).size, jobs.length);
  });
});

test('job threads: one on tfjs-node always, one on ONNX Runtime unless asked (its intra-op threads use the cores)', () => {
  assert.equal(fixedThreads('node', 2, 2), 1);
  assert.equal(fixedThreads('ort', undefined, undefined), 1);
  assert.equal(fixedThreads('ort', 2, undefined), 2);
  assert.equal(fixedThreads('ort', undefined, 3), 3);
  assert.equal(fixedThreads('wasm', undefined, undefined), undefined, 'wasm: decided by the model (threadsWorthUsing)');
  assert.equal(fixedThreads('wasm', 2, 1), 2);
});
