/**
 * TensorFlow.js models: the layer entries of model.json, and the Keras (Python) or TensorFlow.js
 * (JavaScript/TypeScript) code that builds them, by name argument or by constructor order.
 */
import { SiteCollector, plainBlockName, unique, type Item, type MappableReport, type MappedBlock, type Note } from './items';
import {
  baseName,
  definitionScopes,
  findConstructorCalls,
  findNameArguments,
  languageOf,
  lookupName,
  type ConstructorCall,
  type NameArgument,
} from './layerNames';
import { modelJsonLayers, type ModelJsonLayer } from './modelJson';
import { LineIndex, toRange } from './text';
import type { PlacementMethod, SourceText } from './types';

/** TF.js blocks: the block (its own layer when it is one, else its first layer) and each layer. */
export function tfjsItems(block: MappedBlock): Item[] {
  const own = plainBlockName(block);
  const layers = unique(block.sourceNames);
  const blockCandidates = layers.includes(own) ? [[own]] : layers.map((l) => [l]);
  const items: Item[] = [{ block, role: 'block', name: own, keys: unique([block.name, own]), candidates: blockCandidates }];
  for (const l of layers) if (l !== own) items.push({ block, role: 'layer', name: l, keys: [l], candidates: [[l]] });
  return items;
}

export function mapTfjs(
  items: readonly Item[],
  report: MappableReport,
  modelFileText: string | undefined,
  sources: readonly SourceText[],
  sites: SiteCollector,
  note: Note,
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
  note: Note,
): void {
  const code = sources.filter((s) => languageOf(s.path) !== undefined);
  if (code.length === 0) {
    if (layers === undefined) {
      for (const item of items)
        if (item.role === 'block') note(item.block, 'no model.json text and no Keras (.py) or TensorFlow.js (.js/.ts) source files to search');
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
  note: Note,
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
