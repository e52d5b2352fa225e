/**
 * What a finished analysis tells the user beyond the report: settings the engine reduced to fit
 * the memory limit (today only the batch) were only in the progress text and the report's
 * warnings; they get a notification. Pure (no `vscode`).
 */
import type { AnalysisReport } from '../../report/schema';
import { REDUCED_BEFORE_RUN } from '../../report/referenceText';

/** The notification text when the engine analysed less than was asked, else undefined. */
export function reducedSettingsNotice(report: AnalysisReport): string | undefined {
  // The engine's shrunk batch ("… instead") and settings the user reduced before the run.
  const reduced = report.warnings.filter((w) => w.code === 'input' && (/\binstead\b/.test(w.message) || w.message.startsWith(REDUCED_BEFORE_RUN)));
  if (reduced.length === 0) return undefined;
  const memory = reduced.some((w) => /\binstead\b/.test(w.message) && !w.message.startsWith(REDUCED_BEFORE_RUN));
  // The engine writes "analysed a batch of 12 instead" (its own spelling); quoted as it is.
  return `Gradient Lens: ${report.model.fileName} was analyzed with reduced settings: ${reduced.map((w) => w.message).join('; ')}. The report's warnings say so too${memory ? '; a smaller batch or a higher gradientLens.memoryLimitMb avoids the cut' : ''}.`;
}
