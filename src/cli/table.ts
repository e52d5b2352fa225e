/**
 * The CLI's readable summary of a report: one row per block, then the headline facts. Every
 * string in it may come from the model or a saved report, so the finished table goes through
 * printableLines: no control character reaches the terminal.
 */
import type { AnalysisReport, MemoryReport, PartialReport } from '../report/schema';
import { fmt, fmtEstimate as withCi, formatKLin, formatKSkip, formatSeconds, threadsText } from '../report/format';
import { printable, printableLines } from '../report/printable';
import { blockFlags, flagLabels } from '../report/flags';
import { inputText, referenceText } from '../report/referenceText';

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
      // One line per block: a name's line break is shown escaped too.
      printable(b.name),
      b.kind === 'residual' ? `residual/${b.residual!.skipKind}` : 'plain',
      withCi(b.gscToOutput),
      fmt(b.gscBlock.value),
      b.residual ? formatKSkip(b.residual) : '',
      formatKLin(b.linearisation),
      flagLabels(f).join(', '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const m = report.model;
  const s = report.settings;
  const lines = [
    printable(`${m.fileName} · ${m.formatLabel} · input [${m.inputShape.join(', ')}] · ${m.parameters} parameters`),
    `input: ${printable(inputText(report))}`,
    `GSC to: ${printable(referenceText(report))}`,
    printable(
      `backend ${report.backend.name}${threadsText(report.backend.threads)} · batch ${s.batch} · probes ${s.probes} · seed ${s.seed} · exact ${s.exact} · ${formatSeconds(report.timings.totalMs)}`,
    ),
    ...(report.memory ? [memoryText(report.memory)] : []),
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
  return printableLines(lines.join('\n'));
}

/**
 * The GSC to the output while the block matrix and the per-block measures still run (the CLI
 * writes it to stderr, so stdout keeps only the final table or JSON).
 */
export function formatPartialTable(partial: PartialReport): string {
  const toWhat = partial.reference.kind === 'error' ? 'GSC to loss [99% CI]' : 'GSC to output [99% CI]';
  const header = ['#', 'block', 'kind', toWhat];
  const rows = partial.blocks.map((b) => [String(b.index), printable(b.name), b.kind, withCi(b.gscToOutput)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const lines = [
    printable(`${partial.model.fileName}: GSC to the output (the block matrix and the per-block measures are still computing)`),
    pad(header, widths),
    pad(
      header.map((_, i) => '-'.repeat(widths[i])),
      widths,
    ),
    ...rows.map((r) => pad(r, widths)),
    `GSC(input -> output) ${fmt(partial.growth.gscInputToOutput)} · explosion rate per block ${fmt(partial.growth.logFit.rate)} (fit)`,
    '',
  ];
  return printableLines(lines.join('\n'));
}

/** The memory guard's plan against the process's measured peak (resident memory). */
function memoryText(m: MemoryReport): string {
  return `memory: planned ${m.plannedMb} MB · peak ${m.peakMb} MB (process resident) · limit ${m.limitMb} MB`;
}
