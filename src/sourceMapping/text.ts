/** Positions in source text: 0-based lines and characters, as the contract (and VS Code) use. */
import type { SourceRange } from './types';

export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface Span {
  readonly start: Position;
  /** Exclusive. */
  readonly end: Position;
}

/** Converts character offsets of one text to positions (binary search over line starts). */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  position(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.lineStarts[lo] };
  }

  /** A position function for offsets that never decrease (a tokenizer's): amortised O(1). */
  forwardCursor(): (offset: number) => Position {
    let line = 0;
    return (offset: number): Position => {
      if (offset < this.lineStarts[line]) line = this.position(offset).line;
      while (line + 1 < this.lineStarts.length && this.lineStarts[line + 1] <= offset) line++;
      return { line, character: offset - this.lineStarts[line] };
    };
  }

  span(startOffset: number, endOffset: number): Span {
    return { start: this.position(startOffset), end: this.position(endOffset) };
  }

  /** Line `line` without its line break (and without a trailing \r). */
  lineText(line: number): string {
    const start = this.lineStarts[line];
    const next = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] - 1 : this.text.length;
    return this.text.slice(start, next).replace(/\r$/, '');
  }
}

export function toRange(path: string, span: Span): SourceRange {
  return {
    path,
    startLine: span.start.line,
    startCharacter: span.start.character,
    endLine: span.end.line,
    endCharacter: span.end.character,
  };
}

/** The non-blank text of one line as a range (the whole-line placement of a sidecar entry). */
export function lineRange(path: string, index: LineIndex | undefined, line: number): SourceRange {
  if (index === undefined) return { path, startLine: line, startCharacter: 0, endLine: line, endCharacter: 0 };
  const text = index.lineText(line);
  const first = text.length - text.trimStart().length;
  return { path, startLine: line, startCharacter: first, endLine: line, endCharacter: text.trimEnd().length };
}
