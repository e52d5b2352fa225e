/**
 * Constant folding of the models built for ONNX Runtime, in JavaScript, before a session sees
 * them. A recorded reverse pass reads the weights through nodes whose inputs are all
 * initializers: each convolution's kernel is transposed to ONNX's [O, I, k...], a batch
 * normalisation's scale is Mul(gamma, Reciprocal(Sqrt(Add(var, eps)))), a scatter's indices are
 * cast to int64. ONNX Runtime folds such nodes itself when it builds the session, but slowly:
 * each folded value goes through a TensorProto and back. Measured on the ResNet-18-sized
 * model's GSC pass (607 nodes, 55 MB of weights): the session took 780 ms to build (level
 * 'all'; 578 ms at 'basic', 83 ms with no optimisation); with the 201 constant nodes folded
 * beforehand, 350 ms (82 ms at 'basic'). A transposed or cast weight is computed once per
 * array (graph/constants.ts transposeValues) and reused by every later session that reads it
 * (the GSC pass, the block matrix, the per-convolution sessions); a model kernel that the
 * layout pass made channels-last is found channels-first there without any work.
 *
 * Only ops whose result is cheap to compute and not larger than their largest input are
 * folded (no Expand of a fill to an activation's size); every other node stays for ONNX
 * Runtime. Float32 arithmetic gives the numbers ORT would: each op is computed in double and
 * rounded once, which for +, -, *, / and sqrt of float32 operands is the float32 result.
 */
import { rowMajorStrides, transposeValues } from '../graph/constants';
import type { AttributeValue, ElemType, Initializer, ModelSpec, NodeSpec } from './ortModel';

type Data = Initializer['data'];

interface Constant {
  readonly shape: readonly number[];
  readonly data: Data;
  readonly dtype: ElemType;
  readonly transposes?: ReadonlyMap<string, Float32Array>;
}

/** Largest result of an elementwise or Concat fold (the batch-norm parameters are a few hundred). */
const MAX_COMPUTED_ELEMENTS = 1 << 16;

/** A model with every foldable constant node replaced by an initializer; unused initializers dropped. */
export function foldConstants(spec: ModelSpec): ModelSpec {
  const initializers = spec.initializers ?? [];
  const known = new Map<string, Constant>();
  // `data` is read only by a fold that needs it: an initializer's may be made on first read.
  for (const t of initializers)
    known.set(t.name, {
      shape: t.shape,
      get data(): Data {
        return t.data;
      },
      dtype: t.dtype ?? 'float32',
      transposes: t.transposes,
    });
  const graphOutputs = new Set(spec.outputs.map((o) => o.name));
  const nodes: NodeSpec[] = [];
  const folded: Initializer[] = [];
  // A family of passes reads each weight once per pass: the same fold of the same constant is
  // one initializer (else ORT would hold one copy per pass), found by the fold's key.
  const byKey = new Map<string, string>();
  const alias = new Map<string, string>();
  const nameOf = (name: string): string => alias.get(name) ?? name;
  for (const original of spec.nodes) {
    const node = original.inputs.some((i) => alias.has(i)) ? { ...original, inputs: original.inputs.map(nameOf) } : original;
    const inputs = node.inputs.map((name) => (name === '' ? undefined : known.get(name)));
    const foldable = node.outputs.length === 1 && !graphOutputs.has(node.outputs[0]) && inputs.every((c, i) => c !== undefined || node.inputs[i] === '');
    const key = foldable ? foldKey(node, inputs) : undefined;
    const same = key === undefined ? undefined : byKey.get(key);
    if (same !== undefined) {
      alias.set(node.outputs[0], same);
      continue;
    }
    const result = foldable ? evaluate(node, inputs) : undefined;
    if (result === undefined) {
      nodes.push(node);
      continue;
    }
    known.set(node.outputs[0], result);
    if (key !== undefined) byKey.set(key, node.outputs[0]);
    folded.push({ name: node.outputs[0], shape: [...result.shape], data: result.data, dtype: result.dtype });
  }
  if (folded.length === 0) return spec;
  const used = new Set([...nodes.flatMap((n) => n.inputs), ...graphOutputs]);
  return { ...spec, nodes, initializers: [...initializers, ...folded].filter((t) => used.has(t.name)) };
}

/** Constants of at most this many elements are told apart by value in foldKey (scalars like a batch norm's epsilon are recorded once per use). */
const BY_VALUE_ELEMENTS = 16;

/** What identifies a fold's result: the op, its attributes and its inputs (small ones by value, others by name). */
function foldKey(node: NodeSpec, inputs: readonly (Constant | undefined)[]): string {
  const operand = (c: Constant | undefined, i: number): string =>
    c !== undefined && c.shape.reduce((a, b) => a * b, 1) <= BY_VALUE_ELEMENTS
      ? `${c.dtype}[${c.shape.join(',')}]=${Array.from(c.data as ArrayLike<number | bigint>).join(',')}`
      : node.inputs[i];
  return `${node.op} ${JSON.stringify(node.attrs ?? {})} ${inputs.map(operand).join(' ')}`;
}

