/** A ComparisonResult as plain text (terminal) or Markdown (pull request); JSON is the result itself. */
import type { BlockComparison, BlockRef, ComparedK, ComparisonResult, ReportIdentity } from './compare';
import { fmt } from './format';
import { printable, printableLines } from './printable';
import { mdCode, mdLineStart, mdTable, mdText } from './export/markdownText';

/** null is ∞ for k_lin (a linear block) and "–" for k_skip (not a residual block). */
function kCell(k: ComparedK, infiniteWhenNull: boolean): string {
  if (k.a === null && k.b === null && !infiniteWhenNull) return '';
  const one = (v: number | null): string => (v === null && !infiniteWhenNull ? '–' : fmt(v, infiniteWhenNull));
  const diff = k.difference === null ? '' : ` (${k.difference >= 0 ? '+' : ''}${fmt(k.difference)})`;
  return `${one(k.a)} → ${one(k.b)}${diff}${k.significant ? ' *' : ''}`;
}

function gscCell(c: BlockComparison): string {
  return `${fmt(c.gscToOutput.a)} → ${fmt(c.gscToOutput.b)}`;
}

function describe(id: ReportIdentity): string {
  return `${id.modelFileName}, ${id.blocks} blocks, batch ${id.batch}, probes ${id.probes}, exact ${id.exact}, seed ${id.seed}, ${id.createdAt}`;
}

function summaryLine(r: ComparisonResult): string {
  const s = r.summary;
  const g = r.growth;
  return (
    `${s.better} better, ${s.worse} worse, ${s.unchanged} unchanged within noise, of ${s.compared} compared blocks; ` +
    `GSC(input → output) ${fmt(g.gscInputToOutput.a)} → ${fmt(g.gscInputToOutput.b)} (b/a ${fmt(g.gscInputToOutput.ratio)}); ` +
    `explosion rate ${fmt(g.explosionRate.a)} → ${fmt(g.explosionRate.b)}`
  );
}

function blockName(c: BlockComparison, show: (s: string) => string): string {
  return c.namesDiffer ? `${show(c.a.name)} / ${show(c.b.name)}` : show(c.a.name);
}

function indexCell(c: BlockComparison): string {
  return c.a.index === c.b.index ? String(c.a.index) : `${c.a.index} / ${c.b.index}`;
}

function unmatchedLine(side: string, refs: readonly BlockRef[], show: (s: string) => string): string {
  return `only in ${side}: ${refs.map((r) => `${r.index} ${show(r.name)}`).join(', ')}`;
}

export function comparisonToText(r: ComparisonResult): string {
  const header = ['#', 'block', 'GSC to output a → b', 'b/a', 'GSC block b/a', 'k_lin a → b (Δ)', 'k_skip a → b (Δ)', 'change'];
  const rows = r.blocks.map((c) => [
    indexCell(c),
    blockName(c, printable),
    gscCell(c),
    fmt(c.gscToOutput.ratio),
    fmt(c.gscBlock.ratio),
    kCell(c.kLin, true),
    kCell(c.kSkip, false),
    c.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === 1 || i === 5 || i === 6 || i === 7 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [
    `a: ${printable(r.a.label)} (${printable(describe(r.a))})`,
    `b: ${printable(r.b.label)} (${printable(describe(r.b))})`,
    `blocks matched by ${r.matchedBy}; ${r.noiseRule}; * marks a k_lin change beyond noise`,
    ...r.notes.map((n) => `note: ${printable(n)}`),
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
  ];
  if (r.unmatchedA.length) out.push(unmatchedLine('a', r.unmatchedA, printable));
  if (r.unmatchedB.length) out.push(unmatchedLine('b', r.unmatchedB, printable));
  out.push(`summary: ${summaryLine(r)}`, '');
  // Labels are file names and names come from the reports: nothing unprintable reaches the terminal.
  return printableLines(out.join('\n'));
}

export function comparisonToMarkdown(r: ComparisonResult): string {
  const rows = r.blocks.map((c) => [
    indexCell(c),
    blockName(c, mdCode),
    gscCell(c),
    fmt(c.gscToOutput.ratio),
    fmt(c.gscBlock.ratio),
    kCell(c.kLin, true).replace(' *', ' \\*'),
    kCell(c.kSkip, false),
    c.verdict === 'unchanged' ? c.verdict : `**${c.verdict}**`,
  ]);
  const out = [
    '## Gradient Lens: comparison',
    '',
    `- **a:** ${mdText(r.a.label)} (${mdText(describe(r.a))})`,
    `- **b:** ${mdText(r.b.label)} (${mdText(describe(r.b))})`,
    `- Blocks matched by ${r.matchedBy}; ${mdText(r.noiseRule)}; \\* marks a k_lin change beyond noise.`,
    ...r.notes.map((n) => `- ${mdLineStart(n)}`),
    '',
    mdTable(['#', 'block', 'GSC to output a → b', 'b/a', 'GSC block b/a', 'k_lin a → b (Δ)', 'k_skip a → b (Δ)', 'change'], rows, [
      'r',
      'l',
      'r',
      'r',
      'r',
      'r',
      'r',
      'l',
    ]),
    '',
  ];
  if (r.unmatchedA.length) out.push(`- ${unmatchedLine('a', r.unmatchedA, mdCode)}`);
  if (r.unmatchedB.length) out.push(`- ${unmatchedLine('b', r.unmatchedB, mdCode)}`);
  if (r.unmatchedA.length || r.unmatchedB.length) out.push('');
  out.push(`**Summary:** ${mdText(summaryLine(r))}`, '');
  return out.join('\n');
}
