/**
 * Messages between the extension host and the results webview. The webview bundle
 * (webview-ui/) and the extension both import these types; the extension validates every
 * incoming message with `parseWebviewMessage` because a webview is untrusted content.
 */
import type { AnalysisReport, PartialReport } from '../report/schema';
import type { ComparisonResult } from '../report/compare';
import type { MatrixRatio, Trend } from '../report/compareTrend';
import type { ExamplesFigure } from '../report/figureData';

export type ExtensionToWebview =
  | { readonly type: 'report'; readonly report: AnalysisReport }
  /** An analysis still running: its first chart (the GSC to the output); 'report' replaces it. */
  | { readonly type: 'partial'; readonly partial: PartialReport }
  | { readonly type: 'selectBlock'; readonly index: number }
  | { readonly type: 'theme'; readonly kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' }
  /** GSC to the output against depth for every bundled example (the Analyze All Examples panel). */
  | { readonly type: 'examplesFigure'; readonly figure: ExamplesFigure }
  /** Two reports side by side (the Compare Reports panel); matrixRatio when both have block matrices of one size. */
  | { readonly type: 'comparison'; readonly comparison: ComparisonResult; readonly matrixRatio: MatrixRatio | null }
  /** GSC to the output per block across analyses of the report's model (shown under the report). */
  | { readonly type: 'trend'; readonly trend: Trend };

export type WebviewToExtension =
  | { readonly type: 'ready' }
  /** The user selected a block: reveal the source line that defines it. */
  | { readonly type: 'revealBlock'; readonly index: number }
  | { readonly type: 'rerun' }
  | { readonly type: 'export'; readonly format: 'md' | 'html' | 'json' | 'csv' }
  /** The examples figure: open that bundled example (its code, and the offer to analyse it). */
  | { readonly type: 'openExample'; readonly id: string };

const EXPORT_FORMATS = new Set(['md', 'html', 'json', 'csv']);

/** Returns the message if it is well-formed, else undefined (unknown or malformed: ignored). */
export function parseWebviewMessage(value: unknown): WebviewToExtension | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'rerun':
      return { type: m.type };
    case 'revealBlock':
      return Number.isInteger(m.index) && (m.index as number) >= 1 && (m.index as number) <= 100000
        ? { type: 'revealBlock', index: m.index as number }
        : undefined;
    case 'export':
      return typeof m.format === 'string' && EXPORT_FORMATS.has(m.format) ? { type: 'export', format: m.format as 'md' | 'html' | 'json' | 'csv' } : undefined;
    case 'openExample':
      return typeof m.id === 'string' && /^[a-z0-9_]{1,64}$/.test(m.id) ? { type: 'openExample', id: m.id } : undefined;
    default:
      return undefined;
  }
}
