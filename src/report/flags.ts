/**
 * The flags a report shows per block, derived from its numbers and a set of thresholds, so
 * every exporter, the comparison and the CLI's CI gate flag the same blocks.
 */
import { isReferenceEstimate } from './format';
import type { AnalysisReport, BlockReport, NonlinearityReport, Thresholds } from './schema';

export interface BlockFlags {
  readonly block: BlockReport;
  /** GSC to the output above thresholds.gsc (never the reference layer's own block). */
  readonly exploding: boolean;
  /** The block's nonlinearities whose k exceeds thresholds.pseudoLinearK (or is infinite). */
  readonly pseudoLinear: readonly NonlinearityReport[];
  /** The block's nonlinearities whose relative spread is below thresholds.collapsedSpread. */
  readonly collapsed: readonly NonlinearityReport[];
}

export function isPseudoLinear(q: NonlinearityReport, t: Thresholds): boolean {
  return q.k === null || q.k > t.pseudoLinearK;
}

export function isCollapsed(q: NonlinearityReport, t: Thresholds): boolean {
  return q.relativeSpread < t.collapsedSpread;
}

/**
 * GSC to the output above the threshold. Never the reference layer's own block: its GSC is 1 by
 * definition (the output with respect to itself), so a threshold below 1 must not flag it.
 */
export function isExploding(b: BlockReport, t: Thresholds): boolean {
  return !isReferenceEstimate(b.gscToOutput) && b.gscToOutput.value > t.gsc;
}

/**
 * Flags per block, in block order. Recomputed from the numbers rather than read from the
 * nonlinearities' stored booleans so that other thresholds (e.g. the CLI's --pseudo-linear-k)
 * can be applied to a saved report.
 */
export function blockFlags(report: AnalysisReport, thresholds: Thresholds = report.thresholds): BlockFlags[] {
  return report.blocks.map((block) => {
    const own = report.nonlinearities.filter((q) => q.block === block.index);
    return {
      block,
      exploding: isExploding(block, thresholds),
      pseudoLinear: own.filter((q) => isPseudoLinear(q, thresholds)),
      collapsed: own.filter((q) => isCollapsed(q, thresholds)),
    };
  });
}

/** Short labels for a table cell, e.g. ["exploding", "pseudo-linear"]. */
export function flagLabels(f: BlockFlags): string[] {
  const labels: string[] = [];
  if (f.exploding) labels.push('exploding');
  if (f.pseudoLinear.length > 0) labels.push('pseudo-linear');
  if (f.collapsed.length > 0) labels.push('collapsed');
  return labels;
}
