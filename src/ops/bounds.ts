/**
 * Output-size bounds: each kernel says how many elements its output may hold, from its input
 * shapes and small shape inputs only, so the size guard (src/runtime/sizeGuard.ts) can refuse
 * a node before it allocates. A crafted model builds huge tensors from small ones (Expand to
 * [1e6, 1e6], Tile by 1e9, a Concat of one input repeated 1000 times, an outer-product Einsum,
 * pads of 2^30); allocating first would take the machine's memory or overrun the wasm heap.
 */
import type { GraphNode } from '../graph/ir';
import type { Bound, OutputBound, Tensor } from './kernel';
import { attrInts, attrNumber } from './kernelUtil';

export type { Bound, OutputBound };
type Inputs = readonly (Tensor | undefined)[];

/** A dimension by index (negative from the end); 1 when absent, as broadcasting treats it. */
export const at = (dims: readonly number[], i: number): number => dims[i < 0 ? dims.length + i : i] ?? 1;
const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
const shapeText = (dims: readonly number[]): string => `shape [${dims.join(', ')}]`;
export const fromShape = (dims: readonly number[]): Bound => ({ elements: product(dims), detail: shapeText(dims) });

/** Numpy broadcasting of any number of shapes, without failing on mismatches (the kernel reports those). */
export function broadcastAll(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    s.forEach((d, i) => {
      const j = rank - s.length + i;
      out[j] = Math.max(out[j], d);
    });
  }
  return out;
}

export const numbersAt = (inputs: Inputs, i: number, ctx: { readNumbers(t: Tensor): number[] }): number[] | undefined => {
  const t = inputs[i];
  return t === undefined ? undefined : ctx.readNumbers(t);
};

/** Ops whose output has no more elements than input 0 (elementwise, reductions, reshapes, slices, normalisations). */
export const noLargerThanInput: OutputBound = (inputs) => {
  const x = inputs[0];
  return x === undefined ? undefined : { elements: x.size, detail: `no larger than input 0 (${shapeText(x.shape)})` };
};

/** Numpy broadcasting of every present input (Add, Where, Sum, comparisons, ...). */
export const broadcasting: OutputBound = (inputs) => {
  const shapes = inputs.filter((t): t is Tensor => t !== undefined).map((t) => t.shape);
  return shapes.length === 0 ? undefined : fromShape(broadcastAll(shapes));
};

/** The sum of every input's elements, each occurrence counted (a Concat of one input repeated n times is n times it). */
export const sumOfInputs: OutputBound = (inputs) => {
  const present = inputs.filter((t): t is Tensor => t !== undefined);
  const elements = present.reduce((s, t) => s + t.size, 0);
  return { elements, detail: `the sum of its ${present.length} inputs` };
};

/** A shape vector (Shape, Size): as many elements as input 0 has dimensions. */
export const shapeVector: OutputBound = (inputs) => ({ elements: Math.max(1, inputs[0]?.rank ?? 1), detail: 'a shape vector' });

/**
 * Output spatial extent bound of a conv or pool: the padded input divided by the stride,
 * rounded up (the window size only shrinks it; ceil_mode and SAME padding add at most one).
 */
export function paddedSpatial(x: readonly number[], node: GraphNode): number[] {
  const channelsLast = node.attrs.channelsLast === true;
  const spatial = channelsLast ? x.slice(1, -1) : x.slice(2);
  const pads = attrInts(node.attrs, 'pads') ?? [];
  const strides = attrInts(node.attrs, 'strides') ?? [];
  const r = spatial.length;
  return spatial.map((d, i) => Math.ceil((d + Math.max(0, pads[i] ?? 0) + Math.max(0, pads[i + r] ?? 0)) / Math.max(1, strides[i] ?? 1)) + 1);
}

/** MaxPool, AveragePool: channels kept, spatial extent at most the padded input over the stride. */
export const pooled: OutputBound = (inputs, node) => {
  const x = inputs[0];
  if (!x) return undefined;
  const channels = node.attrs.channelsLast === true ? at(x.shape, -1) : at(x.shape, 1);
  return fromShape([at(x.shape, 0), channels, ...paddedSpatial(x.shape, node)]);
};

/** Gemm: [M, N] from the (possibly transposed) operands. */
export const gemmBound: OutputBound = (inputs, node) => {
  const [a, b] = inputs;
  if (!a || !b || a.rank !== 2 || b.rank !== 2) return undefined;
  const m = attrNumber(node.attrs, 'transA', 0) ? at(a.shape, 1) : at(a.shape, 0);
  const n = attrNumber(node.attrs, 'transB', 0) ? at(b.shape, 0) : at(b.shape, 1);
  return fromShape([m, n]);
};
