/**
 * The report's verdict in plain words, shown above the numbers: does the gradient explode, by
 * how much per block, which blocks to look at and why, and how far the fitted rate can be
 * trusted. Pure (no DOM); every number comes from the report (the fit quality is computed here
 * from the report's own boundary values).
 */
import { isExploding } from '../../src/report/flags';
import type { AnalysisReport } from '../../src/report/schema';
import { formatNumber } from './format';

export type VerdictTone = 'exploding' | 'growing' | 'fine';

export interface Verdict {
  readonly tone: VerdictTone;
  readonly headline: string;
  readonly points: readonly string[];
}

/** R² of the least-squares line through (k, ln GSC(k → output)), and whether the values only ever fall with k. */
export function fitQuality(r: AnalysisReport): { readonly r2: number; readonly points: number; readonly monotone: boolean } {
  const pts = r.boundaries
    .filter((b) => b.gscToOutput.value > 0 && Number.isFinite(b.gscToOutput.value))
    .map((b) => [b.index, Math.log(b.gscToOutput.value)] as const);
  const n = pts.length;
  if (n < 3) return { r2: NaN, points: n, monotone: true };
  const mx = pts.reduce((s, p) => s + p[0], 0) / n;
  const my = pts.reduce((s, p) => s + p[1], 0) / n;
  const sxx = pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  const sxy = pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const syy = pts.reduce((s, p) => s + (p[1] - my) ** 2, 0);
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  // GSC(k → output) falls towards the output when gradients grow on the way back; allow float noise.
  const monotone = pts.every((p, i) => i === 0 || p[1] <= pts[i - 1][1] + 1e-9) || pts.every((p, i) => i === 0 || p[1] >= pts[i - 1][1] - 1e-9);
  return { r2, points: n, monotone };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function verdict(r: AnalysisReport): Verdict {
  const threshold = r.thresholds.gsc;
  const g = r.growth;
  const over = r.blocks.filter((b) => isExploding(b, r.thresholds));
  const perBlock = g.geometricMeanRate;
  const tone: VerdictTone = over.length > 0 ? 'exploding' : perBlock > 1.05 ? 'growing' : 'fine';
  const headline =
    tone === 'exploding'
      ? `Gradients explode: the gradient scale grows ${formatNumber(g.gscInputToOutput)}-fold from the output back to the input, and ${plural(over.length, 'block')} ${over.length === 1 ? 'is' : 'are'} above the threshold ${formatNumber(threshold)}.`
      : tone === 'growing'
        ? `Gradients grow but do not explode: ${formatNumber(g.gscInputToOutput)}-fold from the output back to the input, below the threshold ${formatNumber(threshold)}.`
        : `No gradient explosion: the gradient scale changes ${formatNumber(g.gscInputToOutput)}-fold across the model, well below the threshold ${formatNumber(threshold)}.`;

  const points: string[] = [];
  points.push(`Per block: a factor of ${formatNumber(perBlock)} on average (geometric mean over ${plural(r.blocks.length, 'block')}).`);

  const fit = fitQuality(r);
  if (fit.points < 8 || !(fit.r2 >= 0.9) || !fit.monotone) {
    const why = [
      fit.points < 8 ? `only ${plural(fit.points, 'point')}` : undefined,
      Number.isFinite(fit.r2) ? `R² ${formatNumber(fit.r2)}` : undefined,
      fit.monotone ? undefined : 'the curve is not monotone',
    ].filter((s): s is string => s !== undefined);
    points.push(`The fitted rate ${formatNumber(g.logFit.rate)} per block is a rough summary (${why.join(', ')}); the per-block numbers below say more.`);
  } else {
    points.push(`The fitted rate ${formatNumber(g.logFit.rate)} per block describes the curve well (R² ${formatNumber(fit.r2)} over ${fit.points} points).`);
  }

  // Where the growth happens: the blocks that amplify the gradient most on their own.
  const amplifiers = r.blocks
    .filter((b) => b.gscBlock.value > 1 && Number.isFinite(b.gscBlock.value))
    .sort((a, b) => b.gscBlock.value - a.gscBlock.value)
    .slice(0, 3);
  if (amplifiers.length > 0 && tone !== 'fine') {
    points.push(
      `Look first at ${amplifiers.map((b) => `block ${b.index} ${b.name} (×${formatNumber(b.gscBlock.value)})`).join(', ')}: they amplify the gradient most on their own (GSC of the block).`,
    );
  }

  const pseudoBlocks = new Set(r.nonlinearities.filter((n) => n.pseudoLinear).map((n) => n.block));
  const residual = r.blocks.some((b) => b.residual !== undefined && b.residual !== null);
  if (pseudoBlocks.size > 0) {
    points.push(
      `${plural(pseudoBlocks.size, 'block')} ${pseudoBlocks.size === 1 ? 'has' : 'have'} a pseudo-linear nonlinearity (its own k above ${formatNumber(r.thresholds.pseudoLinearK)}): ` +
        (residual
          ? 'in a residual network this is expected, the skip connections dilute each block towards linear, which is how they keep gradients in check (k-dilution).'
          : 'those nonlinearities act almost linearly on this batch, so the depth they add does little.'),
    );
  }
  const collapsedBlocks = new Set(r.nonlinearities.filter((n) => n.collapsed).map((n) => n.block));
  if (collapsedBlocks.size > 0)
    points.push(
      `${plural(collapsedBlocks.size, 'block')} ${collapsedBlocks.size === 1 ? 'has' : 'have'} a collapsed nonlinearity: its pre-activations barely vary across the batch.`,
    );
  return { tone, headline, points };
}
