/**
 * Smallest and largest of a list of numbers, by a loop: Math.min(...values) passes every value
 * as an argument and overflows the call stack somewhere past 100,000 of them (a report with
 * 200,000 boundaries did, in its HTML export). -Infinity / Infinity for an empty list, as
 * Math.max() / Math.min() give.
 */
export function minOf(values: readonly number[]): number {
  let lo = Infinity;
  for (const v of values) if (v < lo || Number.isNaN(v)) lo = v;
  return lo;
}

export function maxOf(values: readonly number[]): number {
  let hi = -Infinity;
  for (const v of values) if (v > hi || Number.isNaN(v)) hi = v;
  return hi;
}
