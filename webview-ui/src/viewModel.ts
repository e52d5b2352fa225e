/**
 * What the page shows, derived from a report: table columns and cells, chart series, flags.
 * Pure (no DOM, no Chart.js), so it is unit-tested and the DOM code only lays it out.
 * Names from the model file stay plain strings here; the DOM code sets them as text.
 */
import { isExploding } from '../../src/report/flags';
import type { AnalysisReport, BlockReport, BoundaryReport, Estimate, NonlinearityReport } from '../../src/report/schema';
import {
  formatComparison,
  formatInterval,
  formatK,
  formatMethod,
  formatNumber,
  formatOptional,
  formatPrecise,
  INFINITY_TEXT,
  isReferenceEstimate,
  NOT_APPLICABLE,
  REFERENCE_LAYER_TEXT,
} from './format';
import type { SortKey } from './sorting';
import { maxOf } from '../../src/report/extent';

/** A header such as k_skip² + 1: base text, optional subscript, optional text after it. */
export interface HeaderText {
  readonly base: string;
  readonly sub?: string;
  readonly after?: string;
}

export interface CellModel {
  readonly text: string;
  /** The report path of the number (data-field), e.g. "gscToOutput.value". */
  readonly field?: string;
  /** Full-precision value for data-value: a number, or null for an infinite k. Absent for n/a and text. */
  readonly value?: number | null;
  readonly sortKey: SortKey;
  /** Tooltip: exact value, standard error, estimator. */
  readonly title?: string;
}

export interface TableColumn<T> {
  readonly id: string;
  readonly header: HeaderText;
  /** What the column means (header tooltip and accessible description). */
  readonly description: string;
  readonly numeric: boolean;
  cell(row: T): CellModel;
}

/** A block-table column; its cells may need the whole report (flags use the thresholds). */
export interface ColumnModel {
  readonly id: string;
  readonly header: HeaderText;
  readonly description: string;
  readonly numeric: boolean;
  cell(block: BlockReport, report: AnalysisReport): CellModel;
}

/** Tooltip text for an estimate: full value, ± one standard error, interval, estimator. */
export function estimateTitle(e: Estimate): string {
  const parts = [formatPrecise(e.value)];
  if (e.stderr > 0) parts.push(`± ${formatNumber(e.stderr)} (1 s.e.)`);
  if (e.ci99[0] !== e.ci99[1]) parts.push(`99% CI [${formatPrecise(e.ci99[0])}, ${formatPrecise(e.ci99[1])}]`);
  parts.push(formatMethod(e.method));
  return parts.join(' · ');
}

function estimateCell(e: Estimate, field: string): CellModel {
  return { text: formatNumber(e.value), field, value: e.value, sortKey: e.value, title: estimateTitle(e) };
}

function intervalCell(ci: readonly [number, number] | null | undefined, method?: string): CellModel {
  if (!ci) return { text: NOT_APPLICABLE, sortKey: null };
  // The reference layer's GSC to itself is 1 by definition: say so instead of "exact".
  if (method !== undefined && isReferenceEstimate({ method })) return { text: REFERENCE_LAYER_TEXT, sortKey: ci[0], title: formatMethod(method) };
  const exact = ci[0] === ci[1];
  return {
    text: formatInterval(ci),
    sortKey: ci[0],
    title: exact
      ? `exact${method ? ` (${formatMethod(method)})` : ''}`
      : `99% CI [${formatPrecise(ci[0])}, ${formatPrecise(ci[1])}]${method ? ` · ${formatMethod(method)}` : ''}`,
  };
}

function numberCell(v: number | null | undefined, field: string, title?: string): CellModel {
  if (v === null || v === undefined) return { text: NOT_APPLICABLE, sortKey: null, title };
  return { text: formatNumber(v), field, value: v, sortKey: v, title: title ?? formatPrecise(v) };
}

/** k_lin: infinite for a linear block (null with linear: true). */
function kLinCell(b: BlockReport): CellModel {
  const lin = b.linearisation;
  if (lin.kLin === null) {
    return lin.linear
      ? { text: formatK(null, true), field: 'linearisation.kLin', value: null, sortKey: Infinity, title: '∞: the block is linear (no nonlinear part)' }
      : { text: NOT_APPLICABLE, sortKey: null };
  }
  return numberCell(lin.kLin, 'linearisation.kLin');
}

