/**
 * The items of the "Analyze Up To Tensor…" pick lists, built from the worker's listing of the
 * model file (src/loaders/tensorList.ts), and the reading of a loader's refusal that names the
 * tensor to cut at. Pure (no `vscode`): the unit tests check the lists.
 */
import type { ListedTensor, TensorListing } from '../../loaders/tensorList';

export interface TensorPickItem {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
  /** The tensor chosen, or null for the model's own output (or input): no cut at that end. */
  readonly tensor: string | null;
}

/**
 * The loaders end a refusal for unsupported ops with the last tensor before them
 * (src/loaders/errors.ts, UnsupportedOperatorError; tfjs/layers/translate.ts); a unit test
 * pins the two together.
 */
const CUT_HINT = /the network is differentiable up to tensor "(.*?)": analyse it up to there with --output/;

export function parseCutHint(message: string): string | undefined {
  return CUT_HINT.exec(message)?.[1];
}

/**
 * The refusal without its CLI advice ("with --output …", or "with --from … --output …" for a
 * network reached only through a loop): the notification offers the pick list instead.
 */
export function withoutCliAdvice(message: string): string {
  return message.replace(/: analyse it up to there with --output "(.*?)"/, '').replace(/: analyse it with --from "(.*?)" --output "(.*?)"/, '');
}

/** "Conv [1, 64, 56, 56]": the op (or layer class) and the declared shape, when there is one. */
export function describeTensor(t: ListedTensor): string {
  return t.shape === undefined ? t.op : `${t.op} [${t.shape.join(', ')}]`;
}

function item(t: ListedTensor, notes: readonly string[]): TensorPickItem {
  return { label: t.name, description: [describeTensor(t), ...notes].join(' · '), tensor: t.name };
}

/**
 * The output choices: the model's own output first (when the engine can reach it), the
 * suggested tensor (the last one before unsupported ops) next, then every tensor the engine
 * can compute, in graph order. Tensors behind an unsupported op are left out.
 */
export function outputItems(listing: TensorListing, options: { readonly current?: string; readonly suggested?: string } = {}): TensorPickItem[] {
  const usable = listing.tensors.filter((t) => t.blocked !== true);
  const blockedOutputs = listing.outputs.filter((o) => listing.tensors.some((t) => t.name === o && t.blocked === true));
  const items: TensorPickItem[] = [];
  if (blockedOutputs.length === 0) {
    const note = options.current === undefined ? ' · current' : '';
    items.push({ label: "The model's output", description: `${listing.outputs.join(', ')}${note}`, tensor: null });
  }
  const suggested = usable.find((t) => t.name === options.suggested);
  if (suggested)
    items.push({ ...item(suggested, options.current === suggested.name ? ['current'] : []), detail: 'the last tensor before the unsupported ops' });
  for (const t of usable) if (t !== suggested) items.push(item(t, options.current === t.name ? ['current'] : []));
  return items;
}

/** The start choices for a given output: the model input, then the tensors listed before the output. */
export function startItems(listing: TensorListing, output: string | null, current?: string): TensorPickItem[] {
  const end = output === null ? listing.tensors.length : listing.tensors.findIndex((t) => t.name === output);
  const before = listing.tensors.slice(0, end < 0 ? listing.tensors.length : end).filter((t) => t.blocked !== true);
  const inputs = listing.inputs.map((t) => t.name).join(', ');
  return [
    { label: 'The model input', description: `${inputs}${current === undefined ? ' · current' : ''}`, tensor: null },
    ...before.map((t) => item(t, current === t.name ? ['current'] : [])),
  ];
}

/** For the log and the notification: "up to X, from Y". */
export function describeCut(cut: { readonly output?: string; readonly from?: string }): string {
  const parts = [cut.output !== undefined ? `up to tensor ${cut.output}` : '', cut.from !== undefined ? `from tensor ${cut.from}` : ''].filter((s) => s !== '');
  return parts.join(', ');
}
