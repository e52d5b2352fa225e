// The test command (npm test runs it after the build):
//   1. every compiled unit, conformance and fixture test (out/test/**/*.test.js) with Node's
//      own test runner;
//   2. the real-VS-Code tests (test/e2e, code-server in headless Chromium), which need
//      scripts/setup.sh to have installed code-server and built the .vsix.
// It ends with one line "tests: N passed, N failed" over both.
// Usage: node scripts/run-tests.mjs [--unit-only] [--fast] [substring ...]  (substrings filter unit test files)
//   --fast leaves out the slow unit files (SLOW below: the ONNX conformance suite, the loader fuzz run);
//   with --unit-only it is npm run test:unit, the quick check between edits.
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit-only');
const fast = args.includes('--fast');
const SLOW = [join('out', 'test', 'onnx', 'conformance.test.js'), join('out', 'test', 'fuzz') + sep];
const filters = args.filter((a) => a !== '--unit-only' && a !== '--fast');
const files = walk('out/test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .filter((f) => !fast || !SLOW.some((s) => f.startsWith(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under out/test');
  process.exit(1);
}

const unit = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { encoding: 'utf8', maxBuffer: 256 << 20 });
process.stdout.write(unit.stdout);
process.stderr.write(unit.stderr);
const count = (label) => Number((new RegExp(`^\\S*\\s*${label} (\\d+)$`, 'm').exec(unit.stdout) ?? [])[1] ?? NaN);
let passed = count('pass');
let failed = count('fail');
if (!Number.isFinite(passed) || !Number.isFinite(failed)) {
  console.error('could not read the unit test summary');
  process.exit(1);
}
if (unit.status !== 0 && failed === 0) failed = 1;

if (!unitOnly && !fast && filters.length === 0) {
  const e2e = spawnSync(process.execPath, ['test/e2e/run-all.mjs'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  process.stdout.write(e2e.stdout);
  process.stderr.write(e2e.stderr);
  const m = /^e2e: (\d+) passed, (\d+) failed$/m.exec(e2e.stdout);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  } else {
    failed += 1;
  }
  if (e2e.status !== 0 && !(m && Number(m[2]) > 0)) failed += m ? 1 : 0;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
