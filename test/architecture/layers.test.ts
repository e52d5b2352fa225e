/**
 * The layer order of ARCHITECTURE.md, enforced: every relative import in src/ and webview-ui/src
 * is read, and the test fails on an import cycle between files, on a cycle between the top-level
 * folders of src/, and on any edge from a lower layer to a higher one. `vscode` may be imported
 * by src/extension alone.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LAYERS, readImportGraph, repoRoot, type ImportGraph } from './importGraph';

const graph = readImportGraph(repoRoot());

function layerOf(folder: string): number {
  const i = LAYERS.findIndex((layer) => layer.includes(folder));
  if (i < 0) throw new Error(`src/${folder} has no place in the layer order (test/architecture/importGraph.ts, ARCHITECTURE.md)`);
  return i;
}

test('the import reader sees the whole tree (a broken reader must not pass by finding nothing)', () => {
  assert.ok(graph.files.size > 150, `only ${graph.files.size} files read`);
  const edges = [...graph.edges.values()].reduce((n, s) => n + s.size, 0);
  assert.ok(edges > 400, `only ${edges} import edges read`);
  // Spot checks of edges that must be seen: a plain import, an `import type`, and a re-export.
  assert.ok(graph.edges.get('src/engine/analyze.ts')?.has('src/runtime/executor.ts'));
  assert.ok(graph.edges.get('src/protocol/webview.ts')?.has('src/report/schema.ts'));
  assert.ok(graph.edges.get('src/engine/api.ts')?.has('src/runtime/resourceError.ts'));
});

test('every top-level folder of src/ has a layer, and every layer exists', () => {
  for (const folder of graph.folders) layerOf(folder);
  for (const layer of LAYERS) for (const folder of layer) assert.ok(graph.folders.has(folder), `layer folder src/${folder} does not exist`);
});

test('no import reaches up the layer order (nor across folders of one layer)', () => {
  const wrong: string[] = [];
  for (const [from, targets] of graph.edges) {
    for (const to of targets) {
      const a = folderOf(from);
      const b = folderOf(to);
      if (a === b) continue;
      if (a === 'webview-ui') {
        if (b !== 'protocol' && b !== 'report') wrong.push(`${from} -> ${to} (the webview sees only protocol/ and report/)`);
        continue;
      }
      if (b === 'webview-ui') {
        wrong.push(`${from} -> ${to} (nothing imports the webview's code)`);
        continue;
      }
      if (layerOf(a) <= layerOf(b)) wrong.push(`${from} -> ${to} (${a} is not above ${b})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no import cycle between files', () => {
  assert.deepEqual(cyclesOf(graph), []);
});

test('the cycle finder finds a cycle (so the test above can fail)', () => {
  const edges = new Map<string, Set<string>>([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
    ['d', new Set(['a'])],
  ]);
  const synthetic: ImportGraph = { files: new Set(edges.keys()), edges, externalImports: new Map(), folders: new Set() };
  assert.deepEqual(cyclesOf(synthetic), [['a', 'b', 'c']]);
});

test('only src/extension imports vscode', () => {
  const wrong = [...graph.externalImports].filter(([file, specs]) => specs.has('vscode') && !file.startsWith('src/extension/')).map(([f]) => f);
  assert.deepEqual(wrong, []);
});

function folderOf(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'webview-ui' ? 'webview-ui' : parts[1];
}

/** Strongly connected components with more than one file (Tarjan), each as a sorted list. */
function cyclesOf(g: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of g.edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of g.files) if (!index.has(v)) visit(v);
  return found;
}
