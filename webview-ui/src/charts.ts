/**
 * The four charts (Chart.js on canvas). Canvas is not keyboard-accessible by itself, so each
 * chart is driven by its focusable wrapper: the wrapper gives key events to the chart's
 * onKey, which moves a cursor, selects a block, shows the tooltip of the item under the
 * cursor and announces its exact values. Every label drawn on the canvas is canvas text,
 * never markup.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartOptions,
  type ChartType,
  type Plugin,
  type Scale,
  type ScriptableContext,
  type TooltipItem,
} from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';
import type { AnalysisReport, BlockReport } from '../../src/report/schema';
import { colorAt, logDivergingScale, logTicks, luminance, toCss, withAlpha, type LogDivergingScale, type Rgba } from './colorScale';
import { formatInterval, formatMethod, formatNumber, formatPrecise, INFINITY_TEXT, NOT_APPLICABLE } from './format';
import { moveInList, moveInMatrix, type MatrixCell } from './navigation';
import type { Theme } from './theme';
import { boundaryLabeler, collapseRows, dilutionRows, gscSeries, infinityCap, matrixEntryText, matrixModel, type KValue, type MatrixEntry } from './viewModel';
import { maxOf, minOf } from '../../src/report/extent';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  MatrixController,
  MatrixElement,
);

export interface ChartHost {
  readonly report: AnalysisReport;
  readonly theme: Theme;
  selected(): number | undefined;
  /** 'keyboard' selections are revealed in the editor after a pause, 'pointer' ones at once. */
  select(block: number, how: 'pointer' | 'keyboard'): void;
  /** Shows (and announces) the exact values of the item under the keyboard cursor. */
  announce(text: string): void;
}

export interface ChartView {
  /** Redraw after the selection changed. */
  update(): void;
  destroy(): void;
  /** Handles a key on the chart's wrapper; true when it was a chart key. */
  onKey(ev: KeyboardEvent): boolean;
}

const css = toCss;

function applyDefaults(theme: Theme): void {
  Chart.defaults.font.family = theme.fontFamily;
  Chart.defaults.font.size = Math.max(11, theme.fontSize - 1);
  Chart.defaults.color = css(theme.foreground);
  Chart.defaults.borderColor = css(theme.grid);
}

function baseOptions(theme: Theme): ChartOptions {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'nearest', intersect: false },
    plugins: {
      // Legend in dataset order (Chart.js would order it by the drawing order).
      legend: { labels: { color: css(theme.foreground), usePointStyle: true, boxHeight: 8, sort: (a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0) } },
      tooltip: {
        backgroundColor: css(withAlpha(theme.background, 0.97)),
        titleColor: css(theme.foreground),
        bodyColor: css(theme.foreground),
        borderColor: css(theme.highContrast ? theme.foreground : theme.grid),
        borderWidth: 1,
        displayColors: true,
        padding: 8,
      },
    },
  };
}

/**
 * Our own ticks on a log axis (Chart.js puts one at every 1..9 x 10^n, which collide over
 * narrow ranges); `infinityAt` adds the tick that stands for ∞.
 */
function logAxis(infinityAt?: number): { afterBuildTicks: (scale: Scale) => void; ticks: { callback: (value: number | string) => string; autoSkip: boolean } } {
  return {
    afterBuildTicks: (scale: Scale) => {
      const values = logTicks(scale.min, scale.max).filter((v) => infinityAt === undefined || v < infinityAt);
      if (infinityAt !== undefined) values.push(infinityAt);
      scale.ticks = values.map((value) => ({ value }));
    },
    ticks: {
      callback: (value: number | string) => (infinityAt !== undefined && Number(value) === infinityAt ? INFINITY_TEXT : formatNumber(Number(value), 3)),
      autoSkip: false,
    },
  };
}

function axisTitle(text: string, theme: Theme): { display: boolean; text: string; color: string } {
  return { display: true, text, color: css(theme.muted) };
}

