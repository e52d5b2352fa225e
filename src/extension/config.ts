/**
 * The ONE place that reads `gradientLens.*` settings. It does not import `vscode`: callers
 * pass `vscode.workspace.getConfiguration('gradientLens', uri)`, which has this `get` shape,
 * so the parsing and validation are unit-tested in plain Node.
 *
 * Invalid values (a hand-edited settings.json can hold anything) fall back to the defaults
 * and are listed in `problems` so the extension can say so in the Output channel.
 */
import { DEFAULT_SETTINGS, DEFAULT_THRESHOLDS } from '../engine/api';
import type { AnalysisSettings, Thresholds } from '../report/schema';
import { DEFAULT_ESTIMATE_THRESHOLD_MS } from '../engine/estimate';

export interface ConfigSource {
  get(key: string): unknown;
}

/** The analysis settings a user can set (the rest of AnalysisSettings is per run). */
export type UserSettings = Pick<
  AnalysisSettings,
  'batch' | 'probes' | 'seed' | 'exact' | 'backend' | 'blockMatrix' | 'dimOverrides' | 'memoryLimitMb' | 'kPrecision' | 'kTimeBudgetMs'
>;

export interface GradientLensConfig {
  readonly settings: UserSettings;
  readonly thresholds: Thresholds;
  /** Above this estimated run time (ms) cheaper settings are offered; 0 never offers. */
  readonly estimateThresholdMs: number;
  /** Human-readable reasons why a value was ignored. */
  readonly problems: readonly string[];
}

/** Setting keys under `gradientLens.` (must match package.json contributes.configuration). */
export const CONFIG_KEYS = {
  batch: 'batchSize',
  probes: 'probes',
  seed: 'seed',
  exact: 'exactMode',
  backend: 'backend',
  blockMatrix: 'blockMatrix',
  dimOverrides: 'inputShapeOverrides',
  memoryLimitMb: 'memoryLimitMb',
  kPrecision: 'kPrecision',
  kTimeBudgetMs: 'kTimeBudgetMs',
  estimateThreshold: 'estimateThresholdSeconds',
  gsc: 'thresholds.gsc',
  pseudoLinearK: 'thresholds.pseudoLinearK',
  collapsedSpread: 'thresholds.collapsedSpread',
} as const;

