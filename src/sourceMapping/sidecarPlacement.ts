/** Sidecar placements: the user's explicit "name": "file.py:LINE", which replace the guesses. */
import { splitPlacement } from './hints';
import { SiteCollector, normalizePath, type Item, type Note } from './items';
import { baseName } from './layerNames';
import { LineIndex, lineRange } from './text';
import type { SourceHints, SourceText } from './types';

/** Places `item` from a sidecar placement; false when it has none (or a bad one, noted). */
export function placeFromSidecar(item: Item, hints: SourceHints | undefined, allSources: readonly SourceText[], sites: SiteCollector, note: Note): boolean {
  const placements = hints?.placements;
  if (placements === undefined) return false;
  const key = item.keys.find((k) => Object.prototype.hasOwnProperty.call(placements, k));
  if (key === undefined) return false;
  const where = placements[key];
  const parsed = splitPlacement(where);
  if (parsed === undefined) {
    if (item.role === 'block') note(item.block, `sidecar placement "${where}" for ${key} is not file:LINE`);
    return false;
  }
  const file = normalizePath(parsed.file);
  const source =
    file.startsWith('/') || /^[A-Za-z]:\//.test(file)
      ? allSources.find((s) => normalizePath(s.path) === file)
      : allSources.find((s) => normalizePath(s.path).endsWith(`/${file}`));
  const path = source?.path ?? parsed.file;
  if (source === undefined && !(file.startsWith('/') || /^[A-Za-z]:\//.test(file))) {
    if (item.role === 'block') note(item.block, `sidecar placement "${where}" names a relative file that is not among the sources`);
    return false;
  }
  const index = source === undefined ? undefined : new LineIndex(source.text);
  // A final line break ends the last line; it does not start another.
  const lines = index === undefined ? 0 : index.lineCount - (source!.text.endsWith('\n') ? 1 : 0);
  if (index !== undefined && parsed.line > lines) {
    if (item.role === 'block') note(item.block, `sidecar placement "${where}" is past the end of ${baseName(path)} (${lines} lines)`);
    return false;
  }
  sites.add(lineRange(path, index, parsed.line - 1), 'sidecar', `sidecar: ${key}`, item);
  return true;
}
