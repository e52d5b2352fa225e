/**
 * What the Problems panel says about a block: its GSC to the output above the threshold, and
 * each of its nonlinearities the engine flagged pseudo-linear or collapsed. Every message
 * names the reason and the measured number. Pure (no `vscode`).
 */
import type { AnalysisReport, BlockReport, NonlinearityReport } from '../../report/schema';
import { fmt, formatComparison, formatInterval } from './format';

/** "v > limit" (or "<") with enough digits that the printed inequality is true, not "k = 3 > 3"; null is an infinite k. */
function compared(value: number | null, op: '>' | '<', limit: number): string {
  const c = formatComparison(value, limit);
  return `${value === null ? fmt(null, true) : c.value} ${op} ${c.threshold}`;
}

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
  const gsc = gscFinding(block, gscThreshold);
  return [...(gsc ? [gsc] : []), ...report.nonlinearities.filter((n) => n.block === block.index).flatMap((n) => nonlinearityFindings(report, block, n))];
}

/** The block's GSC to the output above the threshold (or not computable), else undefined. */
export function gscFinding(block: BlockReport, gscThreshold: number): Finding | undefined {
  const gsc = block.gscToOutput;
  if (!(gsc.value > gscThreshold || Number.isNaN(gsc.value))) return undefined;
  const why = Number.isNaN(gsc.value)
    ? 'could not be computed (NaN)'
    : `is ${formatComparison(gsc.value, gscThreshold).value} (${gsc.ci99[0] === gsc.ci99[1] ? 'exact' : `99% CI ${formatInterval(gsc.ci99)}`}), above the threshold ${formatComparison(gsc.value, gscThreshold).threshold}`;
  return { kind: 'gsc', blockIndex: block.index, message: `${who(block)}: GSC to the output ${why}; gradients explode on their way back to this block.` };
}

/** The engine's pseudo-linear and collapsed flags of one nonlinearity of the block. */
export function nonlinearityFindings(report: AnalysisReport, block: BlockReport, n: NonlinearityReport): Finding[] {
  const out: Finding[] = [];
  if (n.pseudoLinear) {
    out.push({
      kind: 'pseudo-linear',
      blockIndex: block.index,
      message: `${who(block)}: ${describe(n)} is pseudo-linear: k = ${compared(n.k, '>', report.thresholds.pseudoLinearK)}; it acts almost like a linear map on this batch.`,
    });
  }
  if (n.collapsed) {
    out.push({
      kind: 'collapsed',
      blockIndex: block.index,
      message: `${who(block)}: ${describe(n)} has a collapsed domain: relative spread ${compared(n.relativeSpread, '<', report.thresholds.collapsedSpread)}; its pre-activations barely vary across the batch.`,
    });
  }
  return out;
}

function who(block: BlockReport): string {
  return `block ${block.index} "${block.name}"`;
}

function describe(n: NonlinearityReport): string {
  return `${n.op} ${n.sourceName || n.node}`;
}
