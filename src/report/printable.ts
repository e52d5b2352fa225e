/**
 * Text from a model or a report (node, op and block names, warnings, file names inside a
 * report) made safe to show: a name holding ESC[2J would clear a terminal and could print a fake
 * success line; OSC 52 writes the clipboard; U+202E reverses what follows. Everything the CLI
 * writes to a terminal from a model or report goes through printable (one line) or
 * printableLines (a whole table or document), and the exporters run their data strings through
 * printable too, so no file they write holds a raw control character either.
 *
 * Shown escaped: C0 controls (ESC as \x1b, BEL as \x07, ...), DEL, C1 controls 0x80-0x9f
 * (\x9b is an 8-bit CSI), and the invisible format and separator characters (bidi overrides,
 * zero-width characters, U+2028/U+2029) as \u{202e}.
 */

// C0, DEL, C1; Unicode format characters (Cf: bidi controls, zero-width), line/paragraph separators, lone surrogates.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\p{Cf}\u2028\u2029\p{Cs}]/gu;

function escapeCharacter(c: string): string {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** One line of untrusted text: every unprintable character, newlines and tabs included, shown escaped. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeCharacter);
}

/**
 * A whole block of output (a table, a Markdown or CSV document): keeps line feeds, tabs and the
 * CR of a CRLF line end (CSV), escapes every other unprintable character; a lone CR would let a
 * line overwrite the one before it.
 */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE, (c, offset: number, whole: string) =>
    c === '\n' || c === '\t' || (c === '\r' && whole[offset + 1] === '\n') ? c : escapeCharacter(c),
  );
}

/**
 * JSON text with the unprintable characters JSON.stringify leaves raw (C1, format characters,
 * U+2028/2029) written as \uXXXX escapes: still the same JSON value, safe on a terminal.
 * They can only occur inside strings, where \u escapes are valid.
 */
export function printableJson(json: string): string {
  // C0 controls are already \u escapes inside JSON strings; outside them are the pretty-printer's line feeds.
  return json.replace(UNPRINTABLE, (c) =>
    c.charCodeAt(0) < 0x20 ? c : Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}
