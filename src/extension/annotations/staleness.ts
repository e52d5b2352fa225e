/**
 * Which annotated files changed since they were annotated. The text a file had when the
 * mapping was made is remembered as a hash; a later text with another hash makes the file
 * stale, and undoing back to the annotated text makes it fresh again. Pure (no `vscode`).
 */
import { createHash } from 'node:crypto';

export class StalenessTracker {
  private readonly baseline = new Map<string, string>();
  private readonly stale = new Set<string>();

  /** The file was annotated with this text. */
  record(path: string, text: string): void {
    this.baseline.set(path, digest(text));
    this.stale.delete(path);
  }

  /**
   * The file now has this text. Returns true when its stale/fresh state changed (the caller
   * re-renders); files that were never annotated are ignored.
   */
  observe(path: string, text: string): boolean {
    const base = this.baseline.get(path);
    if (base === undefined) return false;
    const nowStale = digest(text) !== base;
    if (nowStale === this.stale.has(path)) return false;
    if (nowStale) this.stale.add(path);
    else this.stale.delete(path);
    return true;
  }

  isStale(path: string): boolean {
    return this.stale.has(path);
  }

  isTracked(path: string): boolean {
    return this.baseline.has(path);
  }

  /** Stops tracking the files (their annotations were replaced or removed). */
  forget(paths: Iterable<string>): void {
    for (const p of paths) {
      this.baseline.delete(p);
      this.stale.delete(p);
    }
  }
}

function digest(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
