/**
 * Refuses a node before it runs when its output would be absurdly large. Loaders already
 * refuse oversized constants and inputs, but a crafted model can build a huge tensor from
 * small ones (Expand to [1e6, 1e6], Tile by 1e9, ConstantOfShape, a Resize scale of 1e5, an
 * outer-product MatMul, pads of 2^30). Allocating first and failing later would take the
 * machine's memory (or corrupt the wasm heap), so the executor asks this module for an upper
 * bound of each node's output element count, from input shapes and small shape inputs only.
 *
 * Ops missing from the table cannot produce more elements than their inputs hold (elementwise
 * on one input, reductions, reshapes, slices, concatenation, normalisation, activations), or
 * are bounded by the conv/pool estimate below.
 */
import type { GraphNode } from '../graph/ir';
import type { KernelContext, Tensor } from '../ops/kernel';
import { attrInts, attrNumber } from '../ops/kernelUtil';
import { ResourceError } from './resourceError';

export { ResourceError };


/** A ResourceError (same handling everywhere: the message says what to change), naming the node. */
export class TensorSizeError extends ResourceError {
  constructor(readonly nodeName: string, readonly opType: string, readonly elements: number, readonly limit: number, detail: string) {
    super(
      `node "${nodeName}" (${opType}) would produce ${formatCount(elements)} elements (${detail}), ` +
        `more than the ${formatCount(limit)} one tensor may hold under the memory limit; the model is refused before allocating it`,
    );
  }
}

function formatCount(n: number): string {
  return n >= 1e6 ? n.toExponential(2) : String(n);
}

type Inputs = readonly (Tensor | undefined)[];
/** An upper bound of the output element count and a short description of where it comes from. */
export type Bound = { readonly elements: number; readonly detail: string };
type Estimator = (inputs: Inputs, node: GraphNode, ctx: KernelContext) => Bound | undefined;

/** A dimension by index (negative from the end); 1 when absent, as broadcasting treats it. */
const at = (dims: readonly number[], i: number): number => dims[i < 0 ? dims.length + i : i] ?? 1;
const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
const shapeText = (dims: readonly number[]): string => `shape [${dims.join(', ')}]`;
const fromShape = (dims: readonly number[]): Bound => ({ elements: product(dims), detail: shapeText(dims) });

