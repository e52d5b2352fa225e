/**
 * The statement structure of a Python file from its logical lines and indentation: top-level
 * classes (with bases and methods) and functions. Tolerant: odd indentation nests under the
 * closest shallower line, and one-line compound statements (`if x: y = 1`) are split.
 */
import type { Span } from '../text';
import { ExprParser, dottedName, type Expr } from './expr';
import { tokenizePython, type LogicalLine, type Token } from './tokens';

export interface Stmt {
  readonly tokens: readonly Token[];
  readonly children: Stmt[];
}

export interface Param {
  readonly name: string;
  readonly star?: '*' | '**';
  readonly defaultValue?: Expr;
}

export interface FunctionInfo {
  readonly name: string;
  readonly path: string;
  /** Parameters after `self` for methods. */
  readonly params: readonly Param[];
  readonly body: readonly Stmt[];
}

export interface ClassInfo {
  readonly name: string;
  readonly path: string;
  /** Dotted base class names as written ("nn.Module"). */
  readonly bases: readonly string[];
  /** From `class` to the header's colon. */
  readonly header: Span;
  readonly methods: ReadonlyMap<string, FunctionInfo>;
  readonly body: readonly Stmt[];
}

export interface PythonFile {
  readonly path: string;
  readonly classes: readonly ClassInfo[];
  readonly functions: readonly FunctionInfo[];
  readonly topLevel: readonly Stmt[];
}

const COMPOUND = new Set(['if', 'elif', 'else', 'for', 'while', 'with', 'try', 'except', 'finally', 'def', 'class', 'async']);

export function parsePythonFile(path: string, text: string): PythonFile {
  const topLevel = nest(tokenizePython(text));
  const classes: ClassInfo[] = [];
  const functions: FunctionInfo[] = [];
  for (const stmt of topLevel) {
    const head = stmt.tokens[0].text;
    if (head === 'class') {
      const cls = classInfo(path, stmt);
      if (cls !== undefined) classes.push(cls);
    } else if (head === 'def' || (head === 'async' && stmt.tokens[1]?.text === 'def')) {
      const fn = functionInfo(path, stmt, false);
      if (fn !== undefined) functions.push(fn);
    }
  }
  return { path, classes, functions, topLevel };
}

/** Nests logical lines by indentation; header lines (ending with ':') own the deeper lines after them. */
function nest(lines: readonly LogicalLine[]): Stmt[] {
  const root: Stmt[] = [];
  const stack: { indent: number; children: Stmt[] }[] = [{ indent: -1, children: root }];
  for (const line of lines) {
    while (stack.length > 1 && stack[stack.length - 1].indent >= line.indent) stack.pop();
    const parent = stack[stack.length - 1];
    const stmt = splitOneLiner(line.tokens);
    parent.children.push(stmt);
    // Python itself refuses ~100 nested blocks; deeper lines stay at that level (no deep recursion later).
    if (line.tokens[line.tokens.length - 1].text === ':' && COMPOUND.has(line.tokens[0].text) && stack.length < 100) {
      stack.push({ indent: line.indent, children: stmt.children });
    }
  }
  return root;
}

/** `if x: y = 1` -> header `if x:` with child `y = 1`. */
function splitOneLiner(tokens: readonly Token[]): Stmt {
  if (!COMPOUND.has(tokens[0].text)) return { tokens, children: [] };
  const colon = headerColon(tokens);
  if (colon < 0 || colon === tokens.length - 1) return { tokens, children: [] };
  return { tokens: tokens.slice(0, colon + 1), children: [splitOneLiner(tokens.slice(colon + 1))] };
}

/** Index of the first ':' at bracket depth 0 (a compound statement's header end), or -1. */
export function headerColon(tokens: readonly Token[]): number {
  let depth = 0;
  let lambdas = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'name' && t.text === 'lambda') lambdas++;
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    else if (t.text === ':' && depth === 0) {
      if (lambdas > 0) lambdas--;
      else return i;
    }
  }
  return -1;
}

function classInfo(path: string, stmt: Stmt): ClassInfo | undefined {
  const t = stmt.tokens;
  if (t[1]?.kind !== 'name') return undefined;
  const bases: string[] = [];
  if (t[2]?.text === '(') {
    const parser = new ExprParser(t.slice(2));
    const e = parser.parseExpr();
    const list = e.k === 'tuple' ? e.elts : [e];
    for (const b of list) {
      const d = dottedName(b.k === 'call' ? b.fn : b);
      if (d !== undefined) bases.push(d);
    }
  }
  const last = t[t.length - 1];
  const methods = new Map<string, FunctionInfo>();
  for (const child of stmt.children) {
    const isDef = child.tokens[0].text === 'def' || (child.tokens[0].text === 'async' && child.tokens[1]?.text === 'def');
    if (!isDef) continue;
    const fn = functionInfo(path, child, true);
    if (fn !== undefined) methods.set(fn.name, fn);
  }
  return { name: t[1].text, path, bases, header: { start: t[0].start, end: last.end }, methods, body: stmt.children };
}

function functionInfo(path: string, stmt: Stmt, method: boolean): FunctionInfo | undefined {
  const t = stmt.tokens[0].text === 'async' ? stmt.tokens.slice(1) : stmt.tokens;
  if (t[1]?.kind !== 'name' || t[2]?.text !== '(') return undefined;
  const params = parseParams(t.slice(3));
  return { name: t[1].text, path, params: method ? params.slice(1) : params, body: stmt.children };
}

/** Parameters from the tokens after `def name(` (up to the matching ')'). */
function parseParams(tokens: readonly Token[]): Param[] {
  const params: Param[] = [];
  let i = 0;
  while (i < tokens.length && tokens[i].text !== ')') {
    let star: '*' | '**' | undefined;
    if (tokens[i].text === '*' || tokens[i].text === '**') star = tokens[i++].text as '*' | '**';
    const nameTok = tokens[i];
    if (nameTok === undefined) break;
    if (nameTok.kind === 'name') i++;
    // Skip an annotation up to '=' or ',' at depth 0, then parse a default.
    let defaultValue: Expr | undefined;
    let depth = 0;
    while (i < tokens.length) {
      const tk = tokens[i];
      if (tk.text === '(' || tk.text === '[' || tk.text === '{') depth++;
      if (tk.text === ')' || tk.text === ']' || tk.text === '}') {
        if (depth === 0) break;
        depth--;
      }
      if (depth === 0 && tk.text === ',') break;
      if (depth === 0 && tk.text === '=') {
        const parser = new ExprParser(tokens.slice(i + 1));
        defaultValue = parser.parseExpr();
        i += 1 + parser.pos;
        continue;
      }
      i++;
    }
    if (nameTok.kind === 'name') params.push({ name: nameTok.text, star, defaultValue });
    if (tokens[i]?.text === ',') i++;
  }
  return params;
}
