/**
 * The values the symbolic reading of PyTorch code works with (modules, lists of modules being
 * built, classes, functions, constants) and the pure helpers on them.
 */
import type { Span } from '../text';
import type { Expr } from './expr';
import type { ClassInfo, FunctionInfo, Stmt } from './structure';
import { stringValue, type Token } from './tokens';

export interface Loc {
  readonly path: string;
  readonly span: Span;
}

export type ModuleSpec =
  | { readonly k: 'instance'; readonly cls: ClassInfo; readonly loc: Loc; readonly bindings: ReadonlyMap<string, Value> }
  | { readonly k: 'leaf'; readonly callee: string; readonly loc: Loc }
  | {
      readonly k: 'container';
      readonly kind: string;
      readonly loc: Loc;
      readonly named: ReadonlyMap<string, Child>;
      readonly seq: readonly ListEvent[];
    };

/** A submodule and the place that defines it (the `self.x = ...` statement, a Sequential entry). */
export interface Child {
  readonly spec: ModuleSpec;
  readonly loc: Loc;
  readonly label: string;
  /** 0-based lines of earlier assignments of the same attribute (conditional alternatives). */
  readonly otherLines?: readonly number[];
}

export interface ListItem {
  readonly value: Value;
  readonly loc: Loc;
}

/** Items appended together, `repeat` times (undefined: a loop whose count is not a literal). */
export interface ListEvent {
  readonly items: readonly ListItem[];
  readonly repeat: number | undefined;
}

export type Value =
  | { readonly k: 'module'; readonly spec: ModuleSpec }
  | { readonly k: 'list'; readonly events: readonly ListEvent[] }
  | { readonly k: 'dict'; readonly entries: readonly (readonly [string, ListItem])[] }
  | { readonly k: 'class'; readonly cls: ClassInfo }
  | { readonly k: 'func'; readonly fn: FunctionInfo; readonly owner?: ClassInfo }
  | { readonly k: 'str'; readonly value: string }
  | { readonly k: 'num'; readonly value: number }
  | { readonly k: 'none' }
  | { readonly k: 'unknown' };

export const UNKNOWN: Value = { k: 'unknown' };
/**
 * The attribute key (not a Python identifier) under which a class deriving from nn.Sequential
 * or nn.ModuleList keeps the container its `super().__init__(...)` call fills.
 */
export const CONTAINER_BODY = '\u0000body';
/** Attribute keys that start with this hold a JSON list of name pieces (see namePieces). */
export const PATTERN_PREFIX = '\u0001';

/**
 * The literal pieces of a module name expression: ['fc'] for 'fc'; ['layer', ''] for
 * f'layer{i}', 'layer%d' % i or 'layer{}'.format(i) (each hole one or more characters).
 */
export function namePieces(e: Expr): string[] | undefined {
  if (e.k === 'str') {
    const plain = stringValue(e.literal);
    if (plain !== undefined) return [plain];
    const m = /^[rRfF]{1,2}(['"]{3}|['"])([\s\S]*)\1$/.exec(e.literal);
    return m !== null && /f/i.test(e.literal.slice(0, 2)) ? m[2].split(/\{[^{}]*\}/) : undefined;
  }
  if (e.k === 'binop' && e.op === '%' && e.left.k === 'str') {
    const base = stringValue(e.left.literal);
    return base === undefined ? undefined : base.split(/%[-+ #0-9.]*[sdifr]/);
  }
  if (e.k === 'call' && e.fn.k === 'attr' && e.fn.attr === 'format' && e.fn.obj.k === 'str') {
    const base = stringValue(e.fn.obj.literal);
    return base === undefined ? undefined : base.split(/\{[^{}]*\}/);
  }
  return undefined;
}
/**
 * Where a list entry is defined: its expression, except that a bare variable (`layers.append(layer)`)
 * points at the constructor call that made the module.
 */
export function itemLoc(e: Expr, value: Value, path: string): Loc {
  if (e.k === 'name' && value.k === 'module') return value.spec.loc;
  return { path, span: e.span };
}

/** A child key as written: pattern keys show their holes as {}. */
export function shownKey(key: string): string {
  return key.startsWith(PATTERN_PREFIX) ? (JSON.parse(key.slice(PATTERN_PREFIX.length)) as string[]).join('{}') : key;
}

export function asModule(item: ListItem): ModuleSpec {
  return item.value.k === 'module' ? item.value.spec : { k: 'leaf', callee: '?', loc: item.loc };
}

/** `value` added `repeat` times as list events (a list's events, or one item). */
export function repeated(value: Value, repeat: number | undefined): ListEvent[] {
  if (value.k === 'list') return scaleEvents(value.events, repeat);
  return [];
}

export function scaleEvents(events: readonly ListEvent[], by: number | undefined): ListEvent[] {
  if (by === 1) return [...events];
  if (events.length === 1) return [{ items: events[0].items, repeat: times(events[0].repeat, by) }];
  // Several events repeated together: flatten when every count is known, else one unknown group.
  if (by !== undefined && events.every((ev) => ev.repeat !== undefined)) {
    const items = events.flatMap((ev) => new Array<ListItem[]>(ev.repeat!).fill([...ev.items]).flat());
    return [{ items, repeat: by }];
  }
  return [{ items: events.flatMap((ev) => ev.items), repeat: undefined }];
}

export function times(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a * b;
}

export interface Assignment {
  readonly target: readonly Token[];
  readonly value: readonly Token[];
  readonly op: '=' | '+=';
}

/** Splits `target = value`, `target: T = value` and `target += value` at depth 0. */
export function findAssignment(tokens: readonly Token[]): Assignment | undefined {
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    else if (depth === 0 && (t.text === '=' || t.text === '+=')) {
      let target = tokens.slice(0, i);
      const colon = target.findIndex((x) => x.kind === 'op' && x.text === ':');
      if (colon >= 0) target = target.slice(0, colon);
      return { target, value: tokens.slice(i + 1), op: t.text };
    }
  }
  return undefined;
}

export function sameLoc(a: Loc, b: Loc): boolean {
  return a.path === b.path && a.span.start.line === b.span.start.line && a.span.start.character === b.span.start.character;
}

export function stmtLoc(path: string, stmt: Stmt): Loc {
  const t = stmt.tokens;
  return { path, span: { start: t[0].start, end: t[t.length - 1].end } };
}
