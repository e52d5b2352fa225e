/**
 * Reads the analysed samples from a data source into the model's per-sample input shape:
 * .npy, JSON, CSV, raw float32, or a folder of images. Only the chosen samples are read
 * (npy, raw float32, images), and every size is checked against DATA_LIMITS first.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { checkBatchSize, DataError } from './errors';
import { regularDataFileSize } from './regularFile';
import { NpyFile, type NpyDtype } from './npy';
import { readJsonData } from './json';
import { readCsvData } from './csv';
import { decodeImage, listImageFolder } from './images';
import { imageToSample, perChannel, type ImageLayout, type ImageTarget } from './imagePixels';
import { checkLabelCount, labelsFromDense, readLabelsFile, selectLabels, type Labels } from './labels';
import { chooseSamples, type SampleMode } from './sampling';

export type DataKind = 'npy' | 'json' | 'csv' | 'images' | 'float32';

/** Sample data chosen by the user (CLI --data, the extension's "Analyze With Data…"). */
export interface DataRequest {
  /** A file (.npy, .json, .csv, raw float32 .bin/.f32/.raw) or a folder of images. */
  readonly path: string;
  /** Optional labels file (.npy, .json, .csv) with one label per sample of `path`. */
  readonly labels?: string;
  /** CSV data: the column that holds the labels (header name or 0-based index). */
  readonly labelColumn?: string;
  /** Images: use the class sub-folder names as labels (default true when there are sub-folders). */
  readonly folderLabels?: boolean;
  /** The first N samples (default) or a random N seeded by the analysis seed. */
  readonly sample?: SampleMode;
  /** Images: per-channel mean and std applied to values in [0, 1] (defaults 0 and 1). */
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
}

export interface LoadedSamples {
  readonly kind: DataKind;
  readonly path: string;
  /** Samples the source holds. */
  readonly total: number;
  /** Which of them were taken (ascending). */
  readonly indices: readonly number[];
  /** indices.length samples in the model's per-sample shape, C order. */
  readonly values: Float32Array;
  readonly labels?: Labels;
  /** Images: the per-channel mean and std used. */
  readonly normalisation?: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** Images: the sample layout written. */
  readonly layout?: ImageLayout;
}

const RAW_FLOAT32_EXTENSIONS = ['.bin', '.f32', '.raw'];

