/**
 * A symbolic reading of PyTorch module construction: what `__init__` assigns to `self.<name>`,
 * what nn.Sequential / nn.ModuleList / nn.ModuleDict hold (positional entries, OrderedDict
 * names, lists built with append/extend/+= in loops, comprehensions, `*layers`), which user
 * classes are instantiated, and what helper methods or functions (`self._make_layer(...)`)
 * return. Nothing is executed; unknown values stay unknown.
 */
import { ExprParser, dottedName, lastSegment, type Arg, type Expr } from './expr';
import { headerColon, type ClassInfo, type FunctionInfo, type PythonFile, type Stmt } from './structure';
import { stringValue } from './tokens';
import {
  CONTAINER_BODY,
  PATTERN_PREFIX,
  UNKNOWN,
  asModule,
  findAssignment,
  itemLoc,
  namePieces,
  repeated,
  sameLoc,
  scaleEvents,
  shownKey,
  stmtLoc,
  times,
  type Assignment,
  type Child,
  type ListEvent,
  type ListItem,
  type Loc,
  type ModuleSpec,
  type Value,
} from './values';

export { CONTAINER_BODY, PATTERN_PREFIX, namePieces, type Child, type ListEvent, type ListItem, type Loc, type ModuleSpec, type Value } from './values';

const MAX_CALL_DEPTH = 8;
/**
 * Statements and expressions one program may evaluate in all, and one outermost helper call
 * (with everything it calls) may take. Helpers that call each other fan out; past these a call
 * reads as unknown (and the rest as well, past the total), so a large workspace costs bounded
 * time. The fixtures need a few thousand steps.
 */
const EVALUATION_BUDGET = 3_000_000;
const CLASS_BUDGET = 200_000;
const CALL_BUDGET = 40_000;

interface Scope {
  readonly path: string;
  readonly vars: Map<string, Value>;
  /** The class whose `self` this code runs on, and the attributes assigned so far. */
  readonly cls?: ClassInfo;
  readonly attrs?: Map<string, Child>;
  readonly depth: number;
}

export class PythonProgram {
  private readonly classes = new Map<string, ClassInfo[]>();
  private readonly functions = new Map<string, FunctionInfo[]>();
  private readonly attrCache = new Map<ClassInfo, ReadonlyMap<string, Child>>();
  private readonly wordCache = new Map<ClassInfo, ReadonlySet<string>>();
  private steps = 0;
  /** Step count at which the outermost helper call running now is cut off. */
  private callDeadline: number | undefined;
  private cutOff = false;

  /** One evaluation step; false when the total or the current call's budget is spent. */
  private step(): boolean {
    this.steps++;
    if (this.steps > EVALUATION_BUDGET || (this.callDeadline !== undefined && this.steps > this.callDeadline)) {
      this.cutOff = true;
      return false;
    }
    return true;
  }
  private readonly boundCache = new WeakMap<ReadonlyMap<string, Value>, Map<ClassInfo, ReadonlyMap<string, Child>>>();

  constructor(readonly files: readonly PythonFile[]) {
    for (const f of files) {
      for (const c of f.classes) this.classes.set(c.name, [...(this.classes.get(c.name) ?? []), c]);
      for (const fn of f.functions) this.functions.set(fn.name, [...(this.functions.get(fn.name) ?? []), fn]);
    }
  }

  /** Classes deriving (directly or through other classes here) from nn.Module. */
  moduleClasses(): ClassInfo[] {
    return this.files.flatMap((f) => f.classes).filter((c) => this.isModuleClass(c, new Set()));
  }

  private isModuleClass(cls: ClassInfo, seen: Set<ClassInfo>): boolean {
    if (seen.has(cls)) return false;
    seen.add(cls);
    return cls.bases.some((b) => {
      const last = lastSegment(b);
      // nn.Module and its containers, and library bases that are modules too
      // (pl.LightningModule, transformers' PreTrainedModel).
      if (/(?:Module|Model)$/.test(last) || last === 'Sequential' || last === 'ModuleList' || last === 'ModuleDict') return true;
      const base = this.findClass(last, cls.path);
      return base !== undefined && this.isModuleClass(base, seen);
    });
  }

