/**
 * The static parts of the page: header, warnings, summary, the selected block's details and
 * the chart data tables. All text goes in through dom.h (text nodes), never as markup.
 */
import { formatKLinPrecision, formatUnitGsc, threadsText } from '../../src/report/format';
import type { AnalysisReport, BlockReport, DilutionRelation, Estimate, PerSampleSummary } from '../../src/report/schema';
import { blockMatrixAbsentText, inputShortText, inputText, referenceShortText, referenceText } from '../../src/report/referenceText';
import { h } from './dom';
import {
  formatDuration,
  formatInteger,
  formatInterval,
  formatK,
  formatKSkip,
  formatMethod,
  formatNumber,
  formatOptional,
  formatPrecise,
  formatShape,
  NOT_APPLICABLE,
} from './format';
import { verdict } from './verdict';
import { blockFlagLabels, boundaryLabeler, estimateTitle, kindLabel, matrixModel } from './viewModel';

/** The page's heading, the same while the analysis runs (partialView.ts) and when it is done. */
export function pageTitle(model: { readonly path: string; readonly fileName: string }): HTMLElement {
  return h(
    'h1',
    {},
    h('span', { className: 'product' }, 'Gradient Lens'),
    h('span', { className: 'model-name', id: 'header-title', title: model.path }, model.fileName),
  );
}

export function renderHeader(r: AnalysisReport, actions: { rerun(): void; exportAs(format: 'json' | 'csv' | 'md' | 'html'): void }): HTMLElement {
  const item = (id: string, term: string, value: string, title?: string): HTMLElement =>
    h('div', { className: 'meta-item' }, h('dt', {}, term), h('dd', { id, title: title ?? value }, value));
  const s = r.settings;
  const probes = s.exact === 'on' ? `${s.probes} (exact mode on)` : s.exact === 'off' ? `${s.probes}` : `${s.probes} (exact when ≤ ${s.exactMaxDim} units)`;
  const backend = (r.backend.name === r.backend.tfjsBackend ? r.backend.name : `${r.backend.name} (${r.backend.tfjsBackend})`) + threadsText(r.backend.threads);
  const rerun = h('button', { className: 'button secondary', id: 'rerun', attrs: { type: 'button' } }, 'Re-run with settings…');
  rerun.addEventListener('click', actions.rerun);
  const exportButtons = (['json', 'csv', 'md', 'html'] as const).map((f) => {
    const b = h(
      'button',
      { className: 'button secondary small', attrs: { type: 'button', 'data-export': f }, title: `Export the report as ${f.toUpperCase()}` },
      f === 'md' ? 'Markdown' : f.toUpperCase(),
    );
    b.addEventListener('click', () => actions.exportAs(f));
    return b;
  });
  return h(
    'header',
    { className: 'page-header' },
    h(
      'div',
      { className: 'title-row' },
      pageTitle(r.model),
      h(
        'div',
        { className: 'actions' },
        rerun,
        h(
          'div',
          { className: 'export-group', attrs: { role: 'group', 'aria-label': 'Export' } },
          h('span', { className: 'export-label' }, 'Export'),
          ...exportButtons,
        ),
      ),
    ),
    h(
      'dl',
      { className: 'meta' },
      item('header-model', 'Model', r.model.fileName, r.model.path),
      item('header-format', 'Format', r.model.formatLabel),
      item('header-backend', 'Backend', backend, [backend, ...r.backend.notes].join('\n')),
      item('header-batch', 'Batch', String(s.batch)),
      item('header-probes', 'Probes', probes),
      item('header-seed', 'Seed', String(s.seed)),
      item('header-time', 'Time', formatDuration(r.timings.totalMs), timingsTitle(r)),
      item(
        'header-input',
        'Input',
        `${r.model.inputName} ${formatShape(r.model.inputShape)}`,
        `${r.model.inputName}: ${formatShape(r.model.inputShape)} (${s.inputSource})`,
      ),
      item('header-data', 'Data', inputShortText(r), inputText(r)),
      item('header-reference', 'GSC to', referenceShortText(r), referenceText(r)),
      item('header-parameters', 'Parameters', formatInteger(r.model.parameters)),
      item('header-blocks', 'Blocks', String(r.blocks.length)),
    ),
  );
}

