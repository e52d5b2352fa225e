/**
 * What each format's loader accepts, by the names the user's file uses: ONNX op types, TensorFlow
 * op names of a TF.js graph model, Keras layer classes of a TF.js layers model. Read from the
 * tables the loaders themselves translate with, so the README's tables (written from this by
 * `node scripts/op-tables.mjs`, checked by test/loaders/opTables.test.ts) cannot drift from
 * the code.
 */
import { supportedOps } from '../ops/registry';
import { OP_TRANSLATORS } from './tfjs/graph/ops';
import { supportedLayerClasses } from './tfjs/layers/translate';

/** Internal ops with no ONNX counterpart: only the TF.js translators emit them. */
const INTERNAL_ONLY = new Set(['Atan2', 'DivNoNan']);

/** ONNX op types the ONNX loader rewrites into supported ones (src/loaders/onnx/upgrade.ts, constantIf.ts). */
const ONNX_BY_TRANSLATION: Readonly<Record<string, string>> = {
  Upsample: 'becomes Resize',
  If: 'folded to its branch when the condition is a constant or follows from the input shape and fixed inputs',
  'com.microsoft Gelu': 'becomes Gelu',
};

export interface OpTables {
  /** ONNX op types (default domain unless named), computed as they are. */
  readonly onnx: readonly string[];
  readonly onnxTranslated: Readonly<Record<string, string>>;
  /** TensorFlow op names a TF.js graph model may hold. */
  readonly tfjsGraph: readonly string[];
  /** Keras layer classes a TF.js layers model may hold. */
  readonly tfjsLayers: readonly string[];
}

export function opTables(): OpTables {
  return {
    onnx: supportedOps().filter((op) => !INTERNAL_ONLY.has(op)),
    onnxTranslated: ONNX_BY_TRANSLATION,
    tfjsGraph: Object.keys(OP_TRANSLATORS).sort(),
    tfjsLayers: supportedLayerClasses(),
  };
}

/** Names grouped by first letter, one table row per letter. */
function byLetter(names: readonly string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const letter = n[0].toUpperCase();
    groups.set(letter, [...(groups.get(letter) ?? []), n]);
  }
  return [...groups].map(([letter, ops]) => `| ${letter} | ${ops.map((o) => `\`${o}\``).join(', ')} |`);
}

/** The README's op tables, in Markdown. */
export function renderOpTables(t: OpTables = opTables()): string {
  return [
    `**ONNX** (${t.onnx.length} op types, opset-18 semantics; older opsets are upgraded on load):`,
    '',
    '| | op types |',
    '| --- | --- |',
    ...byLetter(t.onnx),
    '',
    'Accepted by translation: ' +
      Object.entries(t.onnxTranslated)
        .map(([op, how]) => `\`${op}\` (${how})`)
        .join('; ') +
      '.',
    '',
    `**TF.js graph models** (${t.tfjsGraph.length} TensorFlow ops; control flow only where it folds: a \`cond\` with a constant predicate, a map before the network skipped with \`--from\`):`,
    '',
    '| | TensorFlow ops |',
    '| --- | --- |',
    ...byLetter(t.tfjsGraph),
    '',
    `**TF.js layers models** (${t.tfjsLayers.length} Keras layer classes):`,
    '',
    '| | layer classes |',
    '| --- | --- |',
    ...byLetter(t.tfjsLayers),
  ].join('\n');
}

export const OP_TABLES_START = '<!-- op-tables:start (node scripts/op-tables.mjs writes this part) -->';
export const OP_TABLES_END = '<!-- op-tables:end -->';
