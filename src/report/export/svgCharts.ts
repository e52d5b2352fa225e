/**
 * The report's charts as inline SVG strings: no script, no external resource, so the HTML
 * export opens offline and under a CSP that forbids everything but inline styles. Tooltips
 * are SVG <title> elements.
 */
import type { AnalysisReport, BlockMatrix } from '../schema';
import { fmt, formatKSkip } from '../format';
import { esc } from './htmlText';
import { maxOf, minOf } from '../extent';

const WIDTH = 720;
const HEIGHT = 300;
const MARGIN = { left: 64, right: 20, top: 30, bottom: 44 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

/** Round to 0.1 px: enough for a chart, keeps the file small. */
function px(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

interface LogAxis {
  readonly lo: number;
  readonly hi: number;
  readonly ticks: readonly number[];
}

/**
 * A log10 axis over the positive values with a little headroom; ticks at 1-2-5 steps when it
 * spans few decades, at powers of ten otherwise.
 */
function logAxis(values: readonly number[]): LogAxis {
  const logs = values.filter((v) => v > 0 && Number.isFinite(v)).map((v) => Math.log10(v));
  let lo = logs.length ? minOf(logs) : -1;
  let hi = logs.length ? maxOf(logs) : 1;
  const minSpan = 0.3;
  if (hi - lo < minSpan) {
    const mid = (hi + lo) / 2;
    lo = mid - minSpan / 2;
    hi = mid + minSpan / 2;
  }
  const pad = 0.06 * (hi - lo);
  lo -= pad;
  hi += pad;
  const ticks: number[] = [];
  const decades = hi - lo;
  const mantissas = decades <= 1.2 ? [1, 1.5, 2, 3, 5, 7] : decades <= 3.5 ? [1, 2, 5] : [1];
  const step = Math.max(1, Math.ceil(decades / 8));
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e += mantissas.length > 1 ? 1 : step) {
    for (const m of mantissas) {
      const v = m * 10 ** e;
      if (Math.log10(v) >= lo && Math.log10(v) <= hi) ticks.push(v);
    }
  }
  return { lo, hi, ticks };
}

function yLog(axis: LogAxis, v: number): number {
  const t = (Math.log10(v) - axis.lo) / (axis.hi - axis.lo);
  return MARGIN.top + PLOT_H * (1 - t);
}

function xLinear(i: number, first: number, last: number): number {
  const span = Math.max(1, last - first);
  return MARGIN.left + (PLOT_W * (i - first)) / span;
}

function svgOpen(label: string, width = WIDTH, height = HEIGHT): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(label)}">`;
}

/** Frame, y grid with tick labels, x ticks every `xStep` from first to last, axis titles. */
function axes(axis: LogAxis, first: number, last: number, xTitle: string, yTitle: string): string {
  const parts: string[] = [];
  for (const t of axis.ticks) {
    const y = px(yLog(axis, t));
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(fmt(t))}</text>`);
  }
  const count = last - first + 1;
  const xStep = Math.max(1, Math.ceil(count / 24));
  for (let i = first; i <= last; i += xStep) {
    const x = px(xLinear(i, first, last));
    parts.push(`<text class="tick" x="${x}" y="${MARGIN.top + PLOT_H + 16}" text-anchor="middle">${i}</text>`);
  }
  parts.push(`<rect class="frame" x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}"/>`);
  parts.push(`<text class="axis-title" x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 6}" text-anchor="middle">${esc(xTitle)}</text>`);
  parts.push(`<text class="axis-title" transform="translate(14 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">${esc(yTitle)}</text>`);
  return parts.join('');
}