/** Shades the selected block's column(s) behind the data. */
function selectionBand<T extends ChartType>(theme: Theme, range: (chart: Chart<T>) => readonly [number, number] | undefined): Plugin<T> {
  return {
    id: 'selectionBand',
    beforeDatasetsDraw(chart) {
      const r = range(chart);
      if (!r) return;
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.fillStyle = css(withAlpha(theme.focus, theme.highContrast ? 0.35 : 0.16));
      ctx.fillRect(r[0], chartArea.top, r[1] - r[0], chartArea.bottom - chartArea.top);
      if (theme.highContrast) {
        ctx.strokeStyle = css(theme.focus);
        ctx.setLineDash([4, 3]);
        ctx.strokeRect(r[0], chartArea.top, r[1] - r[0], chartArea.bottom - chartArea.top);
      }
      ctx.restore();
    },
  };
}

/** Pixel extent of category indices first..last on a category x axis. */
function categorySpan(scale: Scale, first: number, last: number, count: number): readonly [number, number] {
  const width = (scale.right - scale.left) / Math.max(1, count);
  return [scale.getPixelForValue(first) - width / 2, scale.getPixelForValue(last) + width / 2];
}

function showActive<TType extends ChartType>(chart: Chart<TType>, datasetIndex: number, index: number): void {
  const active = [{ datasetIndex, index }];
  chart.setActiveElements(active);
  const el = chart.getDatasetMeta(datasetIndex).data[index];
  chart.tooltip?.setActiveElements(active, { x: el?.x ?? 0, y: el?.y ?? 0 });
  chart.update('none');
}

// ---------------------------------------------------------------------------------------
// 1. Block matrix heatmap

export interface HeatmapView extends ChartView {
  readonly scale: LogDivergingScale | undefined;
}

