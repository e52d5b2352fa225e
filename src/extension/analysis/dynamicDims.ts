/**
 * A model whose input has dynamic sizes: the engine refuses it with a message naming the
 * dimensions (src/engine/input.ts sampleShape; a unit test pins the two together). The editor
 * asks for each size instead of quoting a CLI flag. Pure (no `vscode`).
 */

export interface DynamicDimsRequest {
  readonly input: string;
  /** The names the sizes are given under (a dimension's name, or dimK for an unnamed one). */
  readonly dims: readonly string[];
  /** The declared input shape, batch first, as the engine printed it. */
  readonly shape: readonly string[];
}

const PATTERN = /the input "(.*)" has dynamic dimensions (.+) \(shape \[(.*)\]\); give them sizes/;

export function parseDynamicDimsError(message: string): DynamicDimsRequest | undefined {
  const m = PATTERN.exec(message);
  if (!m) return undefined;
  return { input: m[1], dims: m[2].split(', '), shape: m[3].split(', ').map((s) => s.trim()) };
}

/**
 * A sensible first size for a dynamic dimension: 3 for a channel axis and 224 for an image axis
 * of a 4-d input (by name, or by position when the other axes say channels-first or -last),
 * 32 otherwise (a sequence length). The user sees it in the input box and can change it.
 */
export function defaultDimSize(request: DynamicDimsRequest, dim: string): number {
  const name = dim.toLowerCase();
  if (/chan/.test(name)) return 3;
  if (/height|width|^h$|^w$|size|img|image|pixel/.test(name)) return 224;
  if (/seq|len|token|time|step/.test(name)) return 32;
  const { shape } = request;
  // dimK names the K-th axis after the batch; a named axis is found in the shape.
  const unnamed = /^dim(\d+)$/.exec(dim);
  const position = unnamed ? Number(unnamed[1]) : shape.indexOf(dim);
  if (shape.length === 4 && position >= 1) {
    const channelsFirst = shape[1] === '1' || shape[1] === '3';
    const channelsLast = shape[3] === '1' || shape[3] === '3';
    if (channelsFirst && position >= 2) return 224;
    if (channelsLast && position <= 2) return 224;
    if (!channelsFirst && !channelsLast) return position === 1 ? 3 : 224;
  }
  return 32;
}

/** An input box's answer: a whole number from 1 to 100000, or the reason it is not one. */
export function parseDimSize(text: string): number | string {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return 'a whole number, e.g. 32';
  const v = Number(t);
  if (v < 1 || v > 100_000) return 'from 1 to 100000';
  return v;
}
