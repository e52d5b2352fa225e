/**
 * The heatmap's log colour scale and the colour arithmetic behind it. Pure (no DOM).
 *
 * GSC is a ratio, so the scale is logarithmic and diverging around 1: a layer pair that
 * keeps the gradient's relative scale (GSC = 1) gets the neutral colour, growth (explosion)
 * goes towards one theme colour and shrinkage towards another, symmetric in log10 so that
 * 10 and 0.1 are equally strong.
 */

export interface Rgba {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  /** 0..1 */
  readonly a: number;
}

/** Parses #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(...) and rgba(...); undefined for anything else. */
export function parseColor(text: string): Rgba | undefined {
  const s = text.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3,8})$/.exec(s);
  if (hex) {
    let h = hex[1];
    if (h.length === 3 || h.length === 4) h = [...h].map((c) => c + c).join('');
    if (h.length !== 6 && h.length !== 8) return undefined;
    const byte = (i: number): number => parseInt(h.slice(i, i + 2), 16);
    return { r: byte(0), g: byte(2), b: byte(4), a: h.length === 8 ? byte(6) / 255 : 1 };
  }
  const fn = /^rgba?\(([^)]*)\)$/.exec(s);
  if (fn) {
    const parts = fn[1].split(/[\s,/]+/).filter((p) => p.length > 0);
    if (parts.length !== 3 && parts.length !== 4) return undefined;
    const channel = (p: string): number => (p.endsWith('%') ? (parseFloat(p) / 100) * 255 : parseFloat(p));
    const alpha = parts.length === 4 ? (parts[3].endsWith('%') ? parseFloat(parts[3]) / 100 : parseFloat(parts[3])) : 1;
    const [r, g, b] = parts.slice(0, 3).map(channel);
    if (![r, g, b, alpha].every(Number.isFinite)) return undefined;
    return { r: clamp(r, 0, 255), g: clamp(g, 0, 255), b: clamp(b, 0, 255), a: clamp(alpha, 0, 1) };
  }
  return undefined;
}

export function toCss(c: Rgba): string {
  const r = Math.round(c.r),
    g = Math.round(c.g),
    b = Math.round(c.b);
  return c.a >= 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${Number(c.a.toFixed(3))})`;
}

/** Linear mix: t = 0 gives a, t = 1 gives b. */
export function mix(a: Rgba, b: Rgba, t: number): Rgba {
  const u = clamp(t, 0, 1);
  return { r: a.r + (b.r - a.r) * u, g: a.g + (b.g - a.g) * u, b: a.b + (b.b - a.b) * u, a: a.a + (b.a - a.a) * u };
}

export function withAlpha(c: Rgba, a: number): Rgba {
  return { ...c, a: clamp(a, 0, 1) };
}

/** Relative luminance (WCAG), for choosing a readable text colour on a cell. */
export function luminance(c: Rgba): number {
  const lin = (v: number): number => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

/** Colour at t in [0, 1] along evenly spaced stops. */
export function colorAt(stops: readonly Rgba[], t: number): Rgba {
  if (stops.length === 0) throw new Error('colorAt needs at least one stop');
  if (stops.length === 1) return stops[0];
  const x = clamp(t, 0, 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  return mix(stops[i], stops[i + 1], x - i);
}

export interface LogDivergingScale {
  /** Half-width of the scale in decades: values at center * 10^±halfRangeDecades are at the ends. */
  readonly halfRangeDecades: number;
  readonly center: number;
  /** Position in [0, 1]; 0.5 is the center; values beyond the range are clamped. */
  position(v: number): number;
  /** Tick values for a legend, inside the scale's range, ascending. */
  readonly ticks: readonly number[];
  readonly min: number;
  readonly max: number;
}

/** Smallest half range, so that a matrix of exact ones (an orthogonal model) still has a scale. */
const MIN_HALF_RANGE_DECADES = 0.05;

/**
 * A log scale symmetric around `center` wide enough for every positive finite value given
 * (others are ignored: a GSC of 0 or a non-finite one has no place on a log scale).
 */
export function logDivergingScale(values: readonly number[], center = 1): LogDivergingScale {
  const logs = values.filter((v) => v > 0 && Number.isFinite(v)).map((v) => Math.log10(v / center));
  const half = Math.max(MIN_HALF_RANGE_DECADES, ...logs.map(Math.abs));
  const min = center * 10 ** -half;
  const max = center * 10 ** half;
  return {
    halfRangeDecades: half,
    center,
    min,
    max,
    position: (v: number): number => {
      if (!(v > 0)) return 0;
      if (v === Infinity) return 1;
      return clamp(0.5 + 0.5 * (Math.log10(v / center) / half), 0, 1);
    },
    // The centre (GSC 1) is always labelled: it is where the colours turn.
    ticks: [...new Set([...logTicks(min, max, 6), center])].sort((a, b) => a - b),
  };
}

/**
 * Readable ticks for a log axis from min to max, ascending, at most about maxCount: powers of
 * ten over wide ranges, then 1-2-5, then every integer mantissa, and for a range narrower than
 * that (e.g. 0.95 .. 1.05) evenly spaced round numbers.
 */
export function logTicks(min: number, max: number, maxCount = 8): number[] {
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max)) return [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const within = (v: number): boolean => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  const withMantissas = (mantissas: readonly number[]): number[] => {
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) {
      for (const m of mantissas) {
        // Rounded so that float noise (0.1 * 3) does not leak into labels.
        const v = roundTick(m * 10 ** e);
        if (within(v)) ticks.push(v);
      }
    }
    return ticks;
  };
  const decadeTicks = withMantissas([1]);
  if (decadeTicks.length >= 4) return thin(decadeTicks, maxCount);
  for (const mantissas of [
    [1, 2, 5],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  ]) {
    const ticks = withMantissas(mantissas);
    if (ticks.length >= 4) return thin(ticks, maxCount);
  }
  return thin(linearTicks(min, max, 6), maxCount);
}

/** Evenly spaced round ticks (step 1, 2, 2.5 or 5 x 10^n) inside [min, max]. */
export function linearTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return Number.isFinite(min) ? [min] : [];
  const raw = (max - min) / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  // The round step closest to the raw one (in ratio).
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).reduce((best, s) => (Math.abs(Math.log(s / raw)) < Math.abs(Math.log(best / raw)) ? s : best));
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max * (1 + 1e-12) + 1e-15; v += step) ticks.push(roundTick(v));
  return ticks;
}

function roundTick(v: number): number {
  return Number(v.toPrecision(12));
}

/** Every k-th tick, so that at most maxCount remain (keeps the first). */
function thin(ticks: number[], maxCount: number): number[] {
  if (ticks.length <= maxCount) return ticks;
  const step = Math.ceil(ticks.length / maxCount);
  return ticks.filter((_, i) => i % step === 0);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
