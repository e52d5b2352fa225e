/**
 * The `gradientLens.data.*` settings for "Analyze With Data…": image normalisation and how
 * samples are taken. Pure (no `vscode` import), parsed like config.ts: invalid values fall back
 * to the defaults and are listed in `problems`.
 */
import type { ConfigSource } from '../config';
import type { SampleMode } from '../../data/sampling';

export interface DataConfig {
  /** Per-channel mean subtracted from image values in [0, 1] (one value, or one per channel). */
  readonly mean: readonly number[];
  /** Per-channel std the centred values are divided by. */
  readonly std: readonly number[];
  readonly sample: SampleMode;
  readonly problems: readonly string[];
}

export const DATA_CONFIG_KEYS = { mean: 'data.mean', std: 'data.std', sample: 'data.sample' } as const;

const isNumberList = (v: unknown, positive: boolean): v is number[] =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));

export function parseDataConfig(source: ConfigSource): DataConfig {
  const problems: string[] = [];
  const list = (key: string, fallback: number[], positive: boolean): number[] => {
    const v = source.get(key);
    if (v === undefined || v === null) return fallback;
    if (isNumberList(v, positive)) return v;
    problems.push(`gradientLens.${key}: ${JSON.stringify(v)} is not a list of ${positive ? 'positive ' : ''}numbers; using ${JSON.stringify(fallback)}`);
    return fallback;
  };
  const mean = list(DATA_CONFIG_KEYS.mean, [0], false);
  const std = list(DATA_CONFIG_KEYS.std, [1], true);
  const rawSample = source.get(DATA_CONFIG_KEYS.sample);
  let sample: SampleMode = 'first';
  if (rawSample === 'first' || rawSample === 'random') sample = rawSample;
  else if (rawSample !== undefined && rawSample !== null)
    problems.push(`gradientLens.${DATA_CONFIG_KEYS.sample}: ${JSON.stringify(rawSample)} is not "first" or "random"; using "first"`);
  return { mean, std, sample, problems };
}
