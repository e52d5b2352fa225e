/**
 * Translation of one ONNX node into internal ops, upgrading older operator forms into the
 * opset-18 forms the engine implements (see src/graph/ir.ts): attributes that later opsets
 * turned into inputs become constant inputs, Upsample and Resize-10 become Resize-18, the
 * 2-D coercion of Softmax before opset 13 is spelt out, and inference-irrelevant attributes
 * (Dropout ratio, BatchNormalization spatial, consumed_inputs, is_test) are dropped.
 *
 * Forms the engine cannot compute (a Cast to strings, training-mode BatchNormalization, ...)
 * are recorded as unsupported variants ("Cast (to STRING)") so the loader refuses the model
 * naming them, together with the unsupported op types.
 */
import { onnx } from 'onnx-proto';
import type { AttrValue, ConstTensor, DType } from '../../graph/ir';
import type { GraphEmitter, SourceNode } from './emitter';
import { dtypeOfElementType, elementTypeName } from './tensor';

/** A malformed node (a bad attribute); the loader reports it with the node's name. */
export class NodeError extends Error {}

type Attrs = Record<string, AttrValue>;

interface Cx {
  readonly em: GraphEmitter;
  /** Version of the default ONNX domain the model imports. */
  readonly opset: number;
}

/** Translates `n` into zero or more internal nodes and constants. */
export function translateNode(n: SourceNode, em: GraphEmitter, opset: number): void {
  const cx: Cx = { em, opset };
  if (n.domain !== '' && n.domain !== 'ai.onnx') {
    // Some exporters write the exact GELU in Microsoft's domain; it is the same function.
    if (n.domain === 'com.microsoft' && n.opType === 'Gelu') return emit(cx, n, { op: 'Gelu' });
    return em.markUnsupported(`${n.opType} (domain ${n.domain})`, n.name);
  }
  const legacy = dropLegacyAttributes(n, cx);
  if (legacy === undefined) return;
  const rule = RULES[legacy.opType];
  if (rule) rule(legacy, cx);
  else emit(cx, legacy, {});
}

interface Changes {
  readonly op?: string;
  readonly inputs?: readonly string[];
  readonly outputs?: readonly string[];
  readonly attrs?: Attrs;
}

function emit(cx: Cx, n: SourceNode, c: Changes): void {
  cx.em.node(c.op ?? n.opType, n.name, trimOmitted(c.inputs ?? n.inputs), c.outputs ?? n.outputs, c.attrs ?? n.attrs, n.origin);
}

