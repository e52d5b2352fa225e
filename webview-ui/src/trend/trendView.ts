/**
 * The trend section under a report: GSC to the output per block across the analyses of the
 * model (e.g. checkpoints saved by a training script while the model is watched). A Chart.js
 * line chart (log y axis, one line per block, x = analysis) with a keyboard cursor and a data
 * table carrying data-* attributes. The section element is kept across report re-renders and
 * only shown while the trend belongs to the model on the page.
 */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip, type Scale } from 'chart.js';
import type { Trend } from '../../../src/report/compareTrend';
import { logTicks, toCss, withAlpha } from '../colorScale';
import { clear, h } from '../dom';
import { formatNumber } from '../format';
import type { Theme } from '../theme';
import { describePoint, pointLabel, trendLines } from './trendModel';

Chart.register(CategoryScale, LineController, LineElement, LinearScale, LogarithmicScale, PointElement, Legend, Tooltip);

export class TrendSection {
  readonly element: HTMLElement;
  private readonly frame: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly readout: HTMLElement;
  private readonly note: HTMLElement;
  private readonly tableHost: HTMLElement;
  private trend: Trend | undefined;
  private modelPath: string | undefined;
  private chart: Chart<'line', (number | null)[], string> | undefined;
  private cursor = { series: 0, point: 0 };