  /** 'Sequential' / 'ModuleList' when the class derives from one (directly or through classes here). */
  private containerBase(cls: ClassInfo, seen: Set<ClassInfo>): string | undefined {
    if (seen.has(cls)) return undefined;
    seen.add(cls);
    for (const b of cls.bases) {
      const last = lastSegment(b);
      if (last === 'Sequential' || last === 'ModuleList') return last;
      const base = this.findClass(last, cls.path);
      const inherited = base === undefined ? undefined : this.containerBase(base, seen);
      if (inherited !== undefined) return inherited;
    }
    return undefined;
  }

  findClass(name: string, preferPath: string): ClassInfo | undefined {
    const found = this.classes.get(name);
    return found?.find((c) => c.path === preferPath) ?? found?.[0];
  }

  private findFunction(name: string, preferPath: string): FunctionInfo | undefined {
    const found = this.functions.get(name);
    return found?.find((f) => f.path === preferPath) ?? found?.[0];
  }

  /**
   * The constructor arguments of each place that instantiates `cls` (`return ResNet(BasicBlock,
   * [2, 2, 2, 2])` in a factory function, `model = Net(...)` at top level), bound to its
   * `__init__` parameters. Arguments that are local variables of the caller stay unknown.
   */
  instantiations(cls: ClassInfo): ReadonlyMap<string, Value>[] {
    const found: ReadonlyMap<string, Value>[] = [];
    const scan = (stmts: readonly Stmt[], path: string): void => {
      for (const stmt of stmts) {
        const t = stmt.tokens;
        for (let i = 0; i < t.length - 1; i++) {
          if (t[i].kind !== 'name' || t[i].text !== cls.name || t[i + 1].text !== '(' || t[i - 1]?.text === 'class' || t[i - 1]?.text === 'def') continue;
          const call = new ExprParser(t.slice(i)).parseExpr();
          if (call.k !== 'call') continue;
          const bindings = this.bind(cls.methods.get('__init__'), call.args, { path, vars: new Map(), depth: 0 });
          if (bindings.size > 0) found.push(bindings);
        }
        scan(stmt.children, path);
      }
    };
    for (const f of this.files) scan(f.topLevel, f.path);
    return found;
  }

  /**
   * Containers built outside classes: module-level assignments (`model = nn.Sequential(...)`)
   * and functions that return one (`def make_model(): return nn.Sequential(...)`).
   */
  /** Whether the evaluation budget ran out (results may be incomplete). */
  get exhausted(): boolean {
    return this.cutOff;
  }

  moduleLevelContainers(): { readonly name: string; readonly spec: ModuleSpec }[] {
    const found: { name: string; spec: ModuleSpec }[] = [];
    for (const f of this.files) {
      const vars = new Map<string, Value>();
      this.execBody(f.topLevel, { path: f.path, vars, depth: 0 }, 1);
      for (const [name, v] of vars) if (v.k === 'module' && v.spec.k === 'container') found.push({ name, spec: v.spec });
      for (const fn of f.functions) {
        const v = this.callFunction(fn, undefined, [], { path: f.path, vars: new Map(), depth: 0 });
        if (v.k === 'module' && v.spec.k === 'container') found.push({ name: `${fn.name}()`, spec: v.spec });
      }
    }
    return found;
  }

  /** Whether a name token of the class body (methods included) is one of `names`: a cheap pre-filter. */
  mentions(cls: ClassInfo, names: ReadonlySet<string>): boolean {
    let words = this.wordCache.get(cls);
    if (words === undefined) {
      const found = new Set<string>();
      const walk = (stmts: readonly Stmt[]): void => {
        for (const st of stmts) {
          for (const t of st.tokens) if (t.kind === 'name' || t.kind === 'string') found.add(t.kind === 'name' ? t.text : (stringValue(t.text) ?? ''));
          walk(st.children);
        }
      };
      walk(cls.body);
      words = found;
      this.wordCache.set(cls, words);
    }
    for (const n of names) if (words.has(n)) return true;
    return false;
  }

