/**
 * The "Analyze All Examples" page: GSC to the output against depth, one line per bundled
 * example, on a log axis, like Figure 1 of the paper. A Chart.js line chart in theme colours
 * (each line also has its own dash and point style, so it reads without colour), a summary
 * table with GSC(input → output) per example, and a data table with every plotted number.
 * data-* attributes carry full-precision numbers for the end-to-end test. The chart is
 * keyboard-readable through its focusable frame (arrows step through lines and points).
 */
import { Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip, type PointStyle, type Scale } from 'chart.js';
import type { ExamplesFigure, FigureSeries } from '../../../src/report/figureData';
import { logTicks, toCss, withAlpha, type Rgba } from '../colorScale';
import { clear, h } from '../dom';
import { formatDuration, formatInterval, formatMethod, formatNumber, formatPrecise } from '../format';
import { readTheme, type Theme } from '../theme';
import { vscodeApi } from '../vscodeApi';
import { maxOf } from '../../../src/report/extent';

Chart.register(LineController, LineElement, LinearScale, LogarithmicScale, PointElement, Legend, Tooltip);

const DASHES: readonly (readonly number[])[] = [[], [7, 3], [2, 3], [10, 3, 2, 3], [4, 4], [12, 4], [1, 2]];
const POINTS: readonly PointStyle[] = ['circle', 'rect', 'triangle', 'rectRot', 'crossRot', 'star', 'line'];

/** In catalogue order; the residual MLP takes the foreground colour and the linear network the muted one, so no two lines share a hue. */
function lineColors(t: Theme): readonly Rgba[] {
  return [t.blue, t.red, t.green, t.orange, t.purple, t.foreground, t.muted];
}

let shown: { root: HTMLElement; figure: ExamplesFigure; chart: Chart<'line', { x: number; y: number }[]> | undefined } | undefined;
let cursor = { series: 0, point: 0 };

/** Renders (or re-renders) the figure into `root`. */
export function showExamplesFigure(root: HTMLElement, figure: ExamplesFigure): void {
  shown?.chart?.destroy();
  shown = { root, figure, chart: undefined };
  render(root, figure, readTheme());
}

function render(root: HTMLElement, figure: ExamplesFigure, theme: Theme): void {
  clear(root);
  root.classList.remove('waiting');
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'GSC to the output against depth, one line per example network, log scale' } });
  const readout = h('p', { className: 'readout', id: 'examples-readout', attrs: { 'aria-live': 'polite' } }, 'Focus the chart and use the arrow keys: left and right step along a line, up and down change the line.');
  const frame = h(
    'div',
    { className: 'chart-frame tall', id: 'examples-frame', attrs: { tabindex: 0, role: 'group', 'aria-roledescription': 'chart', 'aria-label': 'GSC to the output against depth per example. Arrow keys read the points.', 'aria-describedby': 'examples-readout' } },
    canvas,
  );
  const s = figure.settings;
  root.appendChild(
    h(
      'header',
      { className: 'page-header' },
      h('h1', {}, h('span', { className: 'product' }, 'Gradient Lens · '), 'Examples: gradient explosion against depth'),
      h('p', { className: 'hint', id: 'examples-status', attrs: { 'data-status': figure.status, 'data-series': figure.series.length, 'data-pending': figure.pending.length } }, statusText(figure)),
      s ? h('p', { className: 'hint' }, `Batch ${s.batch} of seeded N(0, 1) inputs, seed ${s.seed}, ${s.probes} probes, exact mode ${s.exact}, backend ${s.backend}; GSC to the model output (the logits).`) : null,
    ),
  );
  root.appendChild(
    h(
      'section',
      { className: 'card chart-card', id: 'examples-figure', attrs: { 'aria-labelledby': 'examples-figure-heading' } },
      h('h2', { id: 'examples-figure-heading' }, 'GSC(layer → output) against depth'),
      h(
        'p',
        { className: 'hint' },
        'Each line is one network of depth 50 and width 100 (the paper’s Figure 1). A point is the gradient scale coefficient from the layer at that depth to the output: how much a small relative change there is amplified by the time it reaches the output. A line that climbs towards the input (left) on this log axis is an exploding gradient; a flat line at 1 is none.',
      ),
      frame,
      readout,
      h('details', { className: 'data' }, h('summary', {}, 'Data table: every plotted value'), depthTable(figure)),
    ),
  );
  root.appendChild(h('section', { className: 'card', id: 'examples-summary', attrs: { 'aria-labelledby': 'examples-summary-heading' } }, h('h2', { id: 'examples-summary-heading' }, 'At the input'), summaryTable(figure)));
  frame.addEventListener('keydown', (ev) => {
    if (onKey(ev.key, readout)) ev.preventDefault();
  });
  // Chart.js sizes itself from the attached DOM.
  if (shown) shown.chart = figure.series.length > 0 ? drawChart(canvas, figure.series, theme) : undefined;
  if (figure.series.length === 0) frame.appendChild(h('p', { className: 'muted empty-message' }, figure.status === 'running' ? 'The first example is being analyzed…' : 'No example was analyzed.'));
}