export function heatmapChart(canvas: HTMLCanvasElement, host: ChartHost): HeatmapView | undefined {
  const { report, theme } = host;
  const model = matrixModel(report);
  if (!model || model.entries.length === 0) return undefined;
  applyDefaults(theme);
  const scale = logDivergingScale(model.entries.map((e) => e.value));
  const label = boundaryLabeler(report);
  const n = model.n;
  const fromLabels = Array.from({ length: n - 1 }, (_, k) => String(k));
  const toLabels = Array.from({ length: n - 1 }, (_, k) => String(k + 1));
  let cursor: MatrixCell | undefined;
  const colorOf = (v: number): Rgba => colorAt(theme.heatStops, scale.position(v));
  const entryAt = (i: number): MatrixEntry => model.entries[i];
  const cellBorder = (ctx: ScriptableContext<'matrix'>): string => {
    const e = model.entries[ctx.dataIndex];
    if (!e) return 'transparent';
    if (cursor && e.from === cursor.from && e.to === cursor.to) return css(theme.foreground);
    const s = host.selected();
    if (s !== undefined && (e.from === s || e.to === s)) return css(theme.focus);
    return theme.highContrast ? css(withAlpha(theme.foreground, 0.6)) : 'transparent';
  };

  const valueLabels: Plugin<'matrix'> = {
    id: 'cellValues',
    afterDatasetsDraw(chart) {
      const cells = chart.getDatasetMeta(0).data as unknown as { x: number; y: number; width: number; height: number }[];
      if (cells.length === 0 || cells[0].width < 38 || cells[0].height < 16) return;
      const { ctx } = chart;
      ctx.save();
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.font = `${Math.max(10, theme.fontSize - 2)}px ${theme.fontFamily}`;
      cells.forEach((c, i) => {
        const e = entryAt(i);
        const fill = colorOf(e.value);
        ctx.fillStyle = luminance(fill) > 0.35 ? '#000000' : '#ffffff';
        ctx.fillText(formatNumber(e.value, 3), c.x + c.width / 2, c.y + c.height / 2);
      });
      ctx.restore();
    },
  };

  const base = baseOptions(theme);
  const chart = new Chart(canvas, {
    type: 'matrix',
    data: {
      datasets: [
        {
          label: 'GSC(k → l)',
          data: model.entries.map((e) => ({ x: String(e.to), y: String(e.from), v: e.value })),
          backgroundColor: (ctx: ScriptableContext<'matrix'>) => {
            const e = model.entries[ctx.dataIndex];
            return e ? css(colorOf(e.value)) : 'transparent';
          },
          borderColor: cellBorder,
          borderWidth: (ctx: ScriptableContext<'matrix'>) => {
            const e = model.entries[ctx.dataIndex];
            if (!e) return 0;
            if (cursor && e.from === cursor.from && e.to === cursor.to) return 3;
            const s = host.selected();
            return s !== undefined && (e.from === s || e.to === s) ? 2 : theme.highContrast ? 1 : 0;
          },
          width: ({ chart: c }) => Math.max(1, (c.chartArea?.width ?? 0) / (n - 1) - 2),
          height: ({ chart: c }) => Math.max(1, (c.chartArea?.height ?? 0) / (n - 1) - 2),
        },
      ],
    },
    options: {
      ...(base as ChartOptions<'matrix'>),
      interaction: { mode: 'nearest', intersect: true },
      plugins: {
        ...(base.plugins as ChartOptions<'matrix'>['plugins']),
        legend: { display: false },
        tooltip: {
          ...(base.plugins?.tooltip as object),
          callbacks: {
            title: (items: TooltipItem<'matrix'>[]) => {
              const e = items[0] && entryAt(items[0].dataIndex);
              return e ? `GSC(${label(e.from)} → ${label(e.to)})` : '';
            },
            label: (item: TooltipItem<'matrix'>) => {
              const e = entryAt(item.dataIndex);
              const lines = [formatPrecise(e.value)];
              if (e.ci && e.ci[0] !== e.ci[1]) lines.push(`99% CI ${formatInterval(e.ci)}`);
              if (e.method) lines.push(formatMethod(e.method));
              return lines;
            },
          },
        },
      },
      scales: {
        x: {
          type: 'category',
          labels: toLabels,
          offset: true,
          grid: { display: false },
          title: axisTitle('to boundary l (output of block l)', theme),
          ticks: { color: css(theme.foreground) },
        },
        y: {
          type: 'category',
          labels: fromLabels,
          offset: true,
          reverse: false,
          grid: { display: false },
          title: axisTitle('from boundary k (0 = input)', theme),
          ticks: { color: css(theme.foreground) },
        },
      },
      onClick: (_ev, elements) => {
        const e = elements[0] && entryAt(elements[0].index);
        if (!e) return;
        cursor = { from: e.from, to: e.to };
        if (e.from >= 1) host.select(e.from, 'pointer');
        else chart.update('none');
      },
    },
    plugins: [valueLabels],
  });

  return {
    scale,
    update: () => chart.update('none'),
    destroy: () => chart.destroy(),
    onKey(ev) {
      const start = cursor ?? (host.selected() !== undefined && host.selected()! < n - 1 ? { from: host.selected()!, to: n - 1 } : undefined);
      const next = moveInMatrix(ev.key, start, n);
      if (!next) return false;
      cursor = next;
      const i = model.entries.findIndex((e) => e.from === next.from && e.to === next.to);
      if (next.from >= 1) host.select(next.from, 'keyboard');
      if (i >= 0) {
        showActive(chart, 0, i);
        host.announce(matrixEntryText(model.entries[i], label));
      } else {
        chart.update('none');
        host.announce(`GSC(${label(next.from)} → ${label(next.to)}) was not computed`);
      }
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------
// 2. GSC to the output per boundary, log axis, with the fitted explosion rate

/** What the GSC chart draws: a final report, or a partial one while the block matrix still runs. */
export type GscChartData = Pick<AnalysisReport, 'boundaries' | 'growth' | 'thresholds'> & { readonly blocks: readonly Pick<BlockReport, 'index' | 'name'>[] };

export function gscChart(canvas: HTMLCanvasElement, host: Omit<ChartHost, 'report'> & { readonly report: GscChartData }): ChartView {
  const { report, theme } = host;
  applyDefaults(theme);
  const series = gscSeries(report);
  const points = series.points;
  let cursor: number | undefined;
  const lows = points.map((p) => p.lo).filter((v) => v > 0);
  const highs = points.map((p) => p.hi);
  const values = points.map((p) => p.y).concat(series.fit.map((f) => f.y));
  const yMin = Math.min(minOf(values), minOf(lows));
  const yMax = Math.max(maxOf(values), maxOf(highs));
  const isSelected = (i: number): boolean => points[i]?.block !== undefined && points[i].block === host.selected();

  const errorBars: Plugin<'line'> = {
    id: 'errorBars',
    afterDatasetsDraw(chart) {
      const { ctx, scales } = chart;
      const y = scales.y;
      ctx.save();
      ctx.strokeStyle = css(theme.blue);
      ctx.lineWidth = 1.5;
      for (const p of points) {
        if (p.lo === p.hi) continue;
        const x = scales.x.getPixelForValue(p.x);
        const top = y.getPixelForValue(p.hi);
        const bottom = p.lo > 0 ? y.getPixelForValue(p.lo) : chart.chartArea.bottom;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - 4, top);
        ctx.lineTo(x + 4, top);
        if (p.lo > 0) {
          ctx.moveTo(x - 4, bottom);
          ctx.lineTo(x + 4, bottom);
        }
        ctx.stroke();
      }
      ctx.restore();
    },
  };

  const band = selectionBand<'line'>(theme, (chart) => {
    const s = host.selected();
    if (s === undefined) return undefined;
    const x = chart.scales.x;
    const half = Math.abs(x.getPixelForValue(1) - x.getPixelForValue(0)) / 2;
    const c = x.getPixelForValue(s);
    return [c - half, c + half];
  });

  const base = baseOptions(theme);
  const last = points.length === 0 ? 0 : points[points.length - 1].x;
  const chart = new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        {
          label: 'GSC(k → output)',
          data: points.map((p) => ({ x: p.x, y: p.y })),
          borderColor: css(theme.blue),
          backgroundColor: css(theme.blue),
          pointRadius: (ctx) => (isSelected(ctx.dataIndex) ? 7 : 4),
          pointHoverRadius: 7,
          pointBorderWidth: (ctx) => (isSelected(ctx.dataIndex) ? 3 : 1),
          pointBorderColor: (ctx) => (isSelected(ctx.dataIndex) ? css(theme.focus) : css(theme.blue)),
          borderWidth: 2,
          tension: 0,
        },
        {
          label: `log fit: rate ${formatNumber(series.rate)} per block`,
          data: series.fit.map((f) => ({ x: f.x, y: f.y })),
          borderColor: css(theme.orange),
          backgroundColor: css(theme.orange),
          borderDash: [6, 4],
          borderWidth: 1.5,
          pointRadius: 0,
          pointHitRadius: 0,
          pointStyle: 'line',
        },
      ],
    },
    options: {
      ...(base as ChartOptions<'line'>),
      interaction: { mode: 'nearest', intersect: false, axis: 'x' },
      plugins: {
        ...(base.plugins as ChartOptions<'line'>['plugins']),
        tooltip: {
          ...(base.plugins?.tooltip as object),
          filter: (item: TooltipItem<'line'>) => item.datasetIndex === 0,
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => {
              const p = items[0] && points[items[0].dataIndex];
              return p ? (p.x === 0 ? 'boundary 0: model input' : `boundary ${p.x}: output of block ${p.x} ${p.label}`) : '';
            },
            label: (item: TooltipItem<'line'>) => {
              const p = points[item.dataIndex];
              const fit = series.fit[p.x];
              return [`GSC → output ${p.title}`, fit ? `log fit ${formatNumber(fit.y)}` : ''].filter((s) => s.length > 0);
            },
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          min: -0.5,
          max: last + 0.5,
          afterBuildTicks: (scale: Scale) => {
            const step = Math.max(1, Math.ceil((last + 1) / 24));
            scale.ticks = Array.from({ length: Math.floor(last / step) + 1 }, (_, i) => ({ value: i * step }));
          },
          ticks: { callback: (v) => String(v) },
          title: axisTitle('boundary k (0 = input, k = output of block k)', theme),
          grid: { color: css(theme.grid) },
        },
        y: {
          type: 'logarithmic',
          min: yMin > 0 ? 10 ** (Math.log10(yMin) - 0.08) : undefined,
          max: 10 ** (Math.log10(yMax) + 0.08),
          ...logAxis(),
          title: axisTitle('GSC(k → output), log scale', theme),
          grid: { color: css(theme.grid) },
        },
      },
      onClick: (_ev, elements) => {
        const el = elements.find((e) => e.datasetIndex === 0);
        const p = el && points[el.index];
        if (p?.block !== undefined) host.select(p.block, 'pointer');
      },
    },
    plugins: [band, errorBars, gscThresholdLine(theme, report.thresholds.gsc)],
  });

  return {
    update: () => chart.update('none'),
    destroy: () => chart.destroy(),
    onKey(ev) {
      const sel = host.selected();
      const start = cursor ?? (sel !== undefined ? points.findIndex((p) => p.block === sel) : undefined);
      const next = moveInList(ev.key, start === -1 ? undefined : start, points.length, 'both');
      if (next === undefined) return false;
      cursor = next;
      const p = points[next];
      if (p.block !== undefined) host.select(p.block, 'keyboard');
      showActive(chart, 0, next);
      host.announce(
        `${p.x === 0 ? 'Model input' : `Block ${p.x} ${p.label}`}: GSC to the output ${formatNumber(p.y)}${p.lo !== p.hi ? `, 99% CI ${formatInterval([p.lo, p.hi])}` : ' (exact)'}`,
      );
      return true;
    },
  };
}

