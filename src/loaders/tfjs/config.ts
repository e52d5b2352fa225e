/**
 * Typed reads of the loosely typed JSON of a model.json (Keras layer configs, TensorFlow node
 * attributes). Each reader throws a ConfigError naming the key, which the loaders turn into a
 * ModelLoadError naming the file.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function num(config: JsonObject, key: string, fallback?: number): number {
  const v = config[key];
  if (typeof v === 'number') return v;
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  throw new ConfigError(`"${key}" should be a number (got ${JSON.stringify(v)})`);
}

export function optNum(config: JsonObject, key: string): number | null {
  const v = config[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  throw new ConfigError(`"${key}" should be a number or null (got ${JSON.stringify(v)})`);
}

export function str(config: JsonObject, key: string, fallback?: string): string {
  const v = config[key];
  if (typeof v === 'string') return v;
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  throw new ConfigError(`"${key}" should be a string (got ${JSON.stringify(v)})`);
}

export function bool(config: JsonObject, key: string, fallback: boolean): boolean {
  const v = config[key];
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null) return fallback;
  throw new ConfigError(`"${key}" should be true or false (got ${JSON.stringify(v)})`);
}

/** Kernel sizes, strides, dilations and pool sizes beyond this are not a real network's. */
const MAX_WINDOW = 65536;
const isWindowSize = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= MAX_WINDOW;

/**
 * An int or a list of `n` ints (Keras accepts both for kernel sizes, strides, dilations and
 * pool sizes). Each must be a whole number from 1 to 65536: a crafted 0, -1 or 1e30 would
 * otherwise reach the backend's convolution and corrupt its memory.
 */
export function tuple(config: JsonObject, key: string, n: number, fallback?: number | readonly number[]): number[] {
  const v = config[key] ?? (fallback === undefined ? undefined : (fallback as Json));
  if (isWindowSize(v)) return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.length === n && v.every(isWindowSize)) return v as number[];
  throw new ConfigError(`"${key}" should be a whole number from 1 to ${MAX_WINDOW} or a list of ${n} of them (got ${JSON.stringify(config[key])})`);
}

export function intList(v: Json | undefined, what: string): number[] {
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  throw new ConfigError(`${what} should be a list of numbers (got ${JSON.stringify(v)})`);
}

/** A Keras activation config: a name, or {class_name, config} for serialised objects. */
export function activationName(config: JsonObject, key = 'activation'): string {
  const v = config[key];
  if (v === undefined || v === null) return 'linear';
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.class_name === 'string') {
    const inner = isObject(v.config) && typeof v.config.name === 'string' ? v.config.name : v.class_name;
    return inner;
  }
  throw new ConfigError(`"${key}" is not an activation name (got ${JSON.stringify(v)})`);
}
