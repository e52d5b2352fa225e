/**
 * Pure pixel arithmetic for image samples: channel extraction, bilinear resize, normalisation
 * and layout. No file access, so the numbers are easy to test on tiny known images.
 */

/** Decoded 8-bit RGBA pixels, row-major. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Where the channel axis of one sample lies: [C,H,W], [H,W,C], or no channel axis [H,W]. */
export type ImageLayout = 'CHW' | 'HWC' | 'HW';

export interface ImageTarget {
  readonly layout: ImageLayout;
  readonly height: number;
  readonly width: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
}

/** Per-channel planes in [0, 1]: grey uses the ITU-R BT.601 luma weights (as PIL's "L" mode). */
export function channelPlanes(img: RgbaImage, channels: number): Float32Array[] {
  const n = img.width * img.height;
  const planes = Array.from({ length: channels }, () => new Float32Array(n));
  for (let p = 0; p < n; p++) {
    const r = img.data[4 * p];
    const g = img.data[4 * p + 1];
    const b = img.data[4 * p + 2];
    if (channels === 1) {
      planes[0][p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    } else {
      for (let c = 0; c < channels; c++) planes[c][p] = img.data[4 * p + c] / 255;
    }
  }
  return planes;
}

/**
 * Bilinear resize with half-pixel centres (TensorFlow's half_pixel_centers, PyTorch's
 * align_corners=False): output pixel y samples source row (y + 0.5) * inH / outH - 0.5,
 * clamped to the image. No antialiasing when shrinking.
 */
export function resizeBilinear(plane: Float32Array, inH: number, inW: number, outH: number, outW: number): Float32Array {
  if (inH === outH && inW === outW) return plane;
  const out = new Float32Array(outH * outW);
  const axis = (inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; w: Float32Array } => {
    const lo = new Int32Array(outSize);
    const hi = new Int32Array(outSize);
    const w = new Float32Array(outSize);
    for (let o = 0; o < outSize; o++) {
      const s = Math.min(Math.max(((o + 0.5) * inSize) / outSize - 0.5, 0), inSize - 1);
      lo[o] = Math.floor(s);
      hi[o] = Math.min(lo[o] + 1, inSize - 1);
      w[o] = s - lo[o];
    }
    return { lo, hi, w };
  };
  const ys = axis(inH, outH);
  const xs = axis(inW, outW);
  for (let y = 0; y < outH; y++) {
    const r0 = ys.lo[y] * inW;
    const r1 = ys.hi[y] * inW;
    const wy = ys.w[y];
    for (let x = 0; x < outW; x++) {
      const wx = xs.w[x];
      const top = plane[r0 + xs.lo[x]] * (1 - wx) + plane[r0 + xs.hi[x]] * wx;
      const bottom = plane[r1 + xs.lo[x]] * (1 - wx) + plane[r1 + xs.hi[x]] * wx;
      out[y * outW + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** One value per channel from a list of 1 (shared) or C values. */
export function perChannel(values: readonly number[], channels: number, what: string): number[] {
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels) throw new Error(`${what} has ${values.length} values; the model input has ${channels} channels (give 1 or ${channels})`);
  return [...values];
}

/**
 * One image as the model's sample: resized to the target H x W, normalised per channel as
 * (v - mean) / std with v in [0, 1], written into `out` at `offset` in the target layout.
 */
export function imageToSample(img: RgbaImage, target: ImageTarget, mean: readonly number[], std: readonly number[], out: Float32Array, offset: number): void {
  const { height: H, width: W, channels: C, layout } = target;
  const planes = channelPlanes(img, C).map((p) => resizeBilinear(p, img.height, img.width, H, W));
  for (let c = 0; c < C; c++) {
    const plane = planes[c];
    const m = mean[c];
    const s = std[c];
    for (let p = 0; p < H * W; p++) {
      const v = (plane[p] - m) / s;
      out[offset + (layout === 'HWC' ? p * C + c : c * H * W + p)] = v;
    }
  }
}
