/** How history entries read in quick picks (pure, unit-tested). */
import { fmt } from '../../report/format';
import type { HistoryEntry } from './historyStore';

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

export function entryText(e: HistoryEntry): EntryText {
  const s = e.summary;
  return {
    label: e.fileName,
    description: `${shortTime(e.createdAt)} · batch ${s.batch}, ${s.probes} probes, seed ${s.seed}, exact ${s.exact}${e.origin === 'file' ? ' · opened from a file' : ''}`,
    detail: `${s.blocks} blocks · GSC input → output ${fmt(s.gscInputToOutput)} · explosion rate ${fmt(s.explosionRate)} per block · sha256 ${e.contentHash.slice(0, 12)} · ${e.modelPath}`,
  };
}
