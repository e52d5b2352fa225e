/**
 * Resolves PyTorch module paths ("layer1.0.conv1") from the model's root class down through
 * attribute types, container entries and block classes, to the source that defines each one.
 */
import { matchesPieces } from '../layerNames';
import { CONTAINER_BODY, PATTERN_PREFIX, type Child, type ListEvent, type ModuleSpec, type PythonProgram } from './modules';
import type { ClassInfo } from './structure';

export type PathResolution = { readonly ok: true; readonly steps: readonly Child[] } | { readonly ok: false; readonly reason: string };

/** Where module paths start: an instance of the model class, or a container built outside classes. */
export interface Root {
  readonly spec: ModuleSpec;
  /** "class ResNet" or "model = nn.Sequential" for reasons. */
  readonly label: string;
}

export type RootChoice = ({ readonly ok: true } & Root) | { readonly ok: false; readonly reason: string };

export class ModuleResolver {
  /** For each container path ("layer1"), how many numbered children the model has under it. */
  private readonly indexCounts = new Map<string, number>();

  constructor(
    private readonly program: PythonProgram,
    modulePaths: readonly (readonly string[])[],
  ) {
    for (const parts of modulePaths) {
      for (let i = 0; i < parts.length; i++) {
        if (!/^\d+$/.test(parts[i])) continue;
        const key = parts.slice(0, i).join('.');
        this.indexCounts.set(key, Math.max(this.indexCounts.get(key) ?? 0, Number(parts[i]) + 1));
      }
    }
  }

  /**
   * The root whose children best cover the model's top-level module names: a class (its
   * `self.<name>` attributes), or a module-level container (`model = nn.Sequential(...)`,
   * entries "0", "1", ...) when no class covers more.
   */
  chooseRoot(topNames: readonly string[]): RootChoice {
    const classes = this.program.moduleClasses();
    const score = (root: Root): { root: Root; score: number } => ({
      root,
      score: topNames.filter((n) => 'child' in this.childOf(root.spec, n, '', root.label)).length,
    });
    // Only classes whose text names a top-level module can cover it (numbered names aside).
    const wanted = new Set(topNames.filter((n) => !/^\d+$/.test(n)));
    const considered = wanted.size === 0 ? classes : classes.filter((cls) => this.program.mentions(cls, wanted));
    const scored = considered.map((cls) =>
      score({ spec: { k: 'instance', cls, loc: { path: cls.path, span: cls.header }, bindings: new Map() }, label: `class ${cls.name}` }),
    );
    // Module-level containers only when no class covers every top-level name (reading them runs
    // every top-level statement and function symbolically).
    if (!scored.some((s) => s.score === topNames.length)) {
      for (const c of this.program.moduleLevelContainers())
        scored.push(score({ spec: c.spec, label: `${c.name} = nn.${c.spec.k === 'container' ? c.spec.kind : 'Module'}` }));
    }
    if (classes.length === 0 && scored.length === 0)
      return { ok: false, reason: 'no class deriving from nn.Module (nor a module-level nn.Sequential) in the Python sources' };
    const best = Math.max(0, ...scored.map((s) => s.score));
    const shown = topNames.slice(0, 6).join(', ') + (topNames.length > 6 ? ', ...' : '');
    if (best === 0) {
      const names = classes.map((c) => c.name).join(', ');
      return { ok: false, reason: `no nn.Module class${names === '' ? '' : ` (${names})`} assigns any of the model's top-level modules (${shown})` };
    }
    let top = scored.filter((s) => s.score === best).map((s) => s.root);
    if (top.length > 1) {
      // Prefer a class no other class instantiates: the model, not one of its parts.
      const inner = this.instantiatedClasses(
        classes,
        top.flatMap((r) => (r.spec.k === 'instance' ? [r.spec.cls] : [])),
      );
      const outer = top.filter((r) => r.spec.k !== 'instance' || !inner.has(r.spec.cls));
      if (outer.length >= 1) top = outer;
    }
    if (top.length > 1) {
      return {
        ok: false,
        reason: `several classes cover the model's top-level modules equally well (${top.map((r) => r.label.replace(/^class /, '')).join(', ')})`,
      };
    }
    return { ok: true, ...top[0] };
  }

  /** Which of `candidates` some class here instantiates (reading only classes that name one). */
  private instantiatedClasses(classes: readonly ClassInfo[], candidates: readonly ClassInfo[]): Set<ClassInfo> {
    const found = new Set<ClassInfo>();
    const visit = (spec: ModuleSpec, depth: number): void => {
      if (depth > 4) return;
      if (spec.k === 'instance') found.add(spec.cls);
      if (spec.k === 'container') {
        for (const c of spec.named.values()) visit(c.spec, depth + 1);
        for (const ev of spec.seq) for (const it of ev.items) if (it.value.k === 'module') visit(it.value.spec, depth + 1);
      }
    };
    const names = new Set(candidates.map((c) => c.name));
    for (const cls of classes) {
      if (!this.program.mentions(cls, names)) continue;
      for (const child of this.program.classAttributes(cls).values()) visit(child.spec, 0);
    }
    return found;
  }

