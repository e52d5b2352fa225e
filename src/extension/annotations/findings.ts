/**
 * What the Problems panel says about a block: its GSC to the output above the threshold, and
 * each of its nonlinearities the engine flagged pseudo-linear or collapsed. Every message
 * names the reason and the measured number. Pure (no `vscode`).
 */
import type { AnalysisReport, BlockReport, NonlinearityReport } from '../../report/schema';
import { formatInterval, formatNumber } from './format';

export type FindingKind = 'gsc' | 'pseudo-linear' | 'collapsed';

export interface Finding {
  readonly kind: FindingKind;
  readonly blockIndex: number;
  readonly message: string;
}

/**
 * `gscThreshold` is the current setting (so changing it re-evaluates the flag without a new
 * run); the pseudo-linear and collapsed flags are the engine's, computed with the thresholds
 * the run used (report.thresholds), which the message quotes.
 */
export function blockFindings(report: AnalysisReport, block: BlockReport, gscThreshold: number): Finding[] {
  const out: Finding[] = [];
  const who = `block ${block.index} "${block.name}"`;
  const gsc = block.gscToOutput;
  if (gsc.value > gscThreshold || Number.isNaN(gsc.value)) {
    const why = Number.isNaN(gsc.value) ? 'could not be computed (NaN)' : `is ${formatNumber(gsc.value)} (99% CI ${formatInterval(gsc.ci99)}), above the threshold ${formatNumber(gscThreshold)}`;
    out.push({ kind: 'gsc', blockIndex: block.index, message: `${who}: GSC to the output ${why}; gradients explode on their way back to this block.` });
  }
  for (const n of report.nonlinearities.filter((x) => x.block === block.index)) {
    if (n.pseudoLinear) {
      out.push({
        kind: 'pseudo-linear',
        blockIndex: block.index,
        message: `${who}: ${describe(n)} is pseudo-linear: k = ${formatNumber(n.k)} > ${formatNumber(report.thresholds.pseudoLinearK)}; it acts almost like a linear map on this batch.`,
      });
    }
    if (n.collapsed) {
      out.push({
        kind: 'collapsed',
        blockIndex: block.index,
        message: `${who}: ${describe(n)} has a collapsed domain: relative spread ${formatNumber(n.relativeSpread)} < ${formatNumber(report.thresholds.collapsedSpread)}; its pre-activations barely vary across the batch.`,
      });
    }
  }
  return out;
}

function describe(n: NonlinearityReport): string {
  return `${n.op} ${n.sourceName || n.node}`;
}
