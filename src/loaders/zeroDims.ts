/**
 * A graph input that declares a size of 0 for a per-sample dimension holds no values, so it has
 * nothing to analyse; and 0 is never a size the user may give (--dim refuses it). The engine
 * used to call such a dimension "dynamic" and ask for a --dim of it: now the loaders say what
 * the file declares. The batch dimension (index 0) is replaced by the batch size and is exempt.
 */
import type { Dim } from '../graph/ir';
import { ModelLoadError } from './errors';

export function refuseZeroDims(shape: readonly Dim[] | null, what: string, file: string): void {
  const at = shape?.findIndex((d, i) => i > 0 && d === 0) ?? -1;
  if (at < 0) return;
  throw new ModelLoadError(
    file,
    `${what} declares dimension ${at} as 0 (shape [${shape!.join(', ')}]): a sample with no values has nothing to analyse; ` +
      'if the exporter meant "unknown", name the dimension instead (then give its size with --dim NAME=SIZE)',
  );
}
