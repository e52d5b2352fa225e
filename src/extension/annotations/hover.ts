/**
 * The hover of a site as Markdown text: per block its numbers with 99% intervals, the
 * instances the site defines, how the site was found, and an "Open in report" link. Names come
 * from the user's model and code, so they are escaped (no links or markup can be injected).
 * Pure (no `vscode`); the extension wraps the text in a MarkdownString trusted only for its
 * own open-in-report command.
 */
import type { BlockReport } from '../../report/schema';
import type { PlacementMethod } from '../../sourceMapping/types';
import { fmt, formatInterval, formatWithInterval, headlineK, opsOutsideBlock } from './format';
import { formatEstimateInterval, formatGscToOutput, isReferenceEstimate } from '../../report/format';
import { groupFindings } from './findings';
import type { SiteView } from './sites';

const METHOD_TEXT: Record<PlacementMethod, string> = {
  'model-file': 'the layer entry in the TensorFlow.js model.json',
  pytorch: 'a PyTorch module attribute, container entry or block class with the same name',
  keras: 'a Keras layer by its name= or by constructor order',
  tfjs: 'a TensorFlow.js layer by its name: or by constructor order',
  sidecar: 'your explicit mapping (sidecar file or gradientLens.sourceFiles)',
};

/** Backslash-escapes every Markdown metacharacter, and HTML's < and >. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

export interface HoverInput {
  readonly view: SiteView;
  readonly stale: boolean;
  /** Builds the `command:` URI that opens the report on a block. */
  readonly openLink: (blockIndex: number) => string;
  readonly modelFileName: string;
}

export function hoverMarkdown({ view, stale, openLink, modelFileName }: HoverInput): string {
  const lines: string[] = [];
  if (stale) {
    lines.push(
      '**Stale:** this file changed since the analysis; the numbers and places below may no longer match the code. Run the analysis again to refresh them.',
      '',
    );
  }
  lines.push(`**Gradient Lens** · ${escapeMarkdown(modelFileName)} · ${escapeMarkdown(view.site.label)}`, '');
  lines.push('| block | GSC to output | 99% CI | GSC of block | 99% CI | k |', '|---|---:|---|---:|---|---|');
  for (const b of view.blocks) lines.push(blockRow(b, openLink(b.index)));
  lines.push('');
  // What a number covers that the line does not show: the reference layer's GSC of 1 (by
  // definition), and ops outside the module the block is named after.
  for (const b of view.blocks) {
    if (isReferenceEstimate(b.gscToOutput))
      lines.push(
        `Block ${b.index} ends at the reference layer: its GSC to the output is 1 by definition (the output's gradient with respect to itself); it measures nothing.`,
        '',
      );
    const outside = opsOutsideBlock(b);
    if (outside.length > 0) {
      const ops = b.opTypes.join(' → ');
      lines.push(
        `Block ${b.index} ${escapeMarkdown(b.name)} is more than ${escapeMarkdown(b.name)}: it also includes ${escapeMarkdown(outside.join(', '))}; its GSC and k are measured over all its ops (${escapeMarkdown(ops)}).`,
        '',
      );
    }
  }
  const instances = view.site.instances.map((i) => `${escapeMarkdown(i.instanceName)} (block ${i.blockIndex})`);
  const shown = instances.slice(0, 20);
  lines.push(`Instances (${instances.length}): ${shown.join(', ')}${instances.length > shown.length ? `, … ${instances.length - shown.length} more` : ''}`, '');
  lines.push(`Placed by ${METHOD_TEXT[view.site.method]}.`, '');
  for (const g of groupFindings(view.findings)) lines.push(`- ${escapeMarkdown(g.message)}`);
  if (view.findings.length > 0) lines.push('');
  const first = view.blocks[0];
  if (first) lines.push(`[Open in report](${openLink(first.index)})`);
  return lines.join('\n');
}

function blockRow(b: BlockReport, link: string): string {
  const k = headlineK(b);
  const ci = k.name === 'k_lin' && k.value !== null ? b.linearisation.kLinCi99 : null;
  // "k_lin 1.43 [1.2, 1.66]" or "k_lin 1.43 (exact)"; headlineK's null is an infinite k.
  const kText = `${k.name} ${ci ? formatWithInterval(k.value, ci) : fmt(k.value, true)}`;
  return `| [${b.index} ${escapeMarkdown(b.name)}](${link}) | ${formatGscToOutput(b.gscToOutput)} | ${formatEstimateInterval(b.gscToOutput)} | ${fmt(b.gscBlock.value)} | ${formatInterval(b.gscBlock.ci99)} | ${kText} |`;
}
