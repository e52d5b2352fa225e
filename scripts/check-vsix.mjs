// Checks a per-platform .vsix (npm run package:linux-x64): it names its target platform, it
// carries the ONNX Runtime binary of that platform only, and, when the target is this machine,
// the extension's own worker, run from the unpacked .vsix (no node_modules anywhere above it),
// loads ONNX Runtime from it; with its libonnxruntime removed the analysis falls back to wasm
// and the report says why.
//
//   node scripts/check-vsix.mjs gradient-lens-linux-x64.vsix linux-x64
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [vsixArg, target] = process.argv.slice(2);
if (!vsixArg || !target) {
  console.error('usage: node scripts/check-vsix.mjs FILE.vsix PLATFORM-ARCH');
  process.exit(2);
}
const vsix = path.resolve(vsixArg);
const fail = (message) => {
  console.error(`check-vsix: ${message}`);
  process.exit(1);
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-vsix-'));
execFileSync('unzip', ['-q', vsix, '-d', dir]);
const manifest = fs.readFileSync(path.join(dir, 'extension.vsixmanifest'), 'utf8');
const platform = /TargetPlatform="([^"]+)"/.exec(manifest)?.[1];
if (platform !== target) fail(`the manifest's TargetPlatform is ${platform ?? '(none)'}, not ${target}`);
const ortRoot = path.join(dir, 'extension', 'dist', 'onnxruntime');
const carried = fs.existsSync(ortRoot) ? fs.readdirSync(ortRoot) : [];
if (carried.length !== 1 || carried[0] !== target) fail(`dist/onnxruntime holds [${carried.join(', ')}], not [${target}] alone`);
const files = fs.readdirSync(path.join(ortRoot, target));
for (const f of ['onnxruntime_binding.node']) if (!files.includes(f)) fail(`dist/onnxruntime/${target} has no ${f}`);
const mb = (f) => (fs.statSync(path.join(ortRoot, target, f)).size / 2 ** 20).toFixed(1);
console.log(`${path.basename(vsix)}: TargetPlatform ${platform}; dist/onnxruntime/${target}: ${files.map((f) => `${f} (${mb(f)} MB)`).join(', ')}`);

if (target !== `${process.platform}-${process.arch}`) {
  console.log(`not ${process.platform}-${process.arch}: the binary is not loaded here`);
  process.exit(0);
}

/** Runs one analysis in the unpacked extension's worker process (the protocol of src/protocol/worker.ts). */
function analyzeInWorker(worker, request) {
  return new Promise((resolve, reject) => {
    const child = fork(worker, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], cwd: os.tmpdir() });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('message', (m) => {
      if (m.type === 'ready') child.send({ type: 'analyze', id: 1, request });
      else if (m.type === 'result') resolve(m.report);
      else if (m.type === 'error') reject(new Error(`${m.error.name}: ${m.error.message}`));
      if (m.type === 'result' || m.type === 'error') child.disconnect();
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}) ${stderr.slice(-2000)}`)));
  });
}

const model = path.join(REPO, 'examples', 'resnet', 'model.onnx');
const request = { modelPath: model, settings: { backend: 'ort', batch: 2, probes: 2, blockMatrix: false, kPrecision: 0 } };
const worker = path.join(dir, 'extension', 'dist', 'worker.js');
const ran = await analyzeInWorker(worker, request);
if (ran.backend.name !== 'ort') fail(`the worker from the .vsix ran on ${ran.backend.name}: ${ran.backend.notes.join('; ')}`);
console.log(`worker from the .vsix: backend ${ran.backend.name}: ${ran.backend.reason}`);

// The same extension without its shared library: ONNX Runtime cannot load; wasm runs, with a note.
fs.rmSync(path.join(ortRoot, target, 'libonnxruntime.so.1'), { force: true });
for (const f of fs.readdirSync(path.join(ortRoot, target))) if (/^libonnxruntime|\.dylib$|\.dll$/.test(f)) fs.rmSync(path.join(ortRoot, target, f));
const fell = await analyzeInWorker(worker, request);
const note = fell.warnings.find((w) => w.code === 'backend-fallback');
if (fell.backend.name !== 'wasm' || !note) fail(`without libonnxruntime: backend ${fell.backend.name}, warnings ${JSON.stringify(fell.warnings)}`);
console.log(`without its libonnxruntime: backend ${fell.backend.name}; note: ${note.message}`);
const same = ran.blocks.every((b, i) => Math.abs(b.gscToOutput.value - fell.blocks[i].gscToOutput.value) <= 1e-4 * Math.abs(b.gscToOutput.value));
if (!same) fail('the fallback run gives other GSC numbers than the ONNX Runtime run');
console.log('the same GSC to the output on both (within float32 rounding)');
fs.rmSync(dir, { recursive: true, force: true });
