// Runs every real-VS-Code test in turn (each starts and stops its own code-server).
// Exit code: 0 when all passed, else 1. Usage: node test/e2e/run-all.mjs [--vsix FILE]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Every *.e2e.mjs file here, analyze first (it is the smoke test: if it fails the rest will too).
const TESTS = fs
  .readdirSync(HERE)
  .filter((f) => f.endsWith('.e2e.mjs'))
  .sort((a, b) => (a === 'analyze.e2e.mjs' ? -1 : b === 'analyze.e2e.mjs' ? 1 : a.localeCompare(b)));
const results = TESTS.map((t) => {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(HERE, t), ...process.argv.slice(2)], { stdio: 'inherit' });
  return { test: t, ok: r.status === 0, seconds: (Date.now() - t0) / 1000 };
});
for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.test.padEnd(18)} ${r.seconds.toFixed(1)} s`);
const passedCount = results.filter((r) => r.ok).length;
console.log(`e2e: ${passedCount} passed, ${results.length - passedCount} failed`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
