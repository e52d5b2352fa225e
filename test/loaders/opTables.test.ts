/**
 * The README's op tables are the loaders' own: written by scripts/op-tables.mjs from
 * src/loaders/opTables.ts, and checked here so that a new op (or a removed one) shows up there.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { OP_TABLES_END, OP_TABLES_START, opTables, renderOpTables } from '../../src/loaders/opTables';
import { repoRoot } from '../helpers/fixtures';

test('the README lists exactly the ops the loaders translate', () => {
  const readme = readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
  const start = readme.indexOf(OP_TABLES_START);
  const end = readme.indexOf(OP_TABLES_END);
  assert.ok(start >= 0 && end > start, 'README.md has the op-tables markers');
  const shown = readme.slice(start + OP_TABLES_START.length, end).trim();
  assert.equal(shown, renderOpTables(), 'README.md op tables are stale: run npm run compile && node scripts/op-tables.mjs');
});

test('the tables hold the ops of each format and no internal-only op under ONNX', () => {
  const t = opTables();
  for (const op of ['Conv', 'LSTM', 'Trilu', 'Gelu', 'LayerNormalization']) assert.ok(t.onnx.includes(op), op);
  for (const op of ['Atan2', 'DivNoNan']) assert.ok(!t.onnx.includes(op), op);
  for (const op of ['Conv2D', 'FusedBatchNormV3', 'ZerosLike', 'Atan2']) assert.ok(t.tfjsGraph.includes(op), op);
  for (const layer of ['Conv2D', 'Dense', 'MultiplyBeta']) assert.ok(t.tfjsLayers.includes(layer), layer);
});
