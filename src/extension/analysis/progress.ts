/**
 * Turns the engine's progress events (absolute fractions) into what
 * vscode.Progress.report wants (relative increments that must never go backwards).
 */
import type { ProgressEvent } from '../../engine/api';

export interface ProgressStep {
  readonly message: string;
  /** Percent points to add (0..100 in total over a run); absent when the fraction is unknown. */
  readonly increment?: number;
}

export class ProgressTracker {
  private reportedPercent = 0;

  next(event: ProgressEvent): ProgressStep {
    if (event.fraction === undefined || !Number.isFinite(event.fraction)) return { message: event.message };
    const percent = Math.min(100, Math.max(0, event.fraction * 100));
    const increment = percent - this.reportedPercent;
    if (increment <= 0) return { message: event.message };
    this.reportedPercent = percent;
    return { message: event.message, increment };
  }
}
