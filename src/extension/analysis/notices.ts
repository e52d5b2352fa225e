/**
 * What a finished analysis tells the user beyond the report: settings the engine reduced to fit
 * the memory limit (today only the batch) were only in the progress text and the report's
 * warnings; they get a notification. Pure (no `vscode`).
 */
import type { AnalysisReport } from '../../report/schema';

/** The notification text when the engine analysed less than was asked, else undefined. */
export function reducedSettingsNotice(report: AnalysisReport): string | undefined {
  const reduced = report.warnings.filter((w) => w.code === 'input' && /\binstead\b/.test(w.message));
  if (reduced.length === 0) return undefined;
  // The engine writes "analysed a batch of 12 instead" (its own spelling); quoted as it is.
  return `Gradient Lens: ${report.model.fileName} was analyzed with reduced settings: ${reduced.map((w) => w.message).join('; ')}. The report's warnings say so too; a smaller batch or a higher gradientLens.memoryLimitMb avoids it.`;
}