  /** The submodules a class's `__init__` (and its bases') assign, with no constructor arguments known. */
  classAttributes(cls: ClassInfo): ReadonlyMap<string, Child> {
    let attrs = this.attrCache.get(cls);
    if (attrs === undefined) {
      this.attrCache.set(cls, new Map()); // guards recursion through self-referencing classes
      attrs = this.instanceAttributes(cls, new Map(), 0);
      this.attrCache.set(cls, attrs);
    }
    return attrs;
  }

  /** The submodules of one instance, its constructor parameters bound to what the caller passed. */
  instanceAttributes(cls: ClassInfo, bindings: ReadonlyMap<string, Value>, depth: number): ReadonlyMap<string, Child> {
    if (bindings.size === 0 && this.attrCache.has(cls) && depth > 0) return this.attrCache.get(cls)!;
    // One instance spec keeps its bindings map: evaluate each instance once.
    const cached = bindings.size > 0 ? this.boundCache.get(bindings)?.get(cls) : undefined;
    if (cached !== undefined) return cached;
    const attrs = this.evaluateInstance(cls, bindings, depth);
    if (bindings.size > 0) {
      const perClass = this.boundCache.get(bindings) ?? new Map<ClassInfo, ReadonlyMap<string, Child>>();
      perClass.set(cls, attrs);
      this.boundCache.set(bindings, perClass);
    }
    return attrs;
  }

  private evaluateInstance(cls: ClassInfo, bindings: ReadonlyMap<string, Value>, depth: number): ReadonlyMap<string, Child> {
    // Each outermost class evaluation gets its own share of the budget, like a helper call.
    const outermost = this.callDeadline === undefined;
    if (outermost) this.callDeadline = this.steps + CLASS_BUDGET;
    try {
      return this.evaluateInstanceBody(cls, bindings, depth);
    } finally {
      if (outermost) this.callDeadline = undefined;
    }
  }

  private evaluateInstanceBody(cls: ClassInfo, bindings: ReadonlyMap<string, Value>, depth: number): ReadonlyMap<string, Child> {
    const attrs = new Map<string, Child>();
    for (const base of cls.bases) {
      const baseCls = this.findClass(lastSegment(base), cls.path);
      if (baseCls !== undefined && baseCls !== cls) for (const [k, v] of this.classAttributes(baseCls)) attrs.set(k, v);
    }
    const init = cls.methods.get('__init__');
    if (init === undefined) return attrs;
    const vars = new Map<string, Value>();
    for (const p of init.params) vars.set(p.name, bindings.get(p.name) ?? this.defaultOf(p.defaultValue, cls.path, depth));
    this.execBody(init.body, { path: cls.path, vars, cls, attrs, depth }, 1);
    return attrs;
  }

  /** A parameter's default value (`block=BasicBlock`), evaluated in an empty scope of its file. */
  private defaultOf(e: Expr | undefined, path: string, depth: number): Value {
    if (e === undefined) return UNKNOWN;
    return this.evaluate(e, { path, vars: new Map(), depth });
  }

  // ---- statements -------------------------------------------------------------------------

  /** Runs statements symbolically (`repeat`: how often they run, undefined when unknown); returns what a reached `return` gives. */
  private execBody(body: readonly Stmt[], scope: Scope, repeat: number | undefined): Value | undefined {
    for (const stmt of body) {
      const result = this.execStmt(stmt, scope, repeat);
      if (result !== undefined) return result;
    }
    return undefined;
  }

