/** The CLI's readable summary of a report: one row per block, then the headline facts. */
import type { AnalysisReport } from '../report/schema';
import { fmt, fmtEstimate as withCi, printable, threadsText } from '../report/format';
import { blockFlags, flagLabels } from '../report/flags';
import { inputText, referenceText } from '../report/referenceText';

export { fmt };

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

export function formatReportTable(report: AnalysisReport): string {
  // With the error layer as reference, "output" is the per-sample loss.
  const toWhat = report.reference.kind === 'error' ? 'GSC to loss [99% CI]' : 'GSC to output [99% CI]';
  const header = ['#', 'block', 'kind', toWhat, 'GSC block', 'k_skip', 'k_lin', 'flags'];
  const rows = blockFlags(report).map((f) => {
    const b = f.block;
    return [
      String(b.index),
      // Names come from the model file: control characters would reach the terminal.
      printable(b.name),
      b.kind === 'residual' ? `residual/${b.residual!.skipKind}` : 'plain',
      withCi(b.gscToOutput),
      fmt(b.gscBlock.value),
      b.residual ? fmt(b.residual.kSkip) : '',
      fmt(b.linearisation.kLin, b.linearisation.linear),
      flagLabels(f).join(', '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const m = report.model;
  const s = report.settings;
  const lines = [
    `${m.fileName}  (${m.formatLabel}, input [${m.inputShape.join(', ')}], ${m.parameters} parameters)`,
    `input: ${printable(inputText(report))}`,
    `GSC to: ${printable(referenceText(report))}`,
    `backend ${report.backend.name}${threadsText(report.backend.threads)} · batch ${s.batch} · probes ${s.probes} · seed ${s.seed} · exact ${s.exact} · ${(report.timings.totalMs / 1000).toFixed(1)} s`,
    '',
    pad(header, widths),
    pad(
      header.map((_, i) => '-'.repeat(widths[i])),
      widths,
    ),
    ...rows.map((r) => pad(r, widths)),
    '',
    `GSC(input -> output) ${fmt(report.growth.gscInputToOutput)} · explosion rate per block ${fmt(report.growth.logFit.rate)} (fit) · geometric mean ${fmt(report.growth.geometricMeanRate)}`,
    ...report.warnings.map((w) => `warning: ${printable(w.message)}`),
    '',
  ];
  return lines.join('\n');
}
