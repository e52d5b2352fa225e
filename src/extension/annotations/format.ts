/**
 * Short texts for the editor: end-of-line labels, CodeLens titles. Pure (no `vscode`). Numbers
 * are written by the one formatter of every surface (src/report/format.ts).
 */
import type { BlockReport } from '../../report/schema';
import { fmt, formatGscToOutput } from '../../report/format';
import { maxOf, minOf } from '../../report/extent';

export { fmt, formatComparison, formatInterval, formatNumber, formatWithInterval } from '../../report/format';

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
    // headlineK's null is an infinite k (a linear block).
    return `GSC ${formatGscToOutput(block.gscToOutput)} · ${k.name} ${fmt(k.value, true)}`;
  }
  const values = blocks.map((b) => b.gscToOutput.value);
  const lo = fmt(minOf(values));
  const hi = fmt(maxOf(values));
  return `GSC ${lo === hi ? lo : `${lo}–${hi}`} · ${blocks.length} blocks`;
}

/**
 * The CodeLens title above a site: what clicking does, not the numbers again (those are the
 * end-of-line label's). Several blocks open the one with the highest GSC to the output.
 */
export function codeLensTitle(blocks: readonly BlockReport[], stale: boolean): string {
  if (blocks.length === 0) return '';
  const worst = blocks.reduce((a, b) => (b.gscToOutput.value > a.gscToOutput.value ? b : a));
  const which = blocks.length === 1 ? '' : ` (highest GSC of ${blocks.length} blocks)`;
  return `Gradient Lens: open block ${worst.index} ${worst.name}${which} in the report${stale ? ' (stale)' : ''}`;
}

/** The module path of a node name: "/layer3/conv1/Conv" → "layer3.conv1", "dense_1/MatMul" → "dense_1". */
function modulePath(node: string): string {
  return node
    .split('/')
    .filter((s) => s !== '')
    .slice(0, -1)
    .join('.');
}

/**
 * The ops of a block that lie outside the module it is named after, e.g. the pooling and
 * flattening that join the last convolutional stage's block: its GSC and k_lin cover them too,
 * which the line it is shown on does not say. "pool (GlobalAveragePool)"; empty when the
 * block is just its module.
 */
export function opsOutsideBlock(block: Pick<BlockReport, 'name' | 'nodes' | 'opTypes'>): string[] {
  if (block.nodes.length < 2) return [];
  return block.nodes.flatMap((node, i) => {
    const m = modulePath(node);
    if (m === block.name || m.startsWith(`${block.name}.`)) return [];
    return [`${m === '' ? node : m} (${block.opTypes[i] ?? '?'})`];
  });
}
