/**
 * ONNX models exported from PyTorch: node names carry module paths ("/layer1/layer1.0/conv1/Conv");
 * the Python sources are read symbolically (python/) and each path is followed from the root
 * nn.Module down to the line that defines it.
 */
import { SiteCollector, commonPrefix, plainBlockName, unique, uniquePaths, type Item, type MappedBlock, type Note } from './items';
import { languageOf } from './layerNames';
import { PythonProgram } from './python/modules';
import { ModuleResolver, modulePathOfNodeName, type Root } from './python/resolve';
import { parsePythonFile } from './python/structure';
import { toRange } from './text';
import type { SourceRange, SourceText } from './types';

/** ONNX blocks: the block's module path, and each distinct module inside it. */
export function moduleItems(block: MappedBlock): Item[] {
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

const TOO_MUCH = "the Python sources were too much to read completely (list the model's own files in a sidecar or gradientLens.sourceFiles)";

export function mapPyTorch(items: readonly Item[], sources: readonly SourceText[], sites: SiteCollector, note: Note): void {
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
  // Block-class instances by class: where each was created (`self.layer2 = BasicBlock(...)`).
  // Entries of containers built in loops share their line with other instances and are not here.
  const creations = new Map<string, { range: SourceRange; label: string; item: Item }[]>();
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
        // A block class: its definition line, shared by every instance of it...
        const cls = last.spec.cls;
        sites.add(toRange(cls.path, cls.header), 'pytorch', `class ${cls.name}`, item);
        // ...and, when the class has several instances, the `self.layer2 = ...` line that made
        // this one (added after the loop, once the count is known).
        if (item.role === 'block' && last.label.startsWith('self.')) {
          const key = `${cls.path}\u0000${cls.header.start.line}`;
          const made = creations.get(key) ?? [];
          made.push({ range: toRange(last.loc.path, last.loc.span), label: last.label, item });
          creations.set(key, made);
        }
      } else {
        sites.add(toRange(last.loc.path, last.loc.span), 'pytorch', last.label, item);
      }
      reasons.length = 0;
      break;
    }
    if (reasons.length > 0 && item.role === 'block') note(item.block, `PyTorch (root ${root.label}): ${reasons.join('; ')}`);
  }
  // A class shared by several blocks is one site listing them all; each block's own creation
  // line is then the site that is its alone, where its numbers show and which selecting it
  // reveals. A class used once is already that specific.
  for (const made of creations.values()) {
    if (new Set(made.map((m) => m.item.block.index)).size < 2) continue;
    for (const m of made) sites.add(m.range, 'pytorch', m.label, m.item);
  }
  if (program.exhausted) {
    for (const item of items) {
      if (item.role === 'block' && !sites.hasBlock(item.block.index)) {
        note(item.block, TOO_MUCH);
      }
    }
  }
}
