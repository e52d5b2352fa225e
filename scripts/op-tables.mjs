// Writes the README's "Supported operators" tables from the loaders' own translation tables
// (src/loaders/opTables.ts, compiled to out/ by npm run compile); test/loaders/opTables.test.ts
// fails when the README and the code disagree.
//
//   node scripts/op-tables.mjs
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { renderOpTables, OP_TABLES_START, OP_TABLES_END } = require(path.join(REPO, 'out', 'src', 'loaders', 'opTables.js'));

const readme = path.join(REPO, 'README.md');
const text = fs.readFileSync(readme, 'utf8');
const start = text.indexOf(OP_TABLES_START);
const end = text.indexOf(OP_TABLES_END);
if (start < 0 || end < start) throw new Error('README.md has no op-tables markers');
const updated = `${text.slice(0, start + OP_TABLES_START.length)}\n\n${renderOpTables()}\n\n${text.slice(end)}`;
fs.writeFileSync(readme, updated);
console.log(updated === text ? 'README.md op tables already current' : 'README.md op tables written');