export function dataKindOf(file: string): DataKind {
  let isDir: boolean;
  try {
    isDir = statSync(file).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'not found' : `cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  if (isDir) return 'images';
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  if (RAW_FLOAT32_EXTENSIONS.includes(ext)) return 'float32';
  throw new DataError(file, `unknown data file type "${ext || '(none)'}" (use .npy, .json, .csv, raw float32 .bin/.f32/.raw, or a folder of images)`);
}

export interface SampleTarget {
  /** The model input's name, for messages. */
  readonly inputName: string;
  /** Per-sample input shape (without the batch dimension). */
  readonly shape: readonly number[];
  /** The loader's description of the input layout ('NCHW', 'NHWC', 'features'), if any. */
  readonly layoutHint?: string;
}

const DATA_DTYPES: readonly NpyDtype[] = ['f4', 'f8', 'u1'];

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function shapeMismatch(file: string, target: SampleTarget, found: readonly number[], what = 'samples'): DataError {
  return new DataError(file, `the model input "${target.inputName}" expects ${what} of shape [${target.shape.join(', ')}], found [${found.join(', ')}]`);
}

/** Where the channel axis is, from the loader's hint or else from which axis looks like channels. */
export function imageTarget(file: string, target: SampleTarget): ImageTarget {
  const s = target.shape;
  const isChannels = (c: number): boolean => c === 1 || c === 3 || c === 4;
  if (s.length === 2) return { layout: 'HW', height: s[0], width: s[1], channels: 1 };
  if (s.length === 3) {
    let layout: ImageLayout | undefined;
    if (target.layoutHint === 'NCHW') layout = 'CHW';
    else if (target.layoutHint === 'NHWC') layout = 'HWC';
    else if (isChannels(s[2]) && !isChannels(s[0])) layout = 'HWC';
    else if (isChannels(s[0])) layout = 'CHW';
    if (layout !== undefined) {
      const [channels, height, width] = layout === 'CHW' ? [s[0], s[1], s[2]] : [s[2], s[0], s[1]];
      if (isChannels(channels)) return { layout, height, width, channels };
    }
  }
  throw new DataError(
    file,
    `the model input "${target.inputName}" has per-sample shape [${s.join(', ')}], which is not an image of 1, 3 or 4 channels ([C,H,W], [H,W,C] or [H,W])`,
  );
}

export interface SampleChoice {
  /** How many samples to take at most. */
  readonly count: number;
  readonly mode: SampleMode;
  readonly seed: number;
}

export function loadSamples(request: DataRequest, target: SampleTarget, choice: SampleChoice): LoadedSamples {
  const file = request.path;
  const kind = dataKindOf(file);
  const d = target.shape.reduce((a, b) => a * b, 1);
  const pick = (total: number): number[] => {
    if (total < 1) throw new DataError(file, 'holds no samples');
    const indices = chooseSamples(total, choice.count, choice.mode, choice.seed);
    checkBatchSize(file, indices.length * d, `${indices.length} samples of shape [${target.shape.join(', ')}]`);
    return indices;
  };
  const withLabels = (loaded: Omit<LoadedSamples, 'labels'>, own?: Labels): LoadedSamples => {
    let labels = own;
    if (request.labels !== undefined) {
      labels = readLabelsFile(request.labels);
      checkLabelCount(labels, loaded.total, file);
    }
    return labels ? { ...loaded, labels: selectLabels(labels, loaded.indices) } : loaded;
  };

  switch (kind) {
    case 'npy': {
      const npy = NpyFile.open(file);
      try {
        if (!DATA_DTYPES.includes(npy.header.dtype)) {
          throw new DataError(file, `unsupported dtype ${npy.header.dtype} for sample data (supported: float32, float64, uint8)`);
        }
        const found = npy.header.shape;
        if (found.length === 0 || !sameShape(found.slice(1), target.shape))
          throw shapeMismatch(file, target, found.slice(1), 'samples (the first axis counts samples)');
        const indices = pick(npy.rows);
        const values = npy.readRows(indices, new Float32Array(indices.length * d));
        return withLabels({ kind, path: file, total: npy.rows, indices, values });
      } finally {
        npy.close();
      }
    }
    case 'json': {
      const data = readJsonData(file);
      const found = data.inputs.shape;
      if (!sameShape(found.slice(1), target.shape)) throw shapeMismatch(file, target, found.slice(1), 'samples (the outer array lists samples)');
      const indices = pick(found[0]);
      const values = new Float32Array(indices.length * d);
      indices.forEach((r, k) => values.set(data.inputs.values.subarray(r * d, (r + 1) * d), k * d));
      if (data.labels && request.labels !== undefined) throw new DataError(file, `has "labels" and a labels file was given too (${request.labels}); use one`);
      return withLabels({ kind, path: file, total: found[0], indices, values }, data.labels && labelsFromDense(`${file}:labels`, data.labels));
    }
    case 'csv': {
      // The width is checked from the first rows, before the whole file is parsed.
      const csv = readCsvData(file, request.labelColumn, (featureCount, labelName) => {
        if (featureCount === d) return;
        throw new DataError(
          file,
          `the model input "${target.inputName}" expects ${d} features per sample (shape [${target.shape.join(', ')}]), found ${featureCount} numeric columns${labelName !== undefined ? ` besides the label column "${labelName}"` : ''}`,
        );
      });
      const indices = pick(csv.samples);
      const values = new Float32Array(indices.length * d);
      indices.forEach((r, k) => values.set(csv.features.subarray(r * d, (r + 1) * d), k * d));
      if (csv.labels && request.labels !== undefined)
        throw new DataError(file, `a label column and a labels file (${request.labels}) were both given; use one`);
      const own = csv.labels && { source: `${file}:${csv.labelColumn}`, sampleShape: [], values: csv.labels };
      return withLabels({ kind, path: file, total: csv.samples, indices, values }, own);
    }
    case 'float32':
      return withLabels(readRawFloat32(file, target, d, pick));
    case 'images': {
      const folder = listImageFolder(file);
      const t = imageTarget(file, target);
      const mean = perChannelOrError(file, request.mean ?? [0], t.channels, 'the mean');
      const std = perChannelOrError(file, request.std ?? [1], t.channels, 'the std');
      if (std.some((s) => !(s > 0) || !Number.isFinite(s))) throw new DataError(file, `the std must be positive (got ${std.join(', ')})`);
      const indices = pick(folder.files.length);
      const values = new Float32Array(indices.length * d);
      indices.forEach((r, k) => imageToSample(decodeImage(folder.files[r]), t, mean, std, values, k * d));
      const useFolders = folder.classes.length > 0 && request.folderLabels !== false && request.labels === undefined;
      const own: Labels | undefined = useFolders
        ? { source: `${file} (class sub-folders)`, sampleShape: [], values: Float64Array.from(folder.classOf), classes: folder.classes }
        : undefined;
      return withLabels({ kind, path: file, total: folder.files.length, indices, values, normalisation: { mean, std }, layout: t.layout }, own);
    }
  }
}

function perChannelOrError(file: string, values: readonly number[], channels: number, what: string): number[] {
  try {
    return perChannel(values, channels, what);
  } catch (e) {
    throw new DataError(file, e instanceof Error ? e.message : String(e));
  }
}

function readRawFloat32(file: string, target: SampleTarget, d: number, pick: (total: number) => number[]): Omit<LoadedSamples, 'labels'> {
  const size = regularDataFileSize(file);
  if (size === 0 || size % (4 * d) !== 0) {
    throw new DataError(file, `${size} bytes is not a whole number of float32 samples of shape [${target.shape.join(', ')}] (${4 * d} bytes each)`);
  }
  const total = size / (4 * d);
  const indices = pick(total);
  const values = new Float32Array(indices.length * d);
  const buf = Buffer.alloc(4 * d);
  const fd = openSync(file, 'r');
  try {
    indices.forEach((r, k) => {
      readSync(fd, buf, 0, buf.length, r * 4 * d);
      for (let i = 0; i < d; i++) values[k * d + i] = buf.readFloatLE(4 * i);
    });
  } finally {
    closeSync(fd);
  }
  return { kind: 'float32', path: file, total, indices, values };
}
