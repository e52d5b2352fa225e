/**
 * Sortable, keyboard-operable tables. Column headers are buttons that sort (aria-sort on the
 * th); rows are focusable with a roving tabindex: arrow keys / Home / End / PageUp / PageDown
 * move, Enter or Space activates (selects the block). Numeric cells carry data-field (the
 * report path) and data-value (full precision) for automated readers.
 */
import { dataValue } from './format';
import { h } from './dom';
import { moveInList } from './navigation';
import { nextSort, sortRows, type SortState } from './sorting';
import type { HeaderText, TableColumn } from './viewModel';

export interface TableOptions<T> {
  readonly id: string;
  readonly caption: string;
  readonly columns: readonly TableColumn<T>[];
  readonly rows: readonly T[];
  /** The block a row stands for (selection and highlighting). */
  readonly blockOf: (row: T) => number;
  /** Extra attributes per row (data-block etc.). */
  readonly rowAttrs: (row: T) => Record<string, string>;
  /** A class for rows that stand out (e.g. 'flagged'), or undefined. */
  readonly rowClass?: (row: T) => string | undefined;
  /** Accessible name of a row, e.g. "Block 3 layer2". */
  readonly rowLabel: (row: T) => string;
  readonly sort: SortState | undefined;
  readonly onSort: (sort: SortState) => void;
  readonly onActivate: (block: number) => void;
}

export interface TableHandle {
  readonly element: HTMLElement;
  setSelected(block: number | undefined): void;
}

export function headerContent(t: HeaderText): (Node | string)[] {
  const parts: (Node | string)[] = [t.base];
  if (t.sub) parts.push(h('sub', {}, t.sub));
  if (t.after) parts.push(t.after);
  return parts;
}

export function renderTable<T>(o: TableOptions<T>): TableHandle {
  let selected: number | undefined;
  const sortColumn = o.columns.find((c) => c.id === o.sort?.column);
  const rows = sortColumn && o.sort ? sortRows(o.rows, (r) => sortColumn.cell(r).sortKey, o.sort.direction) : [...o.rows];

  const headRow = h('tr');
  for (const col of o.columns) {
    const active = o.sort?.column === col.id;
    const button = h(
      'button',
      { className: 'sort-button', title: `${col.description}. Sort by this column.`, attrs: { type: 'button' } },
      ...headerContent(col.header),
      h('span', { className: 'sort-indicator', attrs: { 'aria-hidden': 'true' } }, active ? (o.sort!.direction === 'ascending' ? '▲' : '▼') : ''),
    );
    button.addEventListener('click', () => o.onSort(nextSort(o.sort, col.id)));
    headRow.appendChild(
      h(
        'th',
        { className: col.numeric ? 'num' : undefined, attrs: { scope: 'col', 'aria-sort': active ? o.sort!.direction : undefined, 'data-column': col.id } },
        button,
      ),
    );
  }

  const body = h('tbody');
  const rowElements: HTMLTableRowElement[] = rows.map((row) => {
    const tr = h('tr', { className: o.rowClass?.(row), attrs: { ...o.rowAttrs(row), tabindex: -1, 'aria-label': o.rowLabel(row), 'aria-selected': 'false' } });
    o.columns.forEach((col, i) => {
      const c = col.cell(row);
      const attrs: Record<string, string | undefined> = { 'data-column': col.id, 'data-field': c.field };
      if (c.field !== undefined && c.value !== undefined) attrs['data-value'] = dataValue(c.value);
      // The first column heads the row for screen readers.
      const cell = i === 0 ? h('th', { attrs: { ...attrs, scope: 'row' } }, c.text) : h('td', { attrs }, c.text);
      if (col.numeric) cell.classList.add('num');
      if (c.text === 'n/a') cell.classList.add('na');
      if (c.title) cell.title = c.title;
      tr.appendChild(cell);
    });
    tr.addEventListener('click', () => o.onActivate(o.blockOf(row)));
    tr.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        o.onActivate(o.blockOf(row));
        return;
      }
      const at = rowElements.indexOf(tr);
      const to = moveInList(ev.key, at, rowElements.length, 'vertical');
      if (to === undefined) return;
      ev.preventDefault();
      focusRow(to);
    });
    body.appendChild(tr);
    return tr;
  });

  function focusRow(i: number): void {
    rowElements.forEach((r, j) => r.setAttribute('tabindex', j === i ? '0' : '-1'));
    rowElements[i]?.focus();
  }

  if (rowElements.length > 0) rowElements[0].setAttribute('tabindex', '0');

  const table = h(
    'table',
    { id: o.id, className: 'data-table' },
    h('caption', { className: 'sr-only' }, `${o.caption}. Column headers sort; arrow keys move between rows; Enter selects a block.`),
    h('thead', {}, headRow),
    body,
  );
  const element = h('div', { className: 'table-scroll' }, table);

  return {
    element,
    setSelected(block) {
      selected = block;
      let first: HTMLTableRowElement | undefined;
      rows.forEach((row, i) => {
        const isSel = selected !== undefined && o.blockOf(row) === selected;
        rowElements[i].setAttribute('aria-selected', String(isSel));
        rowElements[i].classList.toggle('selected', isSel);
        if (isSel && !first) first = rowElements[i];
      });
      // The roving tab stop follows the selection, unless focus is inside the table already.
      if (first && !table.contains(document.activeElement)) {
        rowElements.forEach((r) => r.setAttribute('tabindex', r === first ? '0' : '-1'));
      }
    },
  };
}