/** GSC(boundary k -> output) per boundary on a log axis, 99% intervals, the fitted explosion line and the threshold. */
export function gscChart(report: AnalysisReport): string {
  const points = report.boundaries;
  const B = points.length - 1;
  const fit = report.growth.logFit;
  const fitAt = (k: number): number => Math.exp(fit.intercept + fit.slope * k);
  const values = points.flatMap((p) => [p.gscToOutput.value, p.gscToOutput.ci99[0], p.gscToOutput.ci99[1]]);
  if (B >= 1) values.push(fitAt(0), fitAt(B - 1));
  const axis = logAxis(values);
  const inRange = (v: number): boolean => v > 0 && Math.log10(v) >= axis.lo && Math.log10(v) <= axis.hi;
  const parts: string[] = [
    svgOpen('GSC to the output per block boundary, log scale'),
    axes(axis, 0, B, 'boundary (0 = model input, block k ends at k)', 'GSC to output'),
  ];

  const t = report.thresholds.gsc;
  if (inRange(t)) {
    const y = px(yLog(axis, t));
    parts.push(
      `<line class="threshold" x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${y}" y2="${y}"><title>exploding above ${esc(fmt(t))}</title></line>`,
    );
  }
  if (B >= 1) {
    parts.push(
      `<line class="fit" x1="${px(xLinear(0, 0, B))}" y1="${px(yLog(axis, fitAt(0)))}" x2="${px(xLinear(B - 1, 0, B))}" y2="${px(yLog(axis, fitAt(B - 1)))}">` +
        `<title>log fit: rate ${esc(fmt(fit.rate))} per block</title></line>`,
    );
  }
  const drawable = points.filter((p) => p.gscToOutput.value > 0);
  const path = drawable.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(xLinear(p.index, 0, B))} ${px(yLog(axis, p.gscToOutput.value))}`).join(' ');
  if (path) parts.push(`<path class="series" d="${path}"/>`);
  for (const p of drawable) {
    const e = p.gscToOutput;
    const x = px(xLinear(p.index, 0, B));
    if (e.ci99[0] > 0 && e.ci99[1] > e.ci99[0]) {
      parts.push(`<line class="errorbar" x1="${x}" x2="${x}" y1="${px(yLog(axis, e.ci99[0]))}" y2="${px(yLog(axis, e.ci99[1]))}"/>`);
    }
    const label = `boundary ${p.index} (${p.tensor}): GSC to output ${fmt(e.value)}${e.stderr > 0 ? ` [${fmt(e.ci99[0])}, ${fmt(e.ci99[1])}]` : ''}`;
    parts.push(`<circle class="point" cx="${x}" cy="${px(yLog(axis, e.value))}" r="3.5"><title>${esc(label)}</title></circle>`);
  }
  const legend: [string, string][] = [
    ['series', 'GSC to output (99% CI)'],
    ['fit', `log fit, rate ${fmt(fit.rate)} per block`],
  ];
  if (inRange(t)) legend.push(['threshold', `exploding threshold ${fmt(t)}`]);
  parts.push(legendRow(legend));
  parts.push('</svg>');
  return parts.join('');
}

function legendRow(items: readonly (readonly [string, string])[]): string {
  let x = MARGIN.left + 8;
  const y = MARGIN.top - 14;
  return items
    .map(([cls, text]) => {
      const item = `<line class="key ${cls}" x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}"/><text class="legend" x="${x + 22}" y="${y}" dominant-baseline="middle">${esc(text)}</text>`;
      x += 30 + text.length * 6.5;
      return item;
    })
    .join('');
}

/** k_lin and k_skip per block on a log axis; an infinite k (linear block) is a triangle on the top edge. */
export function kChart(report: AnalysisReport): string {
  const blocks = report.blocks;
  const B = blocks.length;
  const finite = blocks.flatMap((b) => [b.linearisation.kLin ?? NaN, b.residual?.kSkip ?? NaN]);
  finite.push(report.thresholds.pseudoLinearK);
  const axis = logAxis(finite);
  const parts: string[] = [svgOpen('k per block (k_lin and k_skip), log scale'), axes(axis, 1, Math.max(1, B), 'block', 'k')];
  const t = report.thresholds.pseudoLinearK;
  const ty = px(yLog(axis, t));
  parts.push(
    `<line class="threshold" x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${ty}" y2="${ty}"><title>pseudo-linear above ${esc(fmt(t))}</title></line>`,
  );
  for (const b of blocks) {
    const x = xLinear(b.index, 1, Math.max(1, B));
    const lin = b.linearisation;
    if (lin.kLin === null) {
      const y = MARGIN.top + 1;
      parts.push(
        `<path class="k-lin infinite" d="M${px(x - 5)} ${px(y + 8)} L${px(x + 5)} ${px(y + 8)} L${px(x)} ${px(y)} Z"><title>${esc(`block ${b.index} (${b.name}): k_lin ∞ (linear)`)}</title></path>`,
      );
    } else if (lin.kLin > 0) {
      if (lin.kLinCi99 && lin.kLinCi99[0] > 0 && lin.kLinCi99[1] > lin.kLinCi99[0]) {
        parts.push(`<line class="errorbar" x1="${px(x)}" x2="${px(x)}" y1="${px(yLog(axis, lin.kLinCi99[0]))}" y2="${px(yLog(axis, lin.kLinCi99[1]))}"/>`);
      }
      parts.push(
        `<circle class="k-lin" cx="${px(x)}" cy="${px(yLog(axis, lin.kLin))}" r="4"><title>${esc(`block ${b.index} (${b.name}): k_lin ${fmt(lin.kLin)}`)}</title></circle>`,
      );
    }
    const kSkip = b.residual?.branchZero === true ? Infinity : b.residual?.kSkip;
    if (b.residual && typeof kSkip === 'number' && kSkip > 0) {
      // An infinite k_skip (a branch that is exactly zero) sits on the top edge, like an infinite k_lin.
      const y = Number.isFinite(kSkip) ? yLog(axis, kSkip) : MARGIN.top + 4;
      parts.push(
        `<rect class="k-skip" x="${px(x - 4)}" y="${px(y - 4)}" width="8" height="8"><title>${esc(`block ${b.index} (${b.name}): k_skip ${formatKSkip(b.residual)}`)}</title></rect>`,
      );
    }
  }
  parts.push(
    legendRow([
      ['k-lin-key', 'k_lin (● value, ▲ ∞)'],
      ['k-skip-key', 'k_skip (■)'],
      ['threshold', `pseudo-linear threshold ${fmt(t)}`],
    ]),
  );
  parts.push('</svg>');
  return parts.join('');
}