  /** Each step's definition from the root class down to `parts`. */
  resolve(root: Root, parts: readonly string[]): PathResolution {
    if (parts.length === 0) return { ok: false, reason: 'the name carries no module path' };
    const steps: Child[] = [];
    let spec: ModuleSpec = root.spec;
    let where = root.label;
    for (let i = 0; i < parts.length; i++) {
      const found = this.childOf(spec, parts[i], parts.slice(0, i).join('.'), where);
      if ('reason' in found) return { ok: false, reason: found.reason };
      steps.push(found.child);
      spec = found.child.spec;
      where = parts.slice(0, i + 1).join('.');
    }
    return { ok: true, steps };
  }

  private childOf(spec: ModuleSpec, key: string, containerPath: string, where: string): { child: Child } | { reason: string } {
    const direct = this.directChildOf(spec, key, containerPath, where);
    // The exporter names a module's second call "relu_1": the module is still "relu".
    const reuse = /^(.+)_\d+$/.exec(key);
    if ('reason' in direct && reuse !== null) {
      const base = this.directChildOf(spec, reuse[1], containerPath, where);
      if ('child' in base) return base;
    }
    return direct;
  }

  private directChildOf(spec: ModuleSpec, key: string, containerPath: string, where: string): { child: Child } | { reason: string } {
    if (spec.k === 'instance') {
      const attrs = spec.bindings.size > 0 ? this.program.instanceAttributes(spec.cls, spec.bindings, 1) : this.program.classAttributes(spec.cls);
      const child = attrs.get(key) ?? byPattern(attrs, key);
      if (child !== undefined) return { child };
      const body = attrs.get(CONTAINER_BODY);
      if (body !== undefined) return this.directChildOf(body.spec, key, containerPath, `${where} (class ${spec.cls.name})`);
      return { reason: `${where} (class ${spec.cls.name}) assigns no self.${key}` };
    }
    if (spec.k === 'leaf') {
      return spec.callee === '?'
        ? { reason: `what ${where} holds is not known from the source, so its '${key}' cannot be followed` }
        : { reason: `${where} is built by ${spec.callee}(...), which is not read as a container with '${key}'` };
    }
    const named = spec.named.get(key) ?? byPattern(spec.named, key);
    if (named !== undefined) return { child: named };
    if (!/^\d+$/.test(key) || spec.seq.length === 0) return { reason: `${where} (nn.${spec.kind}) has no entry '${key}'` };
    const total = this.indexCounts.get(containerPath);
    const item = indexInto(spec.seq, Number(key), total);
    if ('reason' in item) return { reason: `${where} (nn.${spec.kind}): ${item.reason}` };
    const fixed = item.repeat === 1;
    const label = `nn.${spec.kind} entry${fixed ? ` ${key}` : ''}`;
    const childSpec: ModuleSpec = item.value.k === 'module' ? item.value.spec : { k: 'leaf', callee: '?', loc: item.loc };
    return { child: { spec: childSpec, loc: item.loc, label } };
  }
}

/** The child whose name pattern (add_module('layer%d' % i, ...) in a loop) produces `key`. */
function byPattern(children: ReadonlyMap<string, Child>, key: string): Child | undefined {
  for (const [k, c] of children) {
    if (k.startsWith(PATTERN_PREFIX) && matchesPieces(JSON.parse(k.slice(PATTERN_PREFIX.length)) as string[], key)) return c;
  }
  return undefined;
}

/** The item at `index` of a list built by events; `total` (from the model) fixes one unknown loop count. */
function indexInto(
  events: readonly ListEvent[],
  index: number,
  total: number | undefined,
): { value: ListEvent['items'][number]['value']; loc: ListEvent['items'][number]['loc']; repeat: number | undefined } | { reason: string } {
  const unknown = events.filter((e) => e.repeat === undefined);
  let solved: number | undefined;
  if (unknown.length > 1) return { reason: 'it is built by several loops whose lengths are not literals' };
  if (unknown.length === 1) {
    if (total === undefined) return { reason: 'its length depends on a loop count that is not a literal' };
    const known = events.reduce((s, e) => s + (e.repeat === undefined ? 0 : e.repeat * e.items.length), 0);
    const rest = total - known;
    const size = unknown[0].items.length;
    if (rest < 0 || rest % size !== 0) return { reason: `its entries do not add up to the model's ${total}` };
    solved = rest / size;
  }
  let offset = 0;
  for (const e of events) {
    const repeat = e.repeat ?? solved!;
    const size = repeat * e.items.length;
    if (index < offset + size) {
      const item = e.items[(index - offset) % e.items.length];
      return { value: item.value, loc: item.loc, repeat: e.repeat };
    }
    offset += size;
  }
  return { reason: `index ${index} is past its ${offset} entries` };
}

/** Module path components from an exporter's node name: "/layer1/layer1.0/conv1/Conv" -> [layer1, 0, conv1]. */
export function modulePathOfNodeName(name: string): string[] {
  if (name.includes('/')) {
    const parts = name.split('/').filter((s) => s !== '');
    const modules = parts.length > 1 ? parts.slice(0, -1) : [];
    // A container's child is written as "<container's own name>.<index>" ("layer1" then
    // "layer1.0", "downsample" then "downsample.0"): keep only the new part of each level.
    const path: string[] = [];
    let previous = '';
    for (const part of modules) {
      const rest = previous !== '' && part.startsWith(`${previous}.`) ? part.slice(previous.length + 1) : part;
      path.push(...rest.split('.').filter((s) => s !== ''));
      previous = part;
    }
    return path;
  }
  // Plain module paths ("layer1.0.conv1", "fc"); anything else carries no path.
  return /^[A-Za-z_][\w.]*$/.test(name) ? name.split('.').filter((s) => s !== '') : [];
}
