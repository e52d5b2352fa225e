/**
 * Writes the bundled examples (the networks of the paper's Figure 1, see
 * src/examples/catalog.ts) into examples/paper/<id>/: model.onnx,
 * model.py, tfjs/model.json, tfjs/weights.bin, tfjs/model.js, plus examples/paper/manifest.json
 * with the size and sha256 of every file. Deterministic: every run, on every machine, writes
 * the same bytes (the unit test test/examples/generate.test.ts checks them against the
 * committed manifest).
 *
 *   npx tsx scripts/generate-examples.ts [--out DIR]   write the files (default examples/paper)
 *   npx tsx scripts/generate-examples.ts --check       regenerate in memory and compare with
 *                                                      the manifest (and with files on disk)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { generateAllExamples } from '../src/examples/index';
import { buildManifest, MANIFEST_FILE, type ExamplesManifest } from '../src/examples/manifest';

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = path.resolve(outIndex >= 0 ? args[outIndex + 1] : path.join(__dirname, '..', 'examples', 'paper'));
const check = args.includes('--check');

const started = Date.now();
const files = generateAllExamples();
const manifest = buildManifest(files);
console.log(`generated ${files.length} files, ${(manifest.totalBytes / 1e6).toFixed(2)} MB, in ${Date.now() - started} ms`);

if (check) {
  const committed = JSON.parse(readFileSync(path.join(outDir, MANIFEST_FILE), 'utf8')) as ExamplesManifest;
  const problems: string[] = [];
  for (const f of manifest.files) {
    const want = committed.files.find((c) => c.path === f.path);
    if (!want) problems.push(`${f.path}: not in the committed manifest`);
    else if (want.sha256 !== f.sha256) problems.push(`${f.path}: sha256 ${f.sha256} differs from the manifest's ${want.sha256}`);
    const onDisk = path.join(outDir, f.path);
    if (existsSync(onDisk) && createHash('sha256').update(readFileSync(onDisk)).digest('hex') !== f.sha256)
      problems.push(`${f.path}: the file on disk differs`);
  }
  if (committed.files.length !== manifest.files.length)
    problems.push(`the manifest lists ${committed.files.length} files, the generator wrote ${manifest.files.length}`);
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log('every file matches the manifest byte for byte');
} else {
  for (const f of files) {
    const target = path.join(outDir, f.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.bytes);
  }
  writeFileSync(path.join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`written to ${outDir}`);
}
