/** The report as Markdown, readable in a pull request: header, block table, growth, nonlinearities, warnings. */
import type { AnalysisReport, BlockReport, Estimate } from '../schema';
import { blockFlags, flagLabels, isCollapsed, isPseudoLinear } from '../flags';
import { fmt, threadsText } from '../format';
import { inputText, referenceText } from '../referenceText';
import { mdCode, mdLineStart, mdTable, mdText } from './markdownText';

function ci(e: Estimate): string {
  if (e.method === 'exact' || e.method === 'identity') return e.method;
  return `[${fmt(e.ci99[0])}, ${fmt(e.ci99[1])}]`;
}

function kindLabel(b: BlockReport): string {
  return b.residual ? `residual/${b.residual.skipKind}` : 'plain';
}

export function reportToMarkdown(report: AnalysisReport): string {
  const m = report.model;
  const s = report.settings;
  const t = report.thresholds;
  const flags = blockFlags(report);

  const header = [
    `## Gradient Lens: ${mdCode(m.fileName)}`,
    '',
    `- **Model:** ${mdCode(m.fileName)} (${mdText(m.formatLabel)}), input ${mdCode(m.inputName)} [${m.inputShape.join(', ')}], ` +
      `output ${mdCode(m.outputName)} (${m.outputDim} units), ${m.parameters} parameters, sha256 ${m.contentHash.slice(0, 12)}`,
    `- **Format:** ${mdText(m.format)}`,
    `- **Input batch:** ${mdText(inputText(report))}`,
    `- **Reference layer (GSC to):** ${mdText(referenceText(report))}`,
    `- **Backend:** ${mdText(report.backend.name)} (tfjs ${mdText(report.backend.tfjsBackend)})${threadsText(report.backend.threads)}`,
    `- **Batch:** ${s.batch} (input ${s.inputSource === 'gaussian' ? 'seeded Gaussian' : mdCode(s.inputSource)}) · **probes:** ${s.probes} · ` +
      `**exact:** ${s.exact} · **seed:** ${s.seed} · **block matrix:** ${s.blockMatrix ? 'yes' : 'no'}`,
    `- **Time:** ${mdText(report.createdAt)}, ${(report.timings.totalMs / 1000).toFixed(1)} s · ${mdText(report.tool.name)} ${mdText(report.tool.version)} · report schema ${mdText(report.version)}`,
  ];

  const blockRows = flags.map((f) => {
    const b = f.block;
    return [
      String(b.index),
      mdCode(b.name),
      kindLabel(b),
      fmt(b.gscToOutput.value),
      ci(b.gscToOutput),
      fmt(b.gscBlock.value),
      b.residual ? fmt(b.residual.kSkip) : '',
      fmt(b.linearisation.kLin, b.linearisation.linear),
      flagLabels(f).join(', '),
    ];
  });
  const blocks = mdTable(
    ['#', 'block', 'kind', 'GSC to output', '99% CI', 'GSC block', 'k_skip', 'k_lin', 'flags'],
    blockRows,
    ['r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
  );

  const g = report.growth;
  const growth =
    `**Growth:** GSC(input → output) = ${fmt(g.gscInputToOutput)} · explosion rate per block (log fit) = ${fmt(g.logFit.rate)} · ` +
    `geometric mean = ${fmt(g.geometricMeanRate)}`;

  const thresholdsLine =
    `Flags: *exploding* when GSC to the output > ${fmt(t.gsc)}; *pseudo-linear* when a nonlinearity's k > ${fmt(t.pseudoLinearK)}; ` +
    `*collapsed* when its relative spread < ${fmt(t.collapsedSpread)}. Intervals are 99%; "exact" values have none.`;

  const nonlinearRows = report.nonlinearities.map((q) => {
    const labels = [isPseudoLinear(q, t) ? 'pseudo-linear' : '', isCollapsed(q, t) ? 'collapsed' : ''].filter((x) => x !== '');
    return [
      String(q.index),
      mdText(q.op),
      mdCode(q.sourceName || q.node),
      String(q.block),
      fmt(q.k, true),
      fmt(q.signDiversity),
      fmt(q.relativeSpread),
      fmt(q.meanSlope),
      labels.join(', '),
    ];
  });
  const nonlinearities =
    nonlinearRows.length === 0
      ? '_No elementwise nonlinearities found._'
      : mdTable(
          ['#', 'op', 'node', 'block', 'k', 'sign diversity', 'relative spread', 'mean slope', 'flags'],
          nonlinearRows,
          ['r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
        );

  const warnings =
    report.warnings.length === 0
      ? ['_None._']
      : report.warnings.map((w) => `- ${mdLineStart(w.message)}${w.where ? ` (${mdCode(w.where)})` : ''}`);

  return [
    ...header,
    '',
    '### Blocks',
    '',
    blocks,
    '',
    thresholdsLine,
    '',
    growth,
    '',
    '### Nonlinearities',
    '',
    nonlinearities,
    '',
    '### Warnings',
    '',
    ...warnings,
    '',
  ].join('\n');
}
