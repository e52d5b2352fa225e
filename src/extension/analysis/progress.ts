/**
 * Turns the engine's progress events (absolute fractions) into one coherent progress line for
 * vscode.Progress.report: increments that never go backwards, events that arrive late from
 * another thread (a fraction below the one shown) dropped instead of making the text jump back
 * ("row 34 … 29 …"), and an estimate of the time left once enough of the run has passed.
 */
import type { ProgressEvent } from '../../engine/api';

export interface ProgressStep {
  readonly message: string;
  /** Percent points to add (0..100 in total over a run); absent when the fraction is unknown. */
  readonly increment?: number;
}

/** "about 40 s left", "about 3 min left". */
export function etaText(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 90) return `about ${s} s left`;
  return `about ${Math.round(s / 60)} min left`;
}

export class ProgressTracker {
  private reportedPercent = 0;
  private startedAt: number | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** The step to report, or undefined for an event that would move the text backwards. */
  next(event: ProgressEvent): ProgressStep | undefined {
    this.startedAt ??= this.now();
    if (event.fraction === undefined || !Number.isFinite(event.fraction)) return { message: event.message };
    const percent = Math.min(100, Math.max(0, event.fraction * 100));
    const increment = percent - this.reportedPercent;
    if (increment < 0) return undefined;
    if (increment === 0) return { message: this.withEta(event.message, percent) };
    this.reportedPercent = percent;
    return { message: this.withEta(event.message, percent), increment };
  }

  private withEta(message: string, percent: number): string {
    const elapsed = this.now() - (this.startedAt ?? this.now());
    // Too early, the first seconds (loading, backend start) say little about the rest.
    if (percent < 5 || percent >= 100 || elapsed < 3000) return message;
    return `${message} · ${etaText((elapsed * (100 - percent)) / percent)}`;
  }
}
