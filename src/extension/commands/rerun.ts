/**
 * "Re-run With Settings…": a quick pick listing the settings with their values; picking one
 * edits it, "Run" analyses with them. The edits apply to this run only (the user settings stay
 * as they are), except when "Save as workspace settings" is chosen.
 */
import * as vscode from 'vscode';
import { CONFIG_KEYS, describeSettings, formatDimList, LIMITS, parseDimList, parseIntInRange, type UserSettings } from '../config';
import type { AnalysisSettings } from '../../report/schema';

type Edit = 'run' | 'save' | keyof UserSettings;

interface Item extends vscode.QuickPickItem {
  readonly edit: Edit;
}

function items(s: UserSettings): Item[] {
  return [
    { label: '$(play) Run analysis', description: describeSettings(s), edit: 'run' },
    { label: '', kind: vscode.QuickPickItemKind.Separator, edit: 'run' },
    { label: 'Batch size', description: String(s.batch), edit: 'batch' },
    { label: 'Probes', description: String(s.probes), edit: 'probes' },
    { label: 'Seed', description: String(s.seed), edit: 'seed' },
    { label: 'Exact mode', description: s.exact, edit: 'exact' },
    { label: 'Backend', description: s.backend, edit: 'backend' },
    { label: 'Block matrix', description: s.blockMatrix ? 'on' : 'off', edit: 'blockMatrix' },
    { label: 'Input shape overrides', description: formatDimList(s.dimOverrides) || '(none)', edit: 'dimOverrides' },
    { label: 'Memory limit (MB)', description: s.memoryLimitMb > 0 ? String(s.memoryLimitMb) : 'auto (half of free memory)', edit: 'memoryLimitMb' },
    { label: '', kind: vscode.QuickPickItemKind.Separator, edit: 'run' },
    { label: '$(save) Save as workspace settings and run', edit: 'save' },
  ];
}

/**
 * Every step stays open when focus moves: a results panel that reveals itself while the user
 * edits (an analysis finishing) would otherwise close the list and drop the edits made so far.
 * Escape still dismisses.
 */
const KEEP_OPEN = { ignoreFocusOut: true } as const;

/** Returns the settings to run with, or undefined when the user dismissed the picker. */
export async function editSettings(initial: UserSettings, modelName: string): Promise<UserSettings | undefined> {
  let s = initial;
  for (;;) {
    const picked = await vscode.window.showQuickPick(items(s), {
      title: `Gradient Lens: Re-run ${modelName} with settings`,
      placeHolder: 'Pick a setting to change, or Run',
      ...KEEP_OPEN,
    });
    if (!picked) return undefined;
    if (picked.edit === 'run') return s;
    if (picked.edit === 'save') {
      await saveToWorkspace(s);
      return s;
    }
    const next = await editOne(s, picked.edit);
    if (next) s = next;
  }
}

async function askInt(title: string, value: number, lim: { min: number; max: number }): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    value: String(value),
    ...KEEP_OPEN,
    validateInput: (t) => {
      const r = parseIntInRange(t, lim);
      return typeof r === 'string' ? r : undefined;
    },
  });
  if (text === undefined) return undefined;
  const r = parseIntInRange(text, lim);
  return typeof r === 'number' ? r : undefined;
}

async function askChoice<T extends string>(title: string, values: readonly T[], current: T): Promise<T | undefined> {
  const picked = await vscode.window.showQuickPick(
    values.map((v) => ({ label: v, description: v === current ? 'current' : undefined })),
    { title, ...KEEP_OPEN },
  );
  return picked?.label as T | undefined;
}

async function editOne(s: UserSettings, key: keyof UserSettings): Promise<UserSettings | undefined> {
  switch (key) {
    case 'batch': {
      const v = await askInt('Batch size', s.batch, LIMITS.batch);
      return v === undefined ? undefined : { ...s, batch: v };
    }
    case 'probes': {
      const v = await askInt('Gaussian probes per estimate', s.probes, LIMITS.probes);
      return v === undefined ? undefined : { ...s, probes: v };
    }
    case 'seed': {
      const v = await askInt('Seed', s.seed, LIMITS.seed);
      return v === undefined ? undefined : { ...s, seed: v };
    }
    case 'exact': {
      const v = await askChoice<AnalysisSettings['exact']>('Exact mode', ['auto', 'on', 'off'], s.exact);
      return v === undefined ? undefined : { ...s, exact: v };
    }
    case 'backend': {
      const v = await askChoice<AnalysisSettings['backend']>('Compute backend', ['auto', 'ort', 'node', 'wasm', 'cpu'], s.backend);
      return v === undefined ? undefined : { ...s, backend: v };
    }
    case 'blockMatrix': {
      const v = await askChoice('Full block matrix GSC(k → l)', ['on', 'off'] as const, s.blockMatrix ? 'on' : 'off');
      return v === undefined ? undefined : { ...s, blockMatrix: v === 'on' };
    }
    case 'memoryLimitMb': {
      const v = await askInt('Memory the analysis may plan for, in MB (0 = half of the free memory)', s.memoryLimitMb, LIMITS.memoryMb);
      return v === undefined ? undefined : { ...s, memoryLimitMb: v };
    }
    case 'dimOverrides': {
      const text = await vscode.window.showInputBox({
        title: 'Sizes of dynamic input dimensions',
        prompt: 'NAME=SIZE, comma separated (e.g. seq=32)',
        value: formatDimList(s.dimOverrides),
        ...KEEP_OPEN,
        validateInput: (t) => {
          const r = parseDimList(t);
          return typeof r === 'string' ? r : undefined;
        },
      });
      if (text === undefined) return undefined;
      const r = parseDimList(text);
      return typeof r === 'string' ? undefined : { ...s, dimOverrides: r };
    }
  }
}

async function saveToWorkspace(s: UserSettings): Promise<void> {
  const config = vscode.workspace.getConfiguration('gradientLens');
  const target = vscode.ConfigurationTarget.Workspace;
  await config.update(CONFIG_KEYS.batch, s.batch, target);
  await config.update(CONFIG_KEYS.probes, s.probes, target);
  await config.update(CONFIG_KEYS.seed, s.seed, target);
  await config.update(CONFIG_KEYS.exact, s.exact, target);
  await config.update(CONFIG_KEYS.backend, s.backend, target);
  await config.update(CONFIG_KEYS.blockMatrix, s.blockMatrix, target);
  await config.update(CONFIG_KEYS.dimOverrides, s.dimOverrides, target);
  await config.update(CONFIG_KEYS.memoryLimitMb, s.memoryLimitMb, target);
}
