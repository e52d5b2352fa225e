/** The report itself, pretty-printed: the schema is unchanged, so it reads back with reportIncompatibility. */
import type { AnalysisReport } from '../schema';

export function reportToJson(report: AnalysisReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
