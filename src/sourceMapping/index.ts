/**
 * The source mapper: where in the user's files each analysed block (and the layers in it) is
 * defined. Pure (no `vscode`, no file access): the caller passes the texts.
 *
 * - TensorFlow.js model.json: the layer's (or graph node's) `"name": "<layer>"` member.
 * - ONNX exported from PyTorch: node names carry module paths; the Python sources are read
 *   symbolically (python/) and each path is followed from the root nn.Module class down.
 * - Keras Python / TensorFlow.js code: the `name=` / `name:` argument that produces the layer
 *   name, else the n-th layer constructor call for the n-th layer when counts and types agree.
 * - Sidecar placements override every guess. Whatever cannot be placed is listed with what
 *   was tried.
 */
import type { AnalysisReport, BlockReport } from '../report/schema';
import { splitPlacement } from './hints';
import { baseName, definitionScopes, findConstructorCalls, findNameArguments, languageOf, lookupName, type ConstructorCall, type NameArgument } from './layerNames';
import { modelJsonLayers, type ModelJsonLayer } from './modelJson';
import { PythonProgram } from './python/modules';
import { ModuleResolver, modulePathOfNodeName, type Root } from './python/resolve';
import { parsePythonFile } from './python/structure';
import { LineIndex, lineRange, toRange } from './text';
import type { PlacedInstance, PlacementMethod, SourceHints, SourceMapping, SourceRange, SourceSite, SourceText, UnplacedBlock } from './types';

export type { PlacedInstance, PlacementMethod, SourceHints, SourceMapping, SourceRange, SourceSite, SourceText, UnplacedBlock } from './types';
export { parseSourceHints, sidecarCandidates, SourceHintsError } from './hints';

/** The parts of a report the mapper reads (an AnalysisReport is one). */
export interface MappableReport {
  readonly model: Pick<AnalysisReport['model'], 'format' | 'path'>;
  readonly blocks: readonly Pick<BlockReport, 'index' | 'name' | 'sourceNames'>[];
}

type MappedBlock = MappableReport['blocks'][number];

export interface MapInput {
  readonly report: MappableReport;
  /** The model file's text (model.json for TensorFlow.js models). */
  readonly modelFileText?: string;
  /** Source files to search (Python, JavaScript, TypeScript); hints.sourceFiles narrows them. */
  readonly sources: readonly SourceText[];
  readonly hints?: SourceHints;
}

/** One thing to place: a block, or a layer inside it. */
interface Item {
  readonly block: MappedBlock;
  readonly role: 'block' | 'layer';
  /** Module path ("layer1.0.conv1") or layer name. */
  readonly name: string;
  /** Names a sidecar placement may use for it. */
  readonly keys: readonly string[];
  /** PyTorch: module paths to try, best first. TF.js: layer names to try, best first. */
  readonly candidates: readonly (readonly string[])[];
}

/**
 * Places every block, and the layers in it, at the sites that define them.
 *
 * - Each block gets an instance with role 'block' at each site found for it (a model.json
 *   entry and a code line may both be found); its layers get role 'layer' instances. Sites that
 *   define several instances (a block class, `self.conv1` inside it) list them all.
 * - A TF.js block that is not itself a layer ("layer1" over layer1_conv1, ...) sits on its
 *   first layer's site.
 * - A sidecar placement replaces the guesses for that block or layer. Its file must be among
 *   `sources` to get a range over the line's text (and, when relative, to be found at all);
 *   an absolute path outside `sources` is placed as an empty range at the line's start.
 * - `unplaced` lists the blocks without any block site, each with what was tried.
 * Never throws on any input text.
 */
export function mapReportToSource(input: MapInput): SourceMapping {
  const { report } = input;
  const sources = restrictSources(input.sources, input.hints);
  const sites = new SiteCollector();
  const tried = new Map<number, string[]>();
  const note = (block: MappedBlock, reason: string): void => {
    tried.set(block.index, [...(tried.get(block.index) ?? []), reason]);
  };

  const isTfjs = report.model.format.startsWith('tfjs');
  const items = report.blocks.flatMap((b) => (isTfjs ? tfjsItems(b) : moduleItems(b)));

  // Sidecar placements first: an item placed by the user is not guessed.
  const open = items.filter((item) => !placeFromSidecar(item, input.hints, input.sources, sites, note));

  if (isTfjs) {
    // The model.json may come as modelFileText or as one of the sources (SourceText allows it).
    const modelText = input.modelFileText ?? input.sources.find((s) => normalizePath(s.path) === normalizePath(report.model.path))?.text;
    mapTfjs(open, report, modelText, sources, sites, note);
  } else {
    mapPyTorch(open, sources, sites, note);
  }

  const unplaced: UnplacedBlock[] = report.blocks
    .filter((b) => !sites.hasBlock(b.index))
    .map((b) => ({ blockIndex: b.index, name: b.name, reason: (tried.get(b.index) ?? ['nothing was tried']).join('; ') }));
  return { sites: sites.result(), unplaced };
}