  constructor() {
    this.canvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'Trend of GSC to the output per block across analyses' } });
    this.frame = h(
      'div',
      {
        className: 'chart-frame',
        id: 'trend-frame',
        attrs: {
          tabindex: 0,
          role: 'group',
          'aria-roledescription': 'chart',
          'aria-label': 'Trend of GSC to the output per block. Left and right arrows step through the analyses, up and down through the blocks.',
          'aria-describedby': 'trend-readout',
        },
      },
      this.canvas,
    );
    this.readout = h(
      'p',
      { className: 'readout', id: 'trend-readout', attrs: { 'aria-live': 'polite' } },
      'Focus the chart and use the arrow keys to read every point.',
    );
    this.note = h('p', { className: 'hint' });
    this.tableHost = h('div', { className: 'table-scroll' });
    this.element = h(
      'section',
      { className: 'card chart-card', id: 'trend', attrs: { 'aria-labelledby': 'trend-heading', hidden: true } },
      h('h2', { id: 'trend-heading' }, 'Trend across analyses'),
      this.note,
      this.frame,
      this.readout,
      h('details', { className: 'data' }, h('summary', {}, 'Data table'), this.tableHost),
    );
    this.frame.addEventListener('keydown', (ev) => {
      if (this.onKey(ev.key)) ev.preventDefault();
    });
  }

  /** The page now shows this model's report: show the trend if it belongs to it. */
  showFor(modelPath: string, theme: Theme): HTMLElement {
    this.modelPath = modelPath;
    if (!this.visible()) this.element.setAttribute('hidden', '');
    // The caller attaches the element after this returns; Chart.js sizes itself from the DOM.
    requestAnimationFrame(() => this.render(theme));
    return this.element;
  }

  set(trend: Trend, theme: Theme): void {
    this.trend = trend;
    this.render(theme);
  }

  /** Redraw with new theme colours. */
  refresh(theme: Theme): void {
    this.render(theme);
  }

  private visible(): boolean {
    return this.trend !== undefined && this.trend.modelPath === this.modelPath && this.trend.points.length >= 2;
  }

  private render(theme: Theme): void {
    this.chart?.destroy();
    this.chart = undefined;
    const trend = this.trend;
    if (!trend || !this.visible()) {
      this.element.setAttribute('hidden', '');
      return;
    }
    this.element.removeAttribute('hidden');
    this.element.setAttribute('data-points', String(trend.points.length));
    this.note.textContent = `GSC to the output of each block over ${trend.points.length} analyses of ${trend.fileName}, oldest first (${trend.note}). A new analysis is added each time the model's content changes (Watch Model re-analyzes on every saved checkpoint).`;
    this.renderTable(trend);
    const colors = [theme.blue, theme.red, theme.green, theme.orange, theme.purple, theme.yellow];
    const lines = trendLines(trend, colors.length);
    const labels = trend.points.map((_, i) => pointLabel(trend, i));
    this.chart = new Chart<'line', (number | null)[], string>(this.canvas, {
      type: 'line',
      data: {
        labels,
        datasets: lines.map((line) => ({
          label: line.label,
          data: [...line.values],
          borderColor: toCss(colors[line.colorIndex]),
          backgroundColor: toCss(colors[line.colorIndex]),
          borderDash: [...line.dash],
          borderWidth: 2,
          pointRadius: 3.5,
          pointHoverRadius: 6,
          spanGaps: false,
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
            title: { display: true, text: 'analysis (oldest → newest)', color: toCss(theme.muted) },
            ticks: { color: toCss(theme.foreground) },
            grid: { color: toCss(theme.grid) },
          },
          y: {
            type: 'logarithmic',
            title: { display: true, text: 'GSC(block → output), log scale', color: toCss(theme.muted) },
            // Our own ticks (Chart.js labels every 1..9 x 10^n, which collide over narrow ranges).
            afterBuildTicks: (scale: Scale) => {
              scale.ticks = logTicks(scale.min, scale.max, 7).map((value) => ({ value }));
            },
            ticks: { color: toCss(theme.foreground), autoSkip: false, callback: (v: number | string) => formatNumber(Number(v), 3) },
            grid: { color: toCss(theme.grid) },
          },
        },
        plugins: {
          legend: { position: 'right', labels: { color: toCss(theme.foreground), boxWidth: 18, boxHeight: 2 } },
          tooltip: {
            backgroundColor: toCss(withAlpha(theme.background, 0.97)),
            titleColor: toCss(theme.foreground),
            bodyColor: toCss(theme.foreground),
            borderColor: toCss(theme.grid),
            borderWidth: 1,
            callbacks: {
              title: (items) => (items[0] ? `analysis ${labels[items[0].dataIndex]} · ${trend.points[items[0].dataIndex]?.createdAt ?? ''}` : ''),
              label: (item) => `block ${item.dataset.label ?? ''}: ${formatNumber(item.parsed.y)}`,
            },
          },
        },
      },
    });
    this.cursor = { series: Math.min(this.cursor.series, trend.series.length - 1), point: Math.min(this.cursor.point, trend.points.length - 1) };
  }

  private renderTable(trend: Trend): void {
    clear(this.tableHost);
    const head = h(
      'tr',
      {},
      h('th', { attrs: { scope: 'col' } }, 'Block'),
      ...trend.points.map((_, i) => h('th', { className: 'num', attrs: { scope: 'col', title: trend.points[i].createdAt } }, pointLabel(trend, i))),
    );
    const rows = trend.series.map((s) =>
      h(
        'tr',
        { attrs: { 'data-trend-block': s.block } },
        h('th', { attrs: { scope: 'row' } }, `${s.block} ${s.name}`),
        ...s.values.map((v, i) => h('td', { className: 'num', attrs: { 'data-point': i, 'data-value': v === null ? 'null' : String(v) } }, formatNumber(v))),
      ),
    );
    this.tableHost.appendChild(
      h(
        'table',
        { className: 'data-table compact', id: 'trend-table' },
        h('caption', { className: 'sr-only' }, 'GSC to the output per block and analysis'),
        h('thead', {}, head),
        h('tbody', {}, ...rows),
      ),
    );
  }

  private onKey(key: string): boolean {
    const trend = this.trend;
    if (!trend || !this.chart || !this.visible()) return false;
    const c = { ...this.cursor };
    if (key === 'ArrowRight') c.point = Math.min(trend.points.length - 1, c.point + 1);
    else if (key === 'ArrowLeft') c.point = Math.max(0, c.point - 1);
    else if (key === 'ArrowDown') c.series = Math.min(trend.series.length - 1, c.series + 1);
    else if (key === 'ArrowUp') c.series = Math.max(0, c.series - 1);
    else if (key === 'Home') c.point = 0;
    else if (key === 'End') c.point = trend.points.length - 1;
    else return false;
    this.cursor = c;
    const active = [{ datasetIndex: c.series, index: c.point }];
    this.chart.setActiveElements(active);
    const el = this.chart.getDatasetMeta(c.series).data[c.point];
    this.chart.tooltip?.setActiveElements(active, { x: el?.x ?? 0, y: el?.y ?? 0 });
    this.chart.update();
    this.readout.textContent = describePoint(trend, c.series, c.point);
    return true;
  }
}
