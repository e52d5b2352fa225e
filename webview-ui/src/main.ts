/**
 * Entry of the results webview (bundled to dist/webview.js). Receives the report from the
 * extension, renders header, warnings, summary, four charts and the tables, and keeps one
 * selected block in sync across all of them. Posts 'ready' once loaded, 'revealBlock' when
 * the user selects a block, 'rerun' and 'export' from the header buttons.
 */
import type { ExtensionToWebview } from '../../src/protocol/webview';
import { blockMatrixAbsentText } from '../../src/report/referenceText';
import type { AnalysisReport, BlockReport, NonlinearityReport, PartialReport } from '../../src/report/schema';
import { collapseChart, dilutionChart, gscChart, heatmapChart, type ChartHost, type ChartView, type HeatmapView } from './charts';
import { colorAt, toCss } from './colorScale';
import { clear, h } from './dom';
import { formatNumber } from './format';
import { readPageState, type PageState } from './persist';
import { renderBlockDetails, renderHeader, renderMatrixTable, renderSummary, renderVerdict, renderWarnings } from './sections';
import type { SortState } from './sorting';
import { renderTable, type TableHandle } from './table';
import { readTheme, type Theme } from './theme';
import { blockColumns, blockFlagLabels, boundaryColumns, NONLINEARITY_COLUMNS } from './viewModel';
import { vscodeApi } from './vscodeApi';
import { showExamplesFigure } from './examples/figureView';
import { renderComparison, type ComparisonMessage } from './compare/compareView';
import { TrendSection } from './trend/trendView';
import { renderPartial, type PartialPage } from './partialView';

const vscode = vscodeApi();
/** Keyboard selections in a chart are revealed in the editor after this pause, not on every key. */
const REVEAL_DELAY_MS = 500;

let state: PageState = readPageState(vscode.getState());
let report: AnalysisReport | undefined;
let selected: number | undefined;
let theme: Theme | undefined;
interface ChartEntry {
  view: ChartView | undefined;
  readonly frame: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly readout: HTMLElement;
  readonly emptyMessage: HTMLElement;
  readonly build: (c: HTMLCanvasElement, host: ChartHost) => ChartView | undefined;
}
let charts: ChartEntry[] = [];
let tables: TableHandle[] = [];
let detailsHost: HTMLElement | undefined;
let legendHost: HTMLElement | undefined;
let revealTimer: ReturnType<typeof setTimeout> | undefined;
/** The trend across analyses of the report's model (kept across re-renders). */
const trendSection = new TrendSection();
/** Set when this page is the Compare Reports panel. */
let comparison: ComparisonMessage | undefined;
/** Set while an analysis runs and only its first chart is in (partialView.ts). */
let partialPage: PartialPage | undefined;

function app(): HTMLElement {
  return document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
}

function saveState(patch: Partial<PageState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

// ---------------------------------------------------------------------------------------
// Selection

type SelectionSource = 'pointer' | 'keyboard' | 'table' | 'host';

function select(block: number, how: SelectionSource): void {
  if (!report || !report.blocks.some((b) => b.index === block)) return;
  const changed = block !== selected;
  selected = block;
  saveState({ selectedBlock: block });
  if (changed) {
    for (const c of charts) c.view?.update();
    for (const t of tables) t.setSelected(block);
    renderDetails();
  }
  if (revealTimer !== undefined) clearTimeout(revealTimer);
  revealTimer = undefined;
  if (how === 'host') return;
  if (how === 'keyboard') revealTimer = setTimeout(() => vscode.postMessage({ type: 'revealBlock', index: block }), REVEAL_DELAY_MS);
  else vscode.postMessage({ type: 'revealBlock', index: block });
}

function renderDetails(): void {
  if (!detailsHost || !report) return;
  const block = report.blocks.find((b) => b.index === selected);
  clear(detailsHost);
  detailsHost.appendChild(
    h('h2', { id: 'details-heading' }, block ? `Block ${block.index} · ` : 'Block details', block ? h('span', { className: 'name' }, block.name) : null),
  );
  detailsHost.appendChild(renderBlockDetails(report, block));
}

// ---------------------------------------------------------------------------------------
// Charts

interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly hint: string;
  readonly label: string;
  readonly build: (c: HTMLCanvasElement, host: ChartHost) => ChartView | undefined;
  readonly size: 'tall' | 'normal';
  readonly data: () => HTMLElement;
  readonly empty?: string;
}

