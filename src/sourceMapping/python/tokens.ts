/**
 * A tolerant Python tokenizer: names, numbers, strings (with prefixes and triple quotes),
 * operators, grouped into logical lines (bracket and backslash continuations joined) with their
 * indentation. Comments are dropped. It never throws: unknown characters become operators, an
 * unterminated string runs to the end of its line (or of the file for triple quotes).
 */
import { LineIndex, type Position } from '../text';

export type TokenKind = 'name' | 'number' | 'string' | 'op';

export interface Token {
  readonly kind: TokenKind;
  /** The token text; for strings, the literal as written (prefix and quotes included). */
  readonly text: string;
  readonly start: Position;
  readonly end: Position;
}

export interface LogicalLine {
  readonly tokens: readonly Token[];
  /** Column of the first token on its physical line. */
  readonly indent: number;
}

const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '->',
  ':=',
  '**',
  '//',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
];
const MULTI_CHAR_START = new Set(OPERATORS.map((o) => o[0]));
const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])$/;

export function tokenizePython(text: string): LogicalLine[] {
  const position = new LineIndex(text).forwardCursor();
  const lines: LogicalLine[] = [];
  let current: Token[] = [];
  let depth = 0;
  const flush = (): void => {
    if (current.length > 0) lines.push({ tokens: current, indent: current[0].start.character });
    current = [];
  };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      if (depth === 0) flush();
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      continue;
    }
    const start = i;
    if (isNameStart(text.charCodeAt(i))) {
      i++;
      while (i < n && isNamePart(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      if ((text[i] === "'" || text[i] === '"') && STRING_PREFIX.test(word)) {
        i = skipString(text, i);
        current.push({ kind: 'string', text: text.slice(start, i), start: position(start), end: position(i) });
      } else {
        current.push({ kind: 'name', text: word, start: position(start), end: position(i) });
      }
      continue;
    }
    if (isDigit(text.charCodeAt(i)) || (c === '.' && isDigit(text.charCodeAt(i + 1)))) {
      while (i < n && (isNamePart(text.charCodeAt(i)) || text[i] === '.')) {
        // Exponent signs belong to the number (1e-5).
        if ((text[i] === 'e' || text[i] === 'E') && (text[i + 1] === '-' || text[i + 1] === '+')) i++;
        i++;
      }
      current.push({ kind: 'number', text: text.slice(start, i), start: position(start), end: position(i) });
      continue;
    }
    if (c === "'" || c === '"') {
      i = skipString(text, i);
      current.push({ kind: 'string', text: text.slice(start, i), start: position(start), end: position(i) });
      continue;
    }
    const op = (MULTI_CHAR_START.has(c) ? OPERATORS.find((o) => text.startsWith(o, i)) : undefined) ?? c;
    i += op.length;
    if (op === '(' || op === '[' || op === '{') depth++;
    if ((op === ')' || op === ']' || op === '}') && depth > 0) depth--;
    current.push({ kind: 'op', text: op, start: position(start), end: position(i) });
  }
  flush();
  return lines;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code >= 0xc0;
}

function isNamePart(code: number): boolean {
  return isNameStart(code) || isDigit(code);
}

/** Offset just past the string literal whose opening quote is at `i`. */
function skipString(text: string, i: number): number {
  const q = text[i];
  const triple = text.startsWith(q.repeat(3), i);
  const close = triple ? q.repeat(3) : q;
  let j = i + close.length;
  while (j < text.length) {
    if (text[j] === '\\') {
      j += 2;
      continue;
    }
    if (!triple && text[j] === '\n') return j;
    if (text.startsWith(close, j)) return j + close.length;
    j++;
  }
  return text.length;
}

/** The value of a plain (non-f) string literal token, or undefined for f-strings and bytes. */
export function stringValue(literal: string): string | undefined {
  const m = /^([A-Za-z]*)(['"]{3}|['"])([\s\S]*?)\2$/.exec(literal);
  if (m === null) return undefined;
  const prefix = m[1].toLowerCase();
  if (prefix.includes('f') || prefix.includes('b')) return undefined;
  if (prefix.includes('r')) return m[3];
  return m[3].replace(/\\(.)/g, (_, ch: string) => ({ n: '\n', t: '\t' })[ch] ?? ch);
}
