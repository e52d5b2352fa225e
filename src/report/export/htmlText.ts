/** HTML escaping for untrusted text (layer names come from model files). */
import { printableLines } from '../printable';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for element content and quoted attribute values (HTML and inline SVG), and shows
 * control characters escaped (printable.ts). Takes any value: a report field that should hold a
 * number may hold markup in a crafted file, so nothing is written unescaped whatever its type.
 */
export function esc(value: string | number | boolean | null | undefined): string {
  return printableLines(String(value)).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