export const LIMITS = {
  batch: { min: 1, max: 4096 },
  probes: { min: 1, max: 4096 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  dim: { min: 1, max: 1 << 20 },
  memoryMb: { min: 0, max: 1 << 24 },
  kTimeBudgetMs: { min: 0, max: 3_600_000 },
} as const;

const EXACT_MODES: readonly AnalysisSettings['exact'][] = ['auto', 'on', 'off'];
const BACKENDS: readonly AnalysisSettings['backend'][] = ['auto', 'ort', 'node', 'wasm', 'cpu'];

export function parseConfig(source: ConfigSource): GradientLensConfig {
  const problems: string[] = [];
  const read = <T>(key: string, fallback: T, valid: (v: unknown) => v is T): T => {
    const value = source.get(key);
    if (value === undefined || value === null) return fallback;
    if (valid(value)) return value;
    problems.push(`gradientLens.${key}: ${JSON.stringify(value)} is not valid; using ${JSON.stringify(fallback)}`);
    return fallback;
  };
  const intIn =
    (lim: { min: number; max: number }) =>
    (v: unknown): v is number =>
      Number.isInteger(v) && (v as number) >= lim.min && (v as number) <= lim.max;
  const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const oneOf =
    <T extends string>(values: readonly T[]) =>
    (v: unknown): v is T =>
      typeof v === 'string' && (values as readonly string[]).includes(v);
  const bool = (v: unknown): v is boolean => typeof v === 'boolean';

  const settings: UserSettings = {
    batch: read(CONFIG_KEYS.batch, DEFAULT_SETTINGS.batch, intIn(LIMITS.batch)),
    probes: read(CONFIG_KEYS.probes, DEFAULT_SETTINGS.probes, intIn(LIMITS.probes)),
    seed: read(CONFIG_KEYS.seed, DEFAULT_SETTINGS.seed, intIn(LIMITS.seed)),
    exact: read(CONFIG_KEYS.exact, DEFAULT_SETTINGS.exact, oneOf(EXACT_MODES)),
    backend: read(CONFIG_KEYS.backend, DEFAULT_SETTINGS.backend, oneOf(BACKENDS)),
    blockMatrix: read(CONFIG_KEYS.blockMatrix, DEFAULT_SETTINGS.blockMatrix, bool),
    dimOverrides: parseDimOverrides(source.get(CONFIG_KEYS.dimOverrides), problems),
    memoryLimitMb: read(CONFIG_KEYS.memoryLimitMb, DEFAULT_SETTINGS.memoryLimitMb, intIn(LIMITS.memoryMb)),
    kPrecision: read(CONFIG_KEYS.kPrecision, DEFAULT_SETTINGS.kPrecision!, (v): v is number => v === 0 || positive(v)),
    kTimeBudgetMs: read(CONFIG_KEYS.kTimeBudgetMs, DEFAULT_SETTINGS.kTimeBudgetMs!, intIn(LIMITS.kTimeBudgetMs)),
  };
  const thresholds: Thresholds = {
    gsc: read(CONFIG_KEYS.gsc, DEFAULT_THRESHOLDS.gsc, positive),
    pseudoLinearK: read(CONFIG_KEYS.pseudoLinearK, DEFAULT_THRESHOLDS.pseudoLinearK, positive),
    collapsedSpread: read(CONFIG_KEYS.collapsedSpread, DEFAULT_THRESHOLDS.collapsedSpread, positive),
  };
  const estimateSeconds = read(
    CONFIG_KEYS.estimateThreshold,
    DEFAULT_ESTIMATE_THRESHOLD_MS / 1000,
    (v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0,
  );
  return { settings, thresholds, estimateThresholdMs: estimateSeconds * 1000, problems };
}

/** `{ "batch_size": 4, "seq": 32 }`: dimension name -> size; bad entries are dropped one by one. */
function parseDimOverrides(value: unknown, problems: string[]): Readonly<Record<string, number>> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`gradientLens.${CONFIG_KEYS.dimOverrides}: expected an object of dimension name -> size`);
    return {};
  }
  const out: Record<string, number> = {};
  for (const [name, size] of Object.entries(value as Record<string, unknown>)) {
    if (name.length > 0 && Number.isInteger(size) && (size as number) >= LIMITS.dim.min && (size as number) <= LIMITS.dim.max) {
      out[name] = size as number;
    } else {
      problems.push(`gradientLens.${CONFIG_KEYS.dimOverrides}: "${name}": ${JSON.stringify(size)} is not a positive integer size; ignored`);
    }
  }
  return out;
}

/** One-line summary for progress titles and the log, e.g. "batch 16, 8 probes, seed 0". */
export function describeSettings(s: UserSettings): string {
  const dims = Object.entries(s.dimOverrides).map(([k, v]) => `${k}=${v}`);
  return [
    `batch ${s.batch}`,
    `${s.probes} probes`,
    `seed ${s.seed}`,
    `exact ${s.exact}`,
    `backend ${s.backend}`,
    ...(s.blockMatrix ? [] : ['no block matrix']),
    ...(dims.length > 0 ? [`dims ${dims.join(',')}`] : []),
    ...(s.memoryLimitMb > 0 ? [`memory limit ${s.memoryLimitMb} MB`] : []),
  ].join(', ');
}

/** Parses an integer typed into an input box; returns the number or the reason it is invalid. */
export function parseIntInRange(text: string, lim: { readonly min: number; readonly max: number }): number | string {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return 'enter a whole number';
  const n = Number(trimmed);
  if (n < lim.min || n > lim.max) return `enter a number from ${lim.min} to ${lim.max}`;
  return n;
}

/** Parses "seq=32, batch=4" (empty = no overrides); returns the map or the reason it is invalid. */
export function parseDimList(text: string): Record<string, number> | string {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const m = /^([^=\s]+)\s*=\s*(\d+)$/.exec(part);
    if (!m) return `"${part}" is not NAME=SIZE`;
    const size = Number(m[2]);
    if (size < LIMITS.dim.min || size > LIMITS.dim.max) return `size of ${m[1]} must be from ${LIMITS.dim.min} to ${LIMITS.dim.max}`;
    out[m[1]] = size;
  }
  return out;
}

export function formatDimList(dims: Readonly<Record<string, number>>): string {
  return Object.entries(dims)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}