/** The k²+1 relation check of the estimator that applies: k_skip's for a residual block, else k_lin's. */
function relationCell(b: BlockReport): CellModel {
  const useSkip = b.residual !== null;
  const rel = useSkip ? b.residual!.relation : b.linearisation.relation;
  const field = `${useSkip ? 'residual' : 'linearisation'}.relation.predictedOverMeasured`;
  const which = useSkip ? 'k_skip' : 'k_lin';
  if (rel.predictedOverMeasured === null) {
    return { text: NOT_APPLICABLE, sortKey: null, title: rel.note ?? `the k²+1 relation does not apply (${which})` };
  }
  const title =
    `${which}: predicted GSC_f ${formatOptional(rel.predictedGscBlock)} / measured ${formatNumber(rel.gscBlock)}` +
    ` = ${rel.predictedOverMeasured}; GSC of the nonlinear part ${formatOptional(rel.gscNonlinear)}`;
  return numberCell(rel.predictedOverMeasured, field, title);
}

export function kindLabel(b: BlockReport): string {
  return b.residual ? `residual (${b.residual.skipKind})` : b.kind;
}

export const BLOCK_COLUMNS: readonly ColumnModel[] = [
  {
    id: 'index',
    header: { base: '#' },
    description: 'Block number, counted from the input',
    numeric: true,
    cell: (b) => ({ text: String(b.index), field: 'index', value: b.index, sortKey: b.index }),
  },
  {
    id: 'name',
    header: { base: 'Block' },
    description: 'Block name, from the node names in the model file',
    numeric: false,
    cell: (b) => ({ text: b.name, sortKey: b.name, title: b.sourceNames.join('\n') || b.name }),
  },
  {
    id: 'kind',
    header: { base: 'Kind' },
    description: 'Plain block, or residual block with an identity or projection skip',
    numeric: false,
    cell: (b) => ({ text: kindLabel(b), sortKey: kindLabel(b) }),
  },
  // Beside the block's name, not last: a wide table must not push the flags out of view.
  {
    id: 'flags',
    header: { base: 'Flags' },
    description:
      "exploding: the block's GSC → output above the threshold; pseudo-linear / collapsed: measured on one of its nonlinearities (that op's own k or pre-activation spread, not the block's k_lin)",
    numeric: false,
    cell: (b, r) => {
      const details = blockFlagDetails(b, r);
      const labels = blockFlagLabels(b, r);
      return {
        text: details.join('; '),
        sortKey: labels.length === 0 ? null : labels.join(', '),
        ...(details.length > 0 ? { title: details.join('\n') } : {}),
      };
    },
  },
  {
    id: 'gscToOutput',
    header: { base: 'GSC → output' },
    description: "GSC from the block's output to the model output",
    numeric: true,
    cell: (b) => estimateCell(b.gscToOutput, 'gscToOutput.value'),
  },
  {
    id: 'gscToOutputCi',
    header: { base: '99% CI' },
    description: '99% confidence interval of GSC → output',
    numeric: true,
    cell: (b) => intervalCell(b.gscToOutput.ci99, b.gscToOutput.method),
  },
  {
    id: 'gscBlock',
    header: { base: 'GSC block' },
    description: "GSC from the block's input to its output",
    numeric: true,
    cell: (b) => estimateCell(b.gscBlock, 'gscBlock.value'),
  },
  {
    id: 'gscBlockCi',
    header: { base: '99% CI' },
    description: '99% confidence interval of GSC block',
    numeric: true,
    cell: (b) => intervalCell(b.gscBlock.ci99, b.gscBlock.method),
  },
  {
    id: 'growth',
    header: { base: 'Growth' },
    description: 'GSC(k−1 → output) / GSC(k → output): how much this block multiplies the gradient scale',
    numeric: true,
    cell: (b) => numberCell(b.growthRatio, 'growthRatio'),
  },
  {
    id: 'kSkip',
    header: { base: 'k', sub: 'skip' },
    description: 'k-dilution by the skip connection: Q‖skip‖ / Q‖branch‖ at the merge (residual blocks)',
    numeric: true,
    cell: (b) =>
      b.residual?.branchZero === true
        ? { text: INFINITY_TEXT, field: 'residual.kSkip', value: null, sortKey: Infinity, title: '∞: the residual branch is exactly zero on this batch' }
        : b.residual
          ? numberCell(b.residual.kSkip, 'residual.kSkip')
          : { text: NOT_APPLICABLE, sortKey: null, title: 'plain block: no skip connection' },
  },
  {
    id: 'kSkipReduction',
    header: { base: 'k', sub: 'skip', after: '² + 1' },
    description: 'Reduction of the explosion by the skip: k_skip² + 1',
    numeric: true,
    cell: (b) =>
      b.residual
        ? numberCell(b.residual.relation.reductionFactor, 'residual.relation.reductionFactor')
        : { text: NOT_APPLICABLE, sortKey: null, title: 'plain block: no skip connection' },
  },
  {
    id: 'kLin',
    header: { base: 'k', sub: 'lin' },
    description: 'k-dilution by linearisation: Q‖S v‖ / Q‖ρ(v)‖ with S the batch-averaged Jacobian (∞: linear block)',
    numeric: true,
    cell: kLinCell,
  },
  {
    id: 'kLinCi',
    header: { base: '99% CI' },
    description: '99% confidence interval of k_lin',
    numeric: true,
    cell: (b) => intervalCell(b.linearisation.kLinCi99),
  },
  {
    id: 'kLinReduction',
    header: { base: 'k', sub: 'lin', after: '² + 1' },
    description: 'Reduction of the explosion by linearisation: k_lin² + 1',
    numeric: true,
    cell: (b) =>
      b.linearisation.linear && b.linearisation.relation.reductionFactor === null
        ? { text: formatK(null, true), field: 'linearisation.relation.reductionFactor', value: null, sortKey: Infinity }
        : numberCell(b.linearisation.relation.reductionFactor, 'linearisation.relation.reductionFactor'),
  },
  {
    id: 'relation',
    header: { base: 'Pred./meas.' },
    description: 'k² + 1 relation: predicted GSC of the block over the measured one (k_skip for residual blocks, else k_lin); 1 means the relation holds',
    numeric: true,
    cell: relationCell,
  },
];

