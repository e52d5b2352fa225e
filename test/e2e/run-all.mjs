// Runs every real-VS-Code test in turn (each starts and stops its own code-server).
// Exit code: 0 when all passed, else 1. Usage: node test/e2e/run-all.mjs [--vsix FILE]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Every *.e2e.mjs file here, analyze first (it is the smoke test: if it fails the rest will too).
const TESTS = fs
  .readdirSync(HERE)
  .filter((f) => f.endsWith('.e2e.mjs'))
  .sort((a, b) => (a === 'analyze.e2e.mjs' ? -1 : b === 'analyze.e2e.mjs' ? 1 : a.localeCompare(b)));

/** Runs one test, passing its output through, and keeps the lines that say why it failed. */
function runOne(test) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(HERE, test), ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const pass = (stream) => (chunk) => {
      stream.write(chunk);
      output += chunk;
    };
    child.stdout.on('data', pass(process.stdout));
    child.stderr.on('data', pass(process.stderr));
    child.on('close', (code) => {
      // The FAIL line with its first stack frames, or a global timeout: CI shows only the end of
      // the output, so the summary repeats them where they will be seen.
      const lines = output.split('\n');
      const at = lines.findIndex((l) => /\] FAIL |global timeout/.test(l));
      const why = at < 0 ? [`exit code ${code}, no FAIL line`] : lines.slice(at, at + 6);
      resolve({ test, ok: code === 0, seconds: (Date.now() - t0) / 1000, why });
    });
  });
}

const results = [];
for (const t of TESTS) results.push(await runOne(t));
for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.test.padEnd(18)} ${r.seconds.toFixed(1)} s`);
for (const r of results.filter((x) => !x.ok)) console.log(`---- why ${r.test} failed ----\n${r.why.join('\n')}`);
const passedCount = results.filter((r) => r.ok).length;
console.log(`e2e: ${passedCount} passed, ${results.length - passedCount} failed`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
