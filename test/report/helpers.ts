/** Shared by the report tests: the saved real report, hostile names, and small Markdown/CSV readers. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AnalysisReport, BlockReport } from '../../src/report/schema';

/** test/fixtures from test/report (tsx) or out/test/report (compiled). */
function fixturesDir(): string {
  const fromTs = path.resolve(__dirname, '..', 'fixtures');
  const fromOut = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');
  return __filename.endsWith('.ts') ? fromTs : fromOut;
}

/** A real engine report of the mlp_relu fixture (exact mode, block matrix, 21 blocks). */
export function savedReport(): AnalysisReport {
  return JSON.parse(readFileSync(path.join(fixturesDir(), 'report-mlp_relu.json'), 'utf8')) as AnalysisReport;
}

/** Names a model file could carry to break out of a table, a cell or an HTML context. */
export const HOSTILE_NAMES = [
  '<img src=x onerror=alert(1)>',
  'a|b||c',
  'back`tick``s',
  '*bold* _em_ [link](http://example.com) www.example.com a@b.com',
  'comma, "quoted"',
  'line\nbreak',
  '=HYPERLINK("http://example.com")',
  'trailing\\',
  '`',
  '&amp; &lt;',
];

/** The report with block i renamed to HOSTILE_NAMES[i] (cycling), also on its nonlinearities. */
export function withNames(report: AnalysisReport, names: readonly string[] = HOSTILE_NAMES): AnalysisReport {
  const blocks: BlockReport[] = report.blocks.map((b, i) => ({ ...b, name: names[i % names.length] }));
  const nonlinearities = report.nonlinearities.map((q, i) => ({ ...q, sourceName: names[(i + 3) % names.length] }));
  return { ...report, blocks, nonlinearities };
}

/** Deep-mutable copy of a report for building test variants. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };
export function mutableCopy(report: AnalysisReport): Mutable<AnalysisReport> {
  return JSON.parse(JSON.stringify(report)) as Mutable<AnalysisReport>;
}

/**
 * GFM table rows after the line that follows `headerStart`: cells split on pipes that are not
 * backslash-escaped (GFM's rule), `\|` unescaped, surrounding spaces trimmed.
 */
export function markdownTable(md: string, headerStart: string): { header: string[]; rows: string[][] } {
  const lines = md.split('\n');
  const at = lines.findIndex((l) => l.startsWith(headerStart));
  if (at < 0) throw new Error(`no table starting with ${headerStart}`);
  const split = (line: string): string[] => {
    const cells: string[] = [];
    let current = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '\\' && line[i + 1] === '|') {
        current += '|';
        i++;
      } else if (c === '|') {
        cells.push(current);
        current = '';
      } else current += c;
    }
    cells.push(current);
    // A row starts and ends with a pipe: drop the empty outer pieces.
    return cells.slice(1, -1).map((s) => s.trim());
  };
  const header = split(lines[at]);
  const rows: string[][] = [];
  for (let i = at + 2; i < lines.length && lines[i].startsWith('|'); i++) rows.push(split(lines[i]));
  return { header, rows };
}

/** The text of a CommonMark code span (the whole cell), or the cell itself if it is not one. */
export function codeSpanText(cell: string): string {
  const m = /^(`+)([\s\S]*?)\1$/.exec(cell);
  if (!m) return cell;
  const inner = m[2];
  return /^ .* $/s.test(inner) && inner.trim() !== '' ? inner.slice(1, -1) : inner;
}

/** RFC 4180 reader: quoted fields with "" escapes, commas and line breaks inside quotes, CRLF records. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      throw new Error(`bare line break outside quotes at ${i}`);
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || record.length > 0) throw new Error('last record does not end with CRLF');
  return records;
}

/** Equal to 4 significant digits, as the Markdown and HTML tables print numbers. */
export function sameTo4Digits(printed: string, value: number): boolean {
  return Number(printed) === Number(value.toPrecision(4)) || printed === value.toExponential(2);
}
