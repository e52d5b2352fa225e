/**
 * Direct loop implementations of convolution, transposed convolution and pooling in the ONNX
 * layout (N, C, spatial...), written from the ONNX definitions with no shared code with the
 * kernels: the independent reference of the forward tests.
 */

export interface NdArray {
  readonly shape: number[];
  readonly data: number[];
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Every multi-index of a shape, in row-major order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    yield [...idx];
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
}

export interface ConvParams {
  strides?: number[];
  dilations?: number[];
  /** [begin..., end...] */
  pads?: number[];
  group?: number;
}

/** ONNX Conv: x [N, C, s...], w [M, C/group, k...], bias [M]. */
export function naiveConv(x: NdArray, w: NdArray, p: ConvParams, bias?: number[]): NdArray {
  const r = x.shape.length - 2;
  const st = p.strides ?? new Array<number>(r).fill(1);
  const dl = p.dilations ?? new Array<number>(r).fill(1);
  const pads = p.pads ?? new Array<number>(2 * r).fill(0);
  const group = p.group ?? 1;
  const [n, c] = x.shape;
  const m = w.shape[0];
  const cg = c / group;
  const k = w.shape.slice(2);
  const outSp = x.shape.slice(2).map((h, i) => Math.floor((h + pads[i] + pads[i + r] - (k[i] - 1) * dl[i] - 1) / st[i]) + 1);
  const outShape = [n, m, ...outSp];
  const xs = strides(x.shape);
  const ws = strides(w.shape);
  const data: number[] = [];
  for (const [b, o, ...pos] of indices(outShape)) {
    const g = Math.floor(o / (m / group));
    let acc = bias ? bias[o] : 0;
    for (let ci = 0; ci < cg; ci++) {
      for (const kk of indices(k)) {
        const src = pos.map((q, i) => q * st[i] + kk[i] * dl[i] - pads[i]);
        if (src.some((v, i) => v < 0 || v >= x.shape[i + 2])) continue;
        let xi = b * xs[0] + (g * cg + ci) * xs[1];
        src.forEach((v, i) => (xi += v * xs[i + 2]));
        let wi = o * ws[0] + ci * ws[1];
        kk.forEach((v, i) => (wi += v * ws[i + 2]));
        acc += x.data[xi] * w.data[wi];
      }
    }
    data.push(acc);
  }
  return { shape: outShape, data };
}

/** ONNX ConvTranspose by scattering each input element: x [N, C, s...], w [C, M/group, k...]. */
export function naiveConvTranspose(x: NdArray, w: NdArray, p: ConvParams & { outputPadding?: number[] }, bias?: number[]): NdArray {
  const r = x.shape.length - 2;
  const st = p.strides ?? new Array<number>(r).fill(1);
  const dl = p.dilations ?? new Array<number>(r).fill(1);
  const pads = p.pads ?? new Array<number>(2 * r).fill(0);
  const op = p.outputPadding ?? new Array<number>(r).fill(0);
  const group = p.group ?? 1;
  const [n, c] = x.shape;
  const mg = w.shape[1];
  const m = mg * group;
  const k = w.shape.slice(2);
  const outSp = x.shape.slice(2).map((h, i) => st[i] * (h - 1) + op[i] + (k[i] - 1) * dl[i] + 1 - pads[i] - pads[i + r]);
  const outShape = [n, m, ...outSp];
  const os = strides(outShape);
  const ws = strides(w.shape);
  const data = new Array<number>(outShape.reduce((a, b) => a * b, 1)).fill(0);
  if (bias) for (const [b, o, ...pos] of indices(outShape)) data[b * os[0] + o * os[1] + pos.reduce((a, v, i) => a + v * os[i + 2], 0)] = bias[o];
  const xs = strides(x.shape);
  for (const [b, ci, ...pos] of indices(x.shape)) {
    const g = Math.floor(ci / (c / group));
    const v = x.data[b * xs[0] + ci * xs[1] + pos.reduce((a, q, i) => a + q * xs[i + 2], 0)];
    for (let ol = 0; ol < mg; ol++) {
      for (const kk of indices(k)) {
        const dst = pos.map((q, i) => q * st[i] + kk[i] * dl[i] - pads[i]);
        if (dst.some((d, i) => d < 0 || d >= outSp[i])) continue;
        const wi = ci * ws[0] + ol * ws[1] + kk.reduce((a, q, i) => a + q * ws[i + 2], 0);
        const oi = b * os[0] + (g * mg + ol) * os[1] + dst.reduce((a, q, i) => a + q * os[i + 2], 0);
        data[oi] += v * w.data[wi];
      }
    }
  }
  return { shape: outShape, data };
}

export interface PoolParams {
  kernel: number[];
  strides?: number[];
  dilations?: number[];
  pads?: number[];
  /** Output spatial sizes (ceil_mode decided by the caller). */
  out?: number[];
  countIncludePad?: boolean;
}

/** ONNX MaxPool / AveragePool over x [N, C, s...]. */
export function naivePool(x: NdArray, kind: 'max' | 'avg', p: PoolParams): NdArray {
  const r = x.shape.length - 2;
  const st = p.strides ?? new Array<number>(r).fill(1);
  const dl = p.dilations ?? new Array<number>(r).fill(1);
  const pads = p.pads ?? new Array<number>(2 * r).fill(0);
  const outSp = p.out ?? x.shape.slice(2).map((h, i) => Math.floor((h + pads[i] + pads[i + r] - (p.kernel[i] - 1) * dl[i] - 1) / st[i]) + 1);
  const outShape = [x.shape[0], x.shape[1], ...outSp];
  const xs = strides(x.shape);
  const data: number[] = [];
  for (const [b, c, ...pos] of indices(outShape)) {
    let acc = kind === 'max' ? -Infinity : 0;
    let count = 0;
    for (const kk of indices(p.kernel)) {
      const src = pos.map((q, i) => q * st[i] + kk[i] * dl[i] - pads[i]);
      const inPadded = src.every((v, i) => v >= -pads[i] && v < x.shape[i + 2] + pads[i + r]);
      const inside = src.every((v, i) => v >= 0 && v < x.shape[i + 2]);
      if (!inside) {
        if (inPadded && p.countIncludePad) count++;
        continue;
      }
      const v = x.data[b * xs[0] + c * xs[1] + src.reduce((a, q, i) => a + q * xs[i + 2], 0)];
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
      count++;
    }
    data.push(kind === 'max' ? acc : acc / count);
  }
  return { shape: outShape, data };
}