  private execStmt(stmt: Stmt, scope: Scope, repeat: number | undefined): Value | undefined {
    if (!this.step()) return undefined;
    const t = stmt.tokens;
    const head = t[0].text;
    if (head === 'def' || head === 'class' || head === 'async') return undefined;
    if (head === 'for') {
      const colon = headerColon(t);
      const inAt = t.findIndex((tok) => tok.kind === 'name' && tok.text === 'in');
      const iter = inAt > 0 ? new ExprParser(t.slice(inAt + 1, colon < 0 ? t.length : colon)).parseExpr() : undefined;
      const count = iter === undefined ? undefined : this.iterationCount(iter, scope);
      return this.execBody(stmt.children, scope, times(repeat, count));
    }
    if (head === 'while') return this.execBody(stmt.children, scope, undefined);
    if (['if', 'elif', 'else', 'with', 'try', 'except', 'finally'].includes(head)) {
      return this.execBody(stmt.children, scope, repeat);
    }
    if (head === 'return') {
      if (t.length === 1) return { k: 'none' };
      return this.evaluate(new ExprParser(t.slice(1)).parseExpr(), scope);
    }
    const assign = findAssignment(t);
    if (assign !== undefined) {
      this.execAssignment(stmt, assign, scope, repeat);
      return undefined;
    }
    const e = new ExprParser(t).parseExpr();
    if (e.k === 'call') this.execCallStatement(e, scope, repeat, stmt);
    return undefined;
  }

  private execAssignment(stmt: Stmt, a: Assignment, scope: Scope, repeat: number | undefined): void {
    const value = this.evaluate(new ExprParser(a.value).parseExpr(), scope);
    const target = new ExprParser(a.target).parseExpr();
    if (a.op === '+=') {
      if (target.k === 'name') {
        const list = scope.vars.get(target.id);
        if (list?.k === 'list') scope.vars.set(target.id, { k: 'list', events: [...list.events, ...repeated(value, repeat)] });
      }
      return;
    }
    if (target.k === 'name') {
      scope.vars.set(target.id, value);
    } else if (target.k === 'attr' && target.obj.k === 'name' && target.obj.id === 'self' && scope.attrs !== undefined) {
      this.setAttribute(scope, target.attr, value, stmtLoc(scope.path, stmt), `self.${target.attr}`);
    }
  }

  private setAttribute(scope: Scope, name: string, value: Value, loc: Loc, label: string): void {
    if (scope.attrs === undefined) return;
    // Plain numbers, strings and Python lists are not registered submodules; an unknown value
    // (a constructor parameter) still names the attribute, so paths can stop there.
    if (value.k === 'none') {
      scope.attrs.delete(name);
      return;
    }
    if (value.k !== 'module' && value.k !== 'unknown' && value.k !== 'class') return;
    const spec: ModuleSpec = value.k === 'module' ? value.spec : { k: 'leaf', callee: '?', loc };
    // Assigned on several lines (if/else branches, or a later override): the last one is kept,
    // as straight-line code would, and the label says which others there are.
    const before = scope.attrs.get(name);
    const others = before === undefined || sameLoc(before.loc, loc) ? [] : [...(before.otherLines ?? []), before.loc.span.start.line];
    const lines = [...others, loc.span.start.line].map((l) => l + 1);
    const shown = others.length === 0 ? label : `${label} (assigned on lines ${lines.join(', ')}; the last is shown)`;
    scope.attrs.set(name, { spec, loc, label: shown, otherLines: others.length === 0 ? undefined : others });
  }

  /**
   * `self.add_module(name, m)` / `setattr(self, name, m)`: a literal name is an attribute; a
   * name built in a loop (f'layer{i}', 'denselayer%d' % i, 'b{}'.format(i)) is a pattern
   * attribute that matches every name it can produce.
   */
  private addNamedModule(scope: Scope, nameExpr: Expr, valueExpr: Expr, stmt: Stmt, how: string): void {
    const pieces = namePieces(nameExpr);
    if (pieces === undefined) return;
    const value = this.evaluate(valueExpr, scope);
    const shown = pieces.join('{}');
    if (pieces.length === 1) this.setAttribute(scope, pieces[0], value, stmtLoc(scope.path, stmt), `${how}('${shown}')`);
    else this.setAttribute(scope, PATTERN_PREFIX + JSON.stringify(pieces), value, stmtLoc(scope.path, stmt), `${how}('${shown}')`);
  }