function chartSection(spec: ChartSpec): HTMLElement {
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': spec.label } });
  const readout = h(
    'p',
    { className: 'readout', id: `${spec.id}-readout`, attrs: { 'aria-live': 'polite' } },
    'Focus the chart and use the arrow keys to step through it; Enter shows the block in the model.',
  );
  const frame = h(
    'div',
    {
      className: `chart-frame ${spec.size}`,
      id: `${spec.id}-frame`,
      attrs: {
        tabindex: 0,
        role: 'group',
        'aria-roledescription': 'chart',
        'aria-label': `${spec.label}. Arrow keys select, Enter reveals the block in the model.`,
        'aria-describedby': `${spec.id}-readout`,
      },
    },
    canvas,
  );
  const emptyMessage = h('p', { className: 'muted empty-message' }, spec.empty ?? 'Nothing to show.');
  frame.appendChild(emptyMessage);
  const entry: ChartEntry = { view: undefined, frame, canvas, readout, emptyMessage, build: spec.build };
  frame.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') {
      if (selected !== undefined) {
        ev.preventDefault();
        select(selected, 'pointer');
      }
      return;
    }
    if (entry.view?.onKey(ev)) ev.preventDefault();
  });
  charts.push(entry);
  const section = h(
    'section',
    { className: 'card chart-card', id: spec.id, attrs: { 'aria-labelledby': `${spec.id}-heading` } },
    h('h2', { id: `${spec.id}-heading` }, spec.title),
    h('p', { className: 'hint' }, spec.hint),
    frame,
  );
  if (spec.id === 'heatmap') {
    legendHost = h('div', { className: 'legend', attrs: { 'aria-hidden': 'true' } });
    section.appendChild(legendHost);
  }
  section.appendChild(readout);
  section.appendChild(h('details', { className: 'data' }, h('summary', {}, 'Data table'), spec.data()));
  return section;
}

function buildCharts(): void {
  if (!report) return;
  theme = readTheme();
  const r = report;
  for (const c of charts) {
    c.view?.destroy();
    const host: ChartHost = {
      report: r,
      theme,
      selected: () => selected,
      select: (block, how) => select(block, how),
      announce: (text) => {
        c.readout.textContent = text;
      },
    };
    c.view = c.build(c.canvas, host);
    c.frame.classList.toggle('empty', c.view === undefined);
    c.frame.setAttribute('tabindex', c.view === undefined ? '-1' : '0');
    if (c.view && c.build === heatmapChart) renderLegend(c.view as HeatmapView, theme);
  }
}

/** The heatmap's colour legend: a gradient bar with log ticks (positions set through CSSOM). */
function renderLegend(view: HeatmapView, t: Theme): void {
  if (!legendHost || !view.scale) return;
  const scale = view.scale;
  clear(legendHost);
  const bar = h('div', { className: 'legend-bar' });
  const stops = Array.from({ length: 11 }, (_, i) => toCss(colorAt(t.heatStops, i / 10)));
  bar.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
  const ticks = h('div', { className: 'legend-ticks' });
  for (const v of scale.ticks) {
    const tick = h('span', { className: 'legend-tick' }, formatNumber(v, 3));
    tick.style.left = `${(scale.position(v) * 100).toFixed(2)}%`;
    ticks.appendChild(tick);
  }
  legendHost.appendChild(
    h('div', { className: 'legend-caption' }, h('span', {}, '◀ shrinks'), h('span', {}, 'GSC(k → l), log scale'), h('span', {}, 'grows ▶')),
  );
  legendHost.appendChild(bar);
  legendHost.appendChild(ticks);
}

// ---------------------------------------------------------------------------------------
// Page

