/**
 * Examples on disk for the installed extension: generated into a folder the extension owns,
 * byte-identical to the committed manifest, kept when intact, rewritten when a file is
 * missing or truncated, and copied only into a folder the user picked.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exampleById } from '../../src/examples/catalog';
import type { ExamplesManifest } from '../../src/examples/manifest';
import { copyExample, ensureExample } from '../../src/extension/examples/storage';

const REPO = path.resolve(__dirname, '..', '..', path.basename(path.resolve(__dirname, '..', '..')) === 'out' ? '..' : '.');
const manifest = JSON.parse(readFileSync(path.join(REPO, 'examples', 'paper', 'manifest.json'), 'utf8')) as ExamplesManifest;
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('bundled examples: storage', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'gl-examples-store-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('writes the example with the manifest’s bytes, then keeps it', () => {
    const example = exampleById('mlp_selu')!;
    const first = ensureExample(root, example);
    assert.equal(first.generated, true);
    for (const f of manifest.files.filter((x) => x.path.startsWith('mlp_selu/'))) assert.equal(sha(path.join(root, f.path)), f.sha256, f.path);
    const mtime = statSync(first.paths.onnx).mtimeMs;
    const second = ensureExample(root, example);
    assert.equal(second.generated, false);
    assert.equal(statSync(second.paths.onnx).mtimeMs, mtime);
  });

  test('a truncated or missing file makes it regenerate', () => {
    const example = exampleById('mlp_selu')!;
    const { paths } = ensureExample(root, example);
    truncateSync(path.join(paths.folder, 'tfjs', 'weights.bin'), 100);
    assert.equal(ensureExample(root, example).generated, true);
    unlinkSync(paths.pytorch);
    assert.equal(ensureExample(root, example).generated, true);
    assert.ok(existsSync(paths.pytorch));
  });

  test('copies into a chosen folder without the bookkeeping file, never over an existing copy', () => {
    const target = mkdtempSync(path.join(tmpdir(), 'gl-examples-copy-'));
    try {
      const dest = copyExample(root, exampleById('mlp_selu')!, target);
      assert.equal(dest, path.join(target, 'mlp_selu'));
      assert.ok(existsSync(path.join(dest, 'model.onnx')) && existsSync(path.join(dest, 'tfjs', 'model.json')));
      assert.ok(!existsSync(path.join(dest, '.generated.json')));
      assert.throws(() => copyExample(root, exampleById('mlp_selu')!, target), /already exists/);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
