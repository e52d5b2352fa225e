/** Which samples of a data source the analysis takes: the first N, or a seeded random N. */
import { streamFor } from '../runtime/random';

export type SampleMode = 'first' | 'random';

/**
 * `count` distinct indices out of `total`, ascending. Random picks use a partial
 * Fisher-Yates shuffle on the analysis seed's own stream, so the same seed picks the same
 * samples and changing the probes does not change the data.
 */
export function chooseSamples(total: number, count: number, mode: SampleMode, seed: number): number[] {
  const n = Math.min(total, count);
  if (mode === 'first' || n === total) return Array.from({ length: n }, (_, i) => i);
  const rng = streamFor(seed, 'data-samples');
  // Sparse swaps: only the touched positions are stored, so a huge total costs O(n).
  const swapped = new Map<number, number>();
  const at = (i: number): number => swapped.get(i) ?? i;
  const picked: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (total - i));
    const vi = at(i);
    const vj = at(j);
    swapped.set(i, vj);
    swapped.set(j, vi);
    picked.push(vj);
  }
  return picked.sort((a, b) => a - b);
}
