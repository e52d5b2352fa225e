import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { moveInList, moveInMatrix } from '../../webview-ui/src/navigation';

describe('moveInList', () => {
  test('vertical lists (table rows) use Up/Down and clamp at the ends', () => {
    assert.equal(moveInList('ArrowDown', 2, 5, 'vertical'), 3);
    assert.equal(moveInList('ArrowDown', 4, 5, 'vertical'), 4);
    assert.equal(moveInList('ArrowUp', 0, 5, 'vertical'), 0);
    assert.equal(moveInList('ArrowRight', 2, 5, 'vertical'), undefined);
  });
  test('horizontal lists ignore Up/Down; charts take both', () => {
    assert.equal(moveInList('ArrowDown', 2, 5, 'horizontal'), undefined);
    assert.equal(moveInList('ArrowLeft', 2, 5, 'horizontal'), 1);
    assert.equal(moveInList('ArrowDown', 2, 5, 'both'), 3);
    assert.equal(moveInList('ArrowLeft', 2, 5, 'both'), 1);
  });
  test('Home, End, PageUp, PageDown', () => {
    assert.equal(moveInList('Home', 3, 5, 'vertical'), 0);
    assert.equal(moveInList('End', 1, 5, 'vertical'), 4);
    assert.equal(moveInList('PageDown', 1, 30, 'vertical'), 11);
    assert.equal(moveInList('PageDown', 25, 30, 'vertical'), 29);
    assert.equal(moveInList('PageUp', 5, 30, 'vertical'), 0);
  });
  test('with nothing selected, next goes to the first item and previous to the last', () => {
    assert.equal(moveInList('ArrowDown', undefined, 5, 'vertical'), 0);
    assert.equal(moveInList('ArrowUp', undefined, 5, 'vertical'), 4);
  });
  test('other keys and empty lists are not handled', () => {
    assert.equal(moveInList('Enter', 1, 5, 'both'), undefined);
    assert.equal(moveInList('a', 1, 5, 'both'), undefined);
    assert.equal(moveInList('ArrowDown', undefined, 0, 'both'), undefined);
  });
});

describe('moveInMatrix (upper triangle of boundaries 0..n-1)', () => {
  const n = 6;
  test('the first key puts the cursor on GSC(input -> output)', () => {
    assert.deepEqual(moveInMatrix('ArrowDown', undefined, n), { from: 0, to: 5 });
  });
  test('left/right move the target, up/down the source', () => {
    assert.deepEqual(moveInMatrix('ArrowLeft', { from: 1, to: 4 }, n), { from: 1, to: 3 });
    assert.deepEqual(moveInMatrix('ArrowRight', { from: 1, to: 4 }, n), { from: 1, to: 5 });
    assert.deepEqual(moveInMatrix('ArrowDown', { from: 1, to: 4 }, n), { from: 2, to: 4 });
    assert.deepEqual(moveInMatrix('ArrowUp', { from: 1, to: 4 }, n), { from: 0, to: 4 });
  });
  test('never leaves the triangle', () => {
    // At the diagonal, left stays.
    assert.deepEqual(moveInMatrix('ArrowLeft', { from: 2, to: 3 }, n), { from: 2, to: 3 });
    // Down from the diagonal pushes the target along.
    assert.deepEqual(moveInMatrix('ArrowDown', { from: 2, to: 3 }, n), { from: 3, to: 4 });
    // The last row has only one cell.
    assert.deepEqual(moveInMatrix('ArrowDown', { from: 4, to: 5 }, n), { from: 4, to: 5 });
    assert.deepEqual(moveInMatrix('ArrowRight', { from: 0, to: 5 }, n), { from: 0, to: 5 });
    assert.deepEqual(moveInMatrix('ArrowUp', { from: 0, to: 2 }, n), { from: 0, to: 2 });
  });
  test('Home/End go to the first/last target of the row', () => {
    assert.deepEqual(moveInMatrix('Home', { from: 2, to: 5 }, n), { from: 2, to: 3 });
    assert.deepEqual(moveInMatrix('End', { from: 2, to: 3 }, n), { from: 2, to: 5 });
  });
  test('other keys and matrices without cells are not handled', () => {
    assert.equal(moveInMatrix('Enter', { from: 0, to: 1 }, n), undefined);
    assert.equal(moveInMatrix('ArrowDown', undefined, 1), undefined);
  });
});