/**
 * The GSC threshold as a dashed line (the HTML export draws the same): points above it are the
 * blocks flagged "exploding". When the threshold is above the plotted range it is named at the
 * top edge instead, so its absence from the plot is explained rather than silent.
 */
function gscThresholdLine(theme: Theme, threshold: number): Plugin<'line'> {
  return {
    id: 'gscThreshold',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      const y = scales.y;
      if (!(threshold > 0) || threshold < y.min) return;
      const above = threshold > y.max;
      const py = above ? chartArea.top : y.getPixelForValue(threshold);
      ctx.save();
      if (!above) {
        ctx.strokeStyle = css(theme.red);
        ctx.setLineDash([5, 4]);
        ctx.beginPath();
        ctx.moveTo(chartArea.left, py);
        ctx.lineTo(chartArea.right, py);
        ctx.stroke();
      }
      const text = above ? `threshold ${formatNumber(threshold)} is above this range: no block explodes` : `exploding above ${formatNumber(threshold)}`;
      const width = ctx.measureText(text).width;
      const top = above ? py + 2 : py - theme.fontSize - 4;
      ctx.fillStyle = css(withAlpha(theme.background, 0.85));
      ctx.fillRect(chartArea.left + 4, top, width + 6, theme.fontSize + 3);
      ctx.fillStyle = css(theme.red);
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(text, chartArea.left + 7, top + 1);
      ctx.restore();
    },
  };
}

