/**
 * Joins a source mapping with its report: per site the blocks it defines, their severity and
 * label, and per block the one site that gets its Problems entries. Pure (no `vscode`).
 */
import type { AnalysisReport, BlockReport } from '../../report/schema';
import type { PlacedInstance, SourceMapping, SourceSite } from '../../sourceMapping/types';
import { blockFindings, type Finding } from './findings';
import { siteLabel } from './format';
import { severityOf, worstSeverity, type Severity } from './severity';

export interface SiteView {
  readonly site: SourceSite;
  /** The distinct blocks of the site's instances, by index. */
  readonly blocks: readonly BlockReport[];
  readonly severity: Severity;
  readonly label: string;
  /** Problems entries placed at this site (each block's findings go to its primary site only). */
  readonly findings: readonly Finding[];
}

export function buildSiteViews(report: AnalysisReport, mapping: SourceMapping, gscThreshold: number): SiteView[] {
  const byIndex = new Map(report.blocks.map((b) => [b.index, b]));
  const primary = primarySites(mapping.sites);
  return mapping.sites.map((site) => {
    const blocks = distinctBlocks(site.instances, byIndex);
    const findings = blocks.filter((b) => primary.get(b.index) === site).flatMap((b) => blockFindings(report, b, gscThreshold));
    return {
      site,
      blocks,
      severity: worstSeverity(blocks.map((b) => severityOf(b.gscToOutput.value, gscThreshold))),
      label: siteLabel(blocks),
      findings,
    };
  });
}

/**
 * The most specific site of each block: the one listing the fewest blocks (`self.layer3 =
 * BasicBlock(...)` rather than `class BasicBlock`, which all instances share), first in the
 * mapping's order on a tie. It gets the block's Problems entries, and selecting the block
 * in the report reveals it.
 */
export function primarySites(sites: readonly SourceSite[]): Map<number, SourceSite> {
  const best = new Map<number, { site: SourceSite; size: number }>();
  for (const site of sites) {
    const size = new Set(site.instances.map((i) => i.blockIndex)).size;
    for (const index of new Set(site.instances.map((i) => i.blockIndex))) {
      const current = best.get(index);
      if (!current || size < current.size) best.set(index, { site, size });
    }
  }
  return new Map([...best].map(([index, { site }]) => [index, site]));
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
