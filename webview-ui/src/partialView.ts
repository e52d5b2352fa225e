/**
 * The page while an analysis still runs: the GSC to the output (a PartialReport, exact and
 * measured first) as a real chart, the block matrix, k-dilution and collapsing-domain charts
 * as "computing…" cards in their places. The final report replaces the whole page (main.ts).
 */
import type { PartialReport } from '../../src/report/schema';
import { gscChart, type ChartView } from './charts';
import { h } from './dom';
import { pageTitle } from './sections';
import { formatNumber } from './format';
import type { Theme } from './theme';

/** The cards that wait for the rest of the analysis, in the final page's order and ids. */
const PENDING = [
  { id: 'heatmap', title: 'Block matrix GSC(k → l)', size: 'tall' },
  { id: 'dilution', title: 'k-dilution per block', size: 'normal' },
  { id: 'collapse', title: 'Collapsing domain per nonlinearity', size: 'normal' },
] as const;

function pendingCard(spec: (typeof PENDING)[number]): HTMLElement {
  return h(
    'section',
    { className: 'card chart-card', id: spec.id, attrs: { 'aria-labelledby': `${spec.id}-heading`, 'aria-busy': 'true' } },
    h('h2', { id: `${spec.id}-heading` }, spec.title),
    h(
      'div',
      { className: `chart-frame ${spec.size} computing`, id: `${spec.id}-frame`, attrs: { 'data-state': 'computing' } },
      h('div', { className: 'spinner', attrs: { 'aria-hidden': 'true' } }),
      h('p', { className: 'muted' }, 'computing…'),
    ),
  );
}

export interface PartialPage {
  /** Redraws the chart (theme change). */
  refresh(theme: Theme): void;
  destroy(): void;
}

/** Fills `root` with the partial page; the chart's selection stays on this page (no report to reveal from yet). */
export function renderPartial(root: HTMLElement, partial: PartialReport, theme: Theme): PartialPage {
  root.setAttribute('data-state', 'partial');
  const running = partial.settings.blockMatrix
    ? 'the block matrix, the k-dilution and the collapsing-domain measures'
    : 'the k-dilution and the collapsing-domain measures';
  root.appendChild(
    h(
      'header',
      { className: 'page-header' },
      h('div', { className: 'title-row' }, pageTitle(partial.model)),
      h(
        'p',
        { className: 'hint', id: 'partial-status', attrs: { role: 'status' } },
        `Analysis running (batch ${partial.settings.batch}): the GSC to the output is measured; ${running} are computing…`,
      ),
    ),
  );
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'GSC from each boundary to the model output on a log axis' } });
  const readout = h('p', { className: 'readout', id: 'gsc-readout', attrs: { 'aria-live': 'polite' } });
  const frame = h('div', { className: 'chart-frame normal', id: 'gsc-frame', attrs: { tabindex: 0, 'data-state': 'done' } }, canvas);
  const gscCard = h(
    'section',
    { className: 'card chart-card', id: 'gsc', attrs: { 'aria-labelledby': 'gsc-heading' } },
    h('h2', { id: 'gsc-heading' }, 'GSC to the output'),
    h('p', { className: 'hint' }, `Per boundary, log scale. Dashed: log-linear fit, explosion rate ${formatNumber(partial.growth.logFit.rate)} per block.`),
    frame,
    readout,
  );
  const [heatmap, dilution, collapse] = PENDING.map(pendingCard);
  root.appendChild(h('div', { className: 'charts-grid' }, heatmap, gscCard, dilution, collapse));

  let selected: number | undefined;
  let view: ChartView | undefined;
  const build = (theme: Theme): void => {
    view?.destroy();
    view = gscChart(canvas, {
      report: partial,
      theme,
      selected: () => selected,
      select: (block) => {
        selected = block;
        view?.update();
      },
      announce: (text) => {
        readout.textContent = text;
      },
    });
  };
  frame.addEventListener('keydown', (ev) => {
    if (view?.onKey(ev)) ev.preventDefault();
  });
  build(theme);
  return {
    refresh: build,
    destroy: () => view?.destroy(),
  };
}