/** Blue below 1, white at 1, red above, by log10(GSC) / maxAbsLog in [-1, 1]. */
export function divergingColour(t: number): string {
  const c = Math.max(-1, Math.min(1, t));
  const mix = (from: readonly number[], to: readonly number[], f: number): string => `rgb(${from.map((v, i) => Math.round(v + (to[i] - v) * f)).join(',')})`;
  const white = [247, 247, 247];
  return c < 0 ? mix(white, [33, 102, 172], -c) : mix(white, [178, 24, 43], c);
}

/** The block matrix GSC(k -> l) as a heatmap on a log colour scale with a legend. */
export function blockMatrixHeatmap(matrix: BlockMatrix): string {
  const n = matrix.gsc.length; // boundaries 0..B
  const B = n - 1;
  const entries: number[] = [];
  matrix.gsc.forEach((row) => row.forEach((v) => v !== null && v > 0 && Number.isFinite(v) && entries.push(Math.abs(Math.log10(v)))));
  const maxAbsLog = Math.max(0.05, ...entries);
  const cell = Math.max(6, Math.min(36, Math.floor(560 / Math.max(1, B))));
  const left = 64;
  const top = 16;
  const gridSize = cell * B;
  const legendTop = top + gridSize + 44;
  const width = Math.max(left + gridSize + 20, left + 300 + 130);
  const height = legendTop + 48;
  const parts: string[] = [svgOpen('block matrix GSC(k to l), log colour scale', width, height)];
  // Rows: source boundary k = 0..B-1 (top to bottom); columns: target boundary l = 1..B.
  for (let k = 0; k < B; k++) {
    for (let l = 1; l <= B; l++) {
      const v = matrix.gsc[k]?.[l] ?? null;
      if (v === null) continue;
      const ci = matrix.ci99[k]?.[l] ?? null;
      const fill = v > 0 && Number.isFinite(v) ? divergingColour(Math.log10(v) / maxAbsLog) : 'rgb(160,160,160)';
      const ciText = ci && ci[1] > ci[0] ? ` [${fmt(ci[0])}, ${fmt(ci[1])}]` : '';
      parts.push(
        `<rect class="cell" x="${left + (l - 1) * cell}" y="${top + k * cell}" width="${cell}" height="${cell}" fill="${fill}"><title>${esc(`GSC(${k} → ${l}) = ${fmt(v)}${ciText}`)}</title></rect>`,
      );
    }
  }
  const step = Math.max(1, Math.ceil(B / 20));
  for (let i = 0; i < B; i += step) {
    parts.push(`<text class="tick" x="${left - 6}" y="${top + i * cell + cell / 2}" text-anchor="end" dominant-baseline="middle">${i}</text>`);
    parts.push(`<text class="tick" x="${left + i * cell + cell / 2}" y="${top + gridSize + 14}" text-anchor="middle">${i + 1}</text>`);
  }
  parts.push(`<rect class="frame" x="${left}" y="${top}" width="${gridSize}" height="${gridSize}"/>`);
  parts.push(`<text class="axis-title" x="${left + gridSize / 2}" y="${top + gridSize + 32}" text-anchor="middle">to boundary l</text>`);
  parts.push(`<text class="axis-title" transform="translate(14 ${top + gridSize / 2}) rotate(-90)" text-anchor="middle">from boundary k</text>`);
  // Legend: a gradient bar from 10^-m to 10^m with 1 in the middle.
  const barW = 300;
  const stops = [-1, -0.5, 0, 0.5, 1].map((t) => `<stop offset="${(t + 1) / 2}" stop-color="${divergingColour(t)}"/>`).join('');
  parts.push(`<defs><linearGradient id="gl-gsc-scale" x1="0" x2="1" y1="0" y2="0">${stops}</linearGradient></defs>`);
  parts.push(`<rect class="legend-bar" x="${left}" y="${legendTop}" width="${barW}" height="12" fill="url(#gl-gsc-scale)"/>`);
  for (const t of [-1, 0, 1]) {
    const x = left + ((t + 1) / 2) * barW;
    parts.push(`<text class="tick" x="${x}" y="${legendTop + 26}" text-anchor="middle">${esc(fmt(10 ** (t * maxAbsLog)))}</text>`);
  }
  parts.push(`<text class="legend" x="${left + barW + 10}" y="${legendTop + 6}" dominant-baseline="middle">GSC (log scale)</text>`);
  parts.push('</svg>');
  return parts.join('');
}
