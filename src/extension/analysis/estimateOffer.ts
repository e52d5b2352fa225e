/**
 * The offer before a long run (#18): when the engine's estimate (src/engine/estimate.ts,
 * measured from the forward pass) exceeds gradientLens.estimateThresholdSeconds, a warning names
 * the time and offers the cheaper settings with their own estimates, or "Run anyway". Pure (no
 * `vscode`): the service shows it.
 */
import { durationText, reducedBeforeRunText, type CheaperOption, type RunEstimate } from '../../engine/estimate';

export const RUN_ANYWAY = 'Run anyway';

export interface EstimateOffer {
  readonly message: string;
  /** Button titles, "Run anyway" last. */
  readonly buttons: readonly string[];
  /** The option behind a button title, undefined for "Run anyway" (or a dismissed message). */
  readonly optionOf: (button: string | undefined) => CheaperOption | undefined;
  /** The report's warning when the option is taken. */
  readonly reducedText: (option: CheaperOption) => string;
}

/** At most this many cheaper options as buttons (the cheapest ones). */
const MAX_OPTIONS = 2;

/** `modelName`: the model's folder and name (displayPath.ts), so two model.onnx files read apart. */
export function estimateOffer(modelName: string, estimate: RunEstimate, thresholdMs: number): EstimateOffer | undefined {
  if (!(thresholdMs > 0) || estimate.totalMs <= thresholdMs || estimate.options.length === 0) return undefined;
  const shown = estimate.options.slice(-MAX_OPTIONS);
  // Buttons stay short (a notification cuts long ones); the times are in the message.
  const titles = new Map(shown.map((o) => [buttonTitle(o), o]));
  const times = shown.map((o) => `${o.label}: ${durationText(o.totalMs)}`).join('; ');
  return {
    message:
      `Gradient Lens: analyzing ${modelName} will take ${durationText(estimate.totalMs)} (estimated from its forward pass, ` +
      `${estimate.threads === 1 ? '1 thread' : `${estimate.threads} threads`}). It is running; cheaper settings restart it (${times}).`,
    buttons: [...titles.keys(), RUN_ANYWAY],
    optionOf: (button) => (button === undefined ? undefined : titles.get(button)),
    reducedText: (option) => reducedBeforeRunText(option, estimate.totalMs),
  };
}

function buttonTitle(o: CheaperOption): string {
  if (o.settings.probes !== undefined) return `${o.settings.probes} Probes`;
  if (o.settings.batch !== undefined) return `Batch ${o.settings.batch}`;
  return 'Block Matrix Off';
}