/** Numpy broadcasting of any number of shapes, without failing on mismatches (the kernel reports those). */
function broadcastAll(shapes: readonly (readonly number[])[]): number[] {
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

const broadcasting: Estimator = (inputs) => {
  const shapes = inputs.filter((t): t is Tensor => t !== undefined).map((t) => t.shape);
  return shapes.length >= 2 ? fromShape(broadcastAll(shapes)) : undefined;
};

const numbersAt = (inputs: Inputs, i: number, ctx: KernelContext): number[] | undefined => {
  const t = inputs[i];
  return t === undefined ? undefined : ctx.readNumbers(t);
};

/**
 * Output spatial extent bound of a conv or pool: the padded input divided by the stride,
 * rounded up (the window size only shrinks it; ceil_mode and SAME padding add at most one).
 */
function paddedSpatial(x: readonly number[], node: GraphNode): number[] {
  const channelsLast = node.attrs.channelsLast === true;
  const spatial = channelsLast ? x.slice(1, -1) : x.slice(2);
  const pads = attrInts(node.attrs, 'pads') ?? [];
  const strides = attrInts(node.attrs, 'strides') ?? [];
  const r = spatial.length;
  return spatial.map((d, i) => Math.ceil((d + Math.max(0, pads[i] ?? 0) + Math.max(0, pads[i + r] ?? 0)) / Math.max(1, strides[i] ?? 1)) + 1);
}

const SHAPE_ESTIMATORS: Readonly<Record<string, Estimator>> = {
  Expand: (inputs, _node, ctx) => {
    const x = inputs[0];
    const shape = numbersAt(inputs, 1, ctx);
    return x && shape ? fromShape(broadcastAll([x.shape, shape])) : undefined;
  },
  Tile: (inputs, _node, ctx) => {
    const x = inputs[0];
    const reps = numbersAt(inputs, 1, ctx);
    return x && reps ? fromShape(x.shape.map((d, i) => d * Math.max(0, reps[i] ?? 1))) : undefined;
  },
  ConstantOfShape: (inputs, _node, ctx) => {
    const shape = numbersAt(inputs, 0, ctx);
    return shape ? fromShape(shape.map((d) => Math.max(0, d))) : undefined;
  },
  Range: (inputs, _node, ctx) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => numbersAt(inputs, i, ctx)?.[0]);
    if (start === undefined || limit === undefined || delta === undefined || delta === 0) return undefined;
    const n = Math.max(0, Math.ceil((limit - start) / delta));
    return { elements: n, detail: `range ${start} to ${limit} step ${delta}` };
  },
  Resize: (inputs, node, ctx) => {
    const x = inputs[0];
    if (!x) return undefined;
    const axes = attrInts(node.attrs, 'axes') ?? x.shape.map((_, i) => i);
    const sizes = numbersAt(inputs, 3, ctx);
    const scales = numbersAt(inputs, 2, ctx);
    const out = [...x.shape];
    axes.forEach((a, j) => {
      const axis = a < 0 ? a + x.rank : a;
      if (sizes && sizes.length > 0) out[axis] = sizes[j] ?? out[axis];
      else if (scales && scales.length > 0) out[axis] = Math.floor(x.shape[axis] * (scales[j] ?? 1) + 1e-5);
    });
    return fromShape(out);
  },
  Pad: (inputs, _node, ctx) => {
    const x = inputs[0];
    const pads = numbersAt(inputs, 1, ctx);
    if (!x || !pads) return undefined;
    const axes = numbersAt(inputs, 3, ctx) ?? x.shape.map((_, i) => i);
    const out = [...x.shape];
    axes.forEach((a, j) => {
      const axis = a < 0 ? a + x.rank : a;
      out[axis] += Math.max(0, pads[j] ?? 0) + Math.max(0, pads[j + axes.length] ?? 0);
    });
    return fromShape(out);
  },
  MatMul: (inputs) => {
    const [a, b] = inputs;
    if (!a || !b || a.rank < 1 || b.rank < 1) return undefined;
    const m = a.rank >= 2 ? at(a.shape, -2) : 1;
    const n = b.rank >= 2 ? at(b.shape, -1) : 1;
    const batch = broadcastAll([a.shape.slice(0, -2), b.shape.slice(0, -2)]);
    return fromShape([...batch, m, n]);
  },
  Gemm: (inputs, node) => {
    const [a, b] = inputs;
    if (!a || !b || a.rank !== 2 || b.rank !== 2) return undefined;
    const m = attrNumber(node.attrs, 'transA', 0) ? at(a.shape, 1) : at(a.shape, 0);
    const n = attrNumber(node.attrs, 'transB', 0) ? at(b.shape, 0) : at(b.shape, 1);
    return fromShape([m, n]);
  },
  Gather: (inputs, node) => {
    const [data, indices] = inputs;
    if (!data || !indices) return undefined;
    const axis = attrNumber(node.attrs, 'axis', 0);
    const a = axis < 0 ? axis + data.rank : axis;
    return fromShape([...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)]);
  },
  Conv: (inputs, node) => {
    const [x, w] = inputs;
    if (!x || !w) return undefined;
    const channelsLast = node.attrs.channelsLast === true;
    const cout = channelsLast ? at(w.shape, -1) : at(w.shape, 0);
    return fromShape([at(x.shape, 0), cout, ...paddedSpatial(x.shape, node)]);
  },
  ConvTranspose: (inputs, node) => {
    const [x, w] = inputs;
    if (!x || !w) return undefined;
    const channelsLast = node.attrs.channelsLast === true;
    const group = attrNumber(node.attrs, 'group', 1);
    const cout = (channelsLast ? at(w.shape, -2) : at(w.shape, 1)) * group;
    const kernel = channelsLast ? w.shape.slice(0, -2) : w.shape.slice(2);
    const explicit = attrInts(node.attrs, 'output_shape');
    const spatialIn = channelsLast ? x.shape.slice(1, -1) : x.shape.slice(2);
    const strides = attrInts(node.attrs, 'strides') ?? [];
    const dilations = attrInts(node.attrs, 'dilations') ?? [];
    const outPad = attrInts(node.attrs, 'output_padding') ?? [];
    const spatial = explicit && explicit.length === spatialIn.length
      ? explicit
      : spatialIn.map((d, i) => d * (strides[i] ?? 1) + (at(kernel, i) - 1) * (dilations[i] ?? 1) + 1 + Math.max(0, outPad[i] ?? 0));
    return fromShape([at(x.shape, 0), cout, ...spatial]);
  },
};
const pool: Estimator = (inputs, node) => {
  const x = inputs[0];
  if (!x) return undefined;
  const channels = node.attrs.channelsLast === true ? at(x.shape, -1) : at(x.shape, 1);
  return fromShape([at(x.shape, 0), channels, ...paddedSpatial(x.shape, node)]);
};

const BROADCASTING_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mean', 'Sum', 'Where', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'PRelu'];

const ESTIMATORS: ReadonlyMap<string, Estimator> = new Map<string, Estimator>([
  ...Object.entries(SHAPE_ESTIMATORS),
  ['MaxPool', pool],
  ['AveragePool', pool],
  ...BROADCASTING_OPS.map((op): [string, Estimator] => [op, broadcasting]),
]);

/** An upper bound of `node`'s output element count, when its op can grow its inputs. */
export function outputElementBound(node: GraphNode, inputs: Inputs, ctx: KernelContext): Bound | undefined {
  return ESTIMATORS.get(node.op)?.(inputs, node, ctx);
}

/**
 * Throws a TensorSizeError when `node`'s output could exceed `maxElements`. Cheap: reads only
 * shapes and the small shape/scale/pad inputs the kernel would read anyway.
 */
export function checkOutputSize(node: GraphNode, inputs: Inputs, ctx: KernelContext, maxElements: number): void {
  const bound = outputElementBound(node, inputs, ctx);
  if (bound !== undefined && !(bound.elements <= maxElements)) {
    throw new TensorSizeError(node.name, node.op, bound.elements, maxElements, bound.detail);
  }
}