  private execCallStatement(e: Extract<Expr, { k: 'call' }>, scope: Scope, repeat: number | undefined, stmt: Stmt): void {
    if (e.fn.k === 'name' && e.fn.id === 'setattr' && e.args.length === 3 && e.args[0].value.k === 'name' && e.args[0].value.id === 'self') {
      this.addNamedModule(scope, e.args[1].value, e.args[2].value, stmt, 'setattr');
      return;
    }
    if (e.fn.k !== 'attr') return;
    const method = e.fn.attr;
    const obj = e.fn.obj;
    if (method === '__init__' && obj.k === 'call' && dottedName(obj.fn) === 'super' && scope.cls !== undefined && scope.attrs !== undefined) {
      // class Stem(nn.Sequential): super().__init__(conv, bn, relu) -- the entries are its children.
      const kind = this.containerBase(scope.cls, new Set());
      if (kind !== undefined) {
        const loc = stmtLoc(scope.path, stmt);
        const body = this.container(kind, e.args, scope, loc);
        scope.attrs.set(CONTAINER_BODY, { spec: body, loc, label: `super().__init__ (nn.${kind})` });
      }
      return;
    }
    if (obj.k === 'name' && obj.id === 'self' && (method === 'add_module' || method === 'register_module') && e.args.length >= 2) {
      this.addNamedModule(scope, e.args[0].value, e.args[1].value, stmt, 'self.add_module');
      return;
    }
    if (obj.k === 'attr' && obj.obj.k === 'name' && obj.obj.id === 'self' && scope.attrs !== undefined && method === 'add_module' && e.args.length >= 2) {
      // self.features.add_module('denseblock%d' % (i + 1), block): a named entry of the container.
      const child = scope.attrs.get(obj.attr);
      const pieces = namePieces(e.args[0].value);
      if (child?.spec.k !== 'container' || pieces === undefined) return;
      const value = this.evaluate(e.args[1].value, scope);
      const loc = stmtLoc(scope.path, stmt);
      const key = pieces.length === 1 ? pieces[0] : PATTERN_PREFIX + JSON.stringify(pieces);
      const named = new Map(child.spec.named);
      named.set(key, {
        spec: value.k === 'module' ? value.spec : { k: 'leaf', callee: '?', loc },
        loc,
        label: `self.${obj.attr}.add_module('${pieces.join('{}')}')`,
      });
      scope.attrs.set(obj.attr, { ...child, spec: { ...child.spec, named } });
      return;
    }
    if (obj.k === 'attr' && obj.obj.k === 'name' && obj.obj.id === 'self' && scope.attrs !== undefined && (method === 'append' || method === 'extend')) {
      // self.layers = nn.ModuleList() ... self.layers.append(Block()) in a loop.
      const child = scope.attrs.get(obj.attr);
      if (child?.spec.k !== 'container' || e.args.length !== 1) return;
      const value = this.evaluate(e.args[0].value, scope);
      const added: ListEvent[] =
        method === 'append' ? [{ items: [{ value, loc: itemLoc(e.args[0].value, value, scope.path) }], repeat }] : repeated(value, repeat);
      scope.attrs.set(obj.attr, { ...child, spec: { ...child.spec, seq: [...child.spec.seq, ...added] } });
      return;
    }
    if (obj.k !== 'name') return;
    const list = scope.vars.get(obj.id);
    if (list?.k !== 'list') return;
    if (method === 'append' && e.args.length === 1) {
      const value = this.evaluate(e.args[0].value, scope);
      const item = { value, loc: itemLoc(e.args[0].value, value, scope.path) };
      scope.vars.set(obj.id, { k: 'list', events: [...list.events, { items: [item], repeat }] });
    } else if (method === 'extend' && e.args.length === 1) {
      const added = this.evaluate(e.args[0].value, scope);
      scope.vars.set(obj.id, { k: 'list', events: [...list.events, ...repeated(added, repeat)] });
    }
  }