function timingsTitle(r: AnalysisReport): string {
  const t = r.timings;
  return [
    `load ${formatDuration(t.loadMs)}`,
    `forward ${formatDuration(t.forwardMs)}`,
    `GSC to output ${formatDuration(t.gscToOutputMs)}`,
    `block matrix ${formatDuration(t.blockMatrixMs)}`,
    `blocks ${formatDuration(t.blocksMs)}`,
    `total ${formatDuration(t.totalMs)}`,
  ].join('\n');
}

export function renderWarnings(r: AnalysisReport): HTMLElement | undefined {
  if (r.warnings.length === 0) return undefined;
  return h(
    'section',
    { className: 'warnings', id: 'warnings', attrs: { 'aria-label': `${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}` } },
    h(
      'ul',
      {},
      ...r.warnings.map((w) =>
        h(
          'li',
          { attrs: { 'data-code': w.code } },
          h('span', { className: 'warning-icon', attrs: { 'aria-hidden': 'true' } }, '⚠'),
          h('span', { className: 'warning-code' }, w.code),
          h('span', { className: 'warning-text' }, w.message),
          w.where ? h('code', { className: 'warning-where' }, w.where) : null,
        ),
      ),
    ),
  );
}

/** The verdict in plain words, above the numbers (see verdict.ts). */
export function renderVerdict(r: AnalysisReport): HTMLElement {
  const v = verdict(r);
  return h(
    'section',
    { className: `verdict verdict-${v.tone}`, id: 'verdict', attrs: { 'aria-label': 'Verdict', 'data-tone': v.tone } },
    h('p', { className: 'verdict-headline' }, v.headline),
    h('ul', {}, ...v.points.map((p) => h('li', {}, p))),
  );
}

