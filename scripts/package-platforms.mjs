// Builds one .vsix per platform that onnxruntime-node ships a CPU binary for, each carrying that
// platform's binary only (webpack's GRADIENT_LENS_TARGET, vsce --target), then checks every
// package with scripts/check-vsix.mjs (which also runs the one built for this machine).
// A platform without an ONNX Runtime binary in onnxruntime-node (darwin-x64 in 1.30) gets no
// package of its own: VS Code installs the universal gradient-lens.vsix there (npm run package),
// whose engine falls back to wasm with a note in the report.
//
//   node scripts/package-platforms.mjs [PLATFORM-ARCH ...]   -> gradient-lens-<platform-arch>.vsix
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ortBin = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6');

/** Every platform-arch pair onnxruntime-node carries a binary for, as vsce names targets. */
function shippedTargets() {
  const targets = [];
  for (const platform of fs.readdirSync(ortBin)) {
    for (const arch of fs.readdirSync(path.join(ortBin, platform))) targets.push(`${platform}-${arch}`);
  }
  return targets.sort();
}

const shipped = shippedTargets();
const asked = process.argv.slice(2);
for (const t of asked) if (!shipped.includes(t)) throw new Error(`onnxruntime-node has no binary for ${t} (it has ${shipped.join(', ')})`);
const targets = asked.length > 0 ? asked : shipped;
const bin = (name) => path.join(REPO, 'node_modules', '.bin', name);
const run = (cmd, args, env = {}) => execFileSync(cmd, args, { cwd: REPO, stdio: 'inherit', env: { ...process.env, ...env } });
// webpack does not clean dist/: without this, every package would carry every binary built before it.
const dropOrtBinaries = () => fs.rmSync(path.join(REPO, 'dist', 'onnxruntime'), { recursive: true, force: true });

for (const target of targets) {
  const out = `gradient-lens-${target}.vsix`;
  console.log(`== ${target}`);
  dropOrtBinaries();
  run(bin('webpack'), ['--mode', 'production'], { GRADIENT_LENS_TARGET: target });
  run(bin('vsce'), [
    'package',
    '--target',
    target,
    '--no-dependencies',
    '--skip-license',
    '--allow-missing-repository',
    '--no-rewrite-relative-links',
    '-o',
    out,
  ]);
  run(process.execPath, [path.join(REPO, 'scripts', 'check-vsix.mjs'), out, target]);
}
// Leave dist/ built for this machine, as npm run build and the e2e tests expect.
const here = `${process.platform}-${process.arch}`;
if (targets.at(-1) !== here) {
  dropOrtBinaries();
  run(bin('webpack'), ['--mode', 'production']);
}
console.log(`built and checked: ${targets.map((t) => `gradient-lens-${t}.vsix`).join(', ')}`);
