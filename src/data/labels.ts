/**
 * Labels for the samples: from an .npy or JSON file (one entry per sample of the data
 * source, in its order), a CSV column, or image class sub-folders. Kept as numbers per sample;
 * whether they are class indices or regression targets is decided against the model output
 * (reference.ts).
 */
import * as path from 'node:path';
import { DATA_LIMITS, DataError } from './errors';
import { denseFromNested, type DenseArray } from './json';
import { NpyFile } from './npy';
import { readTextData } from './textFile';
import { parseCsvTable } from './csv';

export interface Labels {
  /** What the labels came from, for the report: a file path, `file.csv:column`, or the image folder. */
  readonly source: string;
  /** Shape of one sample's label ([] for a class index or a scalar target). */
  readonly sampleShape: readonly number[];
  /** Label values of every sample, C order. */
  readonly values: Float64Array;
  /** Class names, when the labels are image sub-folders. */
  readonly classes?: readonly string[];
}

/** The labels of the samples at `indices` (ascending indices into the source's samples). */
export function selectLabels(labels: Labels, indices: readonly number[]): Labels {
  const per = labels.sampleShape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(indices.length * per);
  indices.forEach((r, k) => values.set(labels.values.subarray(r * per, (r + 1) * per), k * per));
  return { ...labels, values };
}

/** Labels from a dense array whose first axis is the sample. */
export function labelsFromDense(source: string, dense: DenseArray): Labels {
  return { source, sampleShape: dense.shape.slice(1), values: dense.values };
}

/**
 * A labels file: .npy (any integer or float dtype), .json (an array, or {"labels": [...]}), or
 * a one-column CSV (a header row is allowed).
 */
export function readLabelsFile(file: string): Labels {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') {
    const npy = NpyFile.open(file);
    try {
      const count = npy.rows * npy.rowElements;
      if (count > DATA_LIMITS.maxLabelElements) throw new DataError(file, `${count} label values is more than the limit of ${DATA_LIMITS.maxLabelElements}`);
      const values = npy.readRows(
        Array.from({ length: npy.rows }, (_, i) => i),
        new Float64Array(count),
      );
      const shape = npy.header.shape.length === 0 ? [1] : npy.header.shape;
      return { source: file, sampleShape: shape.slice(1), values };
    } finally {
      npy.close();
    }
  }
  if (ext === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(readTextData(file));
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    const inner = typeof value === 'object' && value !== null && !Array.isArray(value) && 'labels' in value ? (value as { labels: unknown }).labels : value;
    return labelsFromDense(file, denseFromNested(file, inner, 'the labels'));
  }
  if (ext === '.csv' || ext === '.txt') {
    const table = parseCsvTable(readTextData(file));
    const width = table.rows[0]?.length ?? 0;
    if (width !== 1)
      throw new DataError(file, `a labels CSV needs exactly one column (found ${width}); for a label column inside the data CSV use --label-column`);
    const values = new Float64Array(table.rows.length);
    table.rows.forEach((row, r) => {
      const v = Number(row[0]);
      if (row.length !== 1 || row[0] === '' || !Number.isFinite(v)) throw new DataError(file, `line ${table.lines[r]}: "${row.join(',')}" is not a number`);
      values[r] = v;
    });
    return { source: file, sampleShape: [], values };
  }
  throw new DataError(file, `unsupported labels file type "${ext || '(none)'}" (use .npy, .json or .csv)`);
}

/** Labels read elsewhere must have one entry per sample of the data source. */
export function checkLabelCount(labels: Labels, samples: number, dataPath: string): void {
  const per = labels.sampleShape.reduce((a, b) => a * b, 1);
  const count = per === 0 ? 0 : labels.values.length / per;
  if (count !== samples) {
    throw new DataError(labels.source, `has ${count} labels but the data ${dataPath} has ${samples} samples; give one label per sample, in the same order`);
  }
}
