/**
 * Puts the examples on disk where the extension may write: its global storage folder (never
 * the user's workspace), generating them with the same code as scripts/generate-examples.ts,
 * so they are byte-identical to a checkout's examples/paper/. The .vsix carries the generator
 * instead of 29 MB of weights. Files already there with the manifest's sizes are kept.
 * No `vscode`: the commands pass the folder.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EXAMPLE_FILES, generateExample, type GeneratedFile } from '../../examples/index';
import type { ExampleInfo } from '../../examples/catalog';

/** Bumped when the generator's output changes, so stale copies are rewritten. */
export const EXAMPLES_FORMAT = 2;
const STAMP_FILE = '.generated.json';

export interface ExamplePaths {
  readonly folder: string;
  readonly onnx: string;
  readonly pytorch: string;
  readonly tfjsModel: string;
  readonly tfjsSource: string;
}

export function examplePaths(root: string, example: ExampleInfo): ExamplePaths {
  const folder = path.join(root, example.id);
  const at = (rel: string): string => path.join(folder, ...rel.split('/'));
  return { folder, onnx: at(EXAMPLE_FILES.onnx), pytorch: at(EXAMPLE_FILES.pytorch), tfjsModel: at(EXAMPLE_FILES.tfjsModel), tfjsSource: at(EXAMPLE_FILES.tfjsSource) };
}

interface Stamp {
  readonly format: number;
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
}

/** Whether the example's files are all present with the sizes recorded when they were written. */
function upToDate(root: string, example: ExampleInfo): boolean {
  const stampFile = path.join(root, example.id, STAMP_FILE);
  if (!existsSync(stampFile)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp;
    if (stamp.format !== EXAMPLES_FORMAT || !Array.isArray(stamp.files) || stamp.files.length === 0) return false;
    return stamp.files.every((f) => {
      const file = path.join(root, ...f.path.split('/'));
      return existsSync(file) && statSync(file).size === f.bytes;
    });
  } catch {
    return false;
  }
}

function writeFiles(root: string, files: readonly GeneratedFile[]): void {
  for (const f of files) {
    const target = path.join(root, ...f.path.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.bytes);
  }
}

/**
 * Makes sure the example is on disk under `root` (generating it if needed, ~0.15 s);
 * returns its paths and whether it was written now.
 */
export function ensureExample(root: string, example: ExampleInfo): { paths: ExamplePaths; generated: boolean } {
  const paths = examplePaths(root, example);
  if (upToDate(root, example)) return { paths, generated: false };
  const files = generateExample(example);
  writeFiles(root, files);
  const stamp: Stamp = { format: EXAMPLES_FORMAT, files: files.map((f) => ({ path: f.path, bytes: f.bytes.length })) };
  // Written last: a half-written example is regenerated next time.
  writeFileSync(path.join(root, example.id, STAMP_FILE), JSON.stringify(stamp));
  return { paths, generated: true };
}

/** Copies an example's folder to `target/<id>` (the user picked `target`); returns the new folder. */
export function copyExample(root: string, example: ExampleInfo, target: string): string {
  const { folder } = ensureExample(root, example).paths;
  const dest = path.join(target, example.id);
  if (existsSync(dest)) throw new Error(`${dest} already exists`);
  cpSync(folder, dest, { recursive: true, filter: (src) => path.basename(src) !== STAMP_FILE });
  return dest;
}