/** Trailing omitted inputs carry no meaning; dropping them keeps nodes canonical. */
function trimOmitted(inputs: readonly string[]): string[] {
  const out = [...inputs];
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

function without(attrs: Readonly<Attrs>, ...names: string[]): Attrs {
  const out: Attrs = { ...attrs };
  for (const name of names) delete out[name];
  return out;
}

function withNode(n: SourceNode, inputs: readonly string[], attrs: Attrs): SourceNode {
  return { ...n, inputs, attrs };
}

// ---------------------------------------------------------------------------------------
// Attribute access

function numbersAttr(n: SourceNode, name: string): number[] | undefined {
  const v = n.attrs[name];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return [...(v as number[])];
  throw new NodeError(`attribute "${name}" should be a list of numbers`);
}

const intsAttr = numbersAttr;
const floatsAttr = numbersAttr;

function numberAttr(n: SourceNode, name: string): number | undefined {
  const v = n.attrs[name];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  throw new NodeError(`attribute "${name}" should be a number`);
}

function stringAttr(n: SourceNode, name: string): string | undefined {
  const v = n.attrs[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  throw new NodeError(`attribute "${name}" should be a string`);
}

function isConstTensor(v: AttrValue | undefined): v is ConstTensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'data' in v;
}

/** `inputs` with `name` at `index`, padding with omitted inputs. */
function setInput(inputs: readonly string[], index: number, name: string): string[] {
  const out = [...inputs];
  while (out.length < index) out.push('');
  out[index] = name;
  return out;
}

/**
 * Moves attribute `attr` to input `index` as an int32 (or float32) constant, when present.
 * Returns the node with the updated inputs and attributes.
 */
function attrToInput(n: SourceNode, cx: Cx, attr: string, index: number, kind: 'ints' | 'floatScalar' | 'floats'): SourceNode {
  const attrs = without(n.attrs, attr);
  if (n.attrs[attr] === undefined) return withNode(n, n.inputs, attrs);
  const base = `${n.name}/${attr}`;
  let name: string;
  if (kind === 'ints') name = cx.em.ints(base, intsAttr(n, attr)!);
  else if (kind === 'floats') name = cx.em.floats(base, floatsAttr(n, attr)!);
  else name = cx.em.floats(base, [numberAttr(n, attr)!], []);
  return withNode(n, setInput(n.inputs, index, name), attrs);
}

/** A constant input's tensor, when the input is a known constant. */
function constantInput(cx: Cx, n: SourceNode, index: number): ConstTensor | undefined {
  const name = n.inputs[index];
  return name ? cx.em.constants.get(name) : undefined;
}

/** Resize before opset 13 required roi/scales inputs and used empty tensors for "not given". */
function omitEmptyConstant(cx: Cx, n: SourceNode, inputs: string[], index: number): void {
  const c = constantInput(cx, n, index);
  if (c !== undefined && c.data.length === 0) inputs[index] = '';
}

// ---------------------------------------------------------------------------------------
// Attributes of opsets before 7, on any op

/**
 * consumed_inputs and is_test mean nothing for inference. `broadcast` (opsets < 7) without
 * an `axis` is suffix broadcasting, which numpy-style broadcasting includes; with an axis it
 * is a different rule, refused.
 */
function dropLegacyAttributes(n: SourceNode, cx: Cx): SourceNode | undefined {
  const legacy = ['consumed_inputs', 'is_test', 'broadcast'];
  if (!legacy.some((a) => n.attrs[a] !== undefined)) return n;
  if (n.attrs.broadcast !== undefined && n.opType !== 'Gemm') {
    if (numberAttr(n, 'broadcast') === 1 && n.attrs.axis !== undefined) {
      cx.em.markUnsupported(`${n.opType} (legacy broadcast with axis)`, n.name);
      return undefined;
    }
    return withNode(n, n.inputs, without(n.attrs, ...legacy, 'axis'));
  }
  return withNode(n, n.inputs, without(n.attrs, ...legacy));
}

// ---------------------------------------------------------------------------------------
// Per-op rules

type Rule = (n: SourceNode, cx: Cx) => void;

const REDUCE_OPS = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];

/** Ops whose `dtype` attribute is an ONNX element type code. */
const DTYPE_ATTR_OPS = ['EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli'];

const RULES: Readonly<Record<string, Rule>> = {
  Constant: foldConstant,
  Cast: (n, cx) => {
    const to = internalDtype(n.attrs.to);
    if (typeof to !== 'string') return cx.em.markUnsupported(`Cast (to ${to.name})`, n.name);
    emit(cx, n, { attrs: { ...without(n.attrs, 'saturate'), to } });
  },
  Squeeze: (n, cx) => emit(cx, cx.opset < 13 ? attrToInput(n, cx, 'axes', 1, 'ints') : n, {}),
  Unsqueeze: (n, cx) => emit(cx, cx.opset < 13 ? attrToInput(n, cx, 'axes', 1, 'ints') : n, {}),
  ReduceSum: (n, cx) => emit(cx, cx.opset < 13 ? attrToInput(n, cx, 'axes', 1, 'ints') : n, {}),
  ...Object.fromEntries(REDUCE_OPS.map((op): [string, Rule] => [op, (n, cx) => emit(cx, cx.opset < 18 ? attrToInput(n, cx, 'axes', 1, 'ints') : n, {})])),
  ...Object.fromEntries(DTYPE_ATTR_OPS.map((op): [string, Rule] => [op, convertDtypeAttr])),
  Split: (n, cx) => {
    const m = cx.opset < 13 ? attrToInput(n, cx, 'split', 1, 'ints') : n;
    // Before opset 18 a Split without sizes cut into as many equal parts as it has outputs.
    const equalParts = cx.opset < 18 && (m.inputs[1] ?? '') === '';
    emit(cx, m, { attrs: equalParts ? { ...m.attrs, num_outputs: m.outputs.length } : m.attrs });
  },
  Clip: (n, cx) => emit(cx, cx.opset < 11 ? attrToInput(attrToInput(n, cx, 'min', 1, 'floatScalar'), cx, 'max', 2, 'floatScalar') : n, {}),
  Pad: (n, cx) => emit(cx, cx.opset < 11 ? attrToInput(attrToInput(renamePaddings(n), cx, 'pads', 1, 'ints'), cx, 'value', 2, 'floatScalar') : n, {}),
  Slice: (n, cx) => {
    if (cx.opset >= 10) return emit(cx, n, {});
    const m = attrToInput(attrToInput(attrToInput(n, cx, 'starts', 1, 'ints'), cx, 'ends', 2, 'ints'), cx, 'axes', 3, 'ints');
    emit(cx, m, {});
  },
  TopK: (n, cx) => emit(cx, cx.opset < 10 ? attrToInput(n, cx, 'k', 1, 'ints') : n, {}),
  Reshape: (n, cx) => emit(cx, cx.opset < 5 ? attrToInput(n, cx, 'shape', 1, 'ints') : n, {}),
  Concat: (n, cx) => emit(cx, n, { attrs: n.attrs.axis === undefined ? { ...n.attrs, axis: 1 } : n.attrs }),
  Upsample: upsampleToResize,
  Resize: resizeToOpset18,
  Softmax: coercedSoftmax,
  LogSoftmax: coercedSoftmax,
  Hardmax: coercedSoftmax,
  BatchNormalization: batchNormForInference,
  MaxPool: (n, cx) => {
    // The pooling kernel computes values only, not the argmax Indices output.
    if ((n.outputs[1] ?? '') !== '') return cx.em.markUnsupported('MaxPool (Indices output)', n.name);
    emit(cx, n, {});
  },
  Dropout: dropoutForInference,
  ScatterND: (n, cx) => {
    // The kernel replaces or adds; a product, minimum or maximum of updates is refused by name.
    const reduction = n.attrs.reduction ?? 'none';
    if (reduction !== 'none' && reduction !== 'add') return cx.em.markUnsupported(`ScatterND (reduction ${String(reduction)})`, n.name);
    emit(cx, n, {});
  },
};