function render(r: AnalysisReport): void {
  for (const c of charts) c.view?.destroy();
  charts = [];
  tables = [];
  partialPage?.destroy();
  partialPage = undefined;
  const root = app();
  clear(root);
  root.classList.remove('waiting');
  root.setAttribute('data-state', 'report');
  const canSelect = (block: number): void => select(block, 'table');

  root.appendChild(
    renderHeader(r, { rerun: () => vscode.postMessage({ type: 'rerun' }), exportAs: (format) => vscode.postMessage({ type: 'export', format }) }),
  );
  const warnings = renderWarnings(r);
  if (warnings) root.appendChild(warnings);
  root.appendChild(renderVerdict(r));
  root.appendChild(renderSummary(r));
  root.appendChild(trendSection.showFor(r.model.path, readTheme()));

  const blockTableHost = h('div');
  const nonlinearityTableHost = h('div');
  const boundaryTable = renderTable({
    id: 'boundary-table',
    caption: 'GSC to the output per boundary',
    columns: boundaryColumns(r),
    rows: r.boundaries,
    blockOf: (b) => b.index,
    rowAttrs: (b) => ({ 'data-boundary': String(b.index) }),
    rowLabel: (b) => `Boundary ${b.index}`,
    sort: undefined,
    onSort: () => undefined,
    onActivate: (block) => (block >= 1 ? canSelect(block) : undefined),
  });
  tables.push(boundaryTable);

  const grid = h(
    'div',
    { className: 'charts-grid' },
    chartSection({
      id: 'heatmap',
      title: 'Block matrix GSC(k → l)',
      hint: 'How much a relative change at boundary k is amplified by the time it reaches boundary l. Arrow keys move the cell cursor.',
      label: 'Heatmap of the block matrix GSC from boundary k to boundary l, log colour scale',
      build: heatmapChart,
      size: 'tall',
      empty: blockMatrixAbsentText(r),
      data: () => renderMatrixTable(r),
    }),
    chartSection({
      id: 'gsc',
      title: 'GSC to the output',
      hint: `Per boundary, log scale, with 99% intervals. Dashed: log-linear fit, explosion rate ${formatNumber(r.growth.logFit.rate)} per block.`,
      label: 'GSC from each boundary to the model output on a log axis, with the fitted explosion rate',
      build: gscChart,
      size: 'normal',
      data: () => boundaryTable.element,
    }),
    chartSection({
      id: 'dilution',
      title: 'k-dilution per block',
      hint: 'Bars: k_skip (skip connection) and k_lin (linearisation); markers: the reduction factor k² + 1. ∞: linear block.',
      label: 'k-dilution per block: k_skip and k_lin bars with the k squared plus 1 reduction factors, log axis',
      build: dilutionChart,
      size: 'normal',
      data: () => h('p', { className: 'muted' }, 'The block table below has every k, its interval and k² + 1.'),
    }),
    chartSection({
      id: 'collapse',
      title: 'Collapsing domain per nonlinearity',
      hint: `Sign diversity and relative spread (left axis; dashed: collapsed below ${formatNumber(r.thresholds.collapsedSpread)}), the nonlinearity's k (right axis, log).`,
      label: 'Collapsing-domain measures per nonlinearity: sign diversity, relative spread and k',
      build: collapseChart,
      size: 'normal',
      empty: 'This model has no elementwise nonlinearities.',
      data: () => nonlinearityTableHost,
    }),
  );
  root.appendChild(grid);

  const blocksSection = h(
    'section',
    { className: 'card', id: 'blocks', attrs: { 'aria-labelledby': 'blocks-heading' } },
    h('h2', { id: 'blocks-heading' }, 'Blocks'),
    h('p', { className: 'hint' }, 'Hover a number for its full precision and estimator. Column headers sort; Enter on a row shows the block in the model.'),
    blockTableHost,
  );
  root.appendChild(blocksSection);
  detailsHost = h('section', { className: 'card details', id: 'details', attrs: { 'aria-labelledby': 'details-heading', 'aria-live': 'polite' } });
  root.appendChild(detailsHost);
  if (r.nonlinearities.length === 0) nonlinearityTableHost.appendChild(h('p', { className: 'muted' }, 'This model has no elementwise nonlinearities.'));

  const renderBlockTable = (sort: SortState | undefined): void => {
    const t = renderTable<BlockReport>({
      id: 'block-table',
      caption: 'Blocks with every number and its 99% confidence interval',
      columns: blockColumns(r),
      rows: r.blocks,
      blockOf: (b) => b.index,
      rowAttrs: (b) => ({ 'data-block': String(b.index), 'data-block-index': String(b.index) }),
      rowClass: (b) => (blockFlagLabels(b, r).length > 0 ? 'flagged' : undefined),
      rowLabel: (b) => `Block ${b.index} ${b.name}${blockFlagLabels(b, r).length > 0 ? `, flagged: ${blockFlagLabels(b, r).join(', ')}` : ''}`,
      sort,
      onSort: (s) => {
        saveState({ sort: s });
        renderBlockTable(s);
        blockTableHost.querySelector<HTMLButtonElement>(`th[data-column="${s.column}"] button`)?.focus();
      },
      onActivate: canSelect,
    });
    replaceTable(blockTableHost, t);
  };
  const renderNonlinearityTable = (sort: SortState | undefined): void => {
    if (r.nonlinearities.length === 0) return;
    const t = renderTable<NonlinearityReport>({
      id: 'nonlinearity-table',
      caption: 'Collapsing-domain measures per nonlinearity',
      columns: NONLINEARITY_COLUMNS,
      rows: r.nonlinearities,
      blockOf: (q) => q.block,
      rowAttrs: (q) => ({ 'data-nonlinearity': String(q.index), 'data-block': String(q.block) }),
      rowLabel: (q) => `${q.op} ${q.index} in block ${q.block}`,
      sort,
      onSort: (s) => {
        saveState({ nonlinearitySort: s });
        renderNonlinearityTable(s);
        nonlinearityTableHost.querySelector<HTMLButtonElement>(`th[data-column="${s.column}"] button`)?.focus();
      },
      onActivate: canSelect,
    });
    replaceTable(nonlinearityTableHost, t);
  };
  renderBlockTable(state.sort);
  renderNonlinearityTable(state.nonlinearitySort);

  buildCharts();
  if (selected !== undefined) for (const t of tables) t.setSelected(selected);
  renderDetails();
}

