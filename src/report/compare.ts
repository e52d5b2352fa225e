/**
 * Comparing two reports block by block (pure; the CLI prints it, the extension renders it).
 *
 * Noise rule: a difference counts only when the two 99% intervals do not overlap. Exact
 * estimates have zero-width intervals, so any difference between them counts; those intervals
 * cover the probes' noise only, not the sampling of the input batch.
 */
import type { AnalysisReport, BlockReport, Estimate } from './schema';

export type Verdict = 'better' | 'worse' | 'unchanged';

export interface ReportIdentity {
  /** What the caller calls the report (e.g. its file path); the model's file name otherwise. */
  readonly label: string;
  readonly modelFileName: string;
  readonly contentHash: string;
  readonly createdAt: string;
  readonly blocks: number;
  readonly batch: number;
  readonly probes: number;
  readonly seed: number;
  readonly exact: string;
  readonly inputSource: string;
}

export interface BlockRef {
  readonly index: number;
  readonly name: string;
  readonly kind: string;
}

/** One estimate in both reports: b/a and whether the 99% intervals are disjoint. */
export interface ComparedEstimate {
  readonly a: number;
  readonly b: number;
  /** b / a (Infinity or NaN when a is 0). */
  readonly ratio: number;
  readonly aCi99: readonly [number, number];
  readonly bCi99: readonly [number, number];
  /** The 99% intervals do not overlap (and the values differ beyond float rounding). */
  readonly significant: boolean;
}

/** A k in both reports; null means infinite (a linear block) or, for k_skip, not a residual block. */
export interface ComparedK {
  readonly a: number | null;
  readonly b: number | null;
  /** b - a when both are finite numbers. */
  readonly difference: number | null;
  /** Disjoint 99% intervals, or linear in one report and not the other. Always false without intervals. */
  readonly significant: boolean;
}

export interface BlockComparison {
  readonly a: BlockRef;
  readonly b: BlockRef;
  readonly namesDiffer: boolean;
  readonly gscToOutput: ComparedEstimate;
  readonly gscBlock: ComparedEstimate;
  readonly kLin: ComparedK;
  readonly kSkip: ComparedK;
  /** From GSC to the output: better when it moved closer to 1 (|log GSC| smaller), beyond noise. */
  readonly verdict: Verdict;
}

export interface ComparisonResult {
  readonly a: ReportIdentity;
  readonly b: ReportIdentity;
  /** 'index' when both have the same number of blocks, else 'name'. */
  readonly matchedBy: 'index' | 'name';
  readonly blocks: readonly BlockComparison[];
  /** Blocks of a (or b) with no partner (only when matching by name). */
  readonly unmatchedA: readonly BlockRef[];
  readonly unmatchedB: readonly BlockRef[];
  readonly growth: {
    readonly gscInputToOutput: { readonly a: number; readonly b: number; readonly ratio: number };
    readonly explosionRate: { readonly a: number; readonly b: number; readonly ratio: number };
  };
  readonly summary: { readonly compared: number; readonly better: number; readonly worse: number; readonly unchanged: number };
  readonly noiseRule: string;
  /** Facts that qualify the comparison (different settings, different models, names that differ). */
  readonly notes: readonly string[];
}

export const NOISE_RULE =
  'a change counts only when the 99% intervals of the two estimates do not overlap and the values differ by more than 0.01% (float32 rounding: exact values have zero-width intervals)';

/**
 * Relative difference below which two values are the same number up to float32 rounding. The
 * same weights computed as ONNX and as TF.js (other op order, folded batch norm) differ by a few
 * 1e-6 after fifty blocks; the float64 reference checks exact values to 1e-4, so that is the
 * resolution a comparison can claim.
 */
const SAME_VALUE_RTOL = 1e-4;

function disjoint(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[1] < b[0] || b[1] < a[0];
}

function differs(a: number, b: number): boolean {
  return Math.abs(b - a) > SAME_VALUE_RTOL * Math.max(Math.abs(a), Math.abs(b));
}

function compareEstimate(a: Estimate, b: Estimate): ComparedEstimate {
  return {
    a: a.value,
    b: b.value,
    ratio: b.value / a.value,
    aCi99: a.ci99,
    bCi99: b.ci99,
    significant: differs(a.value, b.value) && disjoint(a.ci99, b.ci99),
  };
}

function compareKLin(a: BlockReport, b: BlockReport): ComparedK {
  const ka = a.linearisation.kLin;
  const kb = b.linearisation.kLin;
  const ca = a.linearisation.kLinCi99;
  const cb = b.linearisation.kLinCi99;
  let significant: boolean;
  if (ka === null || kb === null) significant = (ka === null) !== (kb === null);
  else significant = ca !== null && cb !== null && differs(ka, kb) && disjoint(ca, cb);
  return { a: ka, b: kb, difference: ka !== null && kb !== null ? kb - ka : null, significant };
}

function compareKSkip(a: BlockReport, b: BlockReport): ComparedK {
  const ka = a.residual?.kSkip ?? null;
  const kb = b.residual?.kSkip ?? null;
  // k_skip is a forward-pass ratio on the batch: it has no interval, so no change is called significant.
  return { a: ka, b: kb, difference: ka !== null && kb !== null ? kb - ka : null, significant: false };
}