function foldConstant(n: SourceNode, cx: Cx): void {
  const a = n.attrs;
  let value: ConstTensor | undefined;
  if (isConstTensor(a.value)) value = a.value;
  else if (typeof a.value_float === 'number') value = { dtype: 'float32', shape: [], data: Float32Array.of(a.value_float) };
  else if (a.value_floats !== undefined)
    value = { dtype: 'float32', shape: [floatsAttr(n, 'value_floats')!.length], data: Float32Array.from(floatsAttr(n, 'value_floats')!) };
  else if (typeof a.value_int === 'number') value = { dtype: 'int32', shape: [], data: Int32Array.of(a.value_int) };
  else if (a.value_ints !== undefined)
    value = { dtype: 'int32', shape: [intsAttr(n, 'value_ints')!.length], data: Int32Array.from(intsAttr(n, 'value_ints')!) };
  if (value === undefined) {
    const kind = n.unconvertible[0] ?? Object.keys(a)[0] ?? 'no value';
    return cx.em.markUnsupported(`Constant (${kind})`, n.name);
  }
  if (n.outputs.length !== 1 || n.outputs[0] === '') throw new NodeError('a Constant needs exactly one output');
  cx.em.constants.set(n.outputs[0], value);
}

/** An ONNX element type (code, or name before opset 6) -> internal dtype, or the type's name. */
function internalDtype(to: AttrValue | undefined): DType | { readonly name: string } {
  let code: number | undefined;
  if (typeof to === 'number') code = to;
  else if (typeof to === 'string') code = (onnx.TensorProto.DataType as unknown as Record<string, number | undefined>)[to.toUpperCase()];
  if (code === undefined) return { name: String(to) };
  return dtypeOfElementType(code) ?? { name: elementTypeName(code) };
}

function convertDtypeAttr(n: SourceNode, cx: Cx): void {
  if (n.attrs.dtype === undefined) return emit(cx, n, {});
  const dtype = internalDtype(n.attrs.dtype);
  if (typeof dtype !== 'string') return cx.em.markUnsupported(`${n.opType} (dtype ${dtype.name})`, n.name);
  emit(cx, n, { attrs: { ...n.attrs, dtype } });
}

/** Pad-1 called its attribute `paddings`. */
function renamePaddings(n: SourceNode): SourceNode {
  if (n.attrs.paddings === undefined) return n;
  return withNode(n, n.inputs, { ...without(n.attrs, 'paddings'), pads: n.attrs.paddings });
}

/** Upsample (any opset) -> Resize: scales from the attribute (< 9) or the second input. */
function upsampleToResize(n: SourceNode, cx: Cx): void {
  const scales = cx.opset < 9 ? cx.em.floats(`${n.name}/scales`, floatsAttr(n, 'scales') ?? []) : (n.inputs[1] ?? '');
  if (scales === '') throw new NodeError('Upsample needs scales');
  emit(cx, n, { op: 'Resize', inputs: [n.inputs[0], '', scales], attrs: olderResizeAttrs(n) });
}

