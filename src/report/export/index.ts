/** Report exporters: pure functions of the report (no VS Code, no file system), shared by the CLI and the extension. */
import type { AnalysisReport } from '../schema';
import { reportToCsv } from './csv';
import { reportToHtml } from './html';
import { reportToJson } from './json';
import { reportToMarkdown } from './markdown';

export const EXPORT_FORMATS = ['md', 'html', 'json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** File extension for each format (without the dot). */
export const EXPORT_EXTENSIONS: Readonly<Record<ExportFormat, string>> = { md: 'md', html: 'html', json: 'json', csv: 'csv' };

export function exportReport(report: AnalysisReport, format: ExportFormat): string {
  switch (format) {
    case 'md':
      return reportToMarkdown(report);
    case 'html':
      return reportToHtml(report);
    case 'json':
      return reportToJson(report);
    case 'csv':
      return reportToCsv(report);
  }
}

/** The format a file name implies (.md/.markdown, .html/.htm, .json, .csv), if any. */
export function formatFromFileName(file: string): ExportFormat | undefined {
  const ext = /\.([A-Za-z]+)$/.exec(file)?.[1]?.toLowerCase();
  if (ext === 'md' || ext === 'markdown') return 'md';
  if (ext === 'html' || ext === 'htm') return 'html';
  if (ext === 'json') return 'json';
  if (ext === 'csv') return 'csv';
  return undefined;
}

export { reportToCsv, reportToHtml, reportToJson, reportToMarkdown };
export { CSV_COLUMNS } from './csv';
