/** The report itself, pretty-printed: the schema is unchanged, so it reads back with reportIncompatibility. */
import type { AnalysisReport } from '../schema';
import { printableJson } from '../printable';

/** C1 and invisible format characters are written as \u escapes (the same JSON value), so the text is safe on a terminal. */
export function reportToJson(report: AnalysisReport): string {
  return `${printableJson(JSON.stringify(report, null, 2))}\n`;
}