export function blockColumns(r: AnalysisReport): TableColumn<BlockReport>[] {
  return BLOCK_COLUMNS.map((c) => ({ ...c, cell: (b: BlockReport) => c.cell(b, r) }));
}

/** Columns of the nonlinearity table (the collapsing-domain chart's data). */
export const NONLINEARITY_COLUMNS: readonly TableColumn<NonlinearityReport>[] = [
  {
    id: 'index',
    header: { base: '#' },
    description: 'Nonlinearity number, from the input',
    numeric: true,
    cell: (q) => ({ text: String(q.index), field: 'index', value: q.index, sortKey: q.index }),
  },
  { id: 'op', header: { base: 'Op' }, description: 'Operator', numeric: false, cell: (q) => ({ text: q.op, sortKey: q.op }) },
  {
    id: 'name',
    header: { base: 'Name' },
    description: 'Name in the model file',
    numeric: false,
    cell: (q) => ({ text: q.sourceName, sortKey: q.sourceName, title: q.node }),
  },
  {
    id: 'block',
    header: { base: 'Block' },
    description: 'Block it belongs to',
    numeric: true,
    cell: (q) => ({ text: String(q.block), field: 'block', value: q.block, sortKey: q.block }),
  },
  { id: 'dim', header: { base: 'Units' }, description: 'Units per sample', numeric: true, cell: (q) => numberCell(q.dim, 'dim') },
  {
    id: 'signDiversity',
    header: { base: 'Sign diversity' },
    description: 'Per unit min(P, N) / (P + N) over the batch, averaged; near 0: the unit acts as identity or zero',
    numeric: true,
    cell: (q) => numberCell(q.signDiversity, 'signDiversity'),
  },
  {
    id: 'relativeSpread',
    header: { base: 'Relative spread' },
    description: 'Q of the batch-centred pre-activations over Q of the raw ones; near 0: collapsed domain',
    numeric: true,
    cell: (q) => numberCell(q.relativeSpread, 'relativeSpread'),
  },
  {
    id: 'k',
    header: { base: 'k' },
    description: "The nonlinearity's own k-dilution; large: pseudo-linear",
    numeric: true,
    cell: (q) =>
      q.k === null ? { text: formatK(null, true), field: 'k', value: null, sortKey: Infinity, title: '∞: linear on this batch' } : numberCell(q.k, 'k'),
  },
  {
    id: 'meanSlope',
    header: { base: 'Mean slope' },
    description: "Mean of σ'(z) over the batch (the linear part S)",
    numeric: true,
    cell: (q) => numberCell(q.meanSlope, 'meanSlope'),
  },
  {
    id: 'qPreactivation',
    header: { base: 'Q‖z‖' },
    description: 'Quadratic mean norm of the pre-activations',
    numeric: true,
    cell: (q) => numberCell(q.qPreactivation, 'qPreactivation'),
  },
  { id: 'qSz', header: { base: 'Q‖S z‖' }, description: 'Quadratic mean norm of the linear part', numeric: true, cell: (q) => numberCell(q.qSz, 'qSz') },
  { id: 'qRho', header: { base: 'Q‖ρ(z)‖' }, description: 'Quadratic mean norm of the nonlinear part', numeric: true, cell: (q) => numberCell(q.qRho, 'qRho') },
  {
    id: 'flags',
    header: { base: 'Flags' },
    description: 'pseudo-linear: k above the threshold; collapsed: relative spread below the threshold',
    numeric: false,
    cell: (q) => {
      const labels = [q.pseudoLinear ? 'pseudo-linear' : '', q.collapsed ? 'collapsed' : ''].filter((s) => s.length > 0);
      return { text: labels.join(', '), sortKey: labels.length === 0 ? null : labels.join(', ') };
    },
  },
];