function evaluate(node: NodeSpec, inputs: readonly (Constant | undefined)[]): Constant | undefined {
  const [x] = inputs;
  if (x === undefined) return undefined;
  switch (node.op) {
    case 'Identity':
      return x;
    case 'Reshape':
      // allowzero 1 reads a 0 as an empty dimension; the recorded graphs never set it.
      return node.attrs?.allowzero === 1 ? undefined : reshaped(x, reshapeTarget(x.shape, intsOf(inputs[1])));
    case 'Unsqueeze':
      return reshaped(x, unsqueezed(x.shape, intsOf(inputs[1])));
    case 'Squeeze':
      return reshaped(x, squeezed(x.shape, inputs[1] === undefined ? undefined : intsOf(inputs[1])));
    case 'Transpose':
      return transposeConstant(x, permOf(node.attrs?.perm, x.shape.length));
    case 'Cast':
      return castConstant(x, node.attrs?.to);
    case 'Sqrt':
      return unaryFloat(x, Math.sqrt);
    case 'Reciprocal':
      return unaryFloat(x, (v) => 1 / v);
    case 'Neg':
      return unaryFloat(x, (v) => -v);
    case 'Add':
      return binaryFloat(x, inputs[1], (a, b) => a + b);
    case 'Sub':
      return binaryFloat(x, inputs[1], (a, b) => a - b);
    case 'Mul':
      return binaryFloat(x, inputs[1], (a, b) => a * b);
    case 'Div':
      return binaryFloat(x, inputs[1], (a, b) => a / b);
    default:
      return undefined;
  }
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function intsOf(c: Constant | undefined): number[] | undefined {
  if (c === undefined || (c.dtype !== 'int64' && c.dtype !== 'int32')) return undefined;
  return c.data instanceof BigInt64Array ? Array.from(c.data, Number) : Array.from(c.data);
}

function reshaped(x: Constant, shape: readonly number[] | undefined): Constant | undefined {
  return shape === undefined ? undefined : { ...x, shape };
}

/** ONNX Reshape's target (0 copies the input's dimension, -1 is inferred; allowzero 0). */
function reshapeTarget(from: readonly number[], target: readonly number[] | undefined): number[] | undefined {
  if (target === undefined) return undefined;
  const dims = target.map((d, i) => (d === 0 ? from[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = dims.map((d) => (d === -1 ? sizeOf(from) / known : d));
  return sizeOf(inferred) === sizeOf(from) && inferred.every(Number.isInteger) ? inferred : undefined;
}

function unsqueezed(from: readonly number[], axes: readonly number[] | undefined): number[] | undefined {
  if (axes === undefined) return undefined;
  const rank = from.length + axes.length;
  const at = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : from[j++]);
  return out;
}

function squeezed(from: readonly number[], axes: readonly number[] | undefined): number[] {
  const at = new Set((axes ?? from.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + from.length : a)));
  return from.filter((_, i) => !at.has(i));
}

function permOf(perm: AttributeValue | undefined, rank: number): number[] {
  return Array.isArray(perm) ? [...(perm as readonly number[])] : Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

function transposeConstant(x: Constant, perm: readonly number[]): Constant {
  return { shape: perm.map((p) => x.shape[p]), data: x.transposes?.get(perm.join(',')) ?? transposeValues(x.data, x.shape, perm), dtype: x.dtype };
}

const ONNX_ELEM: Readonly<Record<number, ElemType>> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool' };

function castConstant(x: Constant, to: AttributeValue | undefined): Constant | undefined {
  const dtype = typeof to === 'number' ? ONNX_ELEM[to] : undefined;
  if (dtype === undefined) return undefined;
  if (dtype === x.dtype) return x;
  // Integer indices widened to int64 (a scatter's): the only cast the recorded passes fold.
  if (dtype !== 'int64' || x.dtype !== 'int32') return undefined;
  let data = widened.get(x.data);
  if (data === undefined) widened.set(x.data, (data = widenToInt64(x.data as Int32Array)));
  return { shape: x.shape, data, dtype };
}

/** int64 copies of int32 arrays (a max pool's scatter targets, read by every pass through it), while the source lives. */
const widened = new WeakMap<Data, BigInt64Array>();

/** int32 -> int64 by writing both 32-bit halves (little-endian), without a BigInt per element. */
function widenToInt64(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    words[2 * i] = values[i];
    words[2 * i + 1] = values[i] < 0 ? -1 : 0;
  }
  return out;
}

function unaryFloat(x: Constant, f: (v: number) => number): Constant | undefined {
  if (x.dtype !== 'float32' || x.data.length > MAX_COMPUTED_ELEMENTS) return undefined;
  return { shape: x.shape, data: Float32Array.from(x.data as Float32Array, f), dtype: 'float32' };
}

/** Numpy-broadcast elementwise op of two small float32 constants. */
function binaryFloat(a: Constant, b: Constant | undefined, f: (x: number, y: number) => number): Constant | undefined {
  if (b === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: readonly number[]): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];
  const as = pad(a.shape);
  const bs = pad(b.shape);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    if (as[i] !== bs[i] && as[i] !== 1 && bs[i] !== 1) return undefined;
    shape.push(Math.max(as[i], bs[i]));
  }
  const size = sizeOf(shape);
  if (size > MAX_COMPUTED_ELEMENTS) return undefined;
  // A broadcast axis (size 1) stays on the same element.
  const strides = (s: readonly number[]): number[] => rowMajorStrides(s).map((k, i) => (s[i] === 1 ? 0 : k));
  const sa = strides(as);
  const sb = strides(bs);
  const out = new Float32Array(size);
  const ad = a.data as Float32Array;
  const bd = b.data as Float32Array;
  for (let o = 0; o < size; o++) {
    let rest = o;
    let ia = 0;
    let ib = 0;
    for (let i = rank - 1; i >= 0; i--) {
      const at = rest % shape[i];
      rest = (rest - at) / shape[i];
      ia += at * sa[i];
      ib += at * sb[i];
    }
    out[o] = f(ad[ia], bd[ib]);
  }
  return { shape, data: out, dtype: 'float32' };
}
