/**
 * Which files are models the extension offers to analyse. An .onnx file by its name; a
 * TensorFlow.js model by its content (a model.json may be called emotion.json), read cheaply:
 * a small file whole, a large one only at its two ends (modelTopology comes first and is the
 * bulk, weightsManifest follows it), so a workspace scan never reads whole weight-sized JSON.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Glob for vscode.workspace.findFiles: ONNX files and every JSON file (sniffed afterwards). */
export const MODEL_GLOB = '**/*.{onnx,json}';
/** Folders never searched for models. */
export const MODEL_EXCLUDE_GLOB = '**/{node_modules,.git,out,dist}/**';
/** At most this many JSON files are sniffed per scan (each costs two small reads). */
export const MAX_JSON_FILES_SCANNED = 2000;
/** Files up to this size are parsed whole; larger ones are judged by their ends. */
const WHOLE_READ_BYTES = 256 * 1024;
const END_BYTES = 64 * 1024;

/** Models recognised by the file name alone (what package.json `when` clauses can also see). */
export function isModelPath(filePath: string): boolean {
  const base = path.basename(filePath).toLowerCase();
  return base.endsWith('.onnx') || base === 'model.json';
}

export function isJsonPath(filePath: string): boolean {
  return path.extname(filePath).toLowerCase() === '.json';
}

export type ModelFormat = 'ONNX' | 'TensorFlow.js';

/**
 * Whether JSON text is a TensorFlow.js model: weightsManifest beside modelTopology (layers or
 * graph model) or a "format" of layers-model/graph-model. `complete` says the text is the whole
 * file (then it is parsed); otherwise it is the file's two ends and the keys are searched for.
 */
export function isTfjsModelText(text: string, complete: boolean): boolean {
  if (complete) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
    const o = parsed as Record<string, unknown>;
    const hasManifest = Array.isArray(o.weightsManifest);
    const hasTopology = typeof o.modelTopology === 'object' && o.modelTopology !== null;
    return hasManifest && (hasTopology || o.format === 'layers-model' || o.format === 'graph-model');
  }
  const hasManifest = /"weightsManifest"\s*:\s*\[/.test(text);
  const hasTopology = /"modelTopology"\s*:\s*\{/.test(text) || /"format"\s*:\s*"(?:layers|graph)-model"/.test(text);
  return hasManifest && hasTopology;
}

/** Reads the file (whole if small, else its two ends) and sniffs it; false for unreadable files. */
export async function isTfjsModelFile(filePath: string): Promise<boolean> {
  if (!isJsonPath(filePath)) return false;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(filePath, 'r');
    const { size } = await handle.stat();
    if (size <= WHOLE_READ_BYTES) {
      const buffer = Buffer.alloc(size);
      await handle.read(buffer, 0, size, 0);
      return isTfjsModelText(buffer.toString('utf8'), true);
    }
    const head = Buffer.alloc(END_BYTES);
    const tail = Buffer.alloc(END_BYTES);
    await handle.read(head, 0, END_BYTES, 0);
    await handle.read(tail, 0, END_BYTES, size - END_BYTES);
    // A separator that no key can span: a key cut at either end is simply not found.
    return isTfjsModelText(`${head.toString('utf8')}\u0000${tail.toString('utf8')}`, false);
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/** The model format of a file, by name (.onnx) or content (TensorFlow.js JSON); undefined if none. */
export async function modelFormatOf(filePath: string): Promise<ModelFormat | undefined> {
  if (path.extname(filePath).toLowerCase() === '.onnx') return 'ONNX';
  return (await isTfjsModelFile(filePath)) ? 'TensorFlow.js' : undefined;
}
