import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, nextSort, sortRows, type SortKey } from '../../webview-ui/src/sorting';

describe('nextSort', () => {
  test('a new column starts ascending; the same column flips', () => {
    const a = nextSort(undefined, 'kLin');
    assert.deepEqual(a, { column: 'kLin', direction: 'ascending' });
    const b = nextSort(a, 'kLin');
    assert.deepEqual(b, { column: 'kLin', direction: 'descending' });
    assert.deepEqual(nextSort(b, 'kLin'), { column: 'kLin', direction: 'ascending' });
    assert.deepEqual(nextSort(b, 'gscBlock'), { column: 'gscBlock', direction: 'ascending' });
  });
});

describe('sortRows', () => {
  const rows: { id: string; k: SortKey }[] = [
    { id: 'a', k: 3 },
    { id: 'b', k: null },
    { id: 'c', k: Infinity },
    { id: 'd', k: 0.5 },
    { id: 'e', k: 3 },
    { id: 'f', k: null },
  ];
  test('ascending: numbers, then ∞, then n/a; ties keep their order', () => {
    assert.deepEqual(
      sortRows(rows, (r) => r.k, 'ascending').map((r) => r.id),
      ['d', 'a', 'e', 'c', 'b', 'f'],
    );
  });
  test('descending: ∞ first, n/a still last, ties still in original order', () => {
    assert.deepEqual(
      sortRows(rows, (r) => r.k, 'descending').map((r) => r.id),
      ['c', 'a', 'e', 'd', 'b', 'f'],
    );
  });
  test('strings compare naturally (layer2 before layer10)', () => {
    const names = [{ n: 'layer10' }, { n: 'layer2' }, { n: 'Layer1' }];
    assert.deepEqual(
      sortRows(names, (r) => r.n, 'ascending').map((r) => r.n),
      ['Layer1', 'layer2', 'layer10'],
    );
  });
  test('does not modify its input', () => {
    const copy = rows.map((r) => r.id);
    sortRows(rows, (r) => r.k, 'descending');
    assert.deepEqual(
      rows.map((r) => r.id),
      copy,
    );
  });
  test('NaN counts as missing', () => {
    assert.equal(compareKeys(NaN, 1, 'ascending'), 1);
    assert.equal(compareKeys(1, NaN, 'descending'), -1);
    assert.equal(compareKeys(null, NaN, 'ascending'), 0);
  });
});
