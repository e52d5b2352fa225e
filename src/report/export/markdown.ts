/**
 * The report as Markdown, readable in a pull request: header, block table, growth, stream units
 * (when a bypassed block holds any), nonlinearities, warnings. Every value from the report goes through mdText or mdCode, whatever its type: a
 * crafted report can hold markup where a number belongs (readers validate it too, validate.ts).
 */
import type { AnalysisReport, BlockReport, Estimate } from '../schema';
import { blockFlags, flagLabels, isCollapsed, isPseudoLinear } from '../flags';
import { fmt, formatEstimateInterval, formatKLin, formatKSkip, formatNumber, formatSeconds, formatUnitGsc, threadsText } from '../format';
import { inputText, referenceText } from '../referenceText';
import { mdCode, mdLineStart, mdTable, mdText } from './markdownText';

/** A number as escaped Markdown text. */
function num(v: number | null): string {
  return mdText(formatNumber(v));
}

function ci(e: Estimate): string {
  return mdText(formatEstimateInterval(e));
}

function kindLabel(b: BlockReport): string {
  return mdText(b.residual ? `residual/${b.residual.skipKind}` : 'plain');
}

/** A stream unit's GSC with its 99% interval ("exact", or "identity" for an identity skip); "not measured" when absent. */
function unitGsc(e: Estimate | undefined): string {
  return mdText(formatUnitGsc(e));
}

/**
 * The units of streams off the main path nested in bypassed blocks (docs/metrics.md, step 7),
 * with the GSCs measured on each as on a block. Empty when no block holds one.
 */
function streamUnitLines(report: AnalysisReport): string[] {
  const rows = report.blocks.flatMap((b) =>
    (b.streamUnits ?? []).map((u) => [
      mdText(b.index),
      mdText(u.name),
      mdText(u.residual ? `residual/${u.residual.skipKind}` : 'plain'),
      mdText(u.nodes.length),
      u.residual ? mdCode(u.residual.mergeNode) : '',
      unitGsc(u.gscUnit),
      u.residual ? unitGsc(u.residual.gscBranch) : '',
      u.residual ? unitGsc(u.residual.gscSkip) : '',
    ]),
  );
  if (rows.length === 0) return [];
  return [
    '### Stream units',
    '',
    'Units of the streams off the main path inside bypassed blocks, found from the graph. Each is measured as a block from its input ' +
      "to its output, with the other tensors it reads held at their forward values: its GSC, and a residual unit's branch and skip " +
      'GSCs from the same input (99% intervals). A unit whose input also reaches its output around it is not measured; k is not measured on units.',
    '',
    mdTable(['block', 'unit', 'kind', 'ops', 'merge', 'GSC', 'branch GSC', 'skip GSC'], rows, ['r', 'l', 'l', 'r', 'l', 'l', 'l', 'l']),
    '',
  ];
}

export function reportToMarkdown(report: AnalysisReport): string {
  const m = report.model;
  const s = report.settings;
  const t = report.thresholds;
  const flags = blockFlags(report);

  const header = [
    `## Gradient Lens: ${mdCode(m.fileName)}`,
    '',
    `- **Model:** ${mdCode(m.fileName)} · ${mdText(m.formatLabel)} · input ${mdCode(m.inputName)} ${mdText(`[${m.inputShape.join(', ')}]`)} · ` +
      `output ${mdCode(m.outputName)} (${mdText(m.outputDim)} units) · ${mdText(m.parameters)} parameters · sha256 ${mdText(m.contentHash.slice(0, 12))}`,
    `- **Format:** ${mdText(m.format)}`,
    `- **Input batch:** ${mdText(inputText(report))}`,
    `- **Reference layer (GSC to):** ${mdText(referenceText(report))}`,
    `- **Backend:** ${mdText(report.backend.name)} (tfjs ${mdText(report.backend.tfjsBackend)})${mdText(threadsText(report.backend.threads))}`,
    `- **Batch:** ${mdText(s.batch)} (input ${s.inputSource === 'gaussian' ? 'seeded Gaussian' : mdCode(s.inputSource)}) · **probes:** ${mdText(s.probes)} · ` +
      `**exact:** ${mdText(s.exact)} · **seed:** ${mdText(s.seed)} · **block matrix:** ${s.blockMatrix ? 'yes' : 'no'}`,
    `- **Time:** ${mdText(report.createdAt)}, ${formatSeconds(report.timings.totalMs)} · ${mdText(report.tool.name)} ${mdText(report.tool.version)} · report schema ${mdText(report.version)}`,
  ];

  const blockRows = flags.map((f) => {
    const b = f.block;
    return [
      mdText(b.index),
      mdCode(b.name),
      kindLabel(b),
      num(b.gscToOutput.value),
      ci(b.gscToOutput),
      num(b.gscBlock.value),
      b.residual ? mdText(formatKSkip(b.residual)) : '',
      mdText(formatKLin(b.linearisation)),
      mdText(flagLabels(f).join(', ')),
    ];
  });
  const blocks = mdTable(['#', 'block', 'kind', 'GSC to output', '99% CI', 'GSC block', 'k_skip', 'k_lin', 'flags'], blockRows, [
    'r',
    'l',
    'l',
    'r',
    'r',
    'r',
    'r',
    'r',
    'l',
  ]);

  const g = report.growth;
  const growth =
    `**Growth:** GSC(input → output) = ${num(g.gscInputToOutput)} · explosion rate per block (log fit) = ${num(g.logFit.rate)} · ` +
    `geometric mean = ${num(g.geometricMeanRate)}`;

  const thresholdsLine =
    `Flags: *exploding* when GSC to the output > ${num(t.gsc)}; *pseudo-linear* when a nonlinearity's k > ${num(t.pseudoLinearK)}; ` +
    `*collapsed* when its relative spread < ${num(t.collapsedSpread)}. Intervals are 99%; "exact" values have none.`;

  const nonlinearRows = report.nonlinearities.map((q) => {
    const labels = [isPseudoLinear(q, t) ? 'pseudo-linear' : '', isCollapsed(q, t) ? 'collapsed' : ''].filter((x) => x !== '');
    return [
      mdText(q.index),
      mdText(q.op),
      mdCode(q.sourceName || q.node),
      mdText(q.block),
      mdText(fmt(q.k, true)),
      num(q.signDiversity),
      num(q.relativeSpread),
      num(q.meanSlope),
      mdText(labels.join(', ')),
    ];
  });
  const nonlinearities =
    nonlinearRows.length === 0
      ? '_No elementwise nonlinearities found._'
      : mdTable(['#', 'op', 'node', 'block', 'k', 'sign diversity', 'relative spread', 'mean slope', 'flags'], nonlinearRows, [
          'r',
          'l',
          'l',
          'r',
          'r',
          'r',
          'r',
          'r',
          'l',
        ]);

  const warnings =
    report.warnings.length === 0 ? ['_None._'] : report.warnings.map((w) => `- ${mdLineStart(w.message)}${w.where ? ` (${mdCode(w.where)})` : ''}`);

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
    ...streamUnitLines(report),
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
