/** How history entries read in quick picks (pure, unit-tested). */
import { fmt } from '../../report/format';
import type { HistoryEntry } from './historyStore';
import { STATUS_MAX, shortName, statusText } from '../statusText';

export interface EntryText {
  readonly label: string;
  readonly description: string;
  readonly detail: string;
}

/** "2026-11-26 23:41:07" in local time (the ISO date would be UTC, which confuses at a glance). */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** `relativePath` is the model's path as the workspace shows it (pick lists list several model.onnx). */
export function entryText(e: HistoryEntry, relativePath: string = e.fileName): EntryText {
  const s = e.summary;
  const input = s.input !== undefined ? ` · ${s.input}` : ' · Gaussian input';
  return {
    label: relativePath,
    description: `${shortTime(e.createdAt)}${input} · batch ${s.batch}, ${s.probes} probes, seed ${s.seed}, exact ${s.exact}${e.origin === 'file' ? ' · opened from a file' : ''}`,
    detail: `${s.blocks} blocks · GSC input → output ${fmt(s.gscInputToOutput)} · explosion rate ${fmt(s.explosionRate)} per block · sha256 ${e.contentHash.slice(0, 12)} · ${e.modelPath}`,
  };
}

/**
 * What a cache hit says. A file with the same content as another analysed file is not
 * "unchanged since" anything: it names that file. `short` is for the status bar (Watch).
 */
export function cacheHitText(fileName: string, createdAt: string, sameContentAs?: string): { readonly long: string; readonly short: string } {
  if (sameContentAs !== undefined) {
    return {
      long: `Gradient Lens: ${fileName} has the same content as ${sameContentAs} (analyzed ${shortTime(createdAt)}) — showing that report for ${fileName} (same settings).`,
      short: shortSameAs(fileName, sameContentAs),
    };
  }
  return {
    long: `Gradient Lens: ${fileName} is unchanged since ${shortTime(createdAt)} — showing the cached report (same settings).`,
    short: statusText('', fileName, ' unchanged (cached)'),
  };
}

/** Both names shortened to fit the status bar (Watch shows this; the long form goes to Output). */
function shortSameAs(fileName: string, other: string): string {
  const first = shortName(fileName, 14);
  const room = STATUS_MAX - [...`Gradient Lens: ${first} same as  (cached)`].length;
  return `Gradient Lens: ${first} same as ${shortName(other, room)} (cached)`;
}
