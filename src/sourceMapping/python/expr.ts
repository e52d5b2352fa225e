/**
 * A tolerant parser for the Python expressions that build modules: names, attribute chains,
 * calls (positional, keyword, *star arguments), list/tuple/dict literals, comprehensions and
 * `+` / `*` on lists. Everything else (comparisons, lambdas, conditionals...) becomes an opaque
 * 'other' node spanning its tokens, so nothing the parser does not know stops it.
 */
import type { Span } from '../text';
import type { Token } from './tokens';

export type Expr =
  | { readonly k: 'name'; readonly id: string; readonly span: Span }
  | { readonly k: 'attr'; readonly obj: Expr; readonly attr: string; readonly span: Span }
  | { readonly k: 'call'; readonly fn: Expr; readonly args: readonly Arg[]; readonly span: Span }
  | { readonly k: 'subscript'; readonly obj: Expr; readonly span: Span }
  | { readonly k: 'list' | 'tuple'; readonly elts: readonly Expr[]; readonly span: Span }
  | { readonly k: 'dict'; readonly items: readonly (readonly [Expr | undefined, Expr])[]; readonly span: Span }
  | { readonly k: 'comp'; readonly elt: Expr; readonly iters: readonly Expr[]; readonly span: Span }
  | { readonly k: 'str'; readonly literal: string; readonly span: Span }
  | { readonly k: 'num'; readonly text: string; readonly span: Span }
  | { readonly k: 'star'; readonly value: Expr; readonly span: Span }
  | { readonly k: 'binop'; readonly op: '+' | '*' | '%'; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly k: 'other'; readonly span: Span };

export interface Arg {
  readonly name?: string;
  readonly star?: '*' | '**';
  readonly value: Expr;
}

const CLOSERS = new Set([')', ']', '}', ',', ':', '=', ';']);
const STOP_WORDS = new Set(['for', 'async']);
const BINARY = new Set([
  '+',
  '-',
  '*',
  '/',
  '//',
  '%',
  '@',
  '**',
  '|',
  '&',
  '^',
  '<<',
  '>>',
  '<',
  '>',
  '<=',
  '>=',
  '==',
  '!=',
  'and',
  'or',
  'in',
  'is',
  'not',
  'if',
  'else',
]);

/** Deeper nesting than any real model code is skipped as opaque, so hostile input cannot overflow the stack. */
const MAX_NESTING = 64;

export class ExprParser {
  pos = 0;
  private nesting = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  get done(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && (t.kind === 'op' || t.kind === 'name') && t.text === text;
  }

  private spanFrom(start: Token, endTok: Token | undefined = this.tokens[this.pos - 1]): Span {
    return { start: start.start, end: (endTok ?? start).end };
  }

  /** An expression up to a closer, a top-level comma, or (with noIf) a comprehension `if`. */
  parseExpr(noIf = false): Expr {
    const first = this.peek();
    if (first === undefined) return { k: 'other', span: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
    if (first.kind === 'name' && first.text === 'lambda') return this.skipOther(first);
    if (first.kind === 'name' && first.text === 'not') {
      this.pos++;
      this.parseExpr(noIf);
      return { k: 'other', span: this.spanFrom(first) };
    }
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      if (t === undefined || !BINARY.has(t.text) || (t.kind !== 'op' && t.kind !== 'name')) break;
      if (noIf && t.text === 'if') break;
      this.pos++;
      if (t.text === 'not' && this.isOp('in')) this.pos++;
      if (t.text === 'is' && this.isOp('not')) this.pos++;
      const right = this.parseUnary();
      const span = { start: left.span.start, end: right.span.end };
      left = t.text === '+' || t.text === '*' || t.text === '%' ? { k: 'binop', op: t.text, left, right, span } : { k: 'other', span };
    }
    return left;
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (this.nesting >= MAX_NESTING && t !== undefined) return this.skipNested(t);
    this.nesting++;
    try {
      return this.parseUnaryInner();
    } finally {
      this.nesting--;
    }
  }

