import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, CONTEXT_TFJS_MODEL_PATHS } from '../../src/extension/commands/ids';
import { repoRoot } from '../architecture/importGraph';

interface Manifest {
  readonly activationEvents?: readonly string[];
  readonly contributes: {
    readonly commands: readonly { readonly command: string; readonly title: string }[];
    readonly menus?: Record<string, readonly { readonly command?: string; readonly submenu?: string; readonly when?: string }[]>;
    readonly keybindings?: readonly { readonly command: string }[];
  };
}

const root = repoRoot();
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
const ids = Object.values(COMMANDS);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

describe('the command table and package.json', () => {
  test('the table has each id once and exactly the ids package.json contributes', () => {
    assert.equal(new Set(ids).size, ids.length);
    const contributed = manifest.contributes.commands.map((c) => c.command);
    assert.equal(new Set(contributed).size, contributed.length, 'package.json contributes a command twice');
    assert.deepEqual([...ids].sort(), [...contributed].sort());
  });

  test('menus and keybindings name only known commands', () => {
    const known = new Set<string>(ids);
    const used = [
      ...Object.values(manifest.contributes.menus ?? {}).flatMap((items) => items.flatMap((i) => (i.command !== undefined ? [i.command] : []))),
      ...(manifest.contributes.keybindings ?? []).map((k) => k.command),
    ];
    assert.ok(used.length > 0);
    assert.deepEqual(
      used.filter((c) => !known.has(c)),
      [],
    );
  });

  test('no onCommand activation events (VS Code derives them from contributes.commands)', () => {
    assert.deepEqual(
      (manifest.activationEvents ?? []).filter((e) => e.startsWith('onCommand:')),
      [],
    );
  });

  test('commands are registered only through the table', () => {
    const dir = path.join(root, 'src', 'extension');
    const registering = sourceFiles(dir)
      .filter((f) => /\bregisterCommand\(/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(dir, f).split(path.sep).join('/'));
    assert.deepEqual(registering, ['commands/table.ts']);
  });

  test('every menu that offers a model command on model.json also offers it on TensorFlow.js models found by content', () => {
    const byName = Object.values(manifest.contributes.menus ?? {})
      .flat()
      .filter((i) => i.when?.includes('resourceFilename == model.json'));
    assert.ok(byName.length >= 4);
    for (const item of byName) assert.ok(item.when?.includes(`resourcePath in ${CONTEXT_TFJS_MODEL_PATHS}`), `${item.command ?? '?'}: ${item.when ?? ''}`);
  });
});
