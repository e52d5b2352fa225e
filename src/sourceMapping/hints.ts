/**
 * The sidecar file that points a model at its source code:
 *   { "sourceFiles": ["model.py", ...], "placements": { "layer1.0": "model.py:42" } }
 * Paths are relative to the sidecar's folder and must stay inside it (or inside one of the
 * workspace folders given): a sidecar found next to a downloaded model must not make the
 * editor open files elsewhere on the machine.
 */
import * as path from 'node:path';
import type { SourceHints } from './types';

export class SourceHintsError extends Error {
  constructor(
    /** The sidecar file. */
    readonly file: string,
    /** What is wrong with it. */
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'SourceHintsError';
  }
}

/** Where to look for a model's sidecar, in order: `<model file>.gradient-lens.json`, `gradient-lens.json`. */
export function sidecarCandidates(modelPath: string): string[] {
  const dir = path.dirname(modelPath);
  return [path.join(dir, `${path.basename(modelPath)}.gradient-lens.json`), path.join(dir, 'gradient-lens.json')];
}

/**
 * Reads a sidecar's text. Returned paths are absolute; placements become "/abs/file.py:LINE".
 * Throws SourceHintsError naming the sidecar on bad JSON, wrong field types, a bad line number,
 * or a path that leaves the sidecar's folder and every workspace folder.
 */
export function parseSourceHints(text: string, sidecarPath: string, workspaceFolders: readonly string[] = []): SourceHints {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SourceHintsError(sidecarPath, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SourceHintsError(sidecarPath, 'expected a JSON object with "sourceFiles" and optional "placements"');
  }
  const obj = raw as Record<string, unknown>;
  const base = path.dirname(path.resolve(sidecarPath));
  const roots = [base, ...workspaceFolders.map((w) => path.resolve(w))];
  const inside = (p: string, field: string): string => {
    if (typeof p !== 'string' || p.trim() === '') throw new SourceHintsError(sidecarPath, `${field} must be a non-empty path string`);
    if (p.includes('\0')) throw new SourceHintsError(sidecarPath, `${field} "${p}" contains a NUL character`);
    const abs = path.resolve(base, p);
    if (!roots.some((r) => abs === r || abs.startsWith(r.endsWith(path.sep) ? r : r + path.sep))) {
      throw new SourceHintsError(
        sidecarPath,
        `${field} "${p}" resolves to ${abs}, outside the sidecar's folder ${base}${workspaceFolders.length > 0 ? ' and the workspace' : ''}; refusing it`,
      );
    }
    return abs;
  };

  const filesRaw = obj.sourceFiles ?? [];
  if (!Array.isArray(filesRaw)) throw new SourceHintsError(sidecarPath, '"sourceFiles" must be an array of paths');
  const sourceFiles = filesRaw.map((f, i) => inside(f as string, `sourceFiles[${i}]`));

  const placementsRaw = obj.placements;
  if (placementsRaw === undefined) return { sourceFiles };
  if (typeof placementsRaw !== 'object' || placementsRaw === null || Array.isArray(placementsRaw)) {
    throw new SourceHintsError(sidecarPath, '"placements" must be an object mapping block or layer names to "file:LINE"');
  }
  const placements: Record<string, string> = {};
  for (const [name, where] of Object.entries(placementsRaw as Record<string, unknown>)) {
    const field = `placements["${name}"]`;
    if (typeof where !== 'string') throw new SourceHintsError(sidecarPath, `${field} must be a "file:LINE" string`);
    const parsed = splitPlacement(where);
    if (parsed === undefined) throw new SourceHintsError(sidecarPath, `${field} "${where}" is not "file:LINE" with a line number from 1`);
    placements[name] = `${inside(parsed.file, field)}:${parsed.line}`;
  }
  return { sourceFiles, placements };
}

/** "file.py:42" -> file and 1-based line; undefined when the line part is missing or not >= 1. */
export function splitPlacement(where: string): { file: string; line: number } | undefined {
  const m = /^(.+):(\d+)$/.exec(where.trim());
  if (m === null) return undefined;
  const line = Number(m[2]);
  return line >= 1 && Number.isSafeInteger(line) ? { file: m[1], line } : undefined;
}
