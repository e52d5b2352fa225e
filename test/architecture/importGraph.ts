/**
 * Reads the import graph of src/ and webview-ui/src from the TypeScript sources (not from out/,
 * so a type-only import counts as an edge too: it ties the layers together just the same).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The layers of src/, bottom first; a folder may import only from layers below its own.
 * Folders in one layer are independent of each other. ARCHITECTURE.md draws the same order.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['report'], // the versioned report schema and everything that only reads a report
  ['graph'], // the internal graph (ir), its constants and structural queries
  ['ops'], // operator kernels: forward, VJP and each op's facts
  ['passes'], // graph passes and data-flow facts that need op semantics
  ['runtime'], // executor, backends, random streams, probe stacking, size guard, finite checks
  ['loaders'], // ONNX and TF.js files into the internal graph
  ['metrics'], // blocks, GSC, k-dilution, collapse
  ['data'], // sample data, labels, the error layer
  ['engine'], // orchestration: one analysis from request to report, threads
  ['protocol', 'sourceMapping', 'examples'], // message types; report -> source lines; example generator
  ['cli', 'worker'], // the command line; the extension's analysis child process
  ['extension'], // VS Code surfaces
];

export interface ImportGraph {
  /** Repository-relative paths of every source file read. */
  readonly files: ReadonlySet<string>;
  /** Relative imports resolved to files: importer -> imported. */
  readonly edges: ReadonlyMap<string, ReadonlySet<string>>;
  /** Bare-module imports per file (`vscode`, `node:fs`, ...). */
  readonly externalImports: ReadonlyMap<string, ReadonlySet<string>>;
  /** Top-level folders of src/. */
  readonly folders: ReadonlySet<string>;
}

/**
 * The repository root, from test/architecture (tsx) or out/test/architecture (compiled). out/
 * holds a package.json and a src/ too (tsc emits the package.json the engine imports for its
 * version), but no tsconfig.json.
 */
export function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'tsconfig.json')) && existsSync(path.join(dir, 'src'))) return dir;
  }
  throw new Error(`no repository root above ${__dirname}`);
}

// import/export ... from '...', import '...', import('...'), require('...')
const SPECIFIER = /(?:\bfrom\s+|\bimport\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)'([^']+)'/g;

export function readImportGraph(root: string): ImportGraph {
  const files = [...sourceFiles(root, 'src'), ...sourceFiles(root, 'webview-ui/src')];
  const known = new Set(files);
  const edges = new Map<string, Set<string>>();
  const externalImports = new Map<string, Set<string>>();
  for (const file of files) {
    const text = stripComments(readFileSync(path.join(root, file), 'utf8'));
    const out = new Set<string>();
    const external = new Set<string>();
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1];
      if (!spec.startsWith('.')) {
        external.add(spec);
        continue;
      }
      // The repository's manifest (the engine reads its version from it) sits below every layer.
      if (path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) === 'package.json') {
        external.add('package.json');
        continue;
      }
      const target = resolveSpecifier(file, spec, known);
      if (target === null) throw new Error(`${file}: cannot resolve import '${spec}'`);
      if (target !== file) out.add(target);
    }
    edges.set(file, out);
    externalImports.set(file, external);
  }
  const folders = new Set(
    files
      .filter((f) => f.startsWith('src/'))
      .map((f) => f.split('/')[1])
      .filter((f) => !f.endsWith('.ts')),
  );
  return { files: known, edges, externalImports, folders };
}

function sourceFiles(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(root, rel)).isDirectory()) return sourceFiles(root, rel);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [rel] : [];
  });
}

function resolveSpecifier(from: string, spec: string, known: ReadonlySet<string>): string | null {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')]) {
    if (known.has(candidate)) return candidate;
  }
  return null;
}

/** Comments out, so an import written in a comment is no edge; strings stay. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}
