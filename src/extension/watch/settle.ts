/**
 * Decides when a changing model file has settled: a training script writes a checkpoint in
 * several chunks (or writes a temporary file and renames it), and an analysis of half a file
 * fails. After each change event we wait `quietMs`, then stat the file; it counts as settled
 * when two stats `quietMs` apart agree (size and mtime) and no event came in between. While
 * an analysis runs the check is put off, so runs never pile up and the last state is analysed.
 * Pure (timers and stat are injected), unit-tested.
 */
export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
}

export interface SettleOptions {
  readonly quietMs: number;
  /** undefined when the file is missing (e.g. between a delete and a rename). */
  readonly stat: () => Promise<FileStamp | undefined>;
  readonly isBusy: () => boolean;
  readonly onSettled: () => void | Promise<void>;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
}

export class SettleTimer {
  private timer: unknown;
  private last: FileStamp | undefined;
  private disposed = false;
  /** Bumped by every change event, so a stat that was in flight during an event is ignored. */
  private generation = 0;

  constructor(private readonly options: SettleOptions) {}

  /** A change event for the file. */
  poke(): void {
    if (this.disposed) return;
    this.generation++;
    this.last = undefined;
    this.schedule();
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
  }

  private schedule(): void {
    this.cancelTimer();
    const set = this.options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    this.timer = set(() => {
      this.timer = undefined;
      void this.check();
    }, this.options.quietMs);
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    const clear = this.options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
    clear(this.timer);
    this.timer = undefined;
  }

  private async check(): Promise<void> {
    if (this.disposed) return;
    if (this.options.isBusy()) {
      this.schedule();
      return;
    }
    const generation = this.generation;
    const stamp = await this.options.stat();
    if (this.disposed || generation !== this.generation) return;
    if (!stamp) {
      this.last = undefined;
      this.schedule();
      return;
    }
    const same = this.last !== undefined && this.last.size === stamp.size && this.last.mtimeMs === stamp.mtimeMs;
    if (!same) {
      this.last = stamp;
      this.schedule();
      return;
    }
    this.last = undefined;
    await this.options.onSettled();
  }
}
