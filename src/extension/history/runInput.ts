/** How a history entry describes what its run was fed (pure). */
import * as path from 'node:path';
import type { AnalysisReport } from '../../report/schema';

/**
 * What a run was fed, when it differs from the default (a seeded Gaussian batch, reference the
 * model output): runs with data or the error layer must not read like Gaussian runs.
 */
export function runInputText(report: AnalysisReport): string | undefined {
  const parts: string[] = [];
  const input = report.input;
  if (input !== undefined && input.kind !== 'gaussian') {
    const name = input.path !== undefined ? path.basename(input.path) : input.kind;
    parts.push(`data ${name} (${input.samples} sample${input.samples === 1 ? '' : 's'})`);
  } else if (input === undefined && report.settings.inputSource !== 'gaussian') {
    parts.push(`data ${path.basename(report.settings.inputSource)}`);
  }
  if (report.reference.kind === 'error') parts.push(`error layer${report.reference.loss !== undefined ? ` (${report.reference.loss})` : ''}`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}