function statusText(f: ExamplesFigure): string {
  switch (f.status) {
    case 'running':
      return `Running: ${f.message}. Lines appear as each example finishes.`;
    case 'done':
      return `Done: ${f.message}.`;
    case 'cancelled':
      return `Cancelled: ${f.message}.`;
    case 'failed':
      return `Stopped: ${f.message}.`;
  }
}

function drawChart(canvas: HTMLCanvasElement, series: readonly FigureSeries[], theme: Theme): Chart<'line', { x: number; y: number }[]> {
  const colors = lineColors(theme);
  const maxDepth = maxOf(series.flatMap((s) => s.points.map((p) => p.depth)));
  return new Chart<'line', { x: number; y: number }[]>(canvas, {
    type: 'line',
    data: {
      datasets: series.map((s, i) => ({
        label: s.title,
        data: s.points.map((p) => ({ x: p.depth, y: p.gsc })),
        borderColor: toCss(colors[i % colors.length]),
        backgroundColor: toCss(colors[i % colors.length]),
        borderDash: [...DASHES[i % DASHES.length]],
        borderWidth: theme.highContrast ? 2.5 : 2,
        pointStyle: POINTS[i % POINTS.length],
        pointRadius: 2.5,
        pointHoverRadius: 6,
        tension: 0,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: {
          type: 'linear',
          min: 0,
          // A round end, so the last tick does not crowd the one before it.
          max: Math.ceil(maxDepth / 5) * 5,
          title: { display: true, text: 'depth: weight layers from the input (output at the right)', color: toCss(theme.muted) },
          ticks: { color: toCss(theme.foreground), stepSize: 5 },
          grid: { color: toCss(theme.grid) },
        },
        y: {
          type: 'logarithmic',
          title: { display: true, text: 'GSC(layer → output), log scale', color: toCss(theme.muted) },
          afterBuildTicks: (scale: Scale) => {
            scale.ticks = logTicks(scale.min, scale.max).map((value) => ({ value }));
          },
          ticks: { color: toCss(theme.foreground), autoSkip: false, callback: (v: number | string) => formatNumber(Number(v), 3) },
          grid: { color: toCss(theme.grid) },
        },
      },
      plugins: {
        legend: { position: 'right', labels: { color: toCss(theme.foreground), usePointStyle: true, boxWidth: 10, boxHeight: 6, sort: (a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0) } },
        tooltip: {
          backgroundColor: toCss(withAlpha(theme.background, 0.97)),
          titleColor: toCss(theme.foreground),
          bodyColor: toCss(theme.foreground),
          borderColor: toCss(theme.highContrast ? theme.foreground : theme.grid),
          borderWidth: 1,
          callbacks: {
            title: (items) => (items[0] ? `depth ${items[0].parsed.x}` : ''),
            label: (item) => `${item.dataset.label ?? ''}: GSC ${formatNumber(item.parsed.y ?? NaN)}`,
          },
        },
      },
    },
  });
}

function numCell(field: string, value: number, text = formatNumber(value)): HTMLTableCellElement {
  return h('td', { className: 'num', attrs: { 'data-field': field, 'data-value': String(value), title: formatPrecise(value) } }, text);
}

/** Opens the example's model code in the editor, with the offer to analyse it (the extension's Open Example). */
function openButton(id: string, title: string): HTMLButtonElement {
  const b = h('button', { className: 'button secondary small', attrs: { type: 'button', 'data-open-example': id, 'aria-label': `Open the ${title} example` } }, 'Open');
  b.addEventListener('click', () => vscodeApi().postMessage({ type: 'openExample', id }));
  return b;
}

function summaryTable(f: ExamplesFigure): HTMLElement {
  const head = h(
    'tr',
    {},
    ...['Network', 'Example', 'Blocks', 'GSC input → output', '99% interval', 'Estimator', 'Explosion rate per block', 'Time'].map((t, i) => h('th', { className: i >= 2 ? 'num' : undefined, attrs: { scope: 'col' } }, t)),
    h('th', { attrs: { scope: 'col' } }, h('span', { className: 'sr-only' }, 'Open')),
  );
  const rows = f.series.map((s) =>
    h(
      'tr',
      { attrs: { 'data-example': s.id, 'data-status': 'done', title: s.description } },
      h('th', { attrs: { scope: 'row' } }, s.title),
      h('td', {}, h('code', {}, s.id)),
      numCell('blocks', s.blocks, String(s.blocks)),
      numCell('gscInputToOutput', s.gscInputToOutput),
      h('td', { className: 'num', attrs: { 'data-field': 'ci99', 'data-low': String(s.ciInput[0]), 'data-high': String(s.ciInput[1]) } }, s.method === 'exact' ? 'exact' : formatInterval(s.ciInput)),
      h('td', { attrs: { 'data-field': 'method' } }, s.method),
      numCell('rate', s.rate),
      h('td', { className: 'num' }, formatDuration(s.analysisMs)),
      h('td', {}, openButton(s.id, s.title)),
    ),
  );
  const pending = f.pending.map((p) =>
    h('tr', { attrs: { 'data-example': p.id, 'data-status': f.status === 'running' ? 'pending' : 'not analyzed' } }, h('th', { attrs: { scope: 'row' } }, p.title), h('td', {}, h('code', {}, p.id)), h('td', { className: 'muted', attrs: { colspan: 6 } }, f.status === 'running' ? 'waiting…' : 'not analyzed'), h('td', {}, openButton(p.id, p.title))),
  );
  return h('div', { className: 'table-scroll' }, h('table', { className: 'data-table', id: 'examples-table' }, h('caption', {}, 'GSC from the input to the output per example network'), h('thead', {}, head), h('tbody', {}, ...rows, ...pending)));
}

/** Every plotted value: one row per depth, one column per example (blank where a network has no layer boundary at that depth). */
function depthTable(f: ExamplesFigure): HTMLElement {
  const depths = [...new Set(f.series.flatMap((s) => s.points.map((p) => p.depth)))].sort((a, b) => a - b);
  const head = h('tr', {}, h('th', { className: 'num', attrs: { scope: 'col' } }, 'Depth'), ...f.series.map((s) => h('th', { className: 'num', attrs: { scope: 'col' } }, s.title)));
  const rows = depths.map((d) =>
    h(
      'tr',
      { attrs: { 'data-depth': d } },
      h('th', { className: 'num', attrs: { scope: 'row' } }, String(d)),
      ...f.series.map((s) => {
        const p = s.points.find((q) => q.depth === d);
        return p
          ? h('td', { className: 'num', attrs: { 'data-example': s.id, 'data-depth': d, 'data-boundary': p.boundary, 'data-value': String(p.gsc), title: `boundary ${p.boundary}, ${formatMethod(p.method)}` } }, formatNumber(p.gsc))
          : h('td', { className: 'num muted' }, '');
      }),
    ),
  );
  return h('div', { className: 'table-scroll' }, h('table', { className: 'data-table compact', id: 'examples-depth-table' }, h('caption', { className: 'sr-only' }, 'GSC to the output per depth and example'), h('thead', {}, head), h('tbody', {}, ...rows)));
}

function onKey(key: string, readout: HTMLElement): boolean {
  const chart = shown?.chart;
  const series = shown?.figure.series ?? [];
  if (!chart || series.length === 0) return false;
  const c = { ...cursor };
  c.series = Math.min(c.series, series.length - 1);
  const last = (): number => series[c.series].points.length - 1;
  if (key === 'ArrowRight') c.point = Math.min(last(), c.point + 1);
  else if (key === 'ArrowLeft') c.point = Math.max(0, c.point - 1);
  else if (key === 'ArrowDown') c.series = Math.min(series.length - 1, c.series + 1);
  else if (key === 'ArrowUp') c.series = Math.max(0, c.series - 1);
  else if (key === 'Home') c.point = 0;
  else if (key === 'End') c.point = last();
  else return false;
  c.point = Math.min(c.point, last());
  cursor = c;
  const active = [{ datasetIndex: c.series, index: c.point }];
  chart.setActiveElements(active);
  const el = chart.getDatasetMeta(c.series).data[c.point];
  chart.tooltip?.setActiveElements(active, { x: el?.x ?? 0, y: el?.y ?? 0 });
  chart.update();
  const s = series[c.series];
  const p = s.points[c.point];
  readout.textContent = `${s.title}: depth ${p.depth} (boundary ${p.boundary}), GSC to the output ${formatNumber(p.gsc)}${p.method === 'exact' ? ', exact' : `, 99% interval ${formatInterval([p.ciLow, p.ciHigh])}`}.`;
  return true;
}

// VS Code switches the body's theme class: redraw in the new colours.
new MutationObserver(() => {
  if (shown && shown.root.isConnected && shown.root.querySelector('#examples-figure')) {
    shown.chart?.destroy();
    render(shown.root, shown.figure, readTheme());
  }
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });
