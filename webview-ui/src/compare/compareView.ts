/**
 * The Compare Reports page: which blocks got better or worse between two reports, per-block
 * differences in a table, and a heatmap of b/a for the block matrix GSC(k → l) (or, without
 * block matrices, per block). Colours come from the VS Code theme (re-rendered on a theme
 * change), every verdict is also written as text, and every row and cell is reachable by
 * keyboard. data-* attributes carry the full-precision numbers for tests.
 */
import type { MatrixRatio } from '../../../src/report/compareTrend';
import type { BlockComparison, ComparisonResult } from '../../../src/report/compare';
import { colorAt, luminance, toCss, type Rgba } from '../colorScale';
import { clear, h } from '../dom';
import { formatNumber, formatPrecise } from '../format';
import type { Theme } from '../theme';
import { cellText, describeIdentity, isDenseHeatmap, kChange, matrixValues, ratioScale, verdictText } from './compareModel';

export interface ComparisonMessage {
  readonly comparison: ComparisonResult;
  readonly matrixRatio: MatrixRatio | null;
}

function numCell(field: string, value: number | null, text?: string): HTMLTableCellElement {
  return h(
    'td',
    {
      className: value === null ? 'num na' : 'num',
      attrs: { 'data-field': field, 'data-value': value === null ? 'null' : String(value), title: value === null ? undefined : formatPrecise(value) },
    },
    text ?? (value === null ? 'n/a' : formatNumber(value)),
  );
}

/** The page's table headers hold sort buttons with their own padding; these plain headers need it themselves. */
function headerCell(text: string, numeric: boolean): HTMLTableCellElement {
  const th = h('th', { className: numeric ? 'num' : undefined, attrs: { scope: 'col' } }, text);
  th.style.padding = '4px 8px';
  return th;
}

function verdictColor(c: BlockComparison, theme: Theme): Rgba | undefined {
  if (c.verdict === 'better') return theme.green;
  if (c.verdict === 'worse') return theme.red;
  return undefined;
}

function header(r: ComparisonResult): HTMLElement {
  const s = r.summary;
  const g = r.growth;
  return h(
    'header',
    { className: 'page-header' },
    h('h1', {}, h('span', { className: 'product' }, 'Gradient Lens · '), 'Compare reports'),
    h(
      'dl',
      { className: 'meta' },
      h('div', { className: 'meta-item' }, h('dt', {}, 'a'), h('dd', { attrs: { 'data-side': 'a', title: describeIdentity(r.a) } }, r.a.label)),
      h('div', { className: 'meta-item' }, h('dt', {}, 'b'), h('dd', { attrs: { 'data-side': 'b', title: describeIdentity(r.b) } }, r.b.label)),
      h('div', { className: 'meta-item' }, h('dt', {}, 'matched by'), h('dd', {}, r.matchedBy)),
    ),
    h('p', { className: 'hint' }, `a: ${describeIdentity(r.a)}`),
    h('p', { className: 'hint' }, `b: ${describeIdentity(r.b)}`),
    h(
      'div',
      {
        className: 'summary',
        id: 'compare-summary',
        attrs: { 'data-better': s.better, 'data-worse': s.worse, 'data-unchanged': s.unchanged, 'data-compared': s.compared },
      },
      h(
        'div',
        { className: 'stat' },
        h('div', { className: 'stat-value' }, String(s.better)),
        h('div', { className: 'stat-label' }, 'better'),
        h('div', { className: 'stat-note' }, 'GSC to the output closer to 1, beyond noise'),
      ),
      h(
        'div',
        { className: `stat${s.worse > 0 ? ' attention' : ''}` },
        h('div', { className: 'stat-value' }, String(s.worse)),
        h('div', { className: 'stat-label' }, 'worse'),
        h('div', { className: 'stat-note' }, 'further from 1, beyond noise'),
      ),
      h(
        'div',
        { className: 'stat' },
        h('div', { className: 'stat-value' }, String(s.unchanged)),
        h('div', { className: 'stat-label' }, 'unchanged'),
        h('div', { className: 'stat-note' }, `of ${s.compared} compared blocks`),
      ),
      h(
        'div',
        { className: 'stat' },
        h('div', { className: 'stat-value' }, `×${formatNumber(g.gscInputToOutput.ratio)}`),
        h('div', { className: 'stat-label' }, 'GSC input → output, b/a'),
        h(
          'div',
          { className: 'stat-note' },
          `${formatNumber(g.gscInputToOutput.a)} → ${formatNumber(g.gscInputToOutput.b)}; explosion rate ${formatNumber(g.explosionRate.a)} → ${formatNumber(g.explosionRate.b)}`,
        ),
      ),
    ),
  );
}

function blockTable(r: ComparisonResult, theme: Theme): HTMLElement {
  const cols = ['#', 'Block', 'GSC to output a', 'GSC to output b', 'b/a', 'GSC block b/a', 'k_lin a → b', 'k_skip a → b', 'Change'];
  const rows = r.blocks.map((c) => {
    const color = verdictColor(c, theme);
    const verdict = h('td', { attrs: { 'data-field': 'verdict', 'data-value': c.verdict } }, verdictText(c));
    if (color) {
      verdict.style.color = toCss(color);
      verdict.style.fontWeight = '600';
    }
    const tr = h(
      'tr',
      {
        attrs: {
          tabindex: 0,
          'data-compare-block': c.a.index,
          'data-block-b': c.b.index,
          'data-verdict': c.verdict,
          'aria-label': `Block ${c.a.index} ${c.a.name}: GSC to the output ${formatNumber(c.gscToOutput.a)} to ${formatNumber(c.gscToOutput.b)}, ${verdictText(c)}`,
        },
      },
      h('td', { className: 'num' }, c.a.index === c.b.index ? String(c.a.index) : `${c.a.index} / ${c.b.index}`),
      h('th', { attrs: { scope: 'row' } }, c.namesDiffer ? `${c.a.name} / ${c.b.name}` : c.a.name),
      numCell('gscToOutput.a', c.gscToOutput.a),
      numCell('gscToOutput.b', c.gscToOutput.b),
      numCell('gscToOutput.ratio', c.gscToOutput.ratio, `×${formatNumber(c.gscToOutput.ratio)}`),
      numCell('gscBlock.ratio', c.gscBlock.ratio, `×${formatNumber(c.gscBlock.ratio)}`),
      h('td', { className: 'num', attrs: { 'data-field': 'kLin', 'data-a': String(c.kLin.a), 'data-b': String(c.kLin.b) } }, kChange(c.kLin, true)),
      h('td', { className: 'num', attrs: { 'data-field': 'kSkip', 'data-a': String(c.kSkip.a), 'data-b': String(c.kSkip.b) } }, kChange(c.kSkip, false)),
      verdict,
    );
    return tr;
  });
  const tbody = h('tbody', {}, ...rows);
  // Up/Down move between rows (Tab works too).
  tbody.addEventListener('keydown', (ev) => {
    const row = (ev.target as HTMLElement).closest('tr');
    if (!row) return;
    const next = ev.key === 'ArrowDown' ? row.nextElementSibling : ev.key === 'ArrowUp' ? row.previousElementSibling : null;
    if (next instanceof HTMLElement) {
      next.focus();
      ev.preventDefault();
    }
  });
  return h(
    'section',
    { className: 'card', id: 'compare-blocks', attrs: { 'aria-labelledby': 'compare-blocks-heading' } },
    h('h2', { id: 'compare-blocks-heading' }, 'Per-block differences'),
    h('p', { className: 'hint' }, `Better: GSC to the output moved closer to 1; worse: further away. Noise rule: ${r.noiseRule}.`),
    h(
      'div',
      { className: 'table-scroll' },
      h(
        'table',
        { className: 'data-table', id: 'compare-table' },
        h('caption', { className: 'sr-only' }, 'Per-block differences between report a and report b'),
        h('thead', {}, h('tr', {}, ...cols.map((c, i) => headerCell(c, i >= 2 && i <= 7)))),
        tbody,
      ),
    ),
  );
}

interface Grid {
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  readonly value: (row: number, col: number) => number | null;
  readonly significant: (row: number, col: number) => boolean;
  readonly describe: (row: number, col: number) => string;
  readonly attrs: (row: number, col: number) => Record<string, string | number>;
}

function matrixGrid(m: MatrixRatio): Grid {
  const n = m.boundaries.length;
  // Rows k = 0..B-1 (from), columns l = 1..B (to): the upper triangle without the empty row/column.
  return {
    rowLabels: m.boundaries.slice(0, n - 1).map((b) => `from ${b}`),
    colLabels: m.boundaries.slice(1).map((_, i) => `to ${i + 1}`),
    value: (row, col) => m.ratio[row]?.[col + 1] ?? null,
    significant: (row, col) => m.significant[row]?.[col + 1] ?? false,
    describe: (row, col) => cellText(m, row, col + 1),
    attrs: (row, col) => ({ 'data-k': row, 'data-l': col + 1 }),
  };
}

function blockGrid(r: ComparisonResult): Grid {
  const rows = [
    { label: 'GSC to output', get: (c: BlockComparison) => c.gscToOutput },
    { label: 'GSC of block', get: (c: BlockComparison) => c.gscBlock },
  ];
  return {
    rowLabels: rows.map((x) => x.label),
    colLabels: r.blocks.map((c) => String(c.a.index)),
    value: (row, col) => {
      const v = rows[row].get(r.blocks[col]).ratio;
      return Number.isFinite(v) && v > 0 ? v : null;
    },
    significant: (row, col) => rows[row].get(r.blocks[col]).significant,
    describe: (row, col) => {
      const c = r.blocks[col];
      const e = rows[row].get(c);
      return `Block ${c.a.index} ${c.a.name}, ${rows[row].label}: ${formatNumber(e.a)} → ${formatNumber(e.b)}, b/a = ${formatNumber(e.ratio)}${e.significant ? ', beyond noise' : ', within noise'}`;
    },
    attrs: (row, col) => ({ 'data-row': row === 0 ? 'gscToOutput' : 'gscBlock', 'data-block': r.blocks[col].a.index }),
  };
}

