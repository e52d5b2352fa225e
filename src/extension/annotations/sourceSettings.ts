/**
 * The `gradientLens.sourceFiles` setting and the limits on scanning a workspace for model
 * code. Pure (no `vscode`): the extension passes the raw setting value and file listings.
 *
 * Setting shape: `{ "<model path or glob>": "<file or glob>" | ["<file or glob>", ...] }`.
 * Keys and values are absolute or relative to the workspace folder; `**`, `*`, `?` and
 * `{a,b}` work as in VS Code's glob patterns.
 */
import * as path from 'node:path';

export const SOURCE_FILES_KEY = 'sourceFiles';

export interface SourceFilesRule {
  readonly model: string;
  readonly files: readonly string[];
}

/** Valid rules of the setting, and why the others were ignored. */
export function parseSourceFilesSetting(value: unknown): { rules: SourceFilesRule[]; problems: string[] } {
  const rules: SourceFilesRule[] = [];
  const problems: string[] = [];
  if (value === undefined || value === null) return { rules, problems };
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`gradientLens.${SOURCE_FILES_KEY}: expected an object of model path or glob -> source file(s)`);
    return { rules, problems };
  }
  for (const [model, files] of Object.entries(value as Record<string, unknown>)) {
    const list = typeof files === 'string' ? [files] : Array.isArray(files) ? files : undefined;
    if (model.trim().length === 0 || !list || list.length === 0 || !list.every((f): f is string => typeof f === 'string' && f.trim().length > 0)) {
      problems.push(`gradientLens.${SOURCE_FILES_KEY}: "${model}": expected a file path or a list of file paths; ignored`);
      continue;
    }
    rules.push({ model, files: list });
  }
  return { rules, problems };
}

/** The rules whose model key names this model (exactly, or as a glob) relative to `folder`. */
export function rulesForModel(rules: readonly SourceFilesRule[], modelPath: string, folder: string | undefined): SourceFilesRule[] {
  const relative = folder !== undefined ? toSlashes(path.relative(folder, modelPath)) : undefined;
  return rules.filter((r) => {
    const key = toSlashes(r.model);
    if (path.isAbsolute(r.model)) return hasGlob(key) ? globToRegExp(key).test(toSlashes(modelPath)) : path.resolve(r.model) === path.resolve(modelPath);
    if (relative === undefined || relative.startsWith('..')) return false;
    return globToRegExp(key.replace(/^\.\//, '')).test(relative);
  });
}

export function hasGlob(pattern: string): boolean {
  return /[*?{[]/.test(pattern);
}

/** A VS Code-style glob as an anchored RegExp over forward-slash paths. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // "**/" matches zero or more folders; a trailing "**" anything.
        if (glob[i + 2] === '/') {
          out += '(?:[^/]*/)*';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '{') {
      inBraces = true;
      out += '(?:';
    } else if (c === '}' && inBraces) {
      inBraces = false;
      out += ')';
    } else if (c === ',' && inBraces) out += '|';
    else out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function toSlashes(p: string): string {
  return p.replace(/\\/g, '/');
}

export interface ScanBudget {
  readonly maxFiles: number;
  readonly maxBytesPerFile: number;
  readonly maxTotalBytes: number;
}

/** Limits on reading the workspace when nothing says where the model's code is. */
export const SCAN_LIMITS = {
  /** Files asked from findFiles. */
  maxFound: 2000,
  /** Files read. */
  maxFiles: 300,
  maxBytesPerFile: 512 * 1024,
  maxTotalBytes: 16 * 1024 * 1024,
} as const;

export const SCAN_INCLUDE = '**/*.{py,js,ts,mjs,cjs}';
/** Dependencies, build output, caches and virtual environments: never a model's own code. */
export const SCAN_EXCLUDE =
  '{**/node_modules/**,**/.git/**,**/dist/**,**/out/**,**/build/**,**/.venv/**,**/venv/**,**/env/**,**/site-packages/**,**/__pycache__/**,**/.tox/**,**/*.min.js,**/*.d.ts,**/.vscode-test/**}';

export interface FileSize {
  readonly path: string;
  readonly size: number;
}

/**
 * The files to read, nearest to the model first (its own folder, then its parent's, ...,
 * then the rest by path), skipping files over the per-file size, until the count or total
 * size runs out. Returns the chosen paths and how many were left out.
 */
export function chooseFiles(modelPath: string, files: readonly FileSize[], limits: ScanBudget = SCAN_LIMITS): { chosen: string[]; skipped: number } {
  const modelDir = path.dirname(modelPath);
  const ranked = [...files].sort((a, b) => distance(modelDir, a.path) - distance(modelDir, b.path) || a.path.localeCompare(b.path));
  const chosen: string[] = [];
  let total = 0;
  for (const f of ranked) {
    if (chosen.length >= limits.maxFiles) break;
    if (f.size > limits.maxBytesPerFile || total + f.size > limits.maxTotalBytes) continue;
    chosen.push(f.path);
    total += f.size;
  }
  return { chosen, skipped: files.length - chosen.length };
}

/** Folder steps from the model's folder to the file's folder (up, then down). */
function distance(modelDir: string, file: string): number {
  const rel = path.relative(modelDir, path.dirname(file));
  if (rel === '') return 0;
  return rel.split(path.sep).length;
}
