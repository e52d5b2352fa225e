/**
 * User-facing text says "Analyze" (the command titles' spelling), never "Analyse": messages,
 * buttons, page text and settings descriptions. Log lines and comments are not checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../architecture/importGraph';

const root = repoRoot();
const BRITISH = /\b[Aa]nalys(?:e|ed|ing)\b|\bre-analyses\b/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** The string literals of a line ('…', "…", `…`), unless the line is a comment or writes to the log. */
function userStrings(line: string): string[] {
  const t = line.trim();
  if (t.startsWith('//') || t.startsWith('*') || t.startsWith('/*') || /\blog\.(info|warn|trace|error|debug)\(/.test(t)) return [];
  return [...t.matchAll(/'([^']*)'|"([^"]*)"|`([^`]*)`/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

test('user-facing text spells Analyze, not Analyse', () => {
  const offenders: string[] = [];
  for (const dir of ['src/extension', 'webview-ui/src']) {
    for (const file of sourceFiles(path.join(root, dir))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (userStrings(line).some((s) => BRITISH.test(s))) offenders.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: unknown };
  const walk = (v: unknown, at: string): void => {
    if (typeof v === 'string' && BRITISH.test(v)) offenders.push(`package.json ${at}: ${v}`);
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
  };
  walk(manifest.contributes, 'contributes');
  assert.deepEqual(offenders, []);
});
