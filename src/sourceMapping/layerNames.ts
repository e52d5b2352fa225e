/**
 * Keras (Python) and TensorFlow.js (JavaScript/TypeScript) layers in source code: by their
 * `name=` / `name:` argument (plain literals, and f-strings / template literals / `.format` /
 * `%` patterns for layers built in loops), else by constructor order.
 */
import { LineIndex, type Span } from './text';
import type { SourceText } from './types';

export type CodeLanguage = 'python' | 'javascript';

export function languageOf(path: string): CodeLanguage | undefined {
  if (/\.py$/i.test(path)) return 'python';
  if (/\.(?:[cm]?js|jsx|[cm]?ts|tsx)$/i.test(path)) return 'javascript';
  return undefined;
}

export interface NameArgument {
  readonly path: string;
  readonly language: CodeLanguage;
  /** `name=` / `name:` through the closing quote. */
  readonly span: Span;
  /** As written: `name=f'blocks_{i}_dense'`. */
  readonly label: string;
  /** The literal pieces between the holes (one piece: a plain literal). Each hole is 1+ characters. */
  readonly pieces: readonly string[];
  /** Literal characters in the pattern: more means more specific. */
  readonly literalChars: number;
  readonly exact: boolean;
}

// String bodies are bounded (and quotes other than backticks stay on one line), so a hostile
// file full of unclosed `name: '` costs linear time.
const PY_NAME_ARG = /\bname\s*=\s*([rRfFuU]{0,2})(['"])((?:\\.|(?!\2)[^\\\n]){0,300})\2(\s*\.\s*format\b|\s*%)?/g;
const JS_NAME_ARG = /\bname\s*:\s*(?:(['"])((?:\\.|(?!\1)[^\\\n]){0,300})\1|(`)((?:\\.|[^`\\]){0,300})`)/g;

export function findNameArguments(source: SourceText): NameArgument[] {
  const language = languageOf(source.path);
  if (language === undefined) return [];
  const index = new LineIndex(source.text);
  const out: NameArgument[] = [];
  const re = new RegExp(language === 'python' ? PY_NAME_ARG : JS_NAME_ARG);
  for (let m = re.exec(source.text); m !== null; m = re.exec(source.text)) {
    let body: string;
    let holes: RegExp | undefined;
    if (language === 'python') {
      const prefix = m[1].toLowerCase();
      body = m[3];
      if (prefix.includes('f')) holes = /\{[^{}]*\}/g;
      else if (m[4]?.includes('format')) holes = /\{[^{}]*\}/g;
      else if (m[4]?.includes('%')) holes = /%[-+ #0-9.]*[sdifr]/g;
    } else if (m[3] === '`') {
      body = m[4];
      holes = /\$\{[^{}]*\}/g;
    } else {
      body = m[2];
    }
    const suffix = language === 'python' ? (m[4]?.length ?? 0) : 0; // `.format` / `%` after the literal
    const fullEnd = m.index + m[0].length - suffix;
    const { pieces, literalChars, exact } = namePattern(body, holes);
    // `name=f"{name}"` / `name: \`${id}\`` pass a name through: they would match every layer.
    if (!exact && literalChars < 2) continue;
    out.push({
      path: source.path,
      language,
      span: index.span(m.index, fullEnd),
      label: source.text.slice(m.index, fullEnd),
      pieces,
      literalChars,
      exact,
    });
  }
  return out;
}

function namePattern(body: string, holes: RegExp | undefined): { pieces: string[]; literalChars: number; exact: boolean } {
  const unescaped = (x: string): string => x.replace(/\\(.)/g, '$1');
  const pieces = holes === undefined ? [unescaped(body)] : body.split(holes).map(unescaped);
  return { pieces, literalChars: pieces.join('').length, exact: pieces.length === 1 };
}

/**
 * Whether `name` is pieces[0] + (1+ chars) + pieces[1] + ... + pieces[k]. A table over
 * (piece position, name position), so many holes cost O(pattern x name), never backtracking.
 */
export function matchesPieces(pieces: readonly string[], name: string): boolean {
  if (pieces.length === 1) return pieces[0] === name;
  // reach[j]: the pattern so far can produce name[0..j).
  let reach = new Uint8Array(name.length + 1);
  reach[0] = 1;
  pieces.forEach((piece, p) => {
    if (p > 0) {
      // A hole: one or more characters after any reachable position.
      const next = new Uint8Array(name.length + 1);
      let seen = 0;
      for (let j = 1; j <= name.length; j++) {
        seen |= reach[j - 1];
        next[j] = seen;
      }
      reach = next;
    }
    if (piece.length > 0) {
      const next = new Uint8Array(name.length + 1);
      for (let j = 0; j + piece.length <= name.length; j++) if (reach[j] && name.startsWith(piece, j)) next[j + piece.length] = 1;
      reach = next;
    }
  });
  return reach[name.length] === 1;
}

export type NameLookup =
  { readonly kind: 'found'; readonly arg: NameArgument } | { readonly kind: 'ambiguous'; readonly reason: string } | { readonly kind: 'none' };

/** The one name argument that produces `layer`: an exact literal first, else the most specific pattern. */
export function lookupName(args: readonly NameArgument[], layer: string): NameLookup {
  const matching = args.filter((a) => matchesPieces(a.pieces, layer));
  if (matching.length === 0) return { kind: 'none' };
  const exact = matching.filter((a) => a.exact);
  const pool = exact.length > 0 ? exact : matching;
  const best = Math.max(...pool.map((a) => a.literalChars));
  const top = pool.filter((a) => a.literalChars === best);
  if (top.length === 1) return { kind: 'found', arg: top[0] };
  const where = top.map((a) => `${baseName(a.path)}:${a.span.start.line + 1} ${a.label}`).join(', ');
  return { kind: 'ambiguous', reason: `several name arguments produce "${layer}": ${where}` };
}

export interface ConstructorCall {
  readonly path: string;
  readonly language: CodeLanguage;
  /** The callee ("layers.Dense", "tf.layers.dense"). */
  readonly span: Span;
  readonly callee: string;
  /** Lower-cased layer type, comparable with a model.json class name. */
  readonly type: string;
  /** Character offset of the callee. */
  readonly offset: number;
}

/** A top-level definition (a model-building function, usually) and its extent in the text. */
export interface DefinitionScope {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

const PY_TOP_DEF = /^(?:async\s+)?(?:def|class)\s+(\w+)/gm;
const JS_TOP_DEF = /^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\s*\*?\s*(\w+)|class\s+(\w+)|(?:const|let|var)\s+(\w+))/gm;

/**
 * Top-level definitions, each running to the next one: the functions within which the n-th
 * constructor call can be the n-th layer (a file may build several models).
 */
export function definitionScopes(source: SourceText): DefinitionScope[] {
  const language = languageOf(source.path);
  if (language === undefined) return [];
  const re = new RegExp(language === 'python' ? PY_TOP_DEF : JS_TOP_DEF);
  const starts: { name: string; start: number }[] = [];
  for (let m = re.exec(source.text); m !== null; m = re.exec(source.text)) {
    starts.push({ name: m[1] ?? m[2] ?? m[3] ?? '?', start: m.index });
  }
  return starts.map((s, i) => ({ name: s.name, start: s.start, end: starts[i + 1]?.start ?? source.text.length }));
}

const JS_CONSTRUCTOR = /\btf\s*\.\s*layers\s*\.\s*([A-Za-z_]\w*)\s*\(/g;
const PY_CONSTRUCTOR = /(?<![\w.])((?:(?:tf\.)?keras\.)?layers\.|(?:tf\.)?keras\.layers\.)?([A-Z]\w*)\s*\(/g;

/**
 * Layer constructor calls in text order. Python: `layers.X(`, `keras.layers.X(`, and bare
 * `X(` when X is a layer type of the model (from `import ... Dense`); JavaScript: `tf.layers.x(`.
 * Input layers are left out: model.json lists them, but order mapping skips them on both sides.
 */
export function findConstructorCalls(source: SourceText, modelTypes: ReadonlySet<string>): ConstructorCall[] {
  const language = languageOf(source.path);
  if (language === undefined) return [];
  const index = new LineIndex(source.text);
  const code = blankComments(source.text, language);
  const out: ConstructorCall[] = [];
  const re = new RegExp(language === 'python' ? PY_CONSTRUCTOR : JS_CONSTRUCTOR);
  for (let m = re.exec(code); m !== null; m = re.exec(code)) {
    const typeName = language === 'python' ? m[2] : m[1];
    const type = typeName.toLowerCase();
    if (language === 'python' && m[1] === undefined && !modelTypes.has(type)) continue;
    if (type === 'input' || type === 'inputlayer' || type === 'sequential' || type === 'model') continue;
    const callee = m[0].replace(/\s*\($/, '');
    out.push({ path: source.path, language, span: index.span(m.index, m.index + callee.length), callee: callee.replace(/\s+/g, ''), type, offset: m.index });
  }
  return out;
}

/** Comments replaced by spaces (same offsets), so commented-out layers do not count. */
function blankComments(text: string, language: CodeLanguage): string {
  const re = language === 'python' ? /#[^\n]*/g : /\/\/[^\n]*|\/\*[\s\S]*?\*\//g;
  return text.replace(re, (c) => c.replace(/[^\n]/g, ' '));
}

export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}
