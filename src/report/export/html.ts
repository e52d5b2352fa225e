/**
 * The report as ONE self-contained HTML file: inline SVG charts and tables, no script, no
 * external resource. The CSP meta tag forbids every load except inline styles and data:
 * images. CSP does not govern navigation (a <meta http-equiv="refresh"> still fetches, and
 * Chromium has no navigate-to), so the real guard is that no markup from the report gets in:
 * every value written into the document passes through esc, whatever its type (a crafted
 * report can hold a string where a number belongs; readers also validate it, validate.ts).
 */
import type { AnalysisReport, BlockReport, Estimate } from '../schema';
import { blockFlags, flagLabels, isCollapsed, isPseudoLinear } from '../flags';
import { fmt, formatEstimateInterval, formatKLin, formatKSkip, formatNumber, formatSeconds, formatUnitGsc, threadsText } from '../format';
import { blockMatrixAbsentText, inputText, referenceText } from '../referenceText';
import { esc } from './htmlText';
import { blockMatrixHeatmap, gscChart, kChart } from './svgCharts';

/** base-uri and form-action are not covered by default-src: without them injected <base>/<form> could redirect links or submit. */
export const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 8px; } h2 { font-size: 16px; margin: 28px 0 8px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
dl.meta dt { color: #59636e; } dl.meta dd { margin: 0; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { padding: 3px 8px; border-bottom: 1px solid #d1d9e0; text-align: right; white-space: nowrap; }
th { background: #f6f8fa; } td.name, th.name, td.text { text-align: left; }
td.name { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; max-width: 360px; overflow: hidden; text-overflow: ellipsis; }
tr.flagged td { background: #fff5f5; }
.flag { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; background: #ffebe9; color: #82071e; margin-right: 4px; }
.note { color: #59636e; }
svg.chart { display: block; margin: 8px 0; max-width: 100%; height: auto; }
svg .grid { stroke: #e6e9ed; } svg .frame { fill: none; stroke: #8c959f; }
svg .tick, svg .legend { font-size: 11px; fill: #59636e; } svg .axis-title { font-size: 12px; fill: #1f2328; }
svg .series { fill: none; stroke: #0969da; stroke-width: 1.5; } svg .point { fill: #0969da; }
svg .errorbar { stroke: #0969da; stroke-width: 1; opacity: 0.7; }
svg .fit { stroke: #bc4c00; stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .threshold { stroke: #cf222e; stroke-width: 1; stroke-dasharray: 2 3; }
svg .k-lin, svg .k-lin-key { fill: #8250df; stroke: #8250df; stroke-width: 2; }
svg .k-skip, svg .k-skip-key { fill: #1a7f37; stroke: #1a7f37; stroke-width: 2; }
svg .cell { stroke: #fff; stroke-width: 0.5; } svg .legend-bar { stroke: #8c959f; }
ul.warnings li { margin: 2px 0; }
`;

function ciCell(e: Estimate): string {
  return esc(formatEstimateInterval(e));
}

function kind(b: BlockReport): string {
  return b.residual ? `residual/${b.residual.skipKind}` : 'plain';
}

function row(cells: readonly string[], cls = ''): string {
  return `<tr${cls ? ` class="${cls}"` : ''}>${cells.join('')}</tr>`;
}

const td = (html: string, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;

function blocksTable(report: AnalysisReport): string {
  const head = ['#', 'block', 'kind', 'GSC to output', '99% CI', 'GSC block', 'k_skip', 'k_lin', 'flags']
    .map((h, i) => `<th${i === 1 || i === 2 || i === 8 ? ' class="name"' : ''}>${esc(h)}</th>`)
    .join('');
  const rows = blockFlags(report).map((f) => {
    const b = f.block;
    const labels = flagLabels(f);
    return row(
      [
        td(esc(b.index)),
        td(esc(b.name), 'name'),
        td(esc(kind(b)), 'text'),
        td(esc(formatNumber(b.gscToOutput.value))),
        td(ciCell(b.gscToOutput)),
        td(esc(formatNumber(b.gscBlock.value))),
        td(b.residual ? esc(formatKSkip(b.residual)) : ''),
        td(esc(formatKLin(b.linearisation))),
        td(labels.map((l) => `<span class="flag">${esc(l)}</span>`).join(''), 'text'),
      ],
      labels.length ? 'flagged' : '',
    );
  });
  return `<table class="blocks"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function nonlinearitiesTable(report: AnalysisReport): string {
  if (report.nonlinearities.length === 0) return '<p class="note">No elementwise nonlinearities found.</p>';
  const t = report.thresholds;
  const head = ['#', 'op', 'node', 'block', 'k', 'sign diversity', 'relative spread', 'mean slope', 'flags']
    .map((h, i) => `<th${i === 1 || i === 2 || i === 8 ? ' class="name"' : ''}>${esc(h)}</th>`)
    .join('');
  const rows = report.nonlinearities.map((q) => {
    const labels = [isPseudoLinear(q, t) ? 'pseudo-linear' : '', isCollapsed(q, t) ? 'collapsed' : ''].filter((x) => x !== '');
    return row(
      [
        td(esc(q.index)),
        td(esc(q.op), 'text'),
        td(esc(q.sourceName || q.node), 'name'),
        td(esc(q.block)),
        td(esc(fmt(q.k, true))),
        td(esc(formatNumber(q.signDiversity))),
        td(esc(formatNumber(q.relativeSpread))),
        td(esc(formatNumber(q.meanSlope))),
        td(labels.map((l) => `<span class="flag">${esc(l)}</span>`).join(''), 'text'),
      ],
      labels.length ? 'flagged' : '',
    );
  });
  return `<table class="nonlinearities"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Units of streams off the main path (docs/metrics.md, step 7), as in the Markdown export; empty when there are none. */
function streamUnitsSection(report: AnalysisReport): string {
  const rows = report.blocks.flatMap((b) =>
    (b.streamUnits ?? []).map((u) =>
      row([
        td(esc(b.index)),
        td(esc(u.name), 'name'),
        td(esc(u.residual ? `residual/${u.residual.skipKind}` : 'plain'), 'text'),
        td(esc(u.nodes.length)),
        td(esc(u.unmeasured !== undefined ? `not measured: ${u.unmeasured}` : formatUnitGsc(u.gscUnit)), 'text'),
        td(u.residual ? esc(formatUnitGsc(u.residual.gscBranch)) : '', 'text'),
        td(u.residual ? esc(formatUnitGsc(u.residual.gscSkip)) : '', 'text'),
      ]),
    ),
  );
  if (rows.length === 0) return '';
  const head = ['block', 'unit', 'kind', 'ops', 'GSC', 'branch GSC', 'skip GSC']
    .map((h, i) => `<th${i === 1 || i === 2 ? ' class="name"' : ''}>${esc(h)}</th>`)
    .join('');
  return `<h3>Stream units</h3>
<p class="note">Units of the streams off the main path inside bypassed blocks, each measured as a block from its input to its output (99% intervals).</p>
<table class="stream-units"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function reportToHtml(report: AnalysisReport): string {
  const m = report.model;
  const s = report.settings;
  const t = report.thresholds;
  const g = report.growth;
  const meta: [string, string][] = [
    ['model', `${m.fileName} · ${m.formatLabel} · ${m.parameters} parameters · sha256 ${m.contentHash.slice(0, 12)}`],
    ['input', `${m.inputName} [${m.inputShape.join(', ')}] from ${s.inputSource === 'gaussian' ? 'a seeded Gaussian batch' : s.inputSource}`],
    ['output', `${m.outputName} (${m.outputDim} units)`],
    ['input batch', inputText(report)],
    ['GSC to', referenceText(report)],
    ['backend', `${report.backend.name} (tfjs ${report.backend.tfjsBackend})${threadsText(report.backend.threads)}`],
    ['settings', `batch ${s.batch} · probes ${s.probes} · exact ${s.exact} · seed ${s.seed} · block matrix ${s.blockMatrix ? 'yes' : 'no'}`],
    ['time', `${report.createdAt}, ${formatSeconds(report.timings.totalMs)} · ${report.tool.name} ${report.tool.version} · schema ${report.version}`],
  ];
  const warnings =
    report.warnings.length === 0
      ? '<p class="note">None.</p>'
      : `<ul class="warnings">${report.warnings.map((w) => `<li>${esc(w.message)}${w.where ? ` <span class="note">(${esc(w.where)})</span>` : ''}</li>`).join('')}</ul>`;
  const heatmap = report.blockMatrix ? blockMatrixHeatmap(report.blockMatrix) : `<p class="note">${esc(blockMatrixAbsentText(report))}</p>`;
  const number = (v: number | null): string => esc(formatNumber(v));

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(HTML_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`Gradient Lens: ${m.fileName}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Gradient Lens: ${esc(m.fileName)}</h1>
<dl class="meta">${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
<h2>GSC to the output</h2>
<p>GSC(input → output) = ${number(g.gscInputToOutput)} · explosion rate per block (log fit) = ${number(g.logFit.rate)} · geometric mean = ${number(g.geometricMeanRate)}</p>
${gscChart(report)}
<h2>Blocks</h2>
<p class="note">Flags: exploding when GSC to the output &gt; ${number(t.gsc)}; pseudo-linear when a nonlinearity's k &gt; ${number(t.pseudoLinearK)}; collapsed when its relative spread &lt; ${number(t.collapsedSpread)}. Intervals are 99%.</p>
${blocksTable(report)}
${streamUnitsSection(report)}
<h2>k-dilution per block</h2>
${kChart(report)}
<h2>Block matrix GSC(k → l)</h2>
${heatmap}
<h2>Nonlinearities</h2>
${nonlinearitiesTable(report)}
<h2>Warnings</h2>
${warnings}
</body>
</html>
`;
}
