/**
 * Collects the text the source mapper may search for a model: the model.json itself, the
 * user's pointer (a sidecar file next to the model, else the gradientLens.sourceFiles
 * setting), else the workspace's Python/JavaScript/TypeScript files within a budget.
 * Only reads (vscode.workspace.fs / findFiles); never writes anything.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { parseSourceHints, sidecarCandidates } from '../../sourceMapping';
import { splitPlacement } from '../../sourceMapping/hints';
import type { SourceHints, SourceText } from '../../sourceMapping/types';
import {
  SCAN_EXCLUDE,
  SCAN_INCLUDE,
  SCAN_LIMITS,
  chooseFiles,
  hasGlob,
  parseSourceFilesSetting,
  rulesForModel,
  SOURCE_FILES_KEY,
  type FileSize,
} from './sourceSettings';

export interface GatheredSources {
  readonly modelFileText?: string;
  readonly sources: readonly SourceText[];
  readonly hints?: SourceHints;
  /** Where the sources came from, for the Output channel. */
  readonly origin: string;
  /** Things the user should know (a bad sidecar, files skipped by the budget). */
  readonly notes: readonly string[];
}

export async function gatherSources(modelPath: string): Promise<GatheredSources> {
  const notes: string[] = [];
  const modelUri = vscode.Uri.file(modelPath);
  const isJson = modelPath.toLowerCase().endsWith('.json');
  const modelFileText = isJson ? await readText(modelUri) : undefined;

  const fromSidecar = await readSidecar(modelPath, notes);
  const hints = fromSidecar ?? (await hintsFromSetting(modelUri, notes));
  let sources: SourceText[];
  let origin: string;
  if (hints && hints.sourceFiles.length > 0) {
    sources = await readAll(withPlacementFiles(hints), notes);
    origin = fromSidecar
      ? `the sidecar file (${hints.sourceFiles.length} source file(s))`
      : `gradientLens.${SOURCE_FILES_KEY} (${hints.sourceFiles.length} source file(s))`;
  } else {
    const scanned = await scanWorkspace(modelPath, notes);
    // Placements of a sidecar that lists no source files still point into their files.
    const placed = hints
      ? await readAll(
          withPlacementFiles(hints).filter((f) => !scanned.some((s) => s.path === f)),
          notes,
        )
      : [];
    sources = [...scanned, ...placed];
    origin = `${scanned.length} workspace file(s) (*.py, *.js, *.ts)${placed.length > 0 ? ` and ${placed.length} file(s) named by the sidecar's placements` : ''}`;
  }
  // The model.json is also a source of its own (its layer entries), unless already read.
  if (modelFileText !== undefined && !sources.some((s) => s.path === modelPath)) sources = [{ path: modelPath, text: modelFileText }, ...sources];
  return { modelFileText, sources, hints, origin, notes };
}

async function readSidecar(modelPath: string, notes: string[]): Promise<SourceHints | undefined> {
  for (const candidate of sidecarCandidates(modelPath)) {
    const text = await readText(vscode.Uri.file(candidate));
    if (text === undefined) continue;
    try {
      return parseSourceHints(
        text,
        candidate,
        (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
      );
    } catch (e) {
      notes.push(`ignored the sidecar file: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return undefined;
}

/** The hinted source files plus the files that explicit placements point into. */
function withPlacementFiles(hints: SourceHints): string[] {
  const files = new Set(hints.sourceFiles);
  for (const where of Object.values(hints.placements ?? {})) {
    const parsed = splitPlacement(where);
    if (parsed) files.add(parsed.file);
  }
  return [...files];
}

async function hintsFromSetting(modelUri: vscode.Uri, notes: string[]): Promise<SourceHints | undefined> {
  const raw = vscode.workspace.getConfiguration('gradientLens', modelUri).get<unknown>(SOURCE_FILES_KEY);
  const { rules, problems } = parseSourceFilesSetting(raw);
  notes.push(...problems);
  const folder = vscode.workspace.getWorkspaceFolder(modelUri);
  const matching = rulesForModel(rules, modelUri.fsPath, folder?.uri.fsPath);
  if (matching.length === 0) return undefined;
  const files = new Set<string>();
  for (const pattern of matching.flatMap((r) => r.files)) {
    if (hasGlob(pattern)) {
      const base = path.isAbsolute(pattern) ? undefined : folder;
      if (!base) {
        notes.push(`gradientLens.${SOURCE_FILES_KEY}: "${pattern}": globs must be relative to a workspace folder; ignored`);
        continue;
      }
      const found = await vscode.workspace.findFiles(new vscode.RelativePattern(base, pattern), SCAN_EXCLUDE, SCAN_LIMITS.maxFiles);
      found.forEach((u) => files.add(u.fsPath));
    } else {
      const absolute = path.isAbsolute(pattern) ? pattern : folder ? path.join(folder.uri.fsPath, pattern) : undefined;
      if (absolute) files.add(path.normalize(absolute));
    }
  }
  return { sourceFiles: [...files] };
}

async function scanWorkspace(modelPath: string, notes: string[]): Promise<SourceText[]> {
  const found = await vscode.workspace.findFiles(SCAN_INCLUDE, SCAN_EXCLUDE, SCAN_LIMITS.maxFound);
  const sized: FileSize[] = [];
  for (const uri of found) {
    try {
      sized.push({ path: uri.fsPath, size: (await vscode.workspace.fs.stat(uri)).size });
    } catch {
      // Deleted since findFiles: nothing to read.
    }
  }
  const { chosen, skipped } = chooseFiles(modelPath, sized);
  if (skipped > 0 || found.length >= SCAN_LIMITS.maxFound) {
    notes.push(
      `read ${chosen.length} of ${found.length}${found.length >= SCAN_LIMITS.maxFound ? '+' : ''} workspace source files (nearest to the model first; at most ${SCAN_LIMITS.maxFiles} files of up to ${SCAN_LIMITS.maxBytesPerFile / 1024} KB); point gradientLens.${SOURCE_FILES_KEY} or a sidecar file at the model's code to choose`,
    );
  }
  return readAll(chosen, notes);
}

async function readAll(paths: readonly string[], notes: string[]): Promise<SourceText[]> {
  const out: SourceText[] = [];
  for (const p of paths.slice(0, SCAN_LIMITS.maxFiles)) {
    const text = await readText(vscode.Uri.file(p));
    if (text === undefined) notes.push(`cannot read ${p}`);
    else out.push({ path: p, text });
  }
  return out;
}

/**
 * The file's current text: the open editor's (possibly unsaved) text, else the file on disk
 * as UTF-8; undefined when it does not exist or cannot be read.
 */
export async function readText(uri: vscode.Uri): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === uri.fsPath);
  if (open) return open.getText();
  try {
    return Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
  } catch {
    return undefined;
  }
}
