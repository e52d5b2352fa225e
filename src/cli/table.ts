/** The CLI's readable summary of a report: one row per block, then the headline facts. */
import type { AnalysisReport, Estimate } from '../report/schema';

/** 4 significant digits, ∞ for null-as-infinite, scientific for very large or small values. */
export function fmt(v: number | null, infinite = false): string {
  if (v === null) return infinite ? '∞' : 'n/a';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

function withCi(e: Estimate): string {
  if (e.stderr === 0) return fmt(e.value);
  return `${fmt(e.value)} [${fmt(e.ci99[0])}, ${fmt(e.ci99[1])}]`;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

export function formatReportTable(report: AnalysisReport): string {
  const flagsByBlock = new Map<number, Set<string>>();
  for (const q of report.nonlinearities) {
    const s = flagsByBlock.get(q.block) ?? new Set<string>();
    if (q.pseudoLinear) s.add('pseudo-linear');
    if (q.collapsed) s.add('collapsed');
    flagsByBlock.set(q.block, s);
  }
  const header = ['#', 'block', 'kind', 'GSC to output [99% CI]', 'GSC block', 'k_skip', 'k_lin', 'flags'];
  const rows = report.blocks.map((b) => {
    const flags = new Set(flagsByBlock.get(b.index) ?? []);
    if (b.gscToOutput.value > report.thresholds.gsc) flags.add('exploding');
    return [
      String(b.index),
      b.name,
      b.kind === 'residual' ? `residual/${b.residual!.skipKind}` : 'plain',
      withCi(b.gscToOutput),
      fmt(b.gscBlock.value),
      b.residual ? fmt(b.residual.kSkip) : '',
      fmt(b.linearisation.kLin, b.linearisation.linear),
      [...flags].join(', '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const m = report.model;
  const s = report.settings;
  const lines = [
    `${m.fileName}  (${m.formatLabel}, input [${m.inputShape.join(', ')}], ${m.parameters} parameters)`,
    `backend ${report.backend.name} · batch ${s.batch} · probes ${s.probes} · seed ${s.seed} · exact ${s.exact} · ${(report.timings.totalMs / 1000).toFixed(1)} s`,
    '',
    pad(header, widths),
    pad(
      header.map((_, i) => '-'.repeat(widths[i])),
      widths,
    ),
    ...rows.map((r) => pad(r, widths)),
    '',
    `GSC(input -> output) ${fmt(report.growth.gscInputToOutput)} · explosion rate per block ${fmt(report.growth.logFit.rate)} (fit) · geometric mean ${fmt(report.growth.geometricMeanRate)}`,
    ...report.warnings.map((w) => `warning: ${w.message}`),
    '',
  ];
  return lines.join('\n');
}