/**
 * The instance name a report name has in the mapping: for ONNX node names the module path
 * ("/layer1/relu1/Relu" -> "layer1.relu1"), for TF.js the layer name itself. Use it to find the
 * site of a NonlinearityReport.sourceName; undefined when the name carries no module path.
 */
export function instanceNameOf(format: string, sourceName: string): string | undefined {
  if (format.startsWith('tfjs')) return sourceName;
  const path = modulePathOfNodeName(sourceName).join('.');
  return path === '' ? undefined : path;
}

/** The sites that list `instanceName` for block `blockIndex` (any role). */
export function sitesFor(mapping: SourceMapping, blockIndex: number, instanceName: string): SourceSite[] {
  return mapping.sites.filter((s) => s.instances.some((i) => i.blockIndex === blockIndex && i.instanceName === instanceName));
}

function restrictSources(sources: readonly SourceText[], hints: SourceHints | undefined): readonly SourceText[] {
  if (hints === undefined || hints.sourceFiles.length === 0) return sources;
  const wanted = new Set(hints.sourceFiles.map(normalizePath));
  return sources.filter((s) => wanted.has(normalizePath(s.path)));
}

function normalizePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/\/+/g, '/');
}

// ---- items ----------------------------------------------------------------------------------

/** A block's own name without the " #3" a duplicate name gets. */
function plainBlockName(block: MappedBlock): string {
  return block.name.replace(/ #\d+$/, '');
}

/** ONNX blocks: the block's module path, and each distinct module inside it. */
function moduleItems(block: MappedBlock): Item[] {
  const nodePaths = block.sourceNames.map(modulePathOfNodeName);
  const own = plainBlockName(block);
  const ownPath = /^\w+(?:\.\w+)*$/.test(own) ? own.split('.') : [];
  const common = commonPrefix(nodePaths.filter((p) => p.length > 0));
  const candidates = uniquePaths([ownPath, common]);
  const blockName = (candidates[0] ?? []).join('.') || own;
  const items: Item[] = [{ block, role: 'block', name: blockName, keys: unique([block.name, own, blockName]), candidates }];
  const byPath = new Map<string, string[]>();
  block.sourceNames.forEach((n, i) => {
    const p = nodePaths[i].join('.');
    if (p === '' || p === blockName || blockName.startsWith(`${p}.`)) return;
    byPath.set(p, [...(byPath.get(p) ?? []), n]);
  });
  for (const [p, names] of byPath) items.push({ block, role: 'layer', name: p, keys: [p, ...names], candidates: [p.split('.')] });
  return items;
}

/** TF.js blocks: the block (its own layer when it is one, else its first layer) and each layer. */
function tfjsItems(block: MappedBlock): Item[] {
  const own = plainBlockName(block);
  const layers = unique(block.sourceNames);
  const blockCandidates = layers.includes(own) ? [[own]] : layers.map((l) => [l]);
  const items: Item[] = [{ block, role: 'block', name: own, keys: unique([block.name, own]), candidates: blockCandidates }];
  for (const l of layers) if (l !== own) items.push({ block, role: 'layer', name: l, keys: [l], candidates: [[l]] });
  return items;
}

// ---- sidecar --------------------------------------------------------------------------------

function placeFromSidecar(
  item: Item,
  hints: SourceHints | undefined,
  allSources: readonly SourceText[],
  sites: SiteCollector,
  note: (b: MappedBlock, r: string) => void,
): boolean {
  const placements = hints?.placements;
  if (placements === undefined) return false;
  const key = item.keys.find((k) => Object.prototype.hasOwnProperty.call(placements, k));
  if (key === undefined) return false;
  const where = placements[key];
  const parsed = splitPlacement(where);
  if (parsed === undefined) {
    if (item.role === 'block') note(item.block, `sidecar placement "${where}" for ${key} is not file:LINE`);
    return false;
  }
  const file = normalizePath(parsed.file);
  const source = file.startsWith('/') || /^[A-Za-z]:\//.test(file)
    ? allSources.find((s) => normalizePath(s.path) === file)
    : allSources.find((s) => normalizePath(s.path).endsWith(`/${file}`));
  const path = source?.path ?? parsed.file;
  if (source === undefined && !(file.startsWith('/') || /^[A-Za-z]:\//.test(file))) {
    if (item.role === 'block') note(item.block, `sidecar placement "${where}" names a relative file that is not among the sources`);
    return false;
  }
  const index = source === undefined ? undefined : new LineIndex(source.text);
  // A final line break ends the last line; it does not start another.
  const lines = index === undefined ? 0 : index.lineCount - (source!.text.endsWith('\n') ? 1 : 0);
  if (index !== undefined && parsed.line > lines) {
    if (item.role === 'block') note(item.block, `sidecar placement "${where}" is past the end of ${baseName(path)} (${lines} lines)`);
    return false;
  }
  sites.add(lineRange(path, index, parsed.line - 1), 'sidecar', `sidecar: ${key}`, item);
  return true;
}

// ---- PyTorch --------------------------------------------------------------------------------

const TOO_MUCH = "the Python sources were too much to read completely (list the model's own files in a sidecar or gradientLens.sourceFiles)";

function mapPyTorch(items: readonly Item[], sources: readonly SourceText[], sites: SiteCollector, note: (b: MappedBlock, r: string) => void): void {
  if (items.length === 0) return;
  const python = sources.filter((s) => languageOf(s.path) === 'python');
  const failAll = (reason: string): void => {
    for (const item of items) if (item.role === 'block') note(item.block, reason);
  };
  if (python.length === 0) {
    failAll('PyTorch: no Python source files to search (list them in a sidecar\'s "sourceFiles" or the gradientLens.sourceFiles setting)');
    return;
  }
  // Files that mention neither torch nor nn.* nor a Module/Sequential cannot define the model.
  const torchish = python.filter((s) => /\b(?:torch|nn|Module|Sequential|ModuleList)\b/.test(s.text));
  const program = new PythonProgram(torchish.map((s) => parsePythonFile(s.path, s.text)));
  const allPaths = items.flatMap((i) => i.candidates);
  const resolver = new ModuleResolver(program, allPaths);
  const topNames = unique(allPaths.filter((p) => p.length > 0).map((p) => p[0]));
  if (topNames.length === 0) {
    failAll('PyTorch: the node names carry no module paths (export with module-path node names, or use a sidecar)');
    return;
  }
  const root = resolver.chooseRoot(topNames);
  if (!root.ok) {
    failAll(`PyTorch: ${root.reason}${program.exhausted ? `; ${TOO_MUCH}` : ''}`);
    return;
  }
  // Constructor arguments matter when the root takes its block class as one (torchvision's
  // ResNet(BasicBlock, [2, 2, 2, 2])): use the instantiation under which most paths resolve.
  const resolvedCount = (r: Root): number => items.filter((item) => item.candidates.some((parts) => resolver.resolve(r, parts).ok)).length;
  let rootUsed: Root = root;
  if (root.spec.k === 'instance') {
    let bestCount = resolvedCount(root);
    for (const bindings of program.instantiations(root.spec.cls).slice(0, 8)) {
      const candidate: Root = { label: root.label, spec: { ...root.spec, bindings } };
      const count = resolvedCount(candidate);
      if (count > bestCount) [rootUsed, bestCount] = [candidate, count];
    }
  }
  for (const item of items) {
    if (item.candidates.length === 0) {
      if (item.role === 'block') note(item.block, `PyTorch: the block's node names carry no module path`);
      continue;
    }
    const reasons: string[] = [];
    for (const parts of item.candidates) {
      const res = resolver.resolve(rootUsed, parts);
      if (!res.ok) {
        reasons.push(`${parts.join('.')}: ${res.reason}`);
        continue;
      }
      const last = res.steps[res.steps.length - 1];
      if (last.spec.k === 'instance') {
        // A block class: its definition line, shared by every instance of it.
        const cls = last.spec.cls;
        sites.add(toRange(cls.path, cls.header), 'pytorch', `class ${cls.name}`, item);
      } else {
        sites.add(toRange(last.loc.path, last.loc.span), 'pytorch', last.label, item);
      }
      reasons.length = 0;
      break;
    }
    if (reasons.length > 0 && item.role === 'block') note(item.block, `PyTorch (root ${root.label}): ${reasons.join('; ')}`);
  }
  if (program.exhausted) {
    for (const item of items) {
      if (item.role === 'block' && !sites.hasBlock(item.block.index)) {
        note(item.block, TOO_MUCH);
      }
    }
  }
}

// ---- TensorFlow.js / Keras -------------------------------------------------------------------

function mapTfjs(
  items: readonly Item[],
  report: MappableReport,
  modelFileText: string | undefined,
  sources: readonly SourceText[],
  sites: SiteCollector,
  note: (b: MappedBlock, r: string) => void,
): void {
  const layers = modelFileText === undefined ? undefined : modelJsonLayers(modelFileText);
  if (modelFileText !== undefined) {
    if (layers === undefined) {
      for (const item of items) if (item.role === 'block') note(item.block, 'model.json: could not read its layer list');
    } else {
      const index = new LineIndex(modelFileText);
      const byName = new Map<string, ModelJsonLayer>();
      for (const l of layers) if (!byName.has(l.name)) byName.set(l.name, l);
      for (const item of items) {
        const layer = item.candidates.map((c) => byName.get(c[0])).find((l) => l !== undefined);
        if (layer === undefined) {
          if (item.role === 'block') note(item.block, `model.json: no layer named ${item.candidates.map((c) => `"${c[0]}"`).join(', ')}`);
          continue;
        }
        const span = index.span(layer.start, layer.end);
        sites.add(toRange(report.model.path, span), 'model-file', modelFileText.slice(layer.start, layer.end).replace(/\s+/g, ' '), item);
      }
    }
  }
  mapLayerCode(items, layers, sources, sites, note);
}

function mapLayerCode(
  items: readonly Item[],
  layers: readonly ModelJsonLayer[] | undefined,
  sources: readonly SourceText[],
  sites: SiteCollector,
  note: (b: MappedBlock, r: string) => void,
): void {
  const code = sources.filter((s) => languageOf(s.path) !== undefined);
  if (code.length === 0) {
    if (layers === undefined) {
      for (const item of items) if (item.role === 'block') note(item.block, 'no model.json text and no Keras (.py) or TensorFlow.js (.js/.ts) source files to search');
    }
    return;
  }
  const nameArgs: NameArgument[] = code.flatMap(findNameArguments);
  const methodOf = (path: string): PlacementMethod => (languageOf(path) === 'python' ? 'keras' : 'tfjs');
  const byOrder = new Map<string, Item[]>();
  for (const item of items) {
    const reasons: string[] = [];
    let placed = false;
    for (const [layer] of item.candidates) {
      const found = lookupName(nameArgs, layer);
      if (found.kind === 'found') {
        sites.add(toRange(found.arg.path, found.arg.span), methodOf(found.arg.path), found.arg.label, item);
        placed = true;
        break;
      }
      reasons.push(found.kind === 'ambiguous' ? found.reason : `no name argument produces "${layer}"`);
      // Left for constructor order; a block takes the first of its layers placed that way.
      if (!byOrder.has(layer)) byOrder.set(layer, []);
      byOrder.get(layer)!.push(item);
      if (found.kind === 'ambiguous') break;
    }
    if (!placed && item.role === 'block') note(item.block, `code: ${reasons[0]}`);
  }
  if (byOrder.size === 0) return;
  placeByConstructorOrder(byOrder, layers, code, sites, methodOf, note);
}

/** The n-th layer constructor call for the n-th layer, when exactly one file agrees in count and types. */
function placeByConstructorOrder(
  pending: ReadonlyMap<string, readonly Item[]>,
  layers: readonly ModelJsonLayer[] | undefined,
  code: readonly SourceText[],
  sites: SiteCollector,
  methodOf: (path: string) => PlacementMethod,
  note: (b: MappedBlock, r: string) => void,
): void {
  const noteAll = (reason: string): void => {
    const seen = new Set<number>();
    for (const list of pending.values()) {
      for (const item of list) {
        if (item.role !== 'block' || seen.has(item.block.index) || sites.hasBlock(item.block.index)) continue;
        seen.add(item.block.index);
        note(item.block, reason);
      }
    }
  };
  if (layers === undefined) {
    noteAll('constructor order: needs the model.json layer types');
    return;
  }
  const modelLayers = layers.filter((l) => l.className !== 'InputLayer');
  const types = new Set(modelLayers.map((l) => l.className.toLowerCase()));
  // Candidates: each file's calls, and each top-level definition's calls within it.
  const groups: { label: string; calls: ConstructorCall[] }[] = [];
  for (const source of code) {
    const calls = findConstructorCalls(source, types);
    groups.push({ label: baseName(source.path), calls });
    for (const scope of definitionScopes(source)) {
      const inside = calls.filter((c) => c.offset >= scope.start && c.offset < scope.end);
      if (inside.length > 0 && inside.length < calls.length) groups.push({ label: `${baseName(source.path)} ${scope.name}`, calls: inside });
    }
  }
  const verdicts: string[] = [];
  const agreeing = groups.filter(({ label, calls }) => {
    if (calls.length !== modelLayers.length) {
      verdicts.push(`${label} has ${calls.length} layer constructor calls for the model's ${modelLayers.length} layers`);
      return false;
    }
    const bad = calls.findIndex((c, i) => c.type !== modelLayers[i].className.toLowerCase());
    if (bad >= 0) {
      verdicts.push(`${label}: constructor ${bad + 1} is ${calls[bad].callee}, the model's layer ${bad + 1} is a ${modelLayers[bad].className}`);
      return false;
    }
    return true;
  });
  // A file whose only model-building function agrees is one candidate, not two.
  const distinct = agreeing.filter((g, i) => agreeing.findIndex((h) => h.calls[0].path === g.calls[0].path && h.calls[0].offset === g.calls[0].offset) === i);
  if (distinct.length !== 1) {
    const shown = verdicts.length > 4 ? [...verdicts.slice(0, 4), `${verdicts.length - 4} more`] : verdicts;
    noteAll(
      distinct.length === 0
        ? `constructor order: ${shown.join('; ')}`
        : `constructor order is ambiguous: ${distinct.map((g) => g.label).join(', ')} all agree with the model`,
    );
    return;
  }
  const calls = distinct[0].calls;
  modelLayers.forEach((layer, i) => {
    for (const item of pending.get(layer.name) ?? []) {
      if (item.role === 'block' && sites.hasBlockInstance(item.block.index, methodOf(calls[i].path))) continue;
      sites.add(toRange(calls[i].path, calls[i].span), methodOf(calls[i].path), `${calls[i].callee} (layer constructor ${i + 1})`, item);
    }
  });
}

// ---- sites ----------------------------------------------------------------------------------

class SiteCollector {
  private readonly byKey = new Map<string, { range: SourceRange; method: PlacementMethod; label: string; instances: PlacedInstance[] }>();
  private readonly blocks = new Map<number, Set<PlacementMethod>>();

  add(range: SourceRange, method: PlacementMethod, label: string, item: Item): void {
    const key = [range.path, range.startLine, range.startCharacter, range.endLine, range.endCharacter, method].join('\u0000');
    let site = this.byKey.get(key);
    if (site === undefined) {
      site = { range, method, label, instances: [] };
      this.byKey.set(key, site);
    }
    const instance: PlacedInstance = { blockIndex: item.block.index, instanceName: item.name, role: item.role };
    if (!site.instances.some((i) => i.blockIndex === instance.blockIndex && i.instanceName === instance.instanceName && i.role === instance.role)) {
      site.instances.push(instance);
    }
    if (item.role === 'block') {
      const methods = this.blocks.get(item.block.index) ?? new Set();
      methods.add(method);
      this.blocks.set(item.block.index, methods);
    }
  }

  hasBlock(index: number): boolean {
    return this.blocks.has(index);
  }

  hasBlockInstance(index: number, method: PlacementMethod): boolean {
    return this.blocks.get(index)?.has(method) ?? false;
  }

  result(): SourceSite[] {
    return [...this.byKey.values()]
      .sort((a, b) => a.range.path.localeCompare(b.range.path) || a.range.startLine - b.range.startLine || a.range.startCharacter - b.range.startCharacter)
      .map((s) => ({ range: s.range, method: s.method, label: s.label, instances: [...s.instances].sort((x, y) => x.blockIndex - y.blockIndex) }));
  }
}

// ---- helpers --------------------------------------------------------------------------------

function commonPrefix(paths: readonly (readonly string[])[]): string[] {
  if (paths.length === 0) return [];
  let prefix = [...paths[0]];
  for (const p of paths.slice(1)) {
    let k = 0;
    while (k < prefix.length && k < p.length && prefix[k] === p[k]) k++;
    prefix = prefix.slice(0, k);
  }
  return prefix;
}

function uniquePaths(paths: readonly (readonly string[])[]): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const p of paths) {
    const key = p.join('.');
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    out.push([...p]);
  }
  return out;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
