/**
 * The pure half of "Export Report…": format choices, the default file name, and the checks
 * that keep an export from ever overwriting the model. No vscode import (unit-tested).
 */
import * as path from 'node:path';
import { EXPORT_EXTENSIONS, formatFromFileName, type ExportFormat } from '../../report/export';

export interface FormatChoice {
  readonly format: ExportFormat;
  readonly label: string;
  readonly detail: string;
  /** Name of the save dialog's file filter. */
  readonly filterName: string;
}

export const FORMAT_CHOICES: readonly FormatChoice[] = [
  {
    format: 'md',
    label: 'Markdown',
    detail: 'Header, block table with flags, growth, nonlinearities and warnings: paste into a pull request',
    filterName: 'Markdown',
  },
  { format: 'html', label: 'HTML', detail: 'One self-contained page with the charts and tables; opens offline, loads nothing', filterName: 'HTML' },
  { format: 'json', label: 'JSON', detail: 'The full report (same schema as the CLI --json); reopen or compare it later', filterName: 'Gradient Lens report' },
  { format: 'csv', label: 'CSV', detail: 'One row per block, full precision, for spreadsheets', filterName: 'CSV' },
];

export function formatChoice(format: ExportFormat): FormatChoice {
  const choice = FORMAT_CHOICES.find((c) => c.format === format);
  if (!choice) throw new Error(`unknown export format ${String(format)}`);
  return choice;
}

/** Extensions of files that hold models or weights: an export never writes to one. */
const MODEL_EXTENSIONS = new Set(['.onnx', '.bin', '.pb', '.h5', '.hdf5', '.keras', '.pt', '.pth', '.safetensors', '.tflite', '.ckpt', '.npz']);

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * `<folder>/<model stem>.gradient-lens.<ext>` next to the model when the model is inside an
 * open workspace folder (or there is none); otherwise in the first workspace folder, since a
 * model elsewhere may sit in a folder the user does not want written to.
 */
export function defaultExportPath(modelPath: string, format: ExportFormat, workspaceRoots: readonly string[] = []): string {
  const base = path.basename(modelPath);
  const stem = base.replace(/\.(onnx|json)$/i, '') || 'report';
  const name = `${stem}.gradient-lens.${EXPORT_EXTENSIONS[format]}`;
  const dir = path.dirname(modelPath);
  if (workspaceRoots.length === 0 || workspaceRoots.some((root) => isInside(modelPath, root))) return path.join(dir, name);
  return path.join(workspaceRoots[0], name);
}

/** The chosen path with the format's extension added when it has none (or another one). */
export function withFormatExtension(target: string, format: ExportFormat): string {
  return formatFromFileName(target) === format ? target : `${target}.${EXPORT_EXTENSIONS[format]}`;
}

/**
 * Why the export must not be written to `target`, or undefined when it may be. `modelFiles`
 * are the model file and its weight files (what the content hash covers).
 */
export function exportRefusal(target: string, modelFiles: readonly string[]): string | undefined {
  const resolved = path.resolve(target);
  if (modelFiles.some((f) => path.resolve(f) === resolved)) return `${path.basename(target)} is the model itself; choose another file name`;
  if (MODEL_EXTENSIONS.has(path.extname(target).toLowerCase()))
    return `${path.basename(target)} looks like a model or weight file; exports are written only to .md, .html, .json or .csv files`;
  if (path.basename(target).toLowerCase() === 'model.json') return 'model.json is the name of a TensorFlow.js model; choose another file name';
  return undefined;
}
