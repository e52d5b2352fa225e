/**
 * Short texts for the editor: end-of-line labels, CodeLens titles, numbers. Pure (no `vscode`).
 */
import type { BlockReport } from '../../report/schema';

/** Three significant digits without trailing zeros: 12.4, 3.1, 0.494, 1234, 1.23e5, 4.5e-4. */
export function formatNumber(x: number | null): string {
  if (x === null) return '∞';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e4 || abs < 1e-3) {
    const [mantissa, exponent] = x.toExponential(2).split('e');
    return `${String(Number(mantissa))}e${String(Number(exponent))}`;
  }
  if (abs >= 1000) return String(Math.round(x));
  return String(Number(x.toPrecision(3)));
}

export function formatInterval(ci: readonly [number, number] | null): string {
  if (ci === null) return 'n/a';
  return ci[0] === ci[1] ? `${formatNumber(ci[0])} (exact)` : `${formatNumber(ci[0])}–${formatNumber(ci[1])}`;
}

/** The k that describes the block: k_skip for a residual block (read at the merge), else k_lin. */
export function headlineK(block: BlockReport): { readonly name: 'k_skip' | 'k_lin'; readonly value: number | null } {
  if (block.residual) return { name: 'k_skip', value: block.residual.kSkip };
  return { name: 'k_lin', value: block.linearisation.linear ? null : block.linearisation.kLin };
}

/**
 * The end-of-line text of a site: `GSC 12.4 · k_skip 3.1` for one block, and the range
 * `GSC 3.1–12.4 · 8 blocks` when the site defines several (a block class used many times).
 */
export function siteLabel(blocks: readonly BlockReport[]): string {
  if (blocks.length === 0) return '';
  if (blocks.length === 1) {
    const block = blocks[0];
    const k = headlineK(block);
    return `GSC ${formatNumber(block.gscToOutput.value)} · ${k.name} ${formatNumber(k.value)}`;
  }
  const values = blocks.map((b) => b.gscToOutput.value);
  const lo = formatNumber(Math.min(...values));
  const hi = formatNumber(Math.max(...values));
  return `GSC ${lo === hi ? lo : `${lo}–${hi}`} · ${blocks.length} blocks`;
}

/** The CodeLens title above a site. */
export function codeLensTitle(blocks: readonly BlockReport[], stale: boolean): string {
  // Up to five block numbers; beyond that the label's count says enough.
  const what = blocks.length === 1 ? `block ${blocks[0].index} ${blocks[0].name} · ` : blocks.length <= 5 ? `blocks ${blocks.map((b) => b.index).join(', ')} · ` : '';
  return `Gradient Lens: ${what}${siteLabel(blocks)}${stale ? ' (stale)' : ''} · Open in report`;
}
