/**
 * At most one "could not be placed" notification on screen. Mapping a report to source runs for
 * each report shown (a comparison opens two, a rerun another) and selecting an unplaced block
 * explains itself too; each used to raise its own notification, so two stood side by side
 * saying nearly the same thing (#18). While one is open, later ones are gathered and shown as
 * one when it closes; a set already announced in this session is not repeated. Pure (no
 * `vscode`): the controller shows the texts.
 */

export interface UnplacedSet {
  /** Model path and names of the unplaced blocks: the same set is announced once a session. */
  readonly key: string;
  readonly fileName: string;
  readonly unplaced: readonly string[];
  readonly blocks: number;
}

export function unplacedText(set: UnplacedSet): string {
  const names = set.unplaced;
  const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? `, … ${names.length - 4} more` : '');
  return `Gradient Lens: ${names.length} of ${set.blocks} blocks of ${set.fileName} could not be placed in the source code (${shown}).`;
}

function gatheredText(sets: readonly UnplacedSet[]): string {
  if (sets.length === 1) return unplacedText(sets[0]);
  const parts = sets.map((s) => `${s.unplaced.length} of ${s.blocks} blocks of ${s.fileName}`);
  return `Gradient Lens: ${parts.join('; ')} could not be placed in the source code.`;
}

export class UnplacedNotices {
  private readonly announced = new Set<string>();
  private pending: UnplacedSet[] = [];
  private open = false;

  /** Whether a notification is on screen (a block's own explanation then goes to the log only). */
  get isOpen(): boolean {
    return this.open;
  }

  /** The text to show now, or undefined (already announced, or gathered behind the open one). */
  offer(set: UnplacedSet): string | undefined {
    if (set.unplaced.length === 0 || this.announced.has(set.key)) return undefined;
    this.announced.add(set.key);
    if (this.open) {
      this.pending.push(set);
      return undefined;
    }
    this.open = true;
    return unplacedText(set);
  }

  /** Claims the single slot for another notification (a block's explanation); false if taken. */
  claim(): boolean {
    if (this.open) return false;
    this.open = true;
    return true;
  }

  /** The open notification closed: the text of everything gathered meanwhile, as one, if any. */
  closed(): string | undefined {
    this.open = false;
    if (this.pending.length === 0) return undefined;
    const text = gatheredText(this.pending);
    this.pending = [];
    this.open = true;
    return text;
  }
}
