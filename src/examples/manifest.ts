/** The list of generated example files with their sizes and sha256 (examples/paper/manifest.json). */
import { createHash } from 'node:crypto';
import { EXAMPLE_DEPTH, EXAMPLE_SEED, EXAMPLE_WIDTH } from './catalog';
import type { GeneratedFile } from './index';

export const MANIFEST_FILE = 'manifest.json';

export interface ExamplesManifest {
  readonly generator: string;
  readonly seed: number;
  readonly depth: number;
  readonly width: number;
  readonly totalBytes: number;
  readonly files: readonly { readonly path: string; readonly bytes: number; readonly sha256: string }[];
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function buildManifest(files: readonly GeneratedFile[]): ExamplesManifest {
  return {
    generator: 'scripts/generate-examples.ts',
    seed: EXAMPLE_SEED,
    depth: EXAMPLE_DEPTH,
    width: EXAMPLE_WIDTH,
    totalBytes: files.reduce((n, f) => n + f.bytes.length, 0),
    files: files.map((f) => ({ path: f.path, bytes: f.bytes.length, sha256: sha256(f.bytes) })),
  };
}
