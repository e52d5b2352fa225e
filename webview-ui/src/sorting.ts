/** Sorting of the results tables. Pure (no DOM). */

export type SortDirection = 'ascending' | 'descending';

export interface SortState {
  readonly column: string;
  readonly direction: SortDirection;
}

/**
 * A cell's sort key: a number (Infinity for an infinite k), a string, or null when the
 * quantity does not apply. n/a sorts last in both directions, so flipping the order keeps
 * the rows that have the number together at the top.
 */
export type SortKey = number | string | null;

/** Clicking a column header: the same column flips, another column starts ascending. */
export function nextSort(current: SortState | undefined, column: string): SortState {
  if (current && current.column === column) {
    return { column, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  }
  return { column, direction: 'ascending' };
}

export function compareKeys(a: SortKey, b: SortKey, direction: SortDirection): number {
  const aMissing = a === null || (typeof a === 'number' && Number.isNaN(a));
  const bMissing = b === null || (typeof b === 'number' && Number.isNaN(b));
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  let c: number;
  if (typeof a === 'number' && typeof b === 'number') c = a === b ? 0 : a < b ? -1 : 1;
  else c = String(a).localeCompare(String(b), 'en', { numeric: true });
  return direction === 'ascending' ? c : -c;
}

/** A sorted copy; ties keep their original order (so block order is the tie-breaker). */
export function sortRows<T>(rows: readonly T[], key: (row: T) => SortKey, direction: SortDirection): T[] {
  return rows
    .map((row, i) => ({ row, i, k: key(row) }))
    .sort((x, y) => compareKeys(x.k, y.k, direction) || x.i - y.i)
    .map((e) => e.row);
}
