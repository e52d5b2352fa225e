/**
 * A folder of PNG or JPEG images as sample data. Images directly in the folder are unlabelled
 * samples; images in sub-folders are labelled by the sub-folder (classes are the sub-folder
 * names, sorted, so "cat", "dog" are classes 0 and 1). Files are listed in sorted order, so the
 * sample order and a seeded random choice are the same on every machine. Image sizes are read
 * from the file header and checked before any pixels are decoded.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { DATA_LIMITS, DataError } from './errors';
import { regularDataFileSize } from './regularFile';
import type { RgbaImage } from './imagePixels';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export interface ImageFolder {
  readonly folder: string;
  /** Absolute paths, sorted (by class, then by name). */
  readonly files: readonly string[];
  /** Class names (sorted sub-folder names); empty for a flat folder. */
  readonly classes: readonly string[];
  /** Class index of each file; empty for a flat folder. */
  readonly classOf: readonly number[];
}

function isImage(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());
}

/** Code-point order: the same on every machine and locale. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function listImages(dir: string, root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new DataError(root, `cannot list ${dir} (${e instanceof Error ? e.message : String(e)})`);
  }
  const files = names
    .filter(isImage)
    .sort(byCodePoint)
    .map((n) => path.join(dir, n));
  if (files.length > DATA_LIMITS.maxImageFiles) throw new DataError(root, `more than ${DATA_LIMITS.maxImageFiles} image files`);
  return files.filter((f) => statSync(f).isFile());
}

export function listImageFolder(folder: string): ImageFolder {
  let entries: string[];
  try {
    entries = readdirSync(folder).sort(byCodePoint);
  } catch (e) {
    throw new DataError(folder, `cannot list the image folder (${e instanceof Error ? e.message : String(e)})`);
  }
  const top = listImages(folder, folder);
  const subdirs = entries.filter((n) => !n.startsWith('.') && statSync(path.join(folder, n)).isDirectory());
  const classes: string[] = [];
  const files: string[] = [];
  const classOf: number[] = [];
  for (const sub of subdirs) {
    const inside = listImages(path.join(folder, sub), folder);
    if (inside.length === 0) continue;
    classes.push(sub);
    for (const f of inside) {
      files.push(f);
      classOf.push(classes.length - 1);
    }
    if (files.length > DATA_LIMITS.maxImageFiles) throw new DataError(folder, `more than ${DATA_LIMITS.maxImageFiles} image files`);
  }
  if (classes.length > 0 && top.length > 0) {
    throw new DataError(
      folder,
      `has both images (${path.basename(top[0])}, ...) and class sub-folders (${classes.join(', ')}); put every image in a class sub-folder, or none`,
    );
  }
  if (classes.length === 0 && top.length === 0) throw new DataError(folder, `no .png, .jpg or .jpeg images, directly or in sub-folders`);
  return classes.length > 0 ? { folder, files, classes, classOf } : { folder, files: top, classes: [], classOf: [] };
}

function checkSize(file: string, width: number, height: number): void {
  if (width < 1 || height < 1 || width > DATA_LIMITS.maxImageSide || height > DATA_LIMITS.maxImageSide || width * height > DATA_LIMITS.maxImagePixels) {
    throw new DataError(
      file,
      `image size ${width}x${height} is outside what is decoded (at most ${DATA_LIMITS.maxImageSide} per side and ${DATA_LIMITS.maxImagePixels} pixels)`,
    );
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes a PNG or JPEG (by its signature, not its name) to 8-bit RGBA. */
export function decodeImage(file: string): RgbaImage {
  regularDataFileSize(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  if (bytes.length >= 24 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) {
    // IHDR is the first chunk: width and height at bytes 16 and 20.
    checkSize(file, bytes.readUInt32BE(16), bytes.readUInt32BE(20));
    try {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    } catch (e) {
      throw new DataError(file, `not a readable PNG: ${pngProblem(e instanceof Error ? e.message : String(e), bytes)}`);
    }
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    try {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: DATA_LIMITS.maxImagePixels / 1e6,
        maxMemoryUsageInMB: 1024,
      });
      checkSize(file, img.width, img.height);
      return { width: img.width, height: img.height, data: img.data };
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(file, `not a readable JPEG (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  throw new DataError(file, 'not a PNG or JPEG image');
}

/**
 * pngjs reports some corrupt files with its internal assertions ("have should not go down"
 * when the pixel data inflates to more than the header's size): say what is wrong with the file.
 */
function pngProblem(message: string, bytes: Buffer): string {
  if (/should not go down|should not|assert/i.test(message)) {
    const [width, height] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
    return `its compressed pixel data is corrupt or longer than the ${width}x${height} image its header declares (decoder: "${message}")`;
  }
  return message;
}
