/** The CLI's relaunch with the allocator settings (cli/relaunch.ts), with a stand-in script. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALLOCATOR_TUNABLES } from '../../src/engine/allocator';

const RELAUNCH = path.resolve(__dirname, '..', '..', 'src', 'cli', 'relaunch.js');

/**
 * A script that relaunches itself as the CLI does; the process that runs its body prints
 * its pid and GLIBC_TUNABLES, then exits with the code it was given, or waits when given none.
 */
function standIn(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gl-relaunch-')), 'cli.js');
  writeFileSync(
    file,
    `const relaunched = require(${JSON.stringify(RELAUNCH)}).relaunchWithAllocator(__filename, process.argv.slice(2));
     if (relaunched) relaunched.then((code) => process.exit(code));
     else {
       process.stdout.write(process.pid + ' ' + (process.env.GLIBC_TUNABLES ?? '') + '\\n');
       if (process.argv[2] !== undefined) process.exit(Number(process.argv[2]));
       else setInterval(() => undefined, 1000);
     }`,
  );
  return file;
}

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
}

const linux = { skip: process.platform !== 'linux' ? 'the settings apply on Linux only' : false };

test('the analysing process starts with the settings, and its exit code is the CLI’s', linux, () => {
  const r = spawnSync(process.execPath, [standIn(), '7'], { encoding: 'utf8', env: envWithout('GLIBC_TUNABLES', 'GRADIENT_LENS_ALLOCATOR'), timeout: 60_000 });
  assert.equal(r.status, 7, r.stderr);
  const [pid, tunables] = r.stdout.trim().split(' ');
  assert.notEqual(Number(pid), r.pid, 'the body ran in a child process');
  for (const t of ALLOCATOR_TUNABLES) assert.ok(tunables.split(':').includes(t), `${t} in ${tunables}`);
});

test('opted out, the CLI runs in its own process without them', () => {
  const env = { ...envWithout('GLIBC_TUNABLES'), GRADIENT_LENS_ALLOCATOR: 'system' };
  const r = spawnSync(process.execPath, [standIn(), '3'], { encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout, `${r.pid} \n`);
});

test('a signal to the CLI ends the analysing child too', linux, async () => {
  const parent = spawn(process.execPath, [standIn()], { env: envWithout('GLIBC_TUNABLES', 'GRADIENT_LENS_ALLOCATOR'), stdio: ['ignore', 'pipe', 'inherit'] });
  const childPid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().split(' ')[0]))));
  assert.notEqual(childPid, parent.pid);
  const ended = new Promise<NodeJS.Signals | null>((resolve) => parent.on('exit', (_code, signal) => resolve(signal)));
  parent.kill('SIGTERM');
  assert.equal(await ended, 'SIGTERM');
  // The child got the signal before the parent re-raised it, and is gone (or a zombie of init).
  const alive = (): boolean => {
    try {
      process.kill(childPid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive()) await new Promise((r) => setImmediate(r));
});
