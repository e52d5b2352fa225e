/**
 * Status bar texts stay short (#18): a long file or block name pushed the rest of the status bar
 * aside. A transient status message has no tooltip, so callers write the whole sentence to the
 * Output channel and show this short form. Pure (no `vscode`).
 */

/** The longest status bar text, "Gradient Lens: " included. */
export const STATUS_MAX = 60;

/** `name` cut in the middle to at most `max` characters ("very…name.onnx"), the end kept. */
export function shortName(name: string, max: number): string {
  const chars = [...name];
  if (chars.length <= max) return name;
  const tail = Math.ceil((max - 1) * 0.6);
  return `${chars.slice(0, max - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/**
 * "Gradient Lens: " + head + subject + tail, the subject (a file or block name) shortened so the
 * whole fits STATUS_MAX; head and tail are fixed wording.
 */
export function statusText(head: string, subject: string, tail = ''): string {
  const fixed = `Gradient Lens: ${head}${tail}`;
  return `Gradient Lens: ${head}${shortName(subject, Math.max(8, STATUS_MAX - [...fixed].length))}${tail}`;
}
