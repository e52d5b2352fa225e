import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CancelledError, type ProgressEvent } from '../../src/engine/api';
import { AnalysisError, WorkerClient, WorkerCrashedError } from '../../src/extension/analysis/workerClient';
import type { PartialReport } from '../../src/report/schema';

const FAKE_WORKER = path.join(__dirname, 'fixtures', path.extname(__filename) === '.ts' ? 'fakeWorker.ts' : 'fakeWorker.js');
const EXEC_ARGV = path.extname(__filename) === '.ts' ? ['--import', 'tsx'] : [];

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function makeClient(lines: string[] = []): WorkerClient {
  return new WorkerClient({ workerPath: FAKE_WORKER, execArgv: EXEC_ARGV, log: (l) => lines.push(l), killGraceMs: 1000, idleExitMs: 60_000 });
}

describe('WorkerClient', () => {
  const clients: WorkerClient[] = [];
  after(() => clients.forEach((c) => c.dispose()));

  test('returns the report and forwards progress in order', async () => {
    const client = makeClient();
    clients.push(client);
    const events: ProgressEvent[] = [];
    const report = await client.analyze({ modelPath: 'ok', settings: { batch: 3 } }, { onProgress: (e) => events.push(e) });
    assert.equal(report.model.path, 'ok');
    assert.equal(report.settings.batch, 3);
    assert.deepEqual(
      events.map((e) => e.phase),
      ['loading', 'forward'],
    );
    assert.equal(client.busy, false);
    assert.ok(client.pid !== undefined && isAlive(client.pid), 'the worker stays up for the next run');
  });

  test('forwards a partial report before the progress that follows it and the result; a malformed one is dropped', async () => {
    const client = makeClient();
    clients.push(client);
    const seen: string[] = [];
    const hooks = { onProgress: (e: ProgressEvent) => seen.push(e.phase), onPartial: (p: PartialReport) => seen.push(`partial ${p.model.path}`) };
    await client.analyze({ modelPath: 'partial' }, hooks);
    assert.deepEqual(seen, ['loading', 'partial partial', 'block-matrix']);
    seen.length = 0;
    await client.analyze({ modelPath: 'bad-partial' }, hooks);
    assert.deepEqual(seen, ['loading', 'block-matrix']);
  });

  test('an engine error keeps its name, message and file', async () => {
    const client = makeClient();
    clients.push(client);
    await assert.rejects(client.analyze({ modelPath: 'fail' }), (e: unknown) => {
      assert.ok(e instanceof AnalysisError);
      assert.equal(e.name, 'ModelLoadError');
      assert.equal(e.info.file, '/models/broken.onnx');
      assert.match(e.message, /bad magic/);
      return true;
    });
  });

  test("a dependency's deprecation warning does not reach the Output channel", async () => {
    const lines: string[] = [];
    const client = makeClient(lines);
    clients.push(client);
    await client.analyze({ modelPath: 'deprecated' });
    assert.deepEqual(
      lines.filter((l) => /DEP0005|DeprecationWarning/.test(l)),
      [],
    );
  });

  test('cancel stops a cooperative run and the process exits before the promise settles', async () => {
    const lines: string[] = [];
    const client = makeClient(lines);
    clients.push(client);
    const controller = new AbortController();
    let pid = 0;
    const run = client.analyze(
      { modelPath: 'slow' },
      {
        signal: controller.signal,
        onWorkerPid: (p) => (pid = p),
        onProgress: (e) => {
          if (e.message === 'probe 5 of 10000') controller.abort();
        },
      },
    );
    await assert.rejects(run, CancelledError);
    // It stopped on its own: the client never had to kill it (it logs when it does).
    assert.ok(!lines.some((l) => l.includes('did not stop within')), `the cooperative worker was killed: ${lines.join(' | ')}`);
    assert.equal(isAlive(pid), false, 'the worker process is gone');
    assert.equal(client.pid, undefined);
    // The next analysis forks a fresh worker.
    const report = await client.analyze({ modelPath: 'ok' });
    assert.equal(report.model.path, 'ok');
    assert.notEqual(client.pid, pid);
  });

  test('a worker that ignores cancel is killed after the grace period', async () => {
    const lines: string[] = [];
    const client = makeClient(lines);
    clients.push(client);
    let pid = 0;
    const run = client.analyze({ modelPath: 'stubborn' }, { onWorkerPid: (p) => (pid = p) });
    await new Promise((r) => setTimeout(r, 300)); // let it enter its loop
    const t0 = Date.now();
    client.cancel();
    await assert.rejects(run, CancelledError);
    const took = Date.now() - t0;
    // Not before the grace period (an upper bound would only measure the machine's load).
    assert.ok(took >= 950, `killed after ${took} ms`);
    assert.equal(isAlive(pid), false);
    assert.ok(lines.some((l) => l.includes('did not stop within 1000 ms')));
  });

  test('a crash is reported with the exit code and the next run starts a fresh worker', async () => {
    const client = makeClient();
    clients.push(client);
    let crashedPid = 0;
    await assert.rejects(client.analyze({ modelPath: 'crash' }, { onWorkerPid: (p) => (crashedPid = p) }), (e: unknown) => {
      assert.ok(e instanceof WorkerCrashedError);
      assert.equal(e.exitCode, 7);
      assert.match(e.stderrTail, /about to crash/);
      return true;
    });
    const report = await client.analyze({ modelPath: 'ok' });
    assert.equal(report.model.path, 'ok');
    assert.ok(client.pid !== undefined && client.pid !== crashedPid);
  });

  test('refuses a second analysis while one runs', async () => {
    const client = makeClient();
    clients.push(client);
    const controller = new AbortController();
    const first = client.analyze({ modelPath: 'slow' }, { signal: controller.signal });
    await assert.rejects(client.analyze({ modelPath: 'ok' }), /already running/);
    controller.abort();
    await assert.rejects(first, CancelledError);
  });
});