/** Swaps a table in its host and keeps the selection on the new one. */
function replaceTable(host: HTMLElement, t: TableHandle): void {
  const old = host.firstElementChild;
  const index = old ? tables.findIndex((x) => x.element === old) : -1;
  if (index >= 0) tables[index] = t;
  else tables.push(t);
  clear(host);
  host.appendChild(t.element);
  t.setSelected(selected);
}

function showReport(r: AnalysisReport): void {
  const sameModel = report?.model.path === r.model.path || state.modelPath === r.model.path;
  report = r;
  if (!sameModel || !r.blocks.some((b) => b.index === state.selectedBlock)) selected = undefined;
  else selected = state.selectedBlock;
  saveState({ modelPath: r.model.path, report: r, selectedBlock: selected });
  render(r);
}

/** The first chart of a running analysis; the report, when it comes, replaces the page. */
function showPartial(p: PartialReport): void {
  for (const c of charts) c.view?.destroy();
  charts = [];
  tables = [];
  partialPage?.destroy();
  report = undefined;
  const root = app();
  clear(root);
  root.classList.remove('waiting');
  partialPage = renderPartial(root, p, readTheme());
}

function showWaiting(): void {
  const root = app();
  clear(root);
  root.classList.add('waiting');
  root.appendChild(
    h(
      'div',
      { className: 'waiting-message' },
      h('div', { className: 'spinner', attrs: { 'aria-hidden': 'true' } }),
      h('p', {}, 'Waiting for the analysis report…'),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Theme: VS Code changes the body class (and the CSS variables) when the theme changes.

let themeFrame: number | undefined;
function scheduleThemeRefresh(): void {
  if (themeFrame !== undefined) return;
  themeFrame = requestAnimationFrame(() => {
    themeFrame = undefined;
    partialPage?.refresh(readTheme());
    if (report) {
      buildCharts();
      trendSection.refresh(readTheme());
    }
    if (comparison) renderComparison(app(), comparison, readTheme());
  });
}

new MutationObserver(scheduleThemeRefresh).observe(document.body, { attributes: true, attributeFilter: ['class'] });
new MutationObserver(scheduleThemeRefresh).observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data as ExtensionToWebview | undefined;
  if (typeof message !== 'object' || message === null) return;
  switch (message.type) {
    case 'report':
      if (typeof message.report === 'object' && message.report !== null && Array.isArray(message.report.blocks)) showReport(message.report);
      return;
    case 'partial':
      if (typeof message.partial === 'object' && message.partial !== null && Array.isArray(message.partial.boundaries)) showPartial(message.partial);
      return;
    case 'selectBlock':
      if (Number.isInteger(message.index)) select(message.index, 'host');
      return;
    case 'theme':
      scheduleThemeRefresh();
      return;
    case 'comparison':
      if (typeof message.comparison === 'object' && message.comparison !== null && Array.isArray(message.comparison.blocks)) {
        for (const c of charts) c.view?.destroy();
        charts = [];
        tables = [];
        comparison = { comparison: message.comparison, matrixRatio: message.matrixRatio ?? null };
        renderComparison(app(), comparison, readTheme());
      }
      return;
    case 'examplesFigure':
      if (typeof message.figure === 'object' && message.figure !== null && Array.isArray(message.figure.series)) showExamplesFigure(app(), message.figure);
      return;
    case 'trend':
      if (typeof message.trend === 'object' && message.trend !== null && Array.isArray(message.trend.series)) trendSection.set(message.trend, readTheme());
      return;
  }
});

if (state.report) showReport(state.report);
else showWaiting();
vscode.postMessage({ type: 'ready' });
