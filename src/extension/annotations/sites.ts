/**
 * Joins a source mapping with its report: per site the blocks it defines, their severity and
 * label, and where each Problems entry goes. Pure (no `vscode`).
 *
 * Sites come in two roles: a block's own definition (`class BasicBlock`, `self.fc = ...`)
 * and a layer inside a block (`self.conv1 = ...`). Block sites carry the gutter icon, the
 * end-of-line numbers and a CodeLens; layer sites only a hover and the Problems entries of
 * their own nonlinearity (a pseudo-linear `self.relu1`), so a block's numbers are not
 * repeated on every line of its body.
 */
import type { AnalysisReport, BlockReport, NonlinearityReport } from '../../report/schema';
import { modulePathOfNodeName } from '../../sourceMapping/python/resolve';
import type { PlacedInstance, SourceMapping, SourceSite } from '../../sourceMapping/types';
import { gscFinding, nonlinearityFindings, type Finding } from './findings';
import { siteLabel } from './format';
import { blockSeverity, worstSeverity, type Severity } from './severity';

export interface SiteView {
  readonly site: SourceSite;
  /** Whether the site gets the gutter icon, end-of-line label and CodeLens (see above). */
  readonly annotated: boolean;
  /** The distinct blocks of the site's instances, by index. */
  readonly blocks: readonly BlockReport[];
  readonly severity: Severity;
  readonly label: string;
  /** Problems entries placed at this site. */
  readonly findings: readonly Finding[];
}

export function isBlockSite(site: SourceSite): boolean {
  return site.instances.some((i) => i.role !== 'layer');
}

export function buildSiteViews(report: AnalysisReport, mapping: SourceMapping, gscThreshold: number): SiteView[] {
  const byIndex = new Map(report.blocks.map((b) => [b.index, b]));
  const primary = primarySites(mapping.sites);
  const findings = new Map<SourceSite, Finding[]>();
  const add = (site: SourceSite | undefined, f: Finding): void => {
    if (site) findings.set(site, [...(findings.get(site) ?? []), f]);
  };
  for (const block of report.blocks) {
    const f = gscFinding(block, gscThreshold);
    if (f) add(primary.get(block.index), f);
  }
  for (const n of report.nonlinearities) {
    const block = byIndex.get(n.block);
    if (!block) continue;
    // The nonlinearity's own layer line when it was placed, else its block's.
    const site = layerSiteOf(mapping.sites, n) ?? primary.get(block.index);
    for (const f of nonlinearityFindings(report, block, n)) add(site, f);
  }
  const primarySet = new Set(primary.values());
  return mapping.sites.map((site) => {
    const blocks = distinctBlocks(site.instances, byIndex);
    return {
      site,
      annotated: isBlockSite(site) || primarySet.has(site),
      blocks,
      severity: worstSeverity(blocks.map((b) => blockSeverity(b, gscThreshold))),
      label: siteLabel(blocks),
      findings: findings.get(site) ?? [],
    };
  });
}

/**
 * The most specific site of each block: among its block sites (layer sites only when it has
 * none) the one listing the fewest blocks (`self.fc = ...` rather than a class that several
 * instances share), first in the mapping's order on a tie. It gets the block's GSC Problems
 * entry, and selecting the block in the report reveals it.
 */
export function primarySites(sites: readonly SourceSite[]): Map<number, SourceSite> {
  const best = new Map<number, { site: SourceSite; rank: number }>();
  for (const site of sites) {
    const indices = new Set(site.instances.map((i) => i.blockIndex));
    const rank = (isBlockSite(site) ? 0 : 1_000_000) + indices.size;
    for (const index of indices) {
      const current = best.get(index);
      if (!current || rank < current.rank) best.set(index, { site, rank });
    }
  }
  return new Map([...best].map(([index, { site }]) => [index, site]));
}

/** The layer site whose instance is this nonlinearity's module ("layer1.relu1") or layer name. */
function layerSiteOf(sites: readonly SourceSite[], n: NonlinearityReport): SourceSite | undefined {
  const names = new Set([n.sourceName, modulePathOfNodeName(n.sourceName).join('.')].filter((s) => s !== ''));
  return sites.find((s) => s.instances.some((i) => i.role === 'layer' && i.blockIndex === n.block && names.has(i.instanceName)));
}

function distinctBlocks(instances: readonly PlacedInstance[], byIndex: ReadonlyMap<number, BlockReport>): BlockReport[] {
  const seen = new Set<number>();
  const out: BlockReport[] = [];
  for (const i of instances) {
    const block = byIndex.get(i.blockIndex);
    if (block && !seen.has(block.index)) {
      seen.add(block.index);
      out.push(block);
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/**
 * What one line of a file shows: the annotated sites starting on it merged (a minified
 * model.json has every layer entry on line 0), with the union of their blocks.
 */
export interface LineAnnotation {
  readonly line: number;
  readonly blocks: readonly BlockReport[];
  readonly severity: Severity;
  readonly label: string;
}

export function annotationsByLine(views: readonly SiteView[], gscThreshold: number): LineAnnotation[] {
  const byLine = new Map<number, Map<number, BlockReport>>();
  for (const v of views) {
    if (!v.annotated || v.blocks.length === 0) continue;
    const blocks = byLine.get(v.site.range.startLine) ?? new Map<number, BlockReport>();
    for (const b of v.blocks) blocks.set(b.index, b);
    byLine.set(v.site.range.startLine, blocks);
  }
  return [...byLine]
    .sort(([a], [b]) => a - b)
    .map(([line, map]) => {
      const blocks = [...map.values()].sort((a, b) => a.index - b.index);
      return { line, blocks, severity: worstSeverity(blocks.map((b) => blockSeverity(b, gscThreshold))), label: siteLabel(blocks) };
    });
}

/** Site views grouped by file path. */
export function sitesByFile(views: readonly SiteView[]): Map<string, SiteView[]> {
  const out = new Map<string, SiteView[]>();
  for (const v of views) {
    const list = out.get(v.site.range.path) ?? [];
    list.push(v);
    out.set(v.site.range.path, list);
  }
  return out;
}
