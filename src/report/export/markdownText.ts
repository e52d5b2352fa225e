/**
 * Markdown escaping for untrusted text (layer names come from model files) and a table
 * writer. Targets GitHub-flavoured Markdown as rendered in pull requests.
 */

import { printable } from '../printable';

/** Line breaks cannot appear inside a table row or a list item; they become spaces. Other control characters are shown escaped. */
function oneLine(text: string | number | boolean | null | undefined): string {
  return printable(String(text).replace(/\r\n|\r|\n/g, ' '));
}

/**
 * A name as an inline code span: nothing inside is interpreted (no HTML, links, emphasis,
 * entities). The fence is one backtick longer than the longest run inside; `|` is escaped
 * because GFM splits table cells on it even inside code spans (and removes the backslash).
 */
export function mdCode(name: string | number | boolean | null | undefined): string {
  const text = oneLine(name);
  if (text === '') return '';
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longestRun + 1);
  // A space on both sides keeps a leading/trailing backtick (or space) from joining the fence; CommonMark strips one each side.
  const padded = /^[` ]|[` ]$/.test(text) ? ` ${text} ` : text;
  return `${fence}${padded.replace(/\|/g, '\\|')}${fence}`;
}

/**
 * Inline prose that may contain untrusted names (warnings, labels): backslash-escapes every
 * character with inline meaning (emphasis, code, links, HTML, entities, math, table cells).
 */
export function mdText(text: string | number | boolean | null | undefined): string {
  return (
    oneLine(text)
      .replace(/[\\`*_{}[\]<>|#!~&$^@]/g, '\\$&')
      // Extended autolinks (GFM, linkify) start at "scheme://" or "www."; an escape breaks the pattern.
      .replace(/:(?=\/\/)/g, '\\:')
      .replace(/\b(www)\./gi, '$1\\.')
  );
}

/** mdText for text that starts a line or list item: also escapes list, quote and heading markers. */
export function mdLineStart(text: string | number | boolean | null | undefined): string {
  return mdText(text)
    .replace(/^(\s*)([-+=>])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

/** A GFM table; cells must already be escaped. `align` per column: 'l' or 'r'. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const rule = align.map((a) => (a === 'r' ? '---:' : ':---'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}
