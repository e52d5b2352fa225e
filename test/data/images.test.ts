/** Image samples: decode, bilinear resize with half-pixel centres, normalisation and layout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { imageToSample, resizeBilinear } from '../../src/data/imagePixels';
import { decodeImage, listImageFolder } from '../../src/data/images';
import { loadSamples } from '../../src/data/samples';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-img-'));

/** A PNG of the given RGBA pixels (row-major). */
function png(width: number, height: number, rgba: number[]): Buffer {
  const img = new PNG({ width, height });
  img.data.set(rgba);
  return PNG.sync.write(img);
}

function close(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
}

test('bilinear 2x2 -> 4x4 with half-pixel centres: out[y][x] = a + wx(b-a) + wy(c-a) on a planar image', () => {
  // Source [[0, 1], [2, 3]] is the plane v = x + 2y; the sampling weights along each axis are
  // clamp((o + 0.5) / 2 - 0.5, 0, 1) = [0, 0.25, 0.75, 1].
  const out = resizeBilinear(Float32Array.from([0, 1, 2, 3]), 2, 2, 4, 4);
  const w = [0, 0.25, 0.75, 1];
  close(
    out,
    w.flatMap((wy) => w.map((wx) => wx + 2 * wy)),
  );
  // Shrinking 4x4 -> 2x2 samples source positions 0.5 and 2.5: the mean of each 2x2 quad.
  const big = Float32Array.from({ length: 16 }, (_, i) => i);
  close(resizeBilinear(big, 4, 4, 2, 2), [2.5, 4.5, 10.5, 12.5]);
});

test('a known 2x2 PNG: resized, normalised with mean/std and laid out CHW and HWC', () => {
  // Pixels (R, G, B): red, green / blue, white.
  const rgba = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255];
  const file = path.join(dir, 'quad.png');
  writeFileSync(file, png(2, 2, rgba));
  const img = decodeImage(file);
  assert.deepEqual([img.width, img.height], [2, 2]);
  assert.deepEqual(Array.from(img.data), rgba);

  // Same size, mean 0.5, std 0.25: 0 -> -2 and 1 -> 2.
  const chw = new Float32Array(12);
  imageToSample(img, { layout: 'CHW', height: 2, width: 2, channels: 3 }, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], chw, 0);
  close(chw, [2, -2, -2, 2, /* G */ -2, 2, -2, 2, /* B */ -2, -2, 2, 2]);
  const hwc = new Float32Array(12);
  imageToSample(img, { layout: 'HWC', height: 2, width: 2, channels: 3 }, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], hwc, 0);
  close(hwc, [2, -2, -2, -2, 2, -2, -2, -2, 2, 2, 2, 2]);

  // Resized to 4x4 (red channel = [[1, 0], [0, 1]] plane), default 0..1 scaling.
  const big = new Float32Array(3 * 16);
  imageToSample(img, { layout: 'CHW', height: 4, width: 4, channels: 3 }, [0, 0, 0], [1, 1, 1], big, 0);
  const w = [0, 0.25, 0.75, 1];
  const red = w.flatMap((wy) => w.map((wx) => (1 - wy) * (1 - wx) + wy * wx));
  close(big.subarray(0, 16), red);

  // Grey: BT.601 luma of each pixel.
  const grey = new Float32Array(4);
  imageToSample(img, { layout: 'HW', height: 2, width: 2, channels: 1 }, [0], [1], grey, 0);
  close(grey, [0.299, 0.587, 0.114, 1], 1e-6);
});

test('a folder of class sub-folders: sorted classes as labels, PNG and JPEG, NHWC from the layout hint', () => {
  const root = path.join(dir, 'classes');
  for (const c of ['dog', 'cat']) mkdirSync(path.join(root, c), { recursive: true });
  // A flat-grey JPEG survives compression almost exactly; PNG is lossless.
  const greyJpeg = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4, 128) }, 100).data;
  writeFileSync(path.join(root, 'dog', 'b.jpg'), greyJpeg);
  writeFileSync(path.join(root, 'cat', 'a.png'), png(1, 1, [255, 255, 255, 255]));
  writeFileSync(path.join(root, 'cat', 'c.png'), png(1, 1, [0, 0, 0, 255]));
  const folder = listImageFolder(root);
  assert.deepEqual(folder.classes, ['cat', 'dog']);
  assert.deepEqual(
    folder.files.map((f) => path.relative(root, f)),
    ['cat/a.png', 'cat/c.png', 'dog/b.jpg'],
  );
  const s = loadSamples({ path: root }, { inputName: 'img', shape: [2, 2, 3], layoutHint: 'NHWC' }, { count: 10, mode: 'first', seed: 0 });
  assert.equal(s.layout, 'HWC');
  assert.deepEqual(Array.from(s.labels!.values), [0, 0, 1]);
  assert.deepEqual(s.labels!.classes, ['cat', 'dog']);
  close(s.values.subarray(0, 12), new Array(12).fill(1));
  close(s.values.subarray(12, 24), new Array(12).fill(0));
  close(s.values.subarray(24, 36), new Array(12).fill(128 / 255), 2 / 255);
});

test('bad images, mixed folders and non-image inputs are refused naming the file', () => {
  const bad = path.join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(path.join(bad, 'x.png'), 'not a png');
  assert.throws(
    () => loadSamples({ path: bad }, { inputName: 'img', shape: [3, 2, 2] }, { count: 2, mode: 'first', seed: 0 }),
    /bad\/x\.png: not a PNG or JPEG image/,
  );
  // A PNG header claiming 100000 x 100000 pixels is refused before decoding.
  const huge = png(1, 1, [0, 0, 0, 255]);
  huge.writeUInt32BE(100000, 16);
  huge.writeUInt32BE(100000, 20);
  writeFileSync(path.join(bad, 'x.png'), huge);
  assert.throws(() => decodeImage(path.join(bad, 'x.png')), /x\.png: image size 100000x100000 is outside/);
  const mixed = path.join(dir, 'mixed');
  mkdirSync(path.join(mixed, 'a'), { recursive: true });
  writeFileSync(path.join(mixed, 'top.png'), png(1, 1, [0, 0, 0, 255]));
  writeFileSync(path.join(mixed, 'a', 'in.png'), png(1, 1, [0, 0, 0, 255]));
  assert.throws(() => listImageFolder(mixed), /mixed: has both images/);
  assert.throws(
    () => loadSamples({ path: mixed + '/a' }, { inputName: 'x', shape: [100] }, { count: 2, mode: 'first', seed: 0 }),
    /the model input "x" has per-sample shape \[100\], which is not an image/,
  );
});
