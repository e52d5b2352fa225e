/**
 * A JSON reader that keeps where each value and object member is in the text, so a layer's
 * `"name": "<layer>"` member can be pointed at exactly (model.json files are often one line).
 */

export type JsonNode =
  | { readonly type: 'object'; readonly members: readonly JsonMember[]; readonly start: number; readonly end: number }
  | { readonly type: 'array'; readonly items: readonly JsonNode[]; readonly start: number; readonly end: number }
  | { readonly type: 'string'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'other'; readonly start: number; readonly end: number };

export interface JsonMember {
  readonly key: string;
  /** Offset of the key's opening quote. */
  readonly keyStart: number;
  readonly value: JsonNode;
}

export class JsonSyntaxError extends Error {}

export function parseJsonWithPositions(text: string): JsonNode {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n\ufeff'.includes(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${i}`);
  };
  const str = (): { value: string; start: number; end: number } => {
    const start = i;
    i++;
    let value = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const c = text[i + 1];
        if (c === 'u') {
          value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          value += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[c] ?? c;
          i += 2;
        }
      } else {
        value += text[i++];
      }
    }
    if (text[i] !== '"') fail('unterminated string');
    i++;
    return { value, start, end: i };
  };
  const value = (depth: number): JsonNode => {
    if (depth > 512) fail('nesting too deep');
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const members: JsonMember[] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { type: 'object', members, start, end: i };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        members.push({ key: key.value, keyStart: key.start, value: value(depth + 1) });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { type: 'object', members, start, end: i };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { type: 'array', items, start, end: i };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { type: 'array', items, start, end: i };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') {
      const s = str();
      return { type: 'string', ...s };
    }
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity)/.exec(text.slice(i, i + 64));
    if (m === null) fail('unexpected character');
    i += m![0].length;
    return { type: 'other', start, end: i };
  };
  const root = value(0);
  ws();
  if (i < text.length) fail('trailing text');
  return root;
}

export function member(node: JsonNode | undefined, key: string): JsonMember | undefined {
  return node?.type === 'object' ? node.members.find((m) => m.key === key) : undefined;
}
