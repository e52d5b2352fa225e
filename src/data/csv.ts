/**
 * Tabular sample data as CSV: one sample per row, numeric columns, an optional header row,
 * and optionally one column holding the labels. Fields may be quoted ("a,b" and "" escapes).
 */
import { DataError } from './errors';
import { readTextData } from './textFile';

export interface CsvTable {
  /** Column names from the header row, or null when the first row is data. */
  readonly header: readonly string[] | null;
  readonly rows: readonly (readonly string[])[];
  /** 1-based line number of each row in the file, for error messages. */
  readonly lines: readonly number[];
}

export interface CsvData {
  /** Samples x features, row-major. */
  readonly features: Float64Array;
  readonly samples: number;
  readonly featureCount: number;
  readonly featureNames: readonly string[] | null;
  /** The label column's values, one per sample, when one was chosen. */
  readonly labels?: Float64Array;
  readonly labelColumn?: string;
}

function splitRecord(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field.trim());
      field = '';
    } else field += c;
  }
  out.push(field.trim());
  return out;
}

function isNumber(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
}

/** The table of `text`, or of its first `maxRows` records (header included) when given. */
export function parseCsvTable(text: string, maxRows = Infinity): CsvTable {
  const rows: string[][] = [];
  const lines: number[] = [];
  let start = 0;
  for (let lineNo = 1; start <= text.length && rows.length < maxRows; lineNo++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end);
    start = end + 1;
    if (line.trim() === '' || line.startsWith('#')) continue;
    rows.push(splitRecord(line));
    lines.push(lineNo);
  }
  // A first row with any non-numeric field is a header.
  const hasHeader = rows.length > 0 && rows[0].some((f) => !isNumber(f));
  return hasHeader ? { header: rows[0], rows: rows.slice(1), lines: lines.slice(1) } : { header: null, rows, lines };
}

/** Index of the label column from a header name or a 0-based index. */
function labelIndex(file: string, table: CsvTable, column: string, width: number): number {
  const byName = table.header?.indexOf(column) ?? -1;
  if (byName >= 0) return byName;
  if (/^\d+$/.test(column) && Number(column) < width) return Number(column);
  const known = table.header
    ? `columns are ${table.header.map((h) => JSON.stringify(h)).join(', ')}`
    : `the file has no header; give a 0-based index below ${width}`;
  throw new DataError(file, `no label column "${column}" (${known})`);
}

interface CsvColumns {
  readonly width: number;
  /** Index of the label column, -1 without one. */
  readonly label: number;
  readonly featureCount: number;
}

function csvColumns(file: string, table: CsvTable, labelColumn: string | undefined): CsvColumns {
  if (table.rows.length === 0) throw new DataError(file, 'no data rows');
  const width = table.header?.length ?? table.rows[0].length;
  const label = labelColumn === undefined ? -1 : labelIndex(file, table, labelColumn, width);
  const featureCount = width - (label >= 0 ? 1 : 0);
  if (featureCount === 0) throw new DataError(file, 'no feature columns besides the label column');
  return { width, label, featureCount };
}

export function csvData(file: string, table: CsvTable, labelColumn?: string): CsvData {
  const { width, label, featureCount } = csvColumns(file, table, labelColumn);
  const samples = table.rows.length;
  const features = new Float64Array(samples * featureCount);
  const labels = label >= 0 ? new Float64Array(samples) : undefined;
  table.rows.forEach((row, r) => {
    if (row.length !== width) throw new DataError(file, `line ${table.lines[r]} has ${row.length} fields, expected ${width}`);
    let f = 0;
    row.forEach((cell, c) => {
      if (!isNumber(cell)) {
        const name = table.header ? ` ("${table.header[c]}")` : '';
        throw new DataError(file, `line ${table.lines[r]}, column ${c}${name}: "${cell}" is not a number`);
      }
      if (c === label) labels![r] = Number(cell);
      else features[r * featureCount + f++] = Number(cell);
    });
  });
  const featureNames = table.header ? table.header.filter((_, c) => c !== label) : null;
  return {
    features,
    samples,
    featureCount,
    featureNames,
    ...(labels && { labels, labelColumn: table.header?.[label] ?? String(label) }),
  };
}

/**
 * `checkColumns` sees the feature count (and the label column's name) from the header and the
 * first row, and may throw before the rest of the file is split and parsed (100 MB of rows
 * for a model that wants another width would be parsed for nothing).
 */
export function readCsvData(file: string, labelColumn?: string, checkColumns?: (featureCount: number, labelName?: string) => void): CsvData {
  const text = readTextData(file);
  if (checkColumns !== undefined) {
    const head = parseCsvTable(text, 2);
    const { label, featureCount } = csvColumns(file, head, labelColumn);
    checkColumns(featureCount, label >= 0 ? (head.header?.[label] ?? String(label)) : undefined);
  }
  return csvData(file, parseCsvTable(text), labelColumn);
}
