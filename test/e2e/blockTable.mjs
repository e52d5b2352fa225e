// Reads the results page's block table and compares it with a CLI JSON report.
//
// Preferred DOM contract (asked of webview-ui): block rows carry data-block-index="k" and
// numeric cells data-field="<report path>" (e.g. "gscToOutput.value") and data-value="<full
// precision>". Without those, columns are matched by their header text and the cell text is
// compared at the precision it shows.

import { waitUntil } from './harness.mjs';

/**
 * Runs inside the webview page. Returns every table that has a header mentioning GSC, the
 * block table first (#block-table, or the table whose rows carry data-block-index).
 */
export function readTablesInPage() {
  const out = [];
  const isBlockTable = (t) => t.id === 'block-table' || t.querySelector('tbody tr[data-block-index]') !== null;
  const tables = [...document.querySelectorAll('table')].sort((a, b) => Number(isBlockTable(b)) - Number(isBlockTable(a)));
  for (const table of tables) {
    const headers = [...table.querySelectorAll('thead th, tr:first-child th')].map((th) => th.textContent.trim());
    if (!headers.some((h) => /gsc/i.test(h))) continue;
    const rows = [...table.querySelectorAll('tbody tr')].map((tr) => ({
      blockIndex: tr.getAttribute('data-block-index'),
      cells: [...tr.querySelectorAll('td, th')].map((td) => ({
        text: td.textContent.trim(),
        field: td.getAttribute('data-field'),
        value: td.getAttribute('data-value'),
      })),
    }));
    out.push({ id: table.id, className: table.className, headers, rows });
  }
  return out;
}

/** Which report field a column header names. */
const HEADER_FIELDS = [
  [/gsc.*(to\s*)?out/i, 'gscToOutput.value'],
  [/gsc.*block/i, 'gscBlock.value'],
  [/k.?skip/i, 'residual.kSkip'],
  [/k.?lin/i, 'linearisation.kLin'],
  [/growth/i, 'growthRatio'],
  [/^(d.?in)$/i, 'dIn'],
  [/^(d.?out)$/i, 'dOut'],
];

function get(obj, dotted) {
  return dotted.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

/** The tables of the webview `frame` once its block table has rows (the page renders after the report arrives). */
export async function waitForBlockTables(frame, what = 'the block table') {
  return waitUntil(
    async () => {
      try {
        const t = await frame.locator('body').evaluate(readTablesInPage);
        return t.length > 0 && t[0].rows.length > 0 ? t : false;
      } catch {
        return false;
      }
    },
    60000,
    what,
  );
}

/** The first number in a cell's text, with how many significant digits it shows. */
export function parseShownNumber(text) {
  // The formatter writes 1.235×10⁴ and 2.5×10⁻⁴ (src/report/format.ts): read them as 1.235e4, 2.5e-4.
  const SUPER = '⁰¹²³⁴⁵⁶⁷⁸⁹';
  const t = text
    .replace(/\u2212/g, '-')
    .replace(/,/g, '')
    .replace(/\s*×\s*10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)/g, (_, exp) => `e${[...exp].map((ch) => (ch === '⁻' ? '-' : String(SUPER.indexOf(ch)))).join('')}`);
  if (/^\s*(∞|inf)/i.test(t)) return { value: Infinity, digits: Infinity };
  const m = /-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(t);
  if (!m) return undefined;
  const mantissa = m[1].replace('.', '').replace(/^0+/, '');
  return { value: Number(m[0]), digits: Math.max(1, mantissa.length) };
}

/** True when `shown` (with `digits` significant digits) is `exact` rounded for display. */
export function agreesAtShownPrecision(shown, digits, exact) {
  if (exact === null) return !Number.isFinite(shown);
  if (!Number.isFinite(shown)) return false;
  if (exact === 0) return shown === 0;
  const scale = 10 ** (Math.floor(Math.log10(Math.abs(exact))) - digits + 1);
  return Math.abs(shown - exact) <= 0.5 * scale * (1 + 1e-9) + 1e-12 * Math.abs(exact);
}

/** Compares a table read by readTablesInPage with report.blocks; returns {checked, mismatches}. */
export function compareBlockTable(table, report) {
  const mismatches = [];
  let checked = 0;
  const columnFields = table.headers.map((h) => HEADER_FIELDS.find(([re]) => re.test(h))?.[1]);
  if (table.rows.length !== report.blocks.length) {
    mismatches.push(`table has ${table.rows.length} rows, the report ${report.blocks.length} blocks`);
  }
  table.rows.forEach((row, i) => {
    const index = row.blockIndex !== null ? Number(row.blockIndex) : i + 1;
    const block = report.blocks.find((b) => b.index === index);
    if (!block) {
      mismatches.push(`row ${i}: no block ${index} in the report`);
      return;
    }
    row.cells.forEach((cell, c) => {
      const field = cell.field ?? columnFields[c];
      if (!field) return;
      const exact = get(block, field);
      if (exact === undefined) return; // e.g. k_skip of a plain block
      if (cell.value !== null && cell.value !== undefined && cell.value !== '') {
        checked++;
        const v = cell.value === 'null' ? null : Number(cell.value);
        if (v !== exact) mismatches.push(`block ${index} ${field}: table data-value ${cell.value}, CLI ${exact}`);
        return;
      }
      const shown = parseShownNumber(cell.text);
      if (!shown) {
        if (exact !== null) mismatches.push(`block ${index} ${field}: no number in "${cell.text}", CLI ${exact}`);
        return;
      }
      checked++;
      if (!agreesAtShownPrecision(shown.value, shown.digits, exact)) {
        mismatches.push(`block ${index} ${field}: table "${cell.text}", CLI ${exact}`);
      }
    });
  });
  return { checked, mismatches, columnFields };
}