  /** How many times `for ... in <iter>` runs, when it is a literal range or a literal list. */
  private iterationCount(iter: Expr, scope: Scope): number | undefined {
    if (iter.k === 'call' && dottedName(iter.fn) === 'range') {
      const nums = iter.args.flatMap((a) => {
        const v = this.evaluate(a.value, scope);
        return v.k === 'num' ? [v.value] : [];
      });
      if (nums.length !== iter.args.length || nums.length === 0) return undefined;
      const [a, b, s] = nums;
      const [start, stop, step] = nums.length === 1 ? [0, a, 1] : [a, b, s ?? 1];
      return step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : undefined;
    }
    if (iter.k === 'list' || iter.k === 'tuple') return iter.elts.length;
    if (iter.k === 'call' && dottedName(iter.fn) === 'enumerate' && iter.args[0] !== undefined) return this.iterationCount(iter.args[0].value, scope);
    return undefined;
  }

  // ---- expressions ------------------------------------------------------------------------

  evaluate(e: Expr, scope: Scope): Value {
    if (!this.step()) return UNKNOWN;
    switch (e.k) {
      case 'name': {
        const v = scope.vars.get(e.id);
        if (v !== undefined) return v;
        if (e.id === 'None') return { k: 'none' };
        const cls = this.findClass(e.id, scope.path);
        if (cls !== undefined) return { k: 'class', cls };
        const fn = this.findFunction(e.id, scope.path);
        if (fn !== undefined) return { k: 'func', fn };
        return UNKNOWN;
      }
      case 'attr': {
        if (e.obj.k === 'name' && e.obj.id === 'self') {
          const child = scope.attrs?.get(e.attr);
          if (child !== undefined) return { k: 'module', spec: child.spec };
          const method = scope.cls === undefined ? undefined : this.findMethod(scope.cls, e.attr);
          if (method !== undefined) return { k: 'func', fn: method, owner: scope.cls };
          return UNKNOWN;
        }
        const cls = this.findClass(e.attr, scope.path);
        if (cls !== undefined && this.isModuleClass(cls, new Set())) return { k: 'class', cls };
        return UNKNOWN;
      }
      case 'str': {
        const value = stringValue(e.literal);
        return value === undefined ? UNKNOWN : { k: 'str', value };
      }
      case 'num': {
        const value = Number(e.text.replace(/_/g, ''));
        return Number.isFinite(value) ? { k: 'num', value } : UNKNOWN;
      }
      case 'list':
      case 'tuple':
        return { k: 'list', events: this.listEvents(e.elts, scope) };
      case 'comp': {
        let count: number | undefined = 1;
        for (const it of e.iters) count = times(count, this.iterationCount(it, scope));
        return { k: 'list', events: [{ items: [{ value: this.evaluate(e.elt, scope), loc: { path: scope.path, span: e.elt.span } }], repeat: count }] };
      }
      case 'binop': {
        const left = this.evaluate(e.left, scope);
        const right = this.evaluate(e.right, scope);
        if (e.op === '+' && left.k === 'list' && right.k === 'list') return { k: 'list', events: [...left.events, ...right.events] };
        if (e.op === '+' && left.k === 'num' && right.k === 'num') return { k: 'num', value: left.value + right.value };
        if (e.op === '*') {
          const [list, n] = left.k === 'list' ? [left, right] : [right, left];
          if (list.k === 'list' && n.k === 'num') return { k: 'list', events: scaleEvents(list.events, n.value) };
          if (list.k === 'list') return { k: 'list', events: scaleEvents(list.events, undefined) };
        }
        return UNKNOWN;
      }
      case 'dict': {
        const entries: [string, ListItem][] = [];
        for (const [key, value] of e.items) {
          const k = key?.k === 'str' ? stringValue(key.literal) : undefined;
          if (k !== undefined)
            entries.push([k, { value: this.evaluate(value, scope), loc: { path: scope.path, span: { start: key!.span.start, end: value.span.end } } }]);
        }
        return { k: 'dict', entries };
      }
      case 'call':
        return this.evaluateCall(e, scope);
      default:
        return UNKNOWN;
    }
  }

