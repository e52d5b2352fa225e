/** The block table as CSV (RFC 4180): one row per block, numbers in full precision, empty for null. */
import type { AnalysisReport } from '../schema';
import { blockFlags } from '../flags';
import { printableLines } from '../printable';
import { formatNumber } from '../format';

export const CSV_COLUMNS = [
  'index',
  'name',
  'kind',
  'skip_kind',
  'd_in',
  'd_out',
  'gsc_to_output',
  'gsc_to_output_ci_low',
  'gsc_to_output_ci_high',
  'gsc_to_output_method',
  'gsc_block',
  'gsc_block_ci_low',
  'gsc_block_ci_high',
  'k_skip',
  'k_lin',
  'k_lin_ci_low',
  'k_lin_ci_high',
  'linear',
  'exploding',
  'pseudo_linear_nonlinearities',
  'collapsed_nonlinearities',
] as const;

type Cell = string | number | boolean | null;

/**
 * Spreadsheets run a text cell that starts with = + - @ (or a tab/CR) as a formula; layer
 * names are untrusted, so such a name gets a leading apostrophe (OWASP's advice). Numbers are
 * written as numbers and never prefixed.
 */
function defuseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function cell(v: Cell): string {
  if (v === null) return '';
  // ∞ and NaN as every other surface writes them (String would give "Infinity").
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : formatNumber(v);
  if (typeof v === 'boolean') return String(v);
  // Control characters (a name's ESC[2J) are shown escaped: `cat report.csv` must not run them. Line breaks stay, quoted.
  const text = defuseFormula(printableLines(v));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function reportToCsv(report: AnalysisReport): string {
  const rows = blockFlags(report).map((f): Cell[] => {
    const b = f.block;
    const lin = b.linearisation;
    return [
      b.index,
      b.name,
      b.kind,
      b.residual ? b.residual.skipKind : null,
      b.dIn,
      b.dOut,
      b.gscToOutput.value,
      b.gscToOutput.ci99[0],
      b.gscToOutput.ci99[1],
      b.gscToOutput.method,
      b.gscBlock.value,
      b.gscBlock.ci99[0],
      b.gscBlock.ci99[1],
      b.residual ? (b.residual.branchZero === true ? Infinity : b.residual.kSkip) : null,
      lin.kLin,
      lin.kLinCi99 ? lin.kLinCi99[0] : null,
      lin.kLinCi99 ? lin.kLinCi99[1] : null,
      lin.linear,
      f.exploding,
      f.pseudoLinear.length,
      f.collapsed.length,
    ];
  });
  // RFC 4180 ends every record with CRLF.
  return [[...CSV_COLUMNS], ...rows].map((r) => `${r.map(cell).join(',')}\r\n`).join('');
}
