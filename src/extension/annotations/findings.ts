/**
 * What the Problems panel says about a block: its GSC to the output above the threshold, and
 * each of its nonlinearities the engine flagged pseudo-linear or collapsed. Every message
 * names the reason and the measured number. Pure (no `vscode`).
 */
import type { AnalysisReport, BlockReport, NonlinearityReport } from '../../report/schema';
import { fmt, formatComparison, formatInterval } from './format';
import { maxOf, minOf } from '../../report/extent';
import { isReferenceEstimate } from '../../report/format';

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
  /** The measured number and the limit it crossed (null: infinite k, NaN: not computable). */
  readonly measured: { readonly value: number | null; readonly op: '>' | '<'; readonly limit: number };
  /** What was measured: the nonlinearity's op ("Tanh"), or "GSC to the output". */
  readonly subject: string;
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
  // The reference layer's own GSC is 1 by definition: nothing to report, whatever the threshold.
  if (isReferenceEstimate(gsc)) return undefined;
  if (!(gsc.value > gscThreshold || Number.isNaN(gsc.value))) return undefined;
  const why = Number.isNaN(gsc.value)
    ? 'could not be computed (NaN)'
    : `is ${formatComparison(gsc.value, gscThreshold).value} (${gsc.ci99[0] === gsc.ci99[1] ? 'exact' : `99% CI ${formatInterval(gsc.ci99)}`}), above the threshold ${formatComparison(gsc.value, gscThreshold).threshold}`;
  return {
    kind: 'gsc',
    blockIndex: block.index,
    message: `${who(block)}: GSC to the output ${why}; gradients explode on their way back to this block.`,
    measured: { value: gsc.value, op: '>', limit: gscThreshold },
    subject: 'GSC to the output',
  };
}

/** The engine's pseudo-linear and collapsed flags of one nonlinearity of the block. */
export function nonlinearityFindings(report: AnalysisReport, block: BlockReport, n: NonlinearityReport): Finding[] {
  const out: Finding[] = [];
  if (n.pseudoLinear) {
    out.push({
      kind: 'pseudo-linear',
      blockIndex: block.index,
      message: `${who(block)}: ${describe(n)} is pseudo-linear: k = ${compared(n.k, '>', report.thresholds.pseudoLinearK)} (the ${n.op}'s own k, not the block's k_lin); it acts almost like a linear map on this batch.`,
      measured: { value: n.k, op: '>', limit: report.thresholds.pseudoLinearK },
      subject: n.op,
    });
  }
  if (n.collapsed) {
    out.push({
      kind: 'collapsed',
      blockIndex: block.index,
      message: `${who(block)}: ${describe(n)} has a collapsed domain: relative spread ${compared(n.relativeSpread, '<', report.thresholds.collapsedSpread)} (of the ${n.op}'s pre-activations); its pre-activations barely vary across the batch.`,
      measured: { value: n.relativeSpread, op: '<', limit: report.thresholds.collapsedSpread },
      subject: n.op,
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

/** One Problems entry: the findings of one kind at one source line, with the blocks they are about. */
export interface FindingGroup {
  readonly kind: FindingKind;
  readonly blockIndices: readonly number[];
  readonly message: string;
}

/**
 * Merges findings of the same kind (at one place) into one entry listing the blocks: a depth-50
 * tanh MLP defined by one line gets one "pseudo-linear" entry, not 44 near-identical ones. One
 * finding keeps its own message; a group gives the range of the measured values, the value
 * nearest the limit printed with the digits that keep the inequality true.
 */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const byKind = new Map<FindingKind, Finding[]>();
  for (const f of findings) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  return [...byKind.entries()].map(([kind, list]) => {
    const blockIndices = [...new Set(list.map((f) => f.blockIndex))].sort((a, b) => a - b);
    if (list.length === 1) return { kind, blockIndices, message: list[0].message };
    return { kind, blockIndices, message: groupMessage(kind, list, blockIndices) };
  });
}

function groupMessage(kind: FindingKind, list: readonly Finding[], blocks: readonly number[]): string {
  const { op, limit } = list[0].measured;
  // null is an infinite k; NaN a value that could not be computed (shown as such, not as a bound).
  const values = list.map((f) => (f.measured.value === null ? Infinity : f.measured.value));
  const finite = values.filter((v) => !Number.isNaN(v));
  const subjects = [...new Set(list.map((f) => f.subject))].join(', ');
  const where = `${blocks.length} blocks (${blockRanges(blocks)})`;
  const nan = finite.length < values.length ? `; ${values.length - finite.length} could not be computed (NaN)` : '';
  const range = (): string => {
    if (finite.length === 0) return 'NaN';
    const nearest = op === '>' ? minOf(finite) : maxOf(finite);
    const farthest = op === '>' ? maxOf(finite) : minOf(finite);
    const c = formatComparison(nearest, limit);
    // Also printed apart from the limit: "3.0004 to 3" would read as a range down to the limit.
    const far = formatComparison(farthest, limit).value;
    const [lo, hi] = op === '>' ? [c.value, far] : [far, c.value];
    return `${lo === hi ? lo : `${lo} to ${hi}`} ${op} ${c.threshold}`;
  };
  switch (kind) {
    case 'gsc':
      return `${where}: GSC to the output ${range()}${nan}, above the threshold; gradients explode on their way back to these blocks.`;
    case 'pseudo-linear':
      return `${where}: ${subjects} pseudo-linear, k ${range()}${nan} (each nonlinearity's own k, not the block's k_lin); they act almost like linear maps on this batch.`;
    case 'collapsed':
      return `${where}: ${subjects} with a collapsed domain, relative spread ${range()}${nan} (of the pre-activations); they barely vary across the batch.`;
  }
}

/** "3–46" for consecutive blocks, "1, 4, 7–9" otherwise. */
export function blockRanges(sorted: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i + 1 ? `${sorted[i]}–${sorted[j]}` : j === i + 1 ? `${sorted[i]}, ${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