  private listEvents(elts: readonly Expr[], scope: Scope): ListEvent[] {
    const events: ListEvent[] = [];
    let plain: ListItem[] = [];
    for (const el of elts) {
      if (el.k === 'star') {
        if (plain.length > 0) events.push({ items: plain, repeat: 1 });
        plain = [];
        events.push(...repeated(this.evaluate(el.value, scope), 1));
      } else {
        const value = this.evaluate(el, scope);
        plain.push({ value, loc: itemLoc(el, value, scope.path) });
      }
    }
    if (plain.length > 0) events.push({ items: plain, repeat: 1 });
    return events;
  }

  private evaluateCall(e: Extract<Expr, { k: 'call' }>, scope: Scope): Value {
    const loc: Loc = { path: scope.path, span: e.span };
    const callee = this.evaluate(e.fn, scope);
    const dotted = dottedName(e.fn) ?? '?';
    const last = lastSegment(dotted);
    if (callee.k === 'class' && this.isModuleClass(callee.cls, new Set())) {
      return { k: 'module', spec: { k: 'instance', cls: callee.cls, loc, bindings: this.bind(callee.cls.methods.get('__init__'), e.args, scope) } };
    }
    if (callee.k === 'func') return this.callFunction(callee.fn, callee.owner, e.args, scope);
    if (last === 'Sequential' || last === 'ModuleList') return { k: 'module', spec: this.container(last, e.args, scope, loc) };
    if (last === 'ModuleDict') return { k: 'module', spec: this.container(last, e.args, scope, loc) };
    if (last === 'OrderedDict' || last === 'dict') return this.dictFromArgs(e.args, scope);
    if (last === 'list' && e.args.length === 1) return this.evaluate(e.args[0].value, scope);
    if (last === 'range' || last === 'len' || last === 'int' || last === 'float' || last === 'super' || dotted === 'super().__init__') return UNKNOWN;
    return { k: 'module', spec: { k: 'leaf', callee: dotted, loc } };
  }

  private findMethod(cls: ClassInfo, name: string): FunctionInfo | undefined {
    const own = cls.methods.get(name);
    if (own !== undefined) return own;
    for (const base of cls.bases) {
      const b = this.findClass(lastSegment(base), cls.path);
      if (b !== undefined && b !== cls) {
        const m = this.findMethod(b, name);
        if (m !== undefined) return m;
      }
    }
    return undefined;
  }

  private bind(fn: FunctionInfo | undefined, args: readonly Arg[], scope: Scope): Map<string, Value> {
    const bound = new Map<string, Value>();
    if (fn === undefined) return bound;
    const positional = fn.params.filter((p) => p.star === undefined);
    let i = 0;
    for (const a of args) {
      if (a.star !== undefined) return bound; // *args: positions unknown from here on
      if (a.name !== undefined) bound.set(a.name, this.evaluate(a.value, scope));
      else if (i < positional.length) bound.set(positional[i++].name, this.evaluate(a.value, scope));
    }
    return bound;
  }