/** Better = closer to 1 on a log scale (for GSC >= 1 that is simply lower). */
function verdictOf(g: ComparedEstimate): Verdict {
  if (!g.significant || !(g.a > 0) || !(g.b > 0)) return 'unchanged';
  const da = Math.abs(Math.log(g.a));
  const db = Math.abs(Math.log(g.b));
  if (db < da) return 'better';
  if (db > da) return 'worse';
  return 'unchanged';
}

function ref(b: BlockReport): BlockRef {
  return { index: b.index, name: b.name, kind: b.residual ? `residual/${b.residual.skipKind}` : 'plain' };
}

function compareBlocks(a: BlockReport, b: BlockReport): BlockComparison {
  const gscToOutput = compareEstimate(a.gscToOutput, b.gscToOutput);
  return {
    a: ref(a),
    b: ref(b),
    namesDiffer: a.name !== b.name,
    gscToOutput,
    gscBlock: compareEstimate(a.gscBlock, b.gscBlock),
    kLin: compareKLin(a, b),
    kSkip: compareKSkip(a, b),
    verdict: verdictOf(gscToOutput),
  };
}

function identity(r: AnalysisReport, label: string | undefined): ReportIdentity {
  return {
    label: label ?? r.model.fileName,
    modelFileName: r.model.fileName,
    contentHash: r.model.contentHash,
    createdAt: r.createdAt,
    blocks: r.blocks.length,
    batch: r.settings.batch,
    probes: r.settings.probes,
    seed: r.settings.seed,
    exact: r.settings.exact,
    inputSource: r.settings.inputSource,
  };
}

/** Pairs blocks by name, each name's occurrences in order (block names can repeat). */
function matchByName(
  a: readonly BlockReport[],
  b: readonly BlockReport[],
): { pairs: [BlockReport, BlockReport][]; restA: BlockReport[]; restB: BlockReport[] } {
  const queues = new Map<string, BlockReport[]>();
  for (const blk of b) queues.set(blk.name, [...(queues.get(blk.name) ?? []), blk]);
  const pairs: [BlockReport, BlockReport][] = [];
  const restA: BlockReport[] = [];
  const used = new Set<BlockReport>();
  for (const blk of a) {
    const partner = queues.get(blk.name)?.shift();
    if (partner) {
      pairs.push([blk, partner]);
      used.add(partner);
    } else restA.push(blk);
  }
  return { pairs, restA, restB: b.filter((blk) => !used.has(blk)) };
}

function settingNotes(a: AnalysisReport, b: AnalysisReport): string[] {
  const notes: string[] = [];
  if (a.model.contentHash !== b.model.contentHash) notes.push('the reports are of different model files (content hashes differ)');
  const keys = ['batch', 'probes', 'seed', 'exact', 'inputSource', 'backend'] as const;
  const changed = keys.filter((k) => a.settings[k] !== b.settings[k]).map((k) => `${k} ${String(a.settings[k])} vs ${String(b.settings[k])}`);
  if (changed.length) notes.push(`settings differ: ${changed.join(', ')}`);
  return notes;
}

export function compareReports(a: AnalysisReport, b: AnalysisReport, labels?: { readonly a?: string; readonly b?: string }): ComparisonResult {
  const matchedBy = a.blocks.length === b.blocks.length ? 'index' : 'name';
  let pairs: [BlockReport, BlockReport][];
  let restA: BlockReport[] = [];
  let restB: BlockReport[] = [];
  if (matchedBy === 'index') {
    pairs = a.blocks.map((blk, i) => [blk, b.blocks[i]]);
  } else {
    ({ pairs, restA, restB } = matchByName(a.blocks, b.blocks));
  }
  const blocks = pairs.map(([x, y]) => compareBlocks(x, y));
  const notes = settingNotes(a, b);
  const renamed = blocks.filter((c) => c.namesDiffer);
  if (renamed.length) notes.push(`block names differ at ${renamed.length === 1 ? 'block' : 'blocks'} ${renamed.map((c) => c.a.index).join(', ')}`);
  const count = (v: Verdict): number => blocks.filter((c) => c.verdict === v).length;
  const ga = a.growth;
  const gb = b.growth;
  return {
    a: identity(a, labels?.a),
    b: identity(b, labels?.b),
    matchedBy,
    blocks,
    unmatchedA: restA.map(ref),
    unmatchedB: restB.map(ref),
    growth: {
      gscInputToOutput: { a: ga.gscInputToOutput, b: gb.gscInputToOutput, ratio: gb.gscInputToOutput / ga.gscInputToOutput },
      explosionRate: { a: ga.logFit.rate, b: gb.logFit.rate, ratio: gb.logFit.rate / ga.logFit.rate },
    },
    summary: { compared: blocks.length, better: count('better'), worse: count('worse'), unchanged: count('unchanged') },
    noiseRule: NOISE_RULE,
    notes,
  };
}