/** Columns of the boundary table (the GSC chart's data). */
export function boundaryColumns(r: AnalysisReport): TableColumn<BoundaryReport>[] {
  const label = boundaryLabeler(r);
  return [
    {
      id: 'index',
      header: { base: 'k' },
      description: 'Boundary: 0 is the model input, k the output of block k',
      numeric: true,
      cell: (b) => ({ text: String(b.index), field: 'index', value: b.index, sortKey: b.index }),
    },
    {
      id: 'name',
      header: { base: 'Boundary' },
      description: 'The block whose output it is',
      numeric: false,
      cell: (b) => ({ text: label(b.index), sortKey: b.index, title: b.tensor }),
    },
    { id: 'dim', header: { base: 'Units' }, description: 'Units per sample', numeric: true, cell: (b) => numberCell(b.dim, 'dim') },
    { id: 'q', header: { base: 'Q‖f_k‖' }, description: 'Quadratic mean norm of the tensor over the batch', numeric: true, cell: (b) => numberCell(b.q, 'q') },
    {
      id: 'gsc',
      header: { base: 'GSC → output' },
      description: 'GSC(k → output)',
      numeric: true,
      cell: (b) => estimateCell(b.gscToOutput, 'gscToOutput.value'),
    },
    {
      id: 'gscCi',
      header: { base: '99% CI' },
      description: '99% confidence interval',
      numeric: true,
      cell: (b) => intervalCell(b.gscToOutput.ci99, b.gscToOutput.method),
    },
    {
      id: 'median',
      header: { base: 'Per-sample median' },
      description: 'Median of the per-sample GSC',
      numeric: true,
      cell: (b) => numberCell(b.gscToOutputPerSample.median, 'gscToOutputPerSample.median', b.gscToOutputPerSample.values.join(', ')),
    },
    {
      id: 'min',
      header: { base: 'min' },
      description: 'Smallest per-sample GSC',
      numeric: true,
      cell: (b) => numberCell(b.gscToOutputPerSample.min, 'gscToOutputPerSample.min'),
    },
    {
      id: 'max',
      header: { base: 'max' },
      description: 'Largest per-sample GSC',
      numeric: true,
      cell: (b) => numberCell(b.gscToOutputPerSample.max, 'gscToOutputPerSample.max'),
    },
    {
      id: 'qm',
      header: { base: 'Q‖J‖', sub: 'qm' },
      description: 'Quadratic-mean norm of the Jacobian to the output, over the batch',
      numeric: true,
      cell: (b) => estimateCell(b.qmJacobian, 'qmJacobian.value'),
    },
  ];
}

/** Flags from the report's thresholds (the nonlinearities carry their own booleans). */
export function blockFlagLabels(b: BlockReport, r: AnalysisReport): string[] {
  const own = r.nonlinearities.filter((q) => q.block === b.index);
  const labels: string[] = [];
  if (isExploding(b, r.thresholds)) labels.push('exploding');
  if (own.some((q) => q.pseudoLinear)) labels.push('pseudo-linear');
  if (own.some((q) => q.collapsed)) labels.push('collapsed');
  return labels;
}

