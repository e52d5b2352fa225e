/**
 * What the mapper places (blocks and the layers in them) and where it collects the sites it
 * finds: one site per range and method, listing every instance defined there.
 */
import type { AnalysisReport, BlockReport } from '../report/schema';
import type { PlacedInstance, PlacementMethod, SourceRange, SourceSite } from './types';

/** The parts of a report the mapper reads (an AnalysisReport is one). */
export interface MappableReport {
  readonly model: Pick<AnalysisReport['model'], 'format' | 'path'>;
  readonly blocks: readonly Pick<BlockReport, 'index' | 'name' | 'sourceNames'>[];
}

export type MappedBlock = MappableReport['blocks'][number];

/** One thing to place: a block, or a layer inside it. */
export interface Item {
  readonly block: MappedBlock;
  readonly role: 'block' | 'layer';
  /** Module path ("layer1.0.conv1") or layer name. */
  readonly name: string;
  /** Names a sidecar placement may use for it. */
  readonly keys: readonly string[];
  /** PyTorch: module paths to try, best first. TF.js: layer names to try, best first. */
  readonly candidates: readonly (readonly string[])[];
}

/** Records what was tried for a block that may end up unplaced. */
export type Note = (block: MappedBlock, reason: string) => void;

/** A block's own name without the " #3" a duplicate name gets. */
export function plainBlockName(block: MappedBlock): string {
  return block.name.replace(/ #\d+$/, '');
}

/** The sites found so far, merged by range and method; which blocks have a block site. */
export class SiteCollector {
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

export function commonPrefix(paths: readonly (readonly string[])[]): string[] {
  if (paths.length === 0) return [];
  let prefix = [...paths[0]];
  for (const p of paths.slice(1)) {
    let k = 0;
    while (k < prefix.length && k < p.length && prefix[k] === p[k]) k++;
    prefix = prefix.slice(0, k);
  }
  return prefix;
}

export function uniquePaths(paths: readonly (readonly string[])[]): string[][] {
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

export function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

export function normalizePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/\/+/g, '/');
}