export function renderSummary(r: AnalysisReport): HTMLElement {
  const flagged = r.blocks.map((b) => blockFlagLabels(b, r));
  const count = (label: string): number => flagged.filter((f) => f.includes(label)).length;
  const card = (id: string, label: string, value: string, note: string, title?: string, tone?: string): HTMLElement =>
    h(
      'div',
      { className: `stat${tone ? ` ${tone}` : ''}`, id, title },
      h('div', { className: 'stat-value' }, value),
      h('div', { className: 'stat-label' }, label),
      h('div', { className: 'stat-note' }, note),
    );
  const g = r.growth;
  const exploding = count('exploding');
  const pseudo = count('pseudo-linear');
  const collapsed = count('collapsed');
  return h(
    'section',
    { className: 'summary', attrs: { 'aria-label': 'Summary' } },
    card('summary-gsc', 'GSC input → output', formatNumber(g.gscInputToOutput), 'relative gradient scale across the model', formatPrecise(g.gscInputToOutput)),
    card(
      'summary-rate',
      'Explosion rate per block',
      formatNumber(g.logFit.rate),
      'log-linear fit of GSC(k → output)',
      `rate = exp(−slope) = ${formatPrecise(g.logFit.rate)}; slope ${formatPrecise(g.logFit.slope)}, intercept ${formatPrecise(g.logFit.intercept)}`,
    ),
    card(
      'summary-geomean',
      'Geometric mean rate',
      formatNumber(g.geometricMeanRate),
      `GSC(input → output)^(1/${r.blocks.length})`,
      formatPrecise(g.geometricMeanRate),
    ),
    card(
      'summary-flags',
      'Flagged blocks',
      String(new Set(flagged.flatMap((f, i) => (f.length > 0 ? [i] : []))).size),
      `${exploding} exploding · ${pseudo} pseudo-linear · ${collapsed} collapsed`,
      `thresholds: GSC > ${r.thresholds.gsc}, nonlinearity k > ${r.thresholds.pseudoLinearK}, relative spread < ${r.thresholds.collapsedSpread}`,
      // Pseudo-linear alone is no alarm (a residual network is pseudo-linear by design, the paper's cure).
      exploding + collapsed > 0 ? 'attention' : undefined,
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Details of the selected block: every number the report has for it.

type Row = readonly [string, string, string?];

function est(label: string, e: Estimate): Row {
  return [label, `${formatNumber(e.value)}${e.ci99[0] !== e.ci99[1] ? `  ${formatInterval(e.ci99)}` : ''} · ${formatMethod(e.method)}`, estimateTitle(e)];
}

function perSample(label: string, p: PerSampleSummary): Row {
  return [label, `median ${formatNumber(p.median)} · min ${formatNumber(p.min)} · max ${formatNumber(p.max)}`, p.values.map(formatPrecise).join(', ')];
}

function relationRows(prefix: string, rel: DilutionRelation, linear: boolean): Row[] {
  const rows: Row[] = [
    [`${prefix} k`, formatK(rel.k, linear), formatPrecise(rel.k)],
    [`${prefix} reduction k² + 1`, formatK(rel.reductionFactor, linear), formatPrecise(rel.reductionFactor)],
    [`${prefix} GSC_f (block)`, formatNumber(rel.gscBlock), formatPrecise(rel.gscBlock)],
    [`${prefix} GSC_ρ (nonlinear part)`, formatOptional(rel.gscNonlinear), formatPrecise(rel.gscNonlinear)],
    [`${prefix} GSC_f² − 1`, formatNumber(rel.lhs), formatPrecise(rel.lhs)],
    [`${prefix} (GSC_ρ² − 1) / (k² + 1)`, formatOptional(rel.rhs), formatPrecise(rel.rhs)],
    [`${prefix} predicted GSC_f`, formatOptional(rel.predictedGscBlock), formatPrecise(rel.predictedGscBlock)],
    [`${prefix} predicted / measured`, formatOptional(rel.predictedOverMeasured), formatPrecise(rel.predictedOverMeasured)],
  ];
  if (rel.note) rows.push([`${prefix} note`, rel.note]);
  return rows;
}

function group(title: string, rows: readonly Row[]): HTMLElement {
  return h(
    'div',
    { className: 'detail-group' },
    h('h3', {}, title),
    h('dl', { className: 'detail-list' }, ...rows.map(([k, v, t]) => h('div', { className: 'detail-row' }, h('dt', {}, k), h('dd', { title: t }, v)))),
  );
}

export function renderBlockDetails(r: AnalysisReport, b: BlockReport | undefined): HTMLElement {
  if (!b) return h('p', { className: 'muted' }, 'Select a block in a chart or the table to see all of its numbers here.');
  const general: Row[] = [
    ['Kind', kindLabel(b)],
    ['Input tensor', b.inputTensor],
    ['Output tensor', b.outputTensor],
    ['d_in → d_out', `${formatInteger(b.dIn)} → ${formatInteger(b.dOut)}`],
    ['Q‖output‖', formatNumber(b.outputQ), formatPrecise(b.outputQ)],
    ['Ops', b.opTypes.join(' → ')],
    ['Names in the model file', b.sourceNames.join(', ') || NOT_APPLICABLE],
  ];
  const gsc: Row[] = [
    est('GSC → output', b.gscToOutput),
    perSample('per sample', b.gscToOutputPerSample),
    est('GSC block', b.gscBlock),
    ['Growth ratio', formatNumber(b.growthRatio), formatPrecise(b.growthRatio)],
    ['Flags', blockFlagLabels(b, r).join(', ') || 'none'],
  ];
  const lin = b.linearisation;
  const linRows: Row[] = [
    ['k_lin', formatK(lin.kLin, lin.linear), formatPrecise(lin.kLin)],
    ['k_lin 99% CI', formatInterval(lin.kLinCi99)],
    ...(lin.kLinPrecision ? [['k_lin precision', formatKLinPrecision(lin.kLinPrecision), `${lin.kLinPrecision.probes} probes`] as Row] : []),
    ['linear', lin.linear ? 'yes' : 'no'],
    est('Q‖S v‖', lin.qSv),
    est('Q‖ρ(v)‖', lin.qRho),
    ['Q‖f(v)‖', formatNumber(lin.qF), formatPrecise(lin.qF)],
    ['Q‖v‖', formatNumber(lin.qV), formatPrecise(lin.qV)],
    est('‖S‖_F²', lin.sFrob2),
    ['GSC of S', formatOptional(lin.gscS), formatPrecise(lin.gscS)],
    ...relationRows('relation:', lin.relation, lin.linear),
  ];
  const groups = [group('Block', general), group('Gradient scale', gsc)];
  if (b.residual) {
    const res = b.residual;
    groups.push(
      group('Skip connection (k_skip)', [
        ['Skip', res.skipKind],
        ['Merge', res.mergeNode],
        ['Skip / branch tensors', `${res.skipTensor} / ${res.branchTensor}`],
        ['Ops after the merge', res.opsAfterMerge.join(' → ') || 'none'],
        ['Q‖skip‖', formatNumber(res.qSkip), formatPrecise(res.qSkip)],
        ['Q‖branch‖', formatNumber(res.qBranch), formatPrecise(res.qBranch)],
        ['Q‖merge‖', formatNumber(res.qMerge), formatPrecise(res.qMerge)],
        ['k_skip', formatKSkip(res), res.branchZero === true ? 'the branch is exactly zero' : formatPrecise(res.kSkip)],
        est('GSC at the merge', res.gscMerge),
        est('GSC of the branch', res.gscBranch),
        est('GSC of the skip', res.gscSkip),
        ...relationRows('relation:', res.relation, false),
      ]),
    );
  }
  const units = b.streamUnits ?? [];
  if (units.length > 0) {
    // Residual units of streams off the main path (docs/metrics.md, step 7), each measured as a block.
    groups.push(
      group(
        'Stream units off the main path',
        units.map((u): Row => [
          u.name,
          u.unmeasured !== undefined
            ? `${u.residual ? 'residual' : 'plain'} · not measured: ${u.unmeasured}`
            : u.residual
              ? `residual (${u.residual.skipKind}) · GSC ${formatUnitGsc(u.gscUnit)} · branch ${formatUnitGsc(u.residual.gscBranch)} · skip ${formatUnitGsc(u.residual.gscSkip)}`
              : `plain · GSC ${formatUnitGsc(u.gscUnit)}`,
          u.opTypes.join(' → '),
        ]),
      ),
    );
  }
  groups.push(group('Linearisation (k_lin)', linRows));
  const own = r.nonlinearities.filter((q) => q.block === b.index);
  if (own.length > 0) {
    groups.push(
      group(
        'Nonlinearities',
        own.map((q): Row => [
          `${q.op} #${q.index}`,
          `sign diversity ${formatNumber(q.signDiversity)} · spread ${formatNumber(q.relativeSpread)} · k ${formatK(q.k, true)}`,
          q.sourceName,
        ]),
      ),
    );
  }
  return h('div', { className: 'details-grid' }, ...groups);
}

// ---------------------------------------------------------------------------------------
// Data tables behind the charts

/** The block matrix as a table: rows are sources k, columns targets l. */
export function renderMatrixTable(r: AnalysisReport): HTMLElement {
  const m = matrixModel(r);
  if (!m) return h('p', { className: 'muted' }, blockMatrixAbsentText(r));
  const label = boundaryLabeler(r);
  const targets = Array.from({ length: m.n - 1 }, (_, i) => i + 1);
  const byCell = new Map(m.entries.map((e) => [`${e.from}:${e.to}`, e]));
  return h(
    'div',
    { className: 'table-scroll' },
    h(
      'table',
      { id: 'matrix-table', className: 'data-table compact' },
      h('caption', { className: 'sr-only' }, 'GSC(k → l): rows are source boundaries k, columns target boundaries l'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { attrs: { scope: 'col' } }, 'k \\ l'),
          ...targets.map((l) => h('th', { className: 'num', attrs: { scope: 'col' }, title: label(l) }, String(l))),
        ),
      ),
      h(
        'tbody',
        {},
        ...Array.from({ length: m.n - 1 }, (_, k) =>
          h(
            'tr',
            { attrs: { 'data-from': k } },
            h('th', { attrs: { scope: 'row' }, title: label(k) }, String(k)),
            ...targets.map((l) => {
              const e = byCell.get(`${k}:${l}`);
              if (!e) return h('td', { className: 'num na' }, l <= k ? '' : NOT_APPLICABLE);
              return h(
                'td',
                {
                  className: 'num',
                  attrs: { 'data-from': k, 'data-to': l, 'data-value': String(e.value) },
                  title: `${formatPrecise(e.value)}${e.ci && e.ci[0] !== e.ci[1] ? ` · 99% CI [${formatPrecise(e.ci[0])}, ${formatPrecise(e.ci[1])}]` : ''} · ${formatMethod(e.method)}`,
                },
                formatNumber(e.value),
              );
            }),
          ),
        ),
      ),
    ),
  );
}