/**
 * Each flag with what it is measured on and the number that crossed the threshold:
 * "exploding: GSC → output 1.2×10³ > 100", "pseudo-linear: Relu k 3.37 > 3" (the nonlinearity's
 * own k, which can differ from the block's k_lin beside it), "collapsed: Relu spread 0.04 < 0.1".
 */
export function blockFlagDetails(b: BlockReport, r: AnalysisReport): string[] {
  const own = r.nonlinearities.filter((q) => q.block === b.index);
  const out: string[] = [];
  if (isExploding(b, r.thresholds)) {
    const c = formatComparison(b.gscToOutput.value, r.thresholds.gsc);
    out.push(`exploding: GSC → output ${c.value} > ${c.threshold}`);
  }
  for (const q of own.filter((x) => x.pseudoLinear)) {
    const c = formatComparison(q.k, r.thresholds.pseudoLinearK);
    out.push(`pseudo-linear: ${q.op} k ${q.k === null ? '∞' : c.value} > ${c.threshold}`);
  }
  for (const q of own.filter((x) => x.collapsed)) {
    const c = formatComparison(q.relativeSpread, r.thresholds.collapsedSpread);
    out.push(`collapsed: ${q.op} spread ${c.value} < ${c.threshold}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Chart series

export interface GscPoint {
  /** Boundary index: 0 is the model input, k the output of block k. */
  readonly x: number;
  readonly y: number;
  readonly lo: number;
  readonly hi: number;
  readonly label: string;
  /** The block whose output this boundary is (undefined for the model input). */
  readonly block?: number;
  readonly title: string;
}

export interface GscSeries {
  readonly points: readonly GscPoint[];
  /** The fitted line exp(intercept + slope * k) at the boundaries 0..B. */
  readonly fit: readonly { readonly x: number; readonly y: number }[];
  readonly rate: number;
  readonly geometricMeanRate: number;
}

export function gscSeries(r: Pick<AnalysisReport, 'boundaries' | 'growth'> & { readonly blocks: readonly Pick<BlockReport, 'index' | 'name'>[] }): GscSeries {
  const names = new Map(r.blocks.map((b) => [b.index, b.name]));
  const points = r.boundaries
    .filter((b) => b.gscToOutput.value > 0 && Number.isFinite(b.gscToOutput.value))
    .map((b): GscPoint => ({
      x: b.index,
      y: b.gscToOutput.value,
      lo: b.gscToOutput.ci99[0],
      hi: b.gscToOutput.ci99[1],
      label: b.index === 0 ? 'input' : (names.get(b.index) ?? `boundary ${b.index}`),
      block: b.index === 0 ? undefined : b.index,
      title: estimateTitle(b.gscToOutput),
    }));
  const { slope, intercept, rate } = r.growth.logFit;
  const last = r.boundaries.length === 0 ? 0 : r.boundaries[r.boundaries.length - 1].index;
  const fit =
    Number.isFinite(slope) && Number.isFinite(intercept) ? Array.from({ length: last + 1 }, (_, k) => ({ x: k, y: Math.exp(intercept + slope * k) })) : [];
  return { points, fit, rate, geometricMeanRate: r.growth.geometricMeanRate };
}

/** A k on a log chart: infinite ones are drawn at a cap above every finite value. */
export interface KValue {
  readonly value: number;
  readonly infinite: boolean;
}

export interface DilutionRow {
  readonly block: number;
  readonly name: string;
  readonly kSkip: KValue | null;
  readonly kLin: KValue | null;
  readonly kLinCi: readonly [number, number] | null;
  readonly skipReduction: number | null;
  readonly linReduction: number | null;
}

export function dilutionRows(r: AnalysisReport): DilutionRow[] {
  return r.blocks.map((b) => {
    const lin = b.linearisation;
    const kLin: KValue | null = lin.kLin !== null ? { value: lin.kLin, infinite: false } : lin.linear ? { value: Infinity, infinite: true } : null;
    return {
      block: b.index,
      name: b.name,
      kSkip: b.residual ? (b.residual.branchZero === true ? { value: Infinity, infinite: true } : { value: b.residual.kSkip, infinite: false }) : null,
      kLin,
      kLinCi: lin.kLinCi99,
      skipReduction: b.residual ? b.residual.relation.reductionFactor : null,
      linReduction: lin.relation.reductionFactor ?? (lin.linear ? Infinity : null),
    };
  });
}

/**
 * Where to draw an infinite value on a log axis: one decade above the largest finite
 * positive value (10 when there is none).
 */
export function infinityCap(values: readonly (number | null)[]): number {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  const max = finite.length === 0 ? 1 : maxOf(finite);
  return 10 ** (Math.ceil(Math.log10(max) - 1e-9) + 1);
}

export interface CollapseRow {
  readonly index: number;
  readonly label: string;
  readonly op: string;
  readonly sourceName: string;
  readonly block: number;
  readonly signDiversity: number;
  readonly relativeSpread: number;
  readonly k: KValue;
  readonly pseudoLinear: boolean;
  readonly collapsed: boolean;
  readonly source: NonlinearityReport;
}

/**
 * The layer a nonlinearity belongs to, short enough for a chart axis: "/layer1/relu1/Relu" →
 * "layer1.relu1", "/blocks/blocks.7/act/Relu" → "blocks.7.act" (the op type at the end and a
 * container's name repeated in its child's are dropped); the op itself when the name says nothing.
 */
export function layerLabel(sourceName: string, op: string): string {
  const parts = sourceName.split('/').filter((s) => s !== '');
  const last = parts[parts.length - 1];
  if (parts.length > 1 && last !== undefined && (last === op || last.startsWith(`${op}_`))) parts.pop();
  const kept = parts.filter((p, i) => !(parts[i + 1]?.startsWith(`${p}.`) ?? false));
  const label = kept.slice(-3).join('.');
  return label === '' ? op : label;
}

export function collapseRows(r: AnalysisReport): CollapseRow[] {
  return r.nonlinearities.map((q) => ({
    index: q.index,
    // The layer, not only the op: "1 Relu … 7 Relu" said nothing about where each one is.
    label: `${q.index} ${layerLabel(q.sourceName, q.op)}`,
    op: q.op,
    sourceName: q.sourceName,
    block: q.block,
    signDiversity: q.signDiversity,
    relativeSpread: q.relativeSpread,
    k: q.k === null ? { value: Infinity, infinite: true } : { value: q.k, infinite: false },
    pseudoLinear: q.pseudoLinear,
    collapsed: q.collapsed,
    source: q,
  }));
}

export interface MatrixEntry {
  readonly from: number;
  readonly to: number;
  readonly value: number;
  readonly stderr: number | null;
  readonly ci: readonly [number, number] | null;
  readonly method: string | null;
}

export interface MatrixModel {
  /** Boundaries 0..n-1. */
  readonly n: number;
  readonly entries: readonly MatrixEntry[];
}

/** The entries GSC(k -> l), k < l, that were computed; null when the matrix was not. */
export function matrixModel(r: AnalysisReport): MatrixModel | null {
  const m = r.blockMatrix;
  if (!m) return null;
  const entries: MatrixEntry[] = [];
  m.gsc.forEach((row, from) =>
    row.forEach((value, to) => {
      if (value === null || to <= from) return;
      entries.push({ from, to, value, stderr: m.stderr[from]?.[to] ?? null, ci: m.ci99[from]?.[to] ?? null, method: m.method[from]?.[to] ?? null });
    }),
  );
  return { n: m.gsc.length, entries };
}

/** "GSC(2 → 5) = 0.4239 [0.41, 0.44] · 6 probes": one line for a tooltip or a live region. */
export function matrixEntryText(e: MatrixEntry, boundaryLabel: (k: number) => string): string {
  const ci = e.ci && e.ci[0] !== e.ci[1] ? ` 99% CI ${formatInterval(e.ci)}` : '';
  return `GSC(${boundaryLabel(e.from)} → ${boundaryLabel(e.to)}) = ${formatNumber(e.value)}${ci} · ${formatMethod(e.method)}`;
}

/** "input", "1 stem", ..., "5 fc (output)" */
export function boundaryLabeler(r: AnalysisReport): (k: number) => string {
  const names = new Map(r.blocks.map((b) => [b.index, b.name]));
  const last = r.blocks.length;
  return (k) => (k === 0 ? 'input' : `${k} ${names.get(k) ?? ''}`.trim() + (k === last ? ' (output)' : ''));
}
