/**
 * Colours and fonts from the VS Code theme, read from its CSS variables at render time (the
 * page re-renders when the body's theme class changes). Fallbacks keep the page usable when a
 * variable is missing.
 */
import { mix, parseColor, toCss, withAlpha, type Rgba } from './colorScale';

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export interface Theme {
  readonly kind: ThemeKind;
  readonly highContrast: boolean;
  readonly foreground: Rgba;
  readonly background: Rgba;
  readonly muted: Rgba;
  readonly grid: Rgba;
  readonly focus: Rgba;
  readonly border: Rgba | undefined;
  readonly red: Rgba;
  readonly blue: Rgba;
  readonly green: Rgba;
  readonly yellow: Rgba;
  readonly orange: Rgba;
  readonly purple: Rgba;
  /** Stops of the heatmap's diverging scale: shrinking .. neutral (GSC 1) .. growing. */
  readonly heatStops: readonly Rgba[];
  readonly fontFamily: string;
  readonly fontSize: number;
}

export function themeKindFromBody(body: HTMLElement): ThemeKind {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  return 'light';
}

export function readTheme(body: HTMLElement = document.body): Theme {
  const style = getComputedStyle(body);
  const kind = themeKindFromBody(body);
  const dark = kind === 'dark' || kind === 'high-contrast';
  const read = (name: string, fallback: string): Rgba => parseColor(style.getPropertyValue(name)) ?? parseColor(fallback)!;
  const foreground = read('--vscode-editor-foreground', dark ? '#cccccc' : '#333333');
  const background = read('--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff');
  const highContrast = kind === 'high-contrast' || kind === 'high-contrast-light';
  const blue = read('--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff');
  const red = read('--vscode-charts-red', dark ? '#f14c4c' : '#e51400');
  const neutral = highContrast ? background : mix(background, foreground, dark ? 0.1 : 0.06);
  const fontSize = parseFloat(style.getPropertyValue('--vscode-font-size')) || 13;
  return {
    kind,
    highContrast,
    foreground,
    background,
    muted: read('--vscode-descriptionForeground', toCss(mix(background, foreground, 0.7))),
    grid: withAlpha(foreground, highContrast ? 0.45 : 0.12),
    focus: read('--vscode-focusBorder', dark ? '#007fd4' : '#0090f1'),
    border: parseColor(style.getPropertyValue('--vscode-contrastBorder')),
    red,
    blue,
    green: read('--vscode-charts-green', dark ? '#89d185' : '#388a34'),
    yellow: read('--vscode-charts-yellow', dark ? '#cca700' : '#bf8803'),
    orange: read('--vscode-charts-orange', dark ? '#d18616' : '#d18616'),
    purple: read('--vscode-charts-purple', dark ? '#b180d7' : '#652d90'),
    heatStops: [blue, mix(blue, neutral, 0.55), neutral, mix(red, neutral, 0.55), red],
    fontFamily: style.getPropertyValue('--vscode-font-family').trim() || 'system-ui, sans-serif',
    fontSize,
  };
}