  private callFunction(fn: FunctionInfo, owner: ClassInfo | undefined, args: readonly Arg[], scope: Scope): Value {
    if (scope.depth >= MAX_CALL_DEPTH) return UNKNOWN;
    const bound = this.bind(fn, args, scope);
    const vars = new Map<string, Value>();
    for (const p of fn.params) vars.set(p.name, bound.get(p.name) ?? this.defaultOf(p.defaultValue, fn.path, scope.depth + 1));
    // A helper method runs on the same `self`: it reads attributes set so far and may add some.
    const inner: Scope = { path: fn.path, vars, cls: owner, attrs: owner !== undefined ? scope.attrs : undefined, depth: scope.depth + 1 };
    // A call made straight from a class body or module level gets its own share of the budget
    // (within any enclosing one), so a runaway helper does not cut off the statements after it.
    const saved = this.callDeadline;
    const own = scope.depth === 0 || saved === undefined ? Math.min(saved ?? Infinity, this.steps + CALL_BUDGET) : saved;
    this.callDeadline = own;
    try {
      const result = this.execBody(fn.body, inner, 1) ?? { k: 'none' };
      return this.steps > own ? UNKNOWN : result;
    } finally {
      this.callDeadline = saved;
    }
  }

  private container(kind: string, args: readonly Arg[], scope: Scope, loc: Loc): ModuleSpec {
    const named = new Map<string, Child>();
    const label = kind === 'ModuleDict' ? 'nn.ModuleDict' : `nn.${kind}`;
    if (args.length === 1 && args[0].star === undefined) {
      const only = this.evaluate(args[0].value, scope);
      if (only.k === 'dict') {
        for (const [k, item] of only.entries) named.set(k, { spec: asModule(item), loc: item.loc, label: `${label} entry '${shownKey(k)}'` });
        return { k: 'container', kind, loc, named, seq: [] };
      }
      if (kind !== 'Sequential' && only.k === 'list') return { k: 'container', kind, loc, named, seq: only.events };
    }
    if (kind !== 'Sequential') return { k: 'container', kind, loc, named, seq: [] };
    const events: ListEvent[] = [];
    let plain: ListItem[] = [];
    for (const a of args) {
      if (a.name !== undefined) continue;
      if (a.star === '*') {
        if (plain.length > 0) events.push({ items: plain, repeat: 1 });
        plain = [];
        events.push(...repeated(this.evaluate(a.value, scope), 1));
      } else {
        const value = this.evaluate(a.value, scope);
        plain.push({ value, loc: itemLoc(a.value, value, scope.path) });
      }
    }
    if (plain.length > 0) events.push({ items: plain, repeat: 1 });
    return { k: 'container', kind, loc, named, seq: events };
  }

  private dictFromArgs(args: readonly Arg[], scope: Scope): Value {
    const entries: (readonly [string, ListItem])[] = [];
    for (const a of args) {
      if (a.name !== undefined) {
        entries.push([a.name, { value: this.evaluate(a.value, scope), loc: { path: scope.path, span: a.value.span } }]);
        continue;
      }
      const v = a.value;
      if (v.k === 'dict') {
        const d = this.evaluate(v, scope);
        if (d.k === 'dict') entries.push(...d.entries);
      } else if (v.k === 'list' || v.k === 'tuple') {
        // OrderedDict([('conv', nn.Conv2d(...)), ('bn', ...)])
        for (const pair of v.elts) {
          if (pair.k !== 'tuple' || pair.elts.length !== 2 || pair.elts[0].k !== 'str') continue;
          const key = stringValue(pair.elts[0].literal);
          if (key !== undefined) entries.push([key, { value: this.evaluate(pair.elts[1], scope), loc: { path: scope.path, span: pair.span } }]);
        }
      } else if (v.k === 'comp' && v.elt.k === 'tuple' && v.elt.elts.length === 2) {
        // OrderedDict([(f'block{i}', Block()) for i in range(n)]): one pattern-named entry.
        const pieces = namePieces(v.elt.elts[0]);
        if (pieces !== undefined) {
          const key = pieces.length === 1 ? pieces[0] : PATTERN_PREFIX + JSON.stringify(pieces);
          entries.push([key, { value: this.evaluate(v.elt.elts[1], scope), loc: { path: scope.path, span: v.elt.span } }]);
        }
      }
    }
    return { k: 'dict', entries };
  }
}
