/**
 * One-line descriptions of the reference layer and of the input batch, shared by the CLI
 * table, the Markdown/HTML exports and the webview header. Plain text: callers escape it for
 * their medium. Reports older than schema 1.1 have no `input`; settings.inputSource stands in.
 */
import type { AnalysisReport } from './schema';

// Worded without brackets: the short form is itself shown in brackets ("error layer (…)").
const LOSS_LABEL = { 'cross-entropy': 'softmax cross-entropy', 'squared-error': 'squared error' } as const;

/** E.g. "model output logits" or "error layer: per-sample softmax cross-entropy of logits against labels y.npy". */
export function referenceText(report: AnalysisReport): string {
  const r = report.reference;
  const which = outputChoiceText(report);
  if (r.kind === 'output') return r.cutAt !== undefined ? `tensor ${r.tensor}, where the analysis was cut (chosen output)` : `model output ${r.tensor}${which}`;
  const loss = r.loss ? LOSS_LABEL[r.loss] : 'loss';
  const of = r.modelOutput ? ` of ${r.modelOutput}` : '';
  const labels = r.labels ? ` against labels ${r.labels}` : '';
  return `error layer: per-sample ${loss}${of}${labels}${which}`;
}

/** " (output 1 of 3: race, gender, age; --output-index chooses)" for a model with several outputs, else "". */
function outputChoiceText(report: AnalysisReport): string {
  const { outputs, outputIndex } = report.reference;
  if (outputs === undefined || outputs.length < 2 || outputIndex === undefined) return '';
  return ` (output ${outputIndex + 1} of ${outputs.length}: ${outputs.join(', ')}; --output-index chooses)`;
}

/** E.g. "seeded Gaussian (16 samples)" or "npy x.npy: 16 of 1000 samples (random), labels y.json". */
export function inputText(report: AnalysisReport): string {
  const i = report.input;
  if (i === undefined) return report.settings.inputSource === 'gaussian' ? 'seeded Gaussian' : report.settings.inputSource;
  const t = i.tokens;
  const tokens = t ? `token ids of ${t.ids} (vocabulary ${t.vocabulary}, length ${t.sequenceLength}), analysed from the embedding ${t.embedding}` : undefined;
  if (i.kind === 'gaussian') return tokens ? `seeded ${tokens} (${i.samples} samples)` : `seeded Gaussian (${i.samples} samples)`;
  const parts = [
    `${i.kind === 'images' ? 'images in' : i.kind} ${i.path ?? ''}: ${i.samples}${i.available !== undefined ? ` of ${i.available}` : ''} samples${i.sample ? ` (${i.sample})` : ''}`,
  ];
  if (i.labels) parts.push(`labels ${i.labels}`);
  if (tokens) parts.push(tokens);
  if (i.mean && i.std) parts.push(`normalised (v - [${i.mean.join(', ')}]) / [${i.std.join(', ')}], ${i.layout ?? ''}`.trim());
  return parts.join(', ');
}

/** Short forms for the webview header (the long forms go in the tooltip). */
export function referenceShortText(report: AnalysisReport): string {
  const r = report.reference;
  if (r.kind === 'output') return r.cutAt !== undefined ? 'chosen tensor' : 'model output';
  return `error layer (${r.loss ? LOSS_LABEL[r.loss] : 'loss'})`;
}

export function inputShortText(report: AnalysisReport): string {
  const i = report.input;
  if (i === undefined) return report.settings.inputSource === 'gaussian' ? 'seeded Gaussian' : baseName(report.settings.inputSource);
  if (i.kind === 'gaussian') return i.tokens ? 'seeded token ids' : 'seeded Gaussian';
  const of = i.available !== undefined && i.available !== i.samples ? `${i.samples} of ${i.available}` : `${i.samples}`;
  return `${baseName(i.path ?? '')}${i.kind === 'images' ? '/' : ''} (${of}${i.labels ? ', labelled' : ''})`;
}

function baseName(p: string): string {
  return (
    p
      .split(/[\\/]/)
      .filter((s) => s !== '')
      .pop() ?? p
  );
}

/** The sentence the report's warnings carry when the user chose cheaper settings before the run (engine/estimate.ts writes it). */
export const REDUCED_BEFORE_RUN = 'settings reduced before the run';

/**
 * Why a report has no block matrix: the run's settings had it off, or the user turned it off
 * when the estimate of a long run offered cheaper settings (the report's warnings say which).
 */
export function blockMatrixAbsentText(report: Pick<AnalysisReport, 'warnings'>): string {
  const offered = report.warnings.some((w) => w.message.startsWith(REDUCED_BEFORE_RUN) && /block matrix off/.test(w.message));
  return offered
    ? 'The block matrix was not computed: it was turned off before the run, as offered for its estimated time.'
    : "The block matrix was not computed: it is off in this run's settings (gradientLens.blockMatrix, or --no-block-matrix on the command line).";
}