  /** Past the nesting limit: consume one balanced operand without recursion. */
  private skipNested(first: Token): Expr {
    let depth = 0;
    while (!this.done) {
      const t = this.peek()!;
      if (t.kind === 'op' && (t.text === '(' || t.text === '[' || t.text === '{')) depth++;
      else if (t.kind === 'op' && (t.text === ')' || t.text === ']' || t.text === '}')) {
        if (depth === 0) break;
        depth--;
        if (depth === 0) {
          this.pos++;
          break;
        }
      } else if (depth === 0 && t.kind !== 'op') {
        this.pos++;
        break;
      }
      this.pos++;
    }
    return { k: 'other', span: this.spanFrom(first) };
  }

  private parseUnaryInner(): Expr {
    const t = this.peek();
    if (t !== undefined && t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      this.pos++;
      const inner = this.parseUnary();
      return { k: 'other', span: { start: t.start, end: inner.span.end } };
    }
    if (t !== undefined && t.kind === 'name' && t.text === 'await') this.pos++;
    return this.parsePostfix(this.parseAtom());
  }

  private parsePostfix(base: Expr): Expr {
    let e = base;
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.kind !== 'op') return e;
      if (t.text === '.' && this.peek(1)?.kind === 'name') {
        const name = this.peek(1)!;
        this.pos += 2;
        e = { k: 'attr', obj: e, attr: name.text, span: { start: e.span.start, end: name.end } };
      } else if (t.text === '(') {
        this.pos++;
        const args = this.parseArgs();
        e = { k: 'call', fn: e, args, span: { start: e.span.start, end: this.tokens[this.pos - 1].end } };
      } else if (t.text === '[') {
        this.pos++;
        this.skipTo(']');
        e = { k: 'subscript', obj: e, span: { start: e.span.start, end: this.tokens[this.pos - 1].end } };
      } else {
        return e;
      }
    }
  }

  private parseAtom(): Expr {
    const t = this.peek();
    if (t === undefined) return { k: 'other', span: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
    if (t.kind === 'name' && !BINARY.has(t.text) && !STOP_WORDS.has(t.text)) {
      this.pos++;
      return { k: 'name', id: t.text, span: this.spanFrom(t) };
    }
    if (t.kind === 'number') {
      this.pos++;
      return { k: 'num', text: t.text, span: this.spanFrom(t) };
    }
    if (t.kind === 'string') {
      // Adjacent literals concatenate.
      this.pos++;
      let literal = t.text;
      while (this.peek()?.kind === 'string') literal += this.tokens[this.pos++].text;
      return { k: 'str', literal, span: this.spanFrom(t) };
    }
    if (t.kind === 'op' && (t.text === '*' || t.text === '**')) {
      this.pos++;
      const value = this.parseUnary();
      return { k: 'star', value, span: { start: t.start, end: value.span.end } };
    }
    if (t.kind === 'op' && t.text === '(') return this.parseSequence(t, ')', 'tuple');
    if (t.kind === 'op' && t.text === '[') return this.parseSequence(t, ']', 'list');
    if (t.kind === 'op' && t.text === '{') return this.parseDict(t);
    return this.skipOther(t);
  }

  /** `( ... )` or `[ ... ]`: a tuple/list, a parenthesised expression or a comprehension. */
  private parseSequence(open: Token, close: string, kind: 'list' | 'tuple'): Expr {
    this.pos++;
    const elts: Expr[] = [];
    let sawComma = false;
    while (!this.done && !this.isOp(close)) {
      const e = this.parseExpr(true);
      if (this.isOp('for') || this.isOp('async')) {
        const iters = this.parseComprehensionTail(close);
        return { k: 'comp', elt: e, iters, span: this.spanFrom(open) };
      }
      elts.push(e);
      if (this.isOp(',')) {
        sawComma = true;
        this.pos++;
      } else if (!this.isOp(close)) {
        this.skipTo(close);
        return { k: 'other', span: this.spanFrom(open) };
      }
    }
    if (!this.done) this.pos++;
    if (kind === 'tuple' && !sawComma && elts.length === 1) return elts[0];
    return { k: kind, elts, span: this.spanFrom(open) };
  }

  /** After the element: `for target in iter [if cond] ...` up to and including the closer. */
  private parseComprehensionTail(close: string): Expr[] {
    const iters: Expr[] = [];
    while (!this.done && !this.isOp(close)) {
      if (this.isOp('async')) this.pos++;
      if (this.isOp('for')) {
        this.pos++;
        while (!this.done && !this.isOp('in') && !this.isOp(close)) this.pos++;
        if (this.isOp('in')) this.pos++;
        iters.push(this.parseExpr(true));
      } else if (this.isOp('if')) {
        this.pos++;
        this.parseExpr(true);
      } else {
        this.pos++;
      }
    }
    if (!this.done) this.pos++;
    return iters;
  }

  private parseDict(open: Token): Expr {
    this.pos++;
    const items: [Expr | undefined, Expr][] = [];
    while (!this.done && !this.isOp('}')) {
      if (this.isOp('**')) {
        this.pos++;
        items.push([undefined, this.parseExpr(true)]);
      } else {
        const key = this.parseExpr(true);
        if (this.isOp(':')) {
          this.pos++;
          items.push([key, this.parseExpr(true)]);
        } else {
          items.push([undefined, key]); // a set element; kept so nothing is lost
        }
        if (this.isOp('for')) {
          this.skipTo('}');
          return { k: 'other', span: this.spanFrom(open) };
        }
      }
      if (this.isOp(',')) this.pos++;
      else if (!this.isOp('}')) {
        this.skipTo('}');
        return { k: 'other', span: this.spanFrom(open) };
      }
    }
    if (!this.done) this.pos++;
    return { k: 'dict', items, span: this.spanFrom(open) };
  }

  private parseArgs(): Arg[] {
    const args: Arg[] = [];
    while (!this.done && !this.isOp(')')) {
      let arg: Arg;
      const t = this.peek()!;
      if (t.kind === 'name' && this.isOp('=', 1) && !this.isOp('==', 1)) {
        this.pos += 2;
        arg = { name: t.text, value: this.parseExpr(true) };
      } else if (t.kind === 'op' && (t.text === '*' || t.text === '**')) {
        this.pos++;
        arg = { star: t.text, value: this.parseExpr(true) };
      } else {
        const value = this.parseExpr(true);
        if (this.isOp('for') || this.isOp('async')) {
          // A generator argument: f(x for x in y).
          const iters = this.parseComprehensionTail(')');
          return [{ value: { k: 'comp', elt: value, iters, span: { start: value.span.start, end: this.tokens[this.pos - 1].end } } }];
        }
        arg = { value };
      }
      args.push(arg);
      if (this.isOp(',')) this.pos++;
      else if (!this.isOp(')')) this.skipTo(')', true);
    }
    if (!this.done) this.pos++;
    return args;
  }

  /** Skips balanced tokens until `close` at this depth (consumed unless keep). */
  private skipTo(close: string, keep = false): void {
    let depth = 0;
    while (!this.done) {
      const t = this.peek()!;
      if (t.kind === 'op') {
        if (depth === 0 && t.text === close) {
          if (!keep) this.pos++;
          return;
        }
        if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
        if (t.text === ')' || t.text === ']' || t.text === '}') {
          if (depth === 0) return;
          depth--;
        }
      }
      this.pos++;
    }
  }

  /** Consumes tokens up to a closer at depth 0; the result is opaque. */
  private skipOther(first: Token): Expr {
    let depth = 0;
    const startPos = this.pos;
    while (!this.done) {
      const t = this.peek()!;
      if (t.kind === 'op') {
        if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
        else if (t.text === ')' || t.text === ']' || t.text === '}') {
          if (depth === 0) break;
          depth--;
        } else if (depth === 0 && CLOSERS.has(t.text) && !(first.text === 'lambda' && t.text === ':')) break;
      }
      if (depth === 0 && t.kind === 'name' && STOP_WORDS.has(t.text) && this.pos > startPos) break;
      this.pos++;
    }
    if (this.pos === startPos) this.pos++; // always make progress
    return { k: 'other', span: this.spanFrom(first) };
  }
}

/** The dotted text of a name/attribute chain ("nn.Sequential"), or undefined. */
export function dottedName(e: Expr): string | undefined {
  if (e.k === 'name') return e.id;
  if (e.k === 'attr') {
    const base = dottedName(e.obj);
    return base === undefined ? undefined : `${base}.${e.attr}`;
  }
  if (e.k === 'call' && e.fn.k === 'name' && e.fn.id === 'super') return 'super()';
  return undefined;
}

export function lastSegment(dotted: string): string {
  return dotted.slice(dotted.lastIndexOf('.') + 1);
}