/**
 * Upsample and Resize-10 map output coordinates to input ones as x_out / scale
 * ("asymmetric") and pick the nearest input pixel by flooring.
 */
function olderResizeAttrs(n: SourceNode): Attrs {
  const mode = stringAttr(n, 'mode') ?? 'nearest';
  const resizeMode = mode === 'bilinear' || mode === 'linear' ? 'linear' : mode;
  if (resizeMode !== 'nearest' && resizeMode !== 'linear') throw new NodeError(`unknown ${n.opType} mode "${mode}"`);
  return {
    mode: resizeMode,
    coordinate_transformation_mode: 'asymmetric',
    ...(resizeMode === 'nearest' && { nearest_mode: 'floor' }),
  };
}

function resizeToOpset18(n: SourceNode, cx: Cx): void {
  if (cx.opset < 11) {
    emit(cx, n, { inputs: [n.inputs[0], '', n.inputs[1] ?? ''], attrs: olderResizeAttrs(n) });
    return;
  }
  const inputs = [...n.inputs];
  for (const i of [1, 2, 3]) omitEmptyConstant(cx, n, inputs, i);
  emit(cx, n, { inputs });
}

/**
 * Softmax, LogSoftmax and Hardmax before opset 13 coerce the input to 2-D at `axis`
 * (default 1) and normalise over the whole trailing block: Flatten, apply on the last axis,
 * Reshape back to the input's shape.
 */
function coercedSoftmax(n: SourceNode, cx: Cx): void {
  if (cx.opset >= 13) return emit(cx, n, {});
  const axis = numberAttr(n, 'axis') ?? 1;
  const x = n.inputs[0];
  const y = n.outputs[0];
  const shape = cx.em.fresh(`${y}/input_shape`);
  const flat = cx.em.fresh(`${y}/flat`);
  const normalised = cx.em.fresh(`${y}/flat_${n.opType.toLowerCase()}`);
  cx.em.node('Shape', cx.em.fresh(`${n.name}/Shape`), [x], [shape], {}, n.origin);
  cx.em.node('Flatten', cx.em.fresh(`${n.name}/Flatten`), [x], [flat], { axis }, n.origin);
  cx.em.node(n.opType, n.name, [flat], [normalised], { ...n.attrs, axis: -1 }, n.origin);
  cx.em.node('Reshape', cx.em.fresh(`${n.name}/Reshape`), [normalised, shape], [y], {}, n.origin);
}

/**
 * Inference mode only: running statistics, one output. Files of older opsets sometimes list
 * the training outputs (batch mean, saved variance, ...) without reading them; those are dropped.
 */
function batchNormForInference(n: SourceNode, cx: Cx): void {
  if (numberAttr(n, 'training_mode') === 1 || n.outputs.slice(1).some((o) => o !== '' && cx.em.consumed.has(o))) {
    return cx.em.markUnsupported('BatchNormalization (training mode)', n.name);
  }
  if ((numberAttr(n, 'spatial') ?? 1) !== 1) return cx.em.markUnsupported('BatchNormalization (spatial=0)', n.name);
  emit(cx, n, { outputs: n.outputs.slice(0, 1), attrs: without(n.attrs, 'spatial', 'training_mode', 'momentum') });
}

/**
 * Dropout does nothing in inference: an Identity, and an all-true mask when the mask output
 * is used (float ones before opset 10, whose mask had the input's type).
 */
function dropoutForInference(n: SourceNode, cx: Cx): void {
  const trainingMode = n.inputs[2] ?? '';
  if (trainingMode !== '') {
    const c = constantInput(cx, n, 2);
    if (c === undefined || c.data.some((v) => v !== 0)) return cx.em.markUnsupported('Dropout (training mode)', n.name);
  }
  cx.em.node('Identity', n.name, [n.inputs[0]], [n.outputs[0]], {}, n.origin);
  const mask = n.outputs[1] ?? '';
  if (mask === '') return;
  const shape = cx.em.fresh(`${mask}/shape`);
  const one: ConstTensor = cx.opset < 10 ? { dtype: 'float32', shape: [1], data: Float32Array.of(1) } : { dtype: 'bool', shape: [1], data: Uint8Array.of(1) };
  cx.em.node('Shape', cx.em.fresh(`${n.name}/mask/Shape`), [n.inputs[0]], [shape], {}, n.origin);
  cx.em.node('ConstantOfShape', cx.em.fresh(`${n.name}/mask`), [shape], [mask], { value: one }, n.origin);
}
