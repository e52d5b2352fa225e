/**
 * The CI gate of `analyze`: conditions under which the CLI exits 3 after writing the report,
 * each with a one-line reason. Pure, so it is tested without running a model.
 */
import type { AnalysisReport, Thresholds } from '../report/schema';
import { isPseudoLinear } from '../report/flags';
import { formatComparison, INFINITY_TEXT, isReferenceEstimate } from '../report/format';
import { printable } from '../report/printable';

/** "v > limit" with enough digits that the printed inequality is true (not "3 > 3"). */
function exceeds(value: number | null, limit: number): string {
  if (value === null) return `${INFINITY_TEXT} > ${formatComparison(limit, limit).threshold}`;
  const c = formatComparison(value, limit);
  return `${c.value} > ${c.threshold}`;
}

export interface GateOptions {
  /** Fail when any block's GSC to the output exceeds this. */
  readonly failOnGsc?: number;
  /** Fail when any nonlinearity's k exceeds thresholds.pseudoLinearK (or is infinite). */
  readonly failOnPseudoLinear: boolean;
  /** Overrides the report's pseudo-linear threshold. */
  readonly pseudoLinearK?: number;
}

function more(n: number, singular: string, plural: string): string {
  return n > 0 ? ` (and ${n} more ${n === 1 ? singular : plural})` : '';
}

/** Reasons the gate fails, one line each, worst offender first; empty when it passes. */
export function gateFailures(report: AnalysisReport, options: GateOptions): string[] {
  const reasons: string[] = [];
  // NaN or Inf anywhere (weights, activations, a reverse pass) makes every number meaningless:
  // any gate that was asked for fails on it, even when the numbers it reads happen to be finite.
  const nonFinite = report.warnings.find((w) => w.code === 'non-finite');
  if (nonFinite && (options.failOnGsc !== undefined || options.failOnPseudoLinear)) {
    reasons.push(`the analysis met NaN or Inf: ${printable(nonFinite.message)}`);
  }
  const limit = options.failOnGsc;
  if (limit !== undefined) {
    // NaN (null in the JSON) compares false with any limit: a GSC that is not a finite number fails the gate on its own.
    const broken = report.blocks.filter((b) => typeof b.gscToOutput.value !== 'number' || !Number.isFinite(b.gscToOutput.value));
    if (broken.length > 0) {
      const b = broken[0];
      reasons.push(
        `GSC to the output of block ${b.index} (${printable(b.name)}) is not a finite number (NaN or Inf in the analysis)${more(broken.length - 1, 'block', 'blocks')}`,
      );
    }
    // The reference layer's own GSC is 1 by definition, not a measurement a gate can fail on.
    const over = report.blocks
      .filter((b) => !isReferenceEstimate(b.gscToOutput) && b.gscToOutput.value > limit)
      .sort((x, y) => y.gscToOutput.value - x.gscToOutput.value);
    if (over.length > 0) {
      const b = over[0];
      reasons.push(
        `GSC to the output of block ${b.index} (${printable(b.name)}) is ${exceeds(b.gscToOutput.value, limit)}${more(over.length - 1, 'block', 'blocks')}`,
      );
    }
  }
  if (options.failOnPseudoLinear) {
    const thresholds: Thresholds = { ...report.thresholds, ...(options.pseudoLinearK !== undefined && { pseudoLinearK: options.pseudoLinearK }) };
    const flagged = report.nonlinearities.filter((q) => isPseudoLinear(q, thresholds)).sort((x, y) => (y.k ?? Infinity) - (x.k ?? Infinity));
    if (flagged.length > 0) {
      const q = flagged[0];
      const block = report.blocks.find((b) => b.index === q.block);
      reasons.push(
        `nonlinearity ${q.index} (${printable(q.op)} ${printable(q.sourceName || q.node)}) in block ${q.block}${block ? ` (${printable(block.name)})` : ''} ` +
          `is pseudo-linear: k ${exceeds(q.k, thresholds.pseudoLinearK)}${more(flagged.length - 1, 'nonlinearity', 'nonlinearities')}`,
      );
    }
  }
  return reasons;
}
