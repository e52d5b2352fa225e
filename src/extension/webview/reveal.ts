/**
 * Where a block is defined in the model file. Until source mapping lands (its own issue), a
 * TensorFlow.js model.json reveals the layer's `"name": "<layer>"` entry, and other formats the
 * first occurrence of a node's name (ONNX keeps node names as plain strings).
 */
import type { BlockReport } from '../../report/schema';

export interface TextRange {
  readonly line: number;
  readonly character: number;
  readonly length: number;
}

/** The first `"name": "<layer>"` entry for any of the block's source names, as a 0-based range. */
export function findLayerEntry(text: string, block: Pick<BlockReport, 'sourceNames'>): TextRange | undefined {
  for (const name of block.sourceNames) {
    // JSON.stringify gives the name exactly as a JSON writer encodes it (quotes, escapes).
    const quoted = JSON.stringify(name);
    const pattern = new RegExp(`"name"\\s*:\\s*${escapeRegExp(quoted)}`);
    const match = pattern.exec(text);
    if (match) {
      const before = text.slice(0, match.index);
      const line = before.split('\n').length - 1;
      const character = match.index - (before.lastIndexOf('\n') + 1);
      return { line, character, length: match[0].length };
    }
  }
  return undefined;
}

/** The first occurrence of any of the block's source names, as a 0-based range. */
export function findNameOccurrence(text: string, block: Pick<BlockReport, 'sourceNames'>): TextRange | undefined {
  for (const name of block.sourceNames) {
    if (name.length === 0) continue;
    const at = text.indexOf(name);
    if (at >= 0) {
      const before = text.slice(0, at);
      const line = before.split('\n').length - 1;
      return { line, character: at - (before.lastIndexOf('\n') + 1), length: name.length };
    }
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
