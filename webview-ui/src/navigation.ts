/**
 * Keyboard navigation as pure state transitions, so the DOM code only maps key events to
 * these functions and the behaviour is unit-tested. Keys are KeyboardEvent.key values.
 */

export type Orientation = 'vertical' | 'horizontal' | 'both';

const PAGE = 10;

/**
 * The new position in a list of `count` items after `key`, or undefined when the key is not
 * a navigation key for this orientation (the caller then lets the event through).
 * With nothing selected (current undefined), "next" goes to the first item and "previous"
 * to the last.
 */
export function moveInList(key: string, current: number | undefined, count: number, orientation: Orientation): number | undefined {
  if (count <= 0) return undefined;
  const nextKeys = orientation === 'vertical' ? ['ArrowDown'] : orientation === 'horizontal' ? ['ArrowRight'] : ['ArrowDown', 'ArrowRight'];
  const prevKeys = orientation === 'vertical' ? ['ArrowUp'] : orientation === 'horizontal' ? ['ArrowLeft'] : ['ArrowUp', 'ArrowLeft'];
  const last = count - 1;
  let target: number;
  if (nextKeys.includes(key)) target = current === undefined ? 0 : current + 1;
  else if (prevKeys.includes(key)) target = current === undefined ? last : current - 1;
  else if (key === 'Home') target = 0;
  else if (key === 'End') target = last;
  else if (key === 'PageDown') target = current === undefined ? 0 : current + PAGE;
  else if (key === 'PageUp') target = current === undefined ? last : current - PAGE;
  else return undefined;
  return Math.min(last, Math.max(0, target));
}

/** A cell of the block matrix: GSC(from -> to), boundaries 0..n-1 with from < to. */
export interface MatrixCell {
  readonly from: number;
  readonly to: number;
}

/**
 * Moves a cursor over the strictly upper triangle of an n x n boundary matrix (the only
 * cells with a GSC). Rows are sources ("from", ArrowUp/ArrowDown), columns targets ("to",
 * ArrowLeft/ArrowRight); Home/End go to the first/last target of the row. A move that
 * would leave the triangle is clamped into it.
 */
export function moveInMatrix(key: string, cell: MatrixCell | undefined, n: number): MatrixCell | undefined {
  if (n < 2) return undefined;
  const handled = ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End'];
  if (!handled.includes(key)) return undefined;
  if (!cell) return { from: 0, to: n - 1 };
  let { from, to } = cell;
  switch (key) {
    case 'ArrowUp':
      from -= 1;
      break;
    case 'ArrowDown':
      from += 1;
      break;
    case 'ArrowLeft':
      to -= 1;
      break;
    case 'ArrowRight':
      to += 1;
      break;
    case 'Home':
      to = from + 1;
      break;
    case 'End':
      to = n - 1;
      break;
  }
  from = Math.min(n - 2, Math.max(0, from));
  to = Math.min(n - 1, Math.max(from + 1, to));
  // ArrowLeft at the diagonal would leave the triangle: it stays put instead of moving the row.
  if (key === 'ArrowLeft' && cell.to - 1 <= cell.from) return { from: cell.from, to: cell.to };
  return { from, to };
}