// ---------------------------------------------------------------------------------------
// 3. k-dilution per block

/** Draws ∞ above the bars and points that stand for an infinite value. */
function infinityMarks<T extends ChartType>(theme: Theme, isInfinite: (datasetIndex: number, index: number) => boolean): Plugin<T> {
  return {
    id: 'infinityMarks',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.fillStyle = css(theme.foreground);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.font = `bold ${theme.fontSize + 1}px ${theme.fontFamily}`;
      chart.data.datasets.forEach((_d, di) => {
        const meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        meta.data.forEach((el, i) => {
          if (isInfinite(di, i)) ctx.fillText(INFINITY_TEXT, el.x, el.y - 3);
        });
      });
      ctx.restore();
    },
  };
}

export function dilutionChart(canvas: HTMLCanvasElement, host: ChartHost): ChartView {
  const { report, theme } = host;
  applyDefaults(theme);
  const rows = dilutionRows(report);
  const cap = infinityCap(rows.flatMap((r) => [r.kSkip?.value ?? null, r.kLin?.value ?? null, r.skipReduction, r.linReduction]));
  const plotted = (k: KValue | null): number | null => (k === null ? null : k.infinite ? cap : k.value > 0 ? k.value : null);
  const plottedNumber = (v: number | null): number | null => (v === null ? null : v === Infinity ? cap : v > 0 ? v : null);
  const hasInfinite = rows.some((r) => r.kSkip?.infinite || r.kLin?.infinite || r.skipReduction === Infinity || r.linReduction === Infinity);
  const kInfinite = [
    rows.map((r) => r.kSkip?.infinite === true),
    rows.map((r) => r.kLin?.infinite === true),
    rows.map((r) => r.skipReduction === Infinity),
    rows.map((r) => r.linReduction === Infinity),
  ];
  let cursor: number | undefined;
  const labels = rows.map((r) => `${r.block} ${r.name}`);
  const selectedIndex = (): number => rows.findIndex((r) => r.block === host.selected());

  const band = selectionBand<'bar' | 'line'>(theme, (chart) => {
    const i = selectedIndex();
    return i < 0 ? undefined : categorySpan(chart.scales.x, i, i, rows.length);
  });

  const kText = (k: KValue | null, what: string): string =>
    k === null
      ? `${what} ${NOT_APPLICABLE}`
      : k.infinite
        ? `${what} ${INFINITY_TEXT} (${what === 'k_skip' ? 'branch exactly zero' : 'linear block'})`
        : `${what} ${formatNumber(k.value)}`;
  const describe = (i: number): string[] => {
    const r = rows[i];
    const lines = [kText(r.kSkip, 'k_skip'), `k_skip² + 1 ${formatNumber(r.skipReduction)}`];
    lines.push(kText(r.kLin, 'k_lin') + (r.kLin && !r.kLin.infinite && r.kLinCi ? ` 99% CI ${formatInterval(r.kLinCi)}` : ''));
    lines.push(`k_lin² + 1 ${formatNumber(r.linReduction)}`);
    return lines;
  };

  const base = baseOptions(theme);
  const barStyle = (color: Rgba) => ({
    backgroundColor: (ctx: ScriptableContext<'bar'>) =>
      css(withAlpha(color, rows[ctx.dataIndex]?.block === host.selected() ? 1 : theme.highContrast ? 1 : 0.75)),
    borderColor: (ctx: ScriptableContext<'bar'>) => (rows[ctx.dataIndex]?.block === host.selected() ? css(theme.focus) : css(color)),
    borderWidth: (ctx: ScriptableContext<'bar'>) => (rows[ctx.dataIndex]?.block === host.selected() ? 2 : 1),
  });
  const chart = new Chart<'bar' | 'line', (number | null)[], string>(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'k_skip', data: rows.map((r) => plotted(r.kSkip)), ...barStyle(theme.green), order: 2 },
        { label: 'k_lin', data: rows.map((r) => plotted(r.kLin)), ...barStyle(theme.purple), order: 2 },
        {
          type: 'line',
          label: 'k_skip² + 1',
          data: rows.map((r) => plottedNumber(r.skipReduction)),
          showLine: false,
          pointStyle: 'triangle',
          pointRadius: 6,
          borderColor: css(theme.green),
          backgroundColor: css(withAlpha(theme.green, 0.35)),
          borderWidth: 2,
          order: 1,
        },
        {
          type: 'line',
          label: 'k_lin² + 1',
          data: rows.map((r) => plottedNumber(r.linReduction)),
          showLine: false,
          pointStyle: 'rectRot',
          pointRadius: 6,
          borderColor: css(theme.purple),
          backgroundColor: css(withAlpha(theme.purple, 0.35)),
          borderWidth: 2,
          order: 1,
        },
      ],
    },
    options: {
      ...(base as ChartOptions<'bar' | 'line'>),
      interaction: { mode: 'index', intersect: false },
      plugins: {
        ...(base.plugins as ChartOptions<'bar' | 'line'>['plugins']),
        tooltip: {
          ...(base.plugins?.tooltip as object),
          callbacks: {
            title: (items: TooltipItem<'bar' | 'line'>[]) => (items[0] ? `block ${labels[items[0].dataIndex]}` : ''),
            label: (item: TooltipItem<'bar' | 'line'>) => describe(item.dataIndex)[item.datasetIndex] ?? '',
          },
        },
      },
      scales: {
        x: { type: 'category', grid: { display: false }, title: axisTitle('block', theme) },
        y: {
          type: 'logarithmic',
          max: hasInfinite ? cap * 2 : undefined,
          ...logAxis(hasInfinite ? cap : undefined),
          title: axisTitle('k and k² + 1, log scale', theme),
          grid: { color: css(theme.grid) },
        },
      },
      onClick: (_ev, elements) => {
        const i = elements[0]?.index;
        if (i !== undefined && rows[i]) host.select(rows[i].block, 'pointer');
      },
    },
    plugins: [band, infinityMarks(theme, (di, i) => di <= 1 && kInfinite[di]?.[i] === true)],
  });

  return {
    update: () => chart.update('none'),
    destroy: () => chart.destroy(),
    onKey(ev) {
      const start = cursor ?? (selectedIndex() >= 0 ? selectedIndex() : undefined);
      const next = moveInList(ev.key, start, rows.length, 'both');
      if (next === undefined) return false;
      cursor = next;
      host.select(rows[next].block, 'keyboard');
      const di = chart.data.datasets.findIndex((d) => d.data[next] !== null);
      showActive(chart, Math.max(0, di), next);
      host.announce(`Block ${labels[next]}: ${describe(next).join('; ')}`);
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------
// 4. Collapsing-domain measures per nonlinearity

/**
 * The legend with one more entry, a dashed red line for a threshold drawn across the chart:
 * the label sits in the legend instead of on the line, where it covered the bars. Clicking that
 * entry does nothing (it is not a dataset).
 */
type LegendSettings = NonNullable<NonNullable<ChartOptions<'bar' | 'line'>['plugins']>['legend']>;

function thresholdLegend(base: ChartOptions, theme: Theme, text: string): LegendSettings {
  const defaults = Chart.defaults.plugins.legend;
  return {
    ...(base.plugins?.legend as object),
    labels: {
      ...(base.plugins?.legend?.labels as object),
      generateLabels: (chart: Chart) => [
        ...defaults.labels.generateLabels(chart),
        {
          text,
          fillStyle: 'transparent',
          strokeStyle: css(theme.red),
          fontColor: css(theme.foreground),
          lineWidth: 2,
          lineDash: [5, 4],
          pointStyle: 'line',
          hidden: false,
        },
      ],
    },
    onClick: (e, item, legend) => {
      if (item.datasetIndex !== undefined) defaults.onClick.call(legend, e, item, legend);
    },
  };
}

export function collapseChart(canvas: HTMLCanvasElement, host: ChartHost): ChartView | undefined {
  const { report, theme } = host;
  const rows = collapseRows(report);
  if (rows.length === 0) return undefined;
  applyDefaults(theme);
  const cap = infinityCap(rows.map((r) => r.k.value));
  const hasInfinite = rows.some((r) => r.k.infinite);
  const labels = rows.map((r) => r.label);
  let cursor: number | undefined;
  const inSelected = (i: number): boolean => rows[i]?.block === host.selected();

  const band = selectionBand<'bar' | 'line'>(theme, (chart) => {
    const idx = rows.map((r, i) => (r.block === host.selected() ? i : -1)).filter((i) => i >= 0);
    return idx.length === 0 ? undefined : categorySpan(chart.scales.x, idx[0], idx[idx.length - 1], rows.length);
  });
  const threshold: Plugin<'bar' | 'line'> = {
    id: 'collapsedThreshold',
    afterDatasetsDraw(chart) {
      const y = chart.scales.y.getPixelForValue(report.thresholds.collapsedSpread);
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.strokeStyle = css(theme.red);
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(chartArea.left, y);
      ctx.lineTo(chartArea.right, y);
      ctx.stroke();
      // Its label is a legend entry (thresholdLegend): drawn on the line it covered the bars.
      ctx.restore();
    },
  };
  const describe = (i: number): string[] => {
    const r = rows[i];
    return [
      `sign diversity ${formatNumber(r.signDiversity)}`,
      `relative spread ${formatNumber(r.relativeSpread)}${r.collapsed ? ' (collapsed)' : ''}`,
      `k ${r.k.infinite ? INFINITY_TEXT : formatNumber(r.k.value)}${r.pseudoLinear ? ' (pseudo-linear)' : ''}`,
    ];
  };
  const barStyle = (color: Rgba) => ({
    backgroundColor: (ctx: ScriptableContext<'bar'>) => css(withAlpha(color, inSelected(ctx.dataIndex) || theme.highContrast ? 1 : 0.7)),
    borderColor: (ctx: ScriptableContext<'bar'>) => (inSelected(ctx.dataIndex) ? css(theme.focus) : css(color)),
    borderWidth: (ctx: ScriptableContext<'bar'>) => (inSelected(ctx.dataIndex) ? 2 : 1),
  });

  const base = baseOptions(theme);
  const chart = new Chart<'bar' | 'line', (number | null)[], string>(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'sign diversity', data: rows.map((r) => r.signDiversity), yAxisID: 'y', ...barStyle(theme.blue), order: 2 },
        { label: 'relative spread', data: rows.map((r) => r.relativeSpread), yAxisID: 'y', ...barStyle(theme.green), order: 2 },
        {
          type: 'line',
          label: 'k (right axis)',
          data: rows.map((r) => (r.k.infinite ? cap : r.k.value > 0 ? r.k.value : null)),
          yAxisID: 'k',
          showLine: false,
          pointStyle: 'circle',
          pointRadius: (ctx: ScriptableContext<'line'>) => (inSelected(ctx.dataIndex) ? 7 : 5),
          borderColor: (ctx: ScriptableContext<'line'>) => (rows[ctx.dataIndex]?.pseudoLinear ? css(theme.red) : css(theme.orange)),
          backgroundColor: (ctx: ScriptableContext<'line'>) => css(withAlpha(rows[ctx.dataIndex]?.pseudoLinear ? theme.red : theme.orange, 0.5)),
          borderWidth: 2,
          order: 1,
        },
      ],
    },
    options: {
      ...(base as ChartOptions<'bar' | 'line'>),
      interaction: { mode: 'index', intersect: false },
      plugins: {
        ...(base.plugins as ChartOptions<'bar' | 'line'>['plugins']),
        legend: thresholdLegend(base, theme, `collapsed below ${formatNumber(report.thresholds.collapsedSpread)}`),
        tooltip: {
          ...(base.plugins?.tooltip as object),
          callbacks: {
            title: (items: TooltipItem<'bar' | 'line'>[]) => {
              const r = items[0] && rows[items[0].dataIndex];
              return r ? [`${r.op} #${r.index} in block ${r.block}`, r.sourceName] : '';
            },
            label: (item: TooltipItem<'bar' | 'line'>) => describe(item.dataIndex)[item.datasetIndex] ?? '',
          },
        },
      },
      scales: {
        x: { type: 'category', grid: { display: false }, title: axisTitle('nonlinearity', theme), ticks: { autoSkip: true, maxRotation: 60 } },
        y: { type: 'linear', min: 0, max: 1, position: 'left', title: axisTitle('sign diversity, relative spread', theme), grid: { color: css(theme.grid) } },
        k: {
          type: 'logarithmic',
          position: 'right',
          max: hasInfinite ? cap * 2 : undefined,
          grid: { display: false },
          ...logAxis(hasInfinite ? cap : undefined),
          title: axisTitle('k, log scale', theme),
        },
      },
      onClick: (_ev, elements) => {
        const i = elements[0]?.index;
        if (i !== undefined && rows[i]) host.select(rows[i].block, 'pointer');
      },
    },
    plugins: [band, threshold, infinityMarks(theme, (di, i) => di === 2 && rows[i]?.k.infinite === true)],
  });

  return {
    update: () => chart.update('none'),
    destroy: () => chart.destroy(),
    onKey(ev) {
      const sel = host.selected();
      const start = cursor ?? (sel !== undefined ? rows.findIndex((r) => r.block === sel) : -1);
      const next = moveInList(ev.key, start < 0 ? undefined : start, rows.length, 'both');
      if (next === undefined) return false;
      cursor = next;
      host.select(rows[next].block, 'keyboard');
      showActive(chart, 0, next);
      const r = rows[next];
      host.announce(`${r.op} #${r.index} (block ${r.block}, ${r.sourceName}): ${describe(next).join('; ')}`);
      return true;
    },
  };
}
