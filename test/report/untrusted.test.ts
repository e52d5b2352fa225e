/* eslint-disable no-control-regex -- this test searches output for control characters on purpose */
/**
 * A saved report is never trusted: readers validate every field, exporters escape every value
 * whatever its type, and nothing from a model or report reaches a terminal raw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { reportIncompatibility, type AnalysisReport } from '../../src/report/schema';
import { reportToHtml } from '../../src/report/export/html';
import { reportToMarkdown } from '../../src/report/export/markdown';
import { reportToCsv } from '../../src/report/export/csv';
import { reportToJson } from '../../src/report/export/json';
import { printable, printableLines } from '../../src/report/printable';
import { mutableCopy, savedReport } from './helpers';

// markdown-it (CommonMark + GFM tables) has no bundled types; only render() is used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MarkdownIt = require('markdown-it') as new (options: object) => { render(md: string): string };
const renderer = new MarkdownIt({ html: true, linkify: true });

const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-untrusted-'));
const META = '<meta http-equiv="refresh" content="0;url=http://example.com/">';
const CLEAR = 'x\x1b[2J\x1b[Hgradient-lens: all checks passed\x07';
const OSC52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07\x9b2J';

function writeJson(name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/** Every string-capable value of the report (strings, and numbers/booleans as strings) replaced by markup. */
function withMarkupEverywhere(report: AnalysisReport): AnalysisReport {
  const keep = new Set(['schema', 'version', 'kind', 'skipKind', 'exact', 'method', 'code']);
  const walk = (v: unknown, key: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    if (typeof v === 'string' && !keep.has(key)) return `${META}<b>${key}</b>`;
    return v;
  };
  const r = walk(report, '') as AnalysisReport;
  // Numbers that hold strings: what a crafted file could carry if it skipped validation.
  return { ...r, blocks: r.blocks.map((b) => ({ ...b, index: META as unknown as number, dIn: META as unknown as number })) };
}

test('the validator names the first bad field', () => {
  const good = savedReport();
  assert.equal(reportIncompatibility(good), undefined);
  const bad = mutableCopy(good);
  (bad.blocks[0] as { index: unknown }).index = META;
  assert.equal(reportIncompatibility(bad), 'blocks[0].index must be a non-negative integer, found a string');
  const missing = mutableCopy(good) as unknown as { blocks: { gscToOutput?: unknown }[] };
  delete missing.blocks[2].gscToOutput;
  assert.equal(reportIncompatibility(missing), 'blocks[2].gscToOutput must be an object, found nothing (the field is missing)');
  const nl = mutableCopy(good);
  (nl.nonlinearities[0] as { index: unknown }).index = '1';
  assert.match(reportIncompatibility(nl) ?? '', /^nonlinearities\[0\]\.index must be/);
  const settings = mutableCopy(good);
  (settings.settings as { batch: unknown }).batch = '<b>';
  assert.match(reportIncompatibility(settings) ?? '', /^settings\.batch must be/);
  const shortMatrix = mutableCopy(good);
  (shortMatrix.blockMatrix!.gsc as unknown[]).pop();
  assert.match(reportIncompatibility(shortMatrix) ?? '', /^blockMatrix\.gsc must be an array of 22/);
  const residual = mutableCopy(good);
  residual.blocks[0].kind = 'residual';
  assert.match(reportIncompatibility(residual) ?? '', /^blocks\[0\]\.residual must be an object/);
});

test('CLI report and compare refuse a report whose block index is a meta refresh, with exit 1 and the field named', () => {
  const bad = mutableCopy(savedReport());
  (bad.blocks[0] as { index: unknown }).index = META;
  const file = writeJson('meta.json', bad);
  const out = path.join(dir, 'meta.html');
  for (const args of [
    ['report', file, '--out', out],
    ['report', file, '--format', 'md'],
    ['compare', file, file],
  ]) {
    const r = cli(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /meta\.json: blocks\[0\]\.index must be a non-negative integer, found a string/);
  }
  const partial = writeJson('partial.json', { schema: bad.schema, version: bad.version, blocks: [] });
  const r = cli(['report', partial]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /partial\.json: tool must be an object, found nothing \(the field is missing\)/);
  assert.doesNotMatch(r.stderr, /Cannot read properties/);
});

test('HTML and Markdown exports escape every value from the report, whatever its type', () => {
  const report = withMarkupEverywhere(savedReport());
  const html = reportToHtml(report);
  // The only tags are the exporter's own: no <meta http-equiv>, no <b> from the data.
  assert.doesNotMatch(html, /<meta http-equiv="refresh"/);
  assert.doesNotMatch(html, /<b>/);
  assert.equal((html.match(/<meta /g) ?? []).length, 3, 'charset, CSP and viewport only');
  // Rendered as a pull request would (raw HTML allowed): the data's markup stays text.
  const rendered = renderer.render(reportToMarkdown(report));
  assert.doesNotMatch(rendered, /<meta|<b>/);
  assert.match(rendered, /&lt;meta http-equiv/);
});

test('exports and the CLI write no raw control character from names (ESC[2J, OSC 52, C1 CSI)', () => {
  const report = mutableCopy(savedReport());
  report.blocks[0].name = CLEAR;
  report.blocks[1].name = OSC52;
  report.nonlinearities[0].sourceName = CLEAR;
  report.warnings.push({ code: 'other', message: OSC52, where: CLEAR });
  report.model.fileName = OSC52;
  const raw = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;
  for (const text of [reportToHtml(report), reportToMarkdown(report), reportToCsv(report), reportToJson(report)]) assert.doesNotMatch(text, raw);
  assert.deepEqual(JSON.parse(reportToJson(report)), JSON.parse(JSON.stringify(report)), 'the JSON export is still the same value');

  const file = writeJson('escapes.json', report);
  const other = mutableCopy(savedReport());
  other.blocks[0].name = OSC52;
  const otherFile = writeJson('escapes-b.json', other);
  for (const args of [
    ['report', file, '--format', 'md'],
    ['report', file, '--format', 'csv'],
    ['report', file, '--format', 'json'],
    ['compare', file, otherFile],
    ['compare', file, otherFile, '--format', 'md'],
  ]) {
    const r = cli(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout, /\x1b|\x07|\x9b/, args.join(' '));
    assert.doesNotMatch(r.stderr, /\x1b|\x07|\x9b/, args.join(' '));
  }
  // An error message that quotes a name (here the report's own path) is shown escaped too.
  const badName = writeJson(`bad\x1b[2J.json`, { schema: 'x' });
  const e = cli(['report', badName]);
  assert.equal(e.status, 1);
  assert.doesNotMatch(e.stderr, /\x1b/);
  assert.match(e.stderr, /bad\\x1b\[2J\.json/);
});

test('printable shows control, C1 and invisible format characters escaped', () => {
  assert.equal(printable('a\x1b[2J\x07b'), 'a\\x1b[2J\\x07b');
  assert.equal(printable('\x9b\u202e\n'), '\\x9b\\u{202e}\\x0a');
  assert.equal(printableLines('a\r\nb\rc\td\n'), 'a\r\nb\\x0dc\td\n');
});