function heatmap(r: ComparisonResult, m: MatrixRatio | null, theme: Theme): HTMLElement {
  const grid = m ? matrixGrid(m) : blockGrid(r);
  const values: (number | null)[] = m ? matrixValues(m) : grid.rowLabels.flatMap((_, row) => grid.colLabels.map((__, col) => grid.value(row, col)));
  const scale = ratioScale(values);
  const readout = h(
    'p',
    { className: 'readout', id: 'compare-heatmap-readout', attrs: { 'aria-live': 'polite' } },
    'Focus a cell and use the arrow keys; each cell reads out its ratio.',
  );
  const cells: HTMLTableCellElement[][] = [];
  const dense = isDenseHeatmap(grid.colLabels.length);
  const body = h('tbody');
  grid.rowLabels.forEach((label, row) => {
    const tr = h('tr', {}, h('th', { attrs: { scope: 'row' } }, label));
    cells.push([]);
    grid.colLabels.forEach((_, col) => {
      const v = grid.value(row, col);
      const td = h(
        'td',
        {
          className: 'num heat-cell',
          attrs: {
            ...grid.attrs(row, col),
            'data-ratio': v === null ? 'null' : String(v),
            'data-significant': grid.significant(row, col),
            tabindex: -1,
            role: 'gridcell',
            'aria-label': grid.describe(row, col),
          },
        },
        v === null || dense ? '' : `${formatNumber(v, 3)}${grid.significant(row, col) ? '•' : ''}`,
      );
      if (dense) {
        td.title = grid.describe(row, col);
        if (grid.significant(row, col)) td.classList.add('significant');
      }
      if (v !== null) {
        const bg = colorAt(theme.heatStops, scale.position(v));
        td.style.background = toCss(bg);
        td.style.color = luminance(bg) > 0.4 ? '#000' : '#fff';
      }
      td.style.textAlign = 'center';
      // The stylesheet has no focus style for cells; the theme's focus colour is set here.
      td.addEventListener('focus', () => {
        readout.textContent = grid.describe(row, col);
        td.style.outline = `2px solid ${toCss(theme.focus)}`;
        td.style.outlineOffset = '-2px';
      });
      td.addEventListener('blur', () => {
        td.style.outline = '';
      });
      cells[row].push(td);
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  // Roving tabindex: one cell is in the tab order, the arrow keys move within the grid.
  const first = cells.flat().find((c) => c.getAttribute('data-ratio') !== 'null') ?? cells[0]?.[0];
  first?.setAttribute('tabindex', '0');
  body.addEventListener('keydown', (ev) => {
    const td = (ev.target as HTMLElement).closest('td');
    if (!td) return;
    let row = cells.findIndex((r2) => r2.includes(td as HTMLTableCellElement));
    let col = row >= 0 ? cells[row].indexOf(td as HTMLTableCellElement) : -1;
    if (row < 0) return;
    if (ev.key === 'ArrowRight') col = Math.min(cells[row].length - 1, col + 1);
    else if (ev.key === 'ArrowLeft') col = Math.max(0, col - 1);
    else if (ev.key === 'ArrowDown') row = Math.min(cells.length - 1, row + 1);
    else if (ev.key === 'ArrowUp') row = Math.max(0, row - 1);
    else return;
    ev.preventDefault();
    td.setAttribute('tabindex', '-1');
    const next = cells[row][col];
    next.setAttribute('tabindex', '0');
    next.focus();
  });
  const legendBar = h('div', { className: 'legend-bar' });
  legendBar.style.background = `linear-gradient(to right, ${Array.from({ length: 11 }, (_, i) => toCss(colorAt(theme.heatStops, i / 10))).join(', ')})`;
  const ticks = h('div', { className: 'legend-ticks' });
  for (const v of scale.ticks) {
    const t = h('span', { className: 'legend-tick' }, formatNumber(v, 3));
    t.style.left = `${(scale.position(v) * 100).toFixed(2)}%`;
    ticks.appendChild(t);
  }
  return h(
    'section',
    { className: 'card', id: 'compare-heatmap-card', attrs: { 'aria-labelledby': 'compare-heatmap-heading' } },
    h('h2', { id: 'compare-heatmap-heading' }, m ? 'Difference of the block matrix: GSC_b(k → l) / GSC_a(k → l)' : 'Difference per block: b/a'),
    h(
      'p',
      { className: 'hint' },
      m
        ? 'Each cell is the ratio b/a of the gradient scale from boundary k to boundary l; • marks a change beyond the probes’ noise (disjoint 99% intervals).'
        : 'The reports have no block matrices of the same size; b/a of GSC to the output and of each block’s own GSC. • marks a change beyond noise.',
    ),
    h(
      'div',
      { className: 'table-scroll' },
      h(
        'table',
        { className: `data-table compact${dense ? ' dense' : ''}`, id: 'compare-heatmap', attrs: { role: 'grid', 'data-kind': m ? 'matrix' : 'blocks' } },
        h('thead', {}, h('tr', {}, headerCell(m ? 'k \\ l' : '', false), ...grid.colLabels.map((c) => headerCell(c, true)))),
        body,
      ),
    ),
    h(
      'div',
      { className: 'legend', attrs: { 'aria-hidden': 'true' } },
      h('div', { className: 'legend-caption' }, h('span', {}, '◀ smaller in b'), h('span', {}, 'b/a, log scale'), h('span', {}, 'larger in b ▶')),
      legendBar,
      ticks,
    ),
    readout,
  );
}

export function renderComparison(root: HTMLElement, message: ComparisonMessage, theme: Theme): void {
  clear(root);
  root.classList.remove('waiting');
  const r = message.comparison;
  root.appendChild(header(r));
  if (r.notes.length > 0)
    root.appendChild(
      h('section', { className: 'warnings', attrs: { 'aria-label': 'Notes' } }, h('ul', {}, ...r.notes.map((n) => h('li', { attrs: { 'data-note': '' } }, n)))),
    );
  root.appendChild(blockTable(r, theme));
  root.appendChild(heatmap(r, message.matrixRatio, theme));
  const unmatched = [...r.unmatchedA.map((b) => `only in a: ${b.index} ${b.name}`), ...r.unmatchedB.map((b) => `only in b: ${b.index} ${b.name}`)];
  if (unmatched.length > 0)
    root.appendChild(
      h('section', { className: 'card', id: 'compare-unmatched' }, h('h2', {}, 'Unmatched blocks'), h('ul', {}, ...unmatched.map((u) => h('li', {}, u)))),
    );
}
