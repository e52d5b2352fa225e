/**
 * TensorFlow ops of TF.js graph models as internal (ONNX opset-18) ops. Every op here maps to
 * ops that have a kernel with a hand-written VJP, so gradients flow through the translated
 * model (TF.js's own GraphModel executor is inference-only). NHWC stays NHWC: spatial ops get
 * `channelsLast`, convolution filters keep TF's [kH, kW, Cin, Cout] layout.
 */
import type { ConstTensor } from '../../../graph/ir';
import { emitActivation } from '../activations';
import { backpropInputPadding, reshapeConst, transposedConvPadding } from '../geometry';
import { transposeConst } from '../../../graph/constants';
import { attrBool, attrFloat, attrInt, attrInts, attrString, attrStrings, attrType, hasAttr, tfDType } from './attrs';
import type { OpCall, OpResult, OpTranslator } from './context';
import { UnsupportedNode } from './context';

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

function need(call: OpCall, i: number, what: string): ConstTensor {
  const c = call.constInput(i);
  if (c === null) throw new UnsupportedNode(`its ${what} (input ${i}) is computed at run time; only constant ${what} are supported`);
  return c;
}

function intsOf(c: ConstTensor): number[] {
  return Array.from(c.data as ArrayLike<number>);
}

function unary(op: string, attrs: Record<string, number | string> = {}): OpTranslator {
  return (call) => call.em.node(op, call.scope, [call.inputs[0]], attrs, call.origin);
}

function binary(op: string): OpTranslator {
  return (call) => ({
    outputs: [call.em.node(op, call.scope, [call.inputs[0], call.inputs[1]], {}, call.origin)],
    ranks: [maxRank(call.rank(0), call.rank(1))],
  });
}

function maxRank(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.max(a, b);
}

function identity(call: OpCall): OpResult {
  return { outputs: call.inputs.map((x) => x), ranks: call.inputs.map((_, i) => call.rank(i)) };
}

function dataFormatLast(call: OpCall): boolean {
  const f = attrString(call.node, 'data_format', 'NHWC');
  return !f.startsWith('NC');
}

/** Spatial entries of a 4-/5-entry NHWC or NCHW attribute list (strides, ksize, dilations). */
function spatial(values: readonly number[], last: boolean): number[] {
  return last ? values.slice(1, -1) : values.slice(2);
}

function paddingAttrs(call: OpCall, last: boolean): Record<string, string | number[]> {
  const padding = attrString(call.node, 'padding', 'VALID');
  if (padding === 'SAME') return { auto_pad: 'SAME_UPPER' };
  if (padding === 'VALID') return { auto_pad: 'VALID' };
  if (padding === 'EXPLICIT') {
    const p = attrInts(call.node, 'explicit_paddings');
    const pairs: [number, number][] = [];
    for (let i = 0; i < p.length; i += 2) pairs.push([p[i], p[i + 1]]);
    const sp = last ? pairs.slice(1, -1) : pairs.slice(2);
    return { pads: [...sp.map((q) => q[0]), ...sp.map((q) => q[1])] };
  }
  throw new UnsupportedNode(`padding "${padding}" is not supported`);
}

/** Filter [k..., Cin, Cout] in the layout the op wants (ONNX's for NCHW data). */
function filterFor(call: OpCall, index: number, last: boolean, relayout?: (c: ConstTensor) => ConstTensor): string {
  if (last && relayout === undefined) return call.inputs[index];
  let value = need(call, index, 'filter');
  if (relayout) value = relayout(value);
  if (!last) {
    const nd = value.shape.length - 2;
    value = transposeConst(value, [nd + 1, nd, ...Array.from({ length: nd }, (_, i) => i)]);
  }
  return call.em.constant(`${call.scope}/filter:${last ? 'grouped' : 'oihw'}`, value);
}

/** Activation named by a fused op list ("Relu", "Relu6", ...). */
function fusedActivation(call: OpCall, x: string, act: string, extraArg: string | undefined): string {
  const { em, scope, origin } = call;
  switch (act) {
    case 'Relu':
      return emitActivation('relu', { em, scope, input: x, origin });
    case 'Relu6':
      return emitActivation('relu6', { em, scope, input: x, origin });
    case 'Elu':
      return emitActivation('elu', { em, scope, input: x, origin });
    case 'Selu':
      return emitActivation('selu', { em, scope, input: x, origin });
    case 'Sigmoid':
      return emitActivation('sigmoid', { em, scope, input: x, origin });
    case 'Tanh':
      return emitActivation('tanh', { em, scope, input: x, origin });
    case 'LeakyRelu':
      return emitActivation('leaky_relu', { em, scope, input: x, origin, alpha: attrFloat(call.node, 'leakyrelu_alpha', 0.2) });
    case 'Prelu':
      if (extraArg === undefined) throw new UnsupportedNode('fused Prelu without its alpha argument');
      return em.node('PRelu', `${scope}/prelu`, [x, extraArg], {}, origin);
    default:
      throw new UnsupportedNode(`fused activation "${act}" is not supported`);
  }
}

/**
 * The fused tail of _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul after the main op:
 * BiasAdd (folded into the main op's bias input by the caller) or FusedBatchNorm, then an
 * activation. Returns the extra args consumed.
 */
interface FusedPlan {
  readonly bias?: string;
  readonly batchNorm?: readonly string[];
  readonly activation?: string;
  readonly extra?: string;
}

function fusedPlan(call: OpCall, firstArg: number): FusedPlan {
  const ops = attrStrings(call.node, 'fused_ops');
  const args = call.inputs.slice(firstArg);
  const numArgs = attrInt(call.node, 'num_args', args.length);
  let i = 0;
  let bias: string | undefined;
  let batchNorm: string[] | undefined;
  let activation: string | undefined;
  for (const op of ops) {
    if (op === 'BiasAdd' || op === 'Add' || op === 'AddV2') {
      if (bias !== undefined || batchNorm !== undefined) throw new UnsupportedNode(`fused op list [${ops.join(', ')}] is not supported`);
      bias = args[i++];
    } else if (op === 'FusedBatchNorm' || op === 'FusedBatchNormV3') {
      batchNorm = args.slice(i, i + 4);
      i += 4;
    } else if (activation === undefined) activation = op;
    else throw new UnsupportedNode(`fused op list [${ops.join(', ')}] is not supported`);
  }
  const extra = i < Math.max(numArgs, args.length) ? args[i] : undefined;
  return { bias, batchNorm, activation, extra };
}

function applyFusedTail(call: OpCall, x: string, plan: FusedPlan, last: boolean): string {
  let y = x;
  if (plan.batchNorm) {
    const [scale, offset, mean, variance] = plan.batchNorm;
    y = call.em.node(
      'BatchNormalization',
      `${call.scope}/bn`,
      [y, scale, offset, mean, variance],
      { epsilon: attrFloat(call.node, 'epsilon', 1e-4), channelsLast: last },
      call.origin,
    );
  }
  if (plan.activation) y = fusedActivation(call, y, plan.activation, plan.extra);
  return y;
}

function conv2d(fused: boolean): OpTranslator {
  return (call) => {
    const last = dataFormatLast(call);
    const node = call.node;
    const filter = call.constInput(1);
    const kernel = filter ? filter.shape.slice(0, 2) : undefined;
    const plan = fused ? fusedPlan(call, 2) : {};
    const inputs = [call.inputs[0], filterFor(call, 1, last)];
    if (plan.bias) inputs.push(plan.bias);
    const attrs = {
      strides: spatial(attrInts(node, 'strides', [1, 1, 1, 1]), last),
      dilations: spatial(attrInts(node, 'dilations', [1, 1, 1, 1]), last),
      group: 1,
      channelsLast: last,
      ...(kernel ? { kernel_shape: kernel } : {}),
      ...paddingAttrs(call, last),
    };
    return applyFusedTail(call, call.em.node('Conv', call.scope, inputs, attrs, call.origin), plan, last);
  };
}

function depthwise(fused: boolean): OpTranslator {
  return (call) => {
    const last = dataFormatLast(call);
    const node = call.node;
    const filter = need(call, 1, 'filter');
    const [kh, kw, channels, mult] = filter.shape;
    const plan = fused ? fusedPlan(call, 2) : {};
    const grouped = filterFor(call, 1, last, (c) => reshapeConst(c, [kh, kw, 1, channels * mult]));
    const inputs = [call.inputs[0], grouped];
    if (plan.bias) inputs.push(plan.bias);
    const attrs = {
      kernel_shape: [kh, kw],
      strides: spatial(attrInts(node, 'strides', [1, 1, 1, 1]), last),
      dilations: spatial(attrInts(node, 'dilations', [1, 1, 1, 1]), last),
      group: channels,
      channelsLast: last,
      ...paddingAttrs(call, last),
    };
    return applyFusedTail(call, call.em.node('Conv', call.scope, inputs, attrs, call.origin), plan, last);
  };
}

function conv2dBackpropInput(call: OpCall): OpResult {
  const last = dataFormatLast(call);
  if (!last) throw new UnsupportedNode('NCHW transposed convolution is not supported');
  const sizeConst = call.constInput(0);
  const filter = need(call, 1, 'filter');
  const [kh, kw] = filter.shape;
  const strides = spatial(attrInts(call.node, 'strides', [1, 1, 1, 1]), true);
  const dilations = spatial(attrInts(call.node, 'dilations', [1, 1, 1, 1]), true);
  const padding = attrString(call.node, 'padding', 'VALID');
  if (padding !== 'SAME' && padding !== 'VALID') throw new UnsupportedNode(`padding "${padding}" is not supported`);
  const mode = padding === 'SAME' ? 'same' : 'valid';
  // An output size computed at run time (Keras's Conv2DTranspose builds it from the input's
  // shape) is the size Keras computes without output_padding: input*stride for SAME,
  // input*stride + max(k_eff - stride, 0) for VALID; the transposed layer's own geometry.
  const geo =
    sizeConst === null
      ? [kh, kw].map((k, i) => transposedConvPadding(k, strides[i], dilations[i], mode))
      : [kh, kw].map((k, i) => backpropInputPadding(intsOf(sizeConst)[i + 1], k, strides[i], dilations[i], mode));
  const attrs = {
    kernel_shape: [kh, kw],
    strides,
    dilations,
    group: 1,
    channelsLast: true,
    pads: [...geo.map((g) => g.begin), ...geo.map((g) => g.end)],
    output_padding: geo.map((g) => g.outputPadding),
  };
  return { outputs: [call.em.node('ConvTranspose', call.scope, [call.inputs[2], call.inputs[1]], attrs, call.origin)], ranks: [4] };
}

function matmul(fused: boolean): OpTranslator {
  return (call) => {
    const plan = fused ? fusedPlan(call, 2) : {};
    const inputs = [call.inputs[0], call.inputs[1]];
    if (plan.bias) inputs.push(plan.bias);
    const attrs = { transA: attrBool(call.node, 'transpose_a') ? 1 : 0, transB: attrBool(call.node, 'transpose_b') ? 1 : 0 };
    const y = call.em.node('Gemm', call.scope, inputs, attrs, call.origin);
    return { outputs: [applyFusedTail(call, y, plan, true)], ranks: [2] };
  };
}

function batchMatmul(call: OpCall): OpResult {
  const swapLast = (i: number, flag: string): string => {
    if (!attrBool(call.node, flag)) return call.inputs[i];
    const r = call.rank(i);
    if (r === undefined) throw new UnsupportedNode(`${flag} on an input of unknown rank`);
    const perm = Array.from({ length: r }, (_, k) => k);
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return call.em.node('Transpose', `${call.scope}/${flag}`, [call.inputs[i]], { perm }, call.origin);
  };
  const a = swapLast(0, 'adj_x');
  const b = swapLast(1, 'adj_y');
  return { outputs: [call.em.node('MatMul', call.scope, [a, b], {}, call.origin)], ranks: [maxRank(call.rank(0), call.rank(1))] };
}

function biasAdd(call: OpCall): string {
  if (dataFormatLast(call)) return call.em.node('Add', call.scope, [call.inputs[0], call.inputs[1]], {}, call.origin);
  const r = call.rank(0);
  const bias = need(call, 1, 'bias');
  if (r === undefined) throw new UnsupportedNode('NCHW BiasAdd on an input of unknown rank');
  const shaped = call.em.constant(`${call.scope}/bias:nchw`, reshapeConst(bias, [bias.shape[0], ...new Array<number>(r - 2).fill(1)]));
  return call.em.node('Add', call.scope, [call.inputs[0], shaped], {}, call.origin);
}

function addN(call: OpCall): string {
  let x = call.inputs[0];
  for (let i = 1; i < call.inputs.length; i++) {
    x = call.em.node('Add', i === call.inputs.length - 1 ? call.scope : `${call.scope}/${i}`, [x, call.inputs[i]], {}, call.origin);
  }
  return x;
}

function squaredDifference(call: OpCall): string {
  const d = call.em.node('Sub', `${call.scope}/diff`, [call.inputs[0], call.inputs[1]], {}, call.origin);
  return call.em.node('Mul', call.scope, [d, d], {}, call.origin);
}

function square(call: OpCall): string {
  return call.em.node('Mul', call.scope, [call.inputs[0], call.inputs[0]], {}, call.origin);
}

function rsqrt(call: OpCall): string {
  const s = call.em.node('Sqrt', `${call.scope}/sqrt`, [call.inputs[0]], {}, call.origin);
  return call.em.node('Reciprocal', call.scope, [s], {}, call.origin);
}

function relu6(call: OpCall): string {
  return emitActivation('relu6', { em: call.em, scope: call.scope, input: call.inputs[0], origin: call.origin });
}

function leakyRelu(call: OpCall): string {
  return call.em.node('LeakyRelu', call.scope, [call.inputs[0]], { alpha: attrFloat(call.node, 'alpha', 0.2) }, call.origin);
}

function fusedBatchNorm(call: OpCall): OpResult {
  if (attrBool(call.node, 'is_training')) throw new UnsupportedNode('batch norm in training mode (is_training) is not supported');
  const last = dataFormatLast(call);
  const attrs = { epsilon: attrFloat(call.node, 'epsilon', 1e-4), channelsLast: last };
  return { outputs: [call.em.node('BatchNormalization', call.scope, call.inputs.slice(0, 5), attrs, call.origin)] };
}

function pool(op: 'MaxPool' | 'AveragePool'): OpTranslator {
  return (call) => {
    const last = dataFormatLast(call);
    const attrs = {
      kernel_shape: spatial(attrInts(call.node, 'ksize'), last),
      strides: spatial(attrInts(call.node, 'strides'), last),
      channelsLast: last,
      ...paddingAttrs(call, last),
    };
    return call.em.node(op, call.scope, [call.inputs[0]], attrs, call.origin);
  };
}

function reduce(op: string): OpTranslator {
  return (call) => {
    const axes = intsOf(need(call, 1, 'axes'));
    const keep = attrBool(call.node, 'keep_dims') || attrBool(call.node, 'keepdims');
    const y = call.em.node(op, call.scope, [call.inputs[0], call.em.ints(`${call.scope}/axes`, axes)], { keepdims: keep ? 1 : 0 }, call.origin);
    const r = call.rank(0);
    return { outputs: [y], ranks: [r === undefined ? undefined : keep ? r : r - new Set(axes.map((a) => (a < 0 ? a + r : a))).size] };
  };
}

function reshape(call: OpCall): OpResult {
  const shape = call.constInput(1);
  let shapeInput = call.inputs[1];
  // A shape computed at run time (Pack of a batch size and constants) still has a known length.
  let rank = call.vectorLength(1);
  if (shape !== null) {
    const dims = intsOf(shape);
    shapeInput = call.em.ints(`${call.scope}/shape`, dims);
    rank = dims.length;
  }
  // TF has no "0 copies the input dimension" rule: allowzero keeps a literal 0.
  return { outputs: [call.em.node('Reshape', call.scope, [call.inputs[0], shapeInput], { allowzero: 1 }, call.origin)], ranks: [rank] };
}

function transpose(call: OpCall): string {
  const perm = intsOf(need(call, 1, 'permutation'));
  return call.em.node('Transpose', call.scope, [call.inputs[0]], { perm }, call.origin);
}

function concat(axisFirst: boolean): OpTranslator {
  return (call) => {
    const n = call.inputs.length;
    const axisIndex = axisFirst ? 0 : n - 1;
    const axis = intsOf(need(call, axisIndex, 'axis'))[0];
    const values = axisFirst ? call.inputs.slice(1) : call.inputs.slice(0, n - 1);
    return { outputs: [call.em.node('Concat', call.scope, values, { axis }, call.origin)], ranks: [call.rank(axisFirst ? 1 : 0)] };
  };
}

function squeeze(call: OpCall): OpResult {
  const axes = hasAttr(call.node, 'squeeze_dims') ? attrInts(call.node, 'squeeze_dims') : attrInts(call.node, 'axis', []);
  const inputs = axes.length > 0 ? [call.inputs[0], call.em.ints(`${call.scope}/axes`, axes)] : [call.inputs[0]];
  const r = call.rank(0);
  return { outputs: [call.em.node('Squeeze', call.scope, inputs, {}, call.origin)], ranks: [axes.length > 0 && r !== undefined ? r - axes.length : undefined] };
}

function expandDims(call: OpCall): OpResult {
  const axis = intsOf(need(call, 1, 'axis'))[0];
  const r = call.rank(0);
  return {
    outputs: [call.em.node('Unsqueeze', call.scope, [call.inputs[0], call.em.ints(`${call.scope}/axes`, [axis])], {}, call.origin)],
    ranks: [r === undefined ? undefined : r + 1],
  };
}

function pack(call: OpCall): OpResult {
  const axis = attrInt(call.node, 'axis', 0);
  const axes = call.em.ints(`${call.scope}/axes`, [axis]);
  const parts = call.inputs.map((x, i) => call.em.node('Unsqueeze', `${call.scope}/unsqueeze_${i}`, [x, axes], {}, call.origin));
  const r = call.rank(0);
  return { outputs: [call.em.node('Concat', call.scope, parts, { axis }, call.origin)], ranks: [r === undefined ? undefined : r + 1] };
}

function unpack(call: OpCall): OpResult {
  const axis = attrInt(call.node, 'axis', 0);
  const num = attrInt(call.node, 'num');
  const parts = call.em.multiNode(
    'Split',
    `${call.scope}/split`,
    [call.inputs[0]],
    { axis, num_outputs: num },
    call.origin,
    Array.from({ length: num }, (_, i) => `${call.scope}/split:${i}`),
  );
  const axes = call.em.ints(`${call.scope}/axes`, [axis]);
  const outs = parts.map((p, i) => call.em.node('Squeeze', `${call.scope}/squeeze_${i}`, [p, axes], {}, call.origin));
  const r = call.rank(0);
  return { outputs: outs, ranks: outs.map(() => (r === undefined ? undefined : r - 1)) };
}

function split(call: OpCall): OpResult {
  const axis = intsOf(need(call, 0, 'axis'))[0];
  const num = attrInt(call.node, 'num_split');
  const outs = call.em.multiNode(
    'Split',
    call.scope,
    [call.inputs[1]],
    { axis, num_outputs: num },
    call.origin,
    Array.from({ length: num }, (_, i) => `${call.scope}/split:${i}`),
  );
  return { outputs: outs, ranks: outs.map(() => call.rank(1)) };
}

function splitV(call: OpCall): OpResult {
  const sizes = intsOf(need(call, 1, 'split sizes'));
  const axis = intsOf(need(call, 2, 'axis'))[0];
  if (sizes.includes(-1)) throw new UnsupportedNode('a split size of -1 is not supported');
  const outs = call.em.multiNode(
    'Split',
    call.scope,
    [call.inputs[0], call.em.ints(`${call.scope}/split`, sizes)],
    { axis },
    call.origin,
    sizes.map((_, i) => `${call.scope}/split:${i}`),
  );
  return { outputs: outs, ranks: outs.map(() => call.rank(0)) };
}

function slice(call: OpCall): string {
  if (call.constInput(1) === null || call.constInput(2) === null) return computedSlice(call);
  const begin = intsOf(need(call, 1, 'begin'));
  const size = intsOf(need(call, 2, 'size'));
  const ends = begin.map((b, i) => (size[i] < 0 ? INT_MAX : b + size[i]));
  const { em, scope, origin } = call;
  const inputs = [
    call.inputs[0],
    em.ints(`${scope}/starts`, begin),
    em.ints(`${scope}/ends`, ends),
    em.ints(
      `${scope}/axes`,
      begin.map((_, i) => i),
    ),
  ];
  return em.node('Slice', scope, inputs, {}, origin);
}

/**
 * Slice with begin or size computed at run time (tf.image.crop_to_bounding_box: sizes from the
 * input's shape): ends = begin + size, or the axis's end where size is -1, as ops of the graph;
 * the axes are 0..rank-1, the rank from the input's declared rank.
 */
function computedSlice(call: OpCall): string {
  const { em, scope, origin } = call;
  const rank = call.rank(0);
  if (rank === undefined) throw new UnsupportedNode('its begin or size is computed at run time and the input rank is unknown');
  const [x, begin, size] = call.inputs;
  const sum = em.node('Add', `${scope}/ends_sum`, [begin, size], {}, origin);
  const negative = em.node('Less', `${scope}/to_end`, [size, em.ints(`${scope}/zero`, [0], [])], {}, origin);
  const ends = em.node('Where', `${scope}/ends`, [negative, em.ints(`${scope}/int_max`, [INT_MAX], []), sum], {}, origin);
  const axes = em.ints(
    `${scope}/axes`,
    Array.from({ length: rank }, (_, i) => i),
  );
  return em.node('Slice', scope, [x, begin, ends, axes], {}, origin);
}

/**
 * StridedSlice with its masks: one Slice over the sliced axes, then Squeeze for shrink_axis
 * entries and Unsqueeze for new_axis entries. An ellipsis needs the input's rank.
 */
function stridedSlice(call: OpCall): OpResult {
  const { em, scope, origin, node } = call;
  const begin = intsOf(need(call, 1, 'begin'));
  const end = intsOf(need(call, 2, 'end'));
  const strides = intsOf(need(call, 3, 'strides'));
  const mask = (k: string): number => attrInt(node, k, 0);
  const [beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask] = ['begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask'].map(
    mask,
  );
  const bit = (m: number, i: number): boolean => ((m >> i) & 1) === 1;
  const m = begin.length;
  const rank = call.rank(0);
  let consumed = 0;
  for (let i = 0; i < m; i++) if (!bit(ellipsisMask, i) && !bit(newAxisMask, i)) consumed++;
  if (ellipsisMask !== 0 && rank === undefined) throw new UnsupportedNode('an ellipsis slice of an input of unknown rank');

  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const steps: number[] = [];
  const shrinkAxes: number[] = [];
  const newAxes: number[] = [];
  let d = 0;
  let o = 0;
  for (let i = 0; i < m; i++) {
    if (bit(ellipsisMask, i)) {
      const span = rank! - consumed;
      d += span;
      o += span;
      continue;
    }
    if (bit(newAxisMask, i)) {
      newAxes.push(o++);
      continue;
    }
    const step = strides[i];
    if (bit(shrinkMask, i)) {
      starts.push(begin[i]);
      ends.push(begin[i] === -1 ? INT_MAX : begin[i] + 1);
      steps.push(1);
      axes.push(d);
      shrinkAxes.push(d);
    } else {
      const s = bit(beginMask, i) ? (step > 0 ? 0 : INT_MAX) : begin[i];
      const e = bit(endMask, i) ? (step > 0 ? INT_MAX : INT_MIN) : end[i];
      if (!(s === 0 && e === INT_MAX && step === 1)) {
        starts.push(s);
        ends.push(e);
        steps.push(step);
        axes.push(d);
      }
      o++;
    }
    d++;
  }
  let x = call.inputs[0];
  if (axes.length > 0) {
    const inputs = [x, em.ints(`${scope}/starts`, starts), em.ints(`${scope}/ends`, ends), em.ints(`${scope}/axes`, axes), em.ints(`${scope}/steps`, steps)];
    x = em.node('Slice', scope, inputs, {}, origin);
  }
  if (shrinkAxes.length > 0) x = em.node('Squeeze', `${scope}/shrink`, [x, em.ints(`${scope}/shrink_axes`, shrinkAxes)], {}, origin);
  if (newAxes.length > 0) x = em.node('Unsqueeze', `${scope}/new_axis`, [x, em.ints(`${scope}/new_axes`, newAxes)], {}, origin);
  if (x === call.inputs[0]) x = em.node('Identity', scope, [x], {}, origin);
  const outRank = rank === undefined ? undefined : rank - shrinkAxes.length + newAxes.length;
  return { outputs: [x], ranks: [outRank] };
}

function pad(mode: 'constant' | 'mirror'): OpTranslator {
  return (call) => {
    const p = call.constInput(1);
    let pads: string;
    if (p !== null) {
      const values = intsOf(p);
      const r = p.shape[0];
      const begin = Array.from({ length: r }, (_, i) => values[2 * i]);
      const end = Array.from({ length: r }, (_, i) => values[2 * i + 1]);
      pads = call.em.ints(`${call.scope}/pads`, [...begin, ...end]);
    } else {
      // Paddings computed at run time (pad_to_bounding_box from the image's shape): TF's
      // [rank, 2] (begin, end) rows become ONNX's [begins..., ends...] by a transpose.
      const columns = call.em.node('Transpose', `${call.scope}/pads_t`, [call.inputs[1]], { perm: [1, 0] }, call.origin);
      pads = call.em.node('Reshape', `${call.scope}/pads`, [columns, call.em.ints(`${call.scope}/pads_shape`, [-1])], {}, call.origin);
    }
    const inputs = [call.inputs[0], pads];
    let onnxMode = 'constant';
    if (mode === 'mirror') {
      const m = attrString(call.node, 'mode', 'REFLECT');
      if (m !== 'REFLECT') throw new UnsupportedNode(`MirrorPad mode ${m} is not supported (ONNX Pad has reflect only)`);
      onnxMode = 'reflect';
    } else if (call.inputs.length > 2) inputs.push(call.inputs[2]);
    return call.em.node('Pad', call.scope, inputs, { mode: onnxMode }, call.origin);
  };
}

function cast(call: OpCall): string {
  const to = tfDType(attrType(call.node, 'DstT') ?? '');
  if (to === null) throw new UnsupportedNode(`cast to ${attrType(call.node, 'DstT')} is not supported`);
  return call.em.node('Cast', call.scope, [call.inputs[0]], { to }, call.origin);
}

function shape(call: OpCall): OpResult {
  return { outputs: [call.em.node('Shape', call.scope, [call.inputs[0]], {}, call.origin)], ranks: [1] };
}

/** TF Size: the element count as a scalar (ONNX Size). */
function size(call: OpCall): OpResult {
  return { outputs: [call.em.node('Size', call.scope, [call.inputs[0]], {}, call.origin)], ranks: [0] };
}

/** TF Range(start, limit, delta): ONNX Range, same operands (meshgrids of detector heads). */
function range(call: OpCall): OpResult {
  return { outputs: [call.em.node('Range', call.scope, [call.inputs[0], call.inputs[1], call.inputs[2]], {}, call.origin)], ranks: [1] };
}

function gather(withAxis: boolean): OpTranslator {
  return (call) => {
    const axis = withAxis ? intsOf(need(call, 2, 'axis'))[0] : 0;
    if (attrInt(call.node, 'batch_dims', 0) !== 0) throw new UnsupportedNode('batch_dims is not supported');
    const rp = call.rank(0);
    const ri = call.rank(1);
    return {
      outputs: [call.em.node('Gather', call.scope, [call.inputs[0], call.inputs[1]], { axis }, call.origin)],
      ranks: [rp === undefined || ri === undefined ? undefined : rp + ri - 1],
    };
  };
}

function resize(mode: 'linear' | 'nearest'): OpTranslator {
  return (call) => {
    const known = call.constInput(1);
    const alignCorners = attrBool(call.node, 'align_corners');
    const halfPixel = attrBool(call.node, 'half_pixel_centers');
    // TF's coordinate rules in ONNX terms; for nearest, floor((x + 0.5) * scale) with half
    // pixel centres is round_prefer_ceil of ONNX's half_pixel coordinate.
    const coordinate = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
    const nearestMode = alignCorners || halfPixel ? 'round_prefer_ceil' : 'floor';
    const attrs = { mode, coordinate_transformation_mode: coordinate, nearest_mode: nearestMode, axes: [1, 2], channelsLast: true };
    // A size computed at run time (UpSampling2D: the input's height and width times 2) is the
    // Resize's sizes input as it is: [height, width] for axes 1 and 2, as TF's size is.
    const sizes = known === null ? call.inputs[1] : call.em.ints(`${call.scope}/sizes`, intsOf(known));
    return call.em.node('Resize', call.scope, [call.inputs[0], '', '', sizes], attrs, call.origin);
  };
}

function depthToSpace(call: OpCall): string {
  const attrs = { blocksize: attrInt(call.node, 'block_size'), mode: 'DCR', channelsLast: dataFormatLast(call) };
  return call.em.node('DepthToSpace', call.scope, [call.inputs[0]], attrs, call.origin);
}

function tile(call: OpCall): string {
  const multiples = call.constInput(1);
  const m = multiples === null ? call.inputs[1] : call.em.ints(`${call.scope}/repeats`, intsOf(multiples));
  return call.em.node('Tile', call.scope, [call.inputs[0], m], {}, call.origin);
}

function softmax(op: 'Softmax' | 'LogSoftmax'): OpTranslator {
  return unary(op, { axis: -1 });
}

function einsum(call: OpCall): string {
  return call.em.node('Einsum', call.scope, call.inputs, { equation: attrString(call.node, 'equation') }, call.origin);
}

/** BroadcastTo(x, shape) and Fill(dims, value): numpy broadcasting of a tensor or a scalar to a shape. */
function broadcastTo(valueIndex: number, shapeIndex: number): OpTranslator {
  return (call) => call.em.node('Expand', call.scope, [call.inputs[valueIndex], call.inputs[shapeIndex]], {}, call.origin);
}

/**
 * ZerosLike / OnesLike: a constant of the input's shape and type (Shape + ConstantOfShape): it
 * reads only the input's shape, so no gradient flows through it, as in TensorFlow.
 */
function constantLike(value: number): OpTranslator {
  return (call) => {
    const dtype = tfDType(attrType(call.node, 'T') ?? 'DT_FLOAT') ?? 'float32';
    const data = dtype === 'float32' ? Float32Array.of(value) : dtype === 'int32' ? Int32Array.of(value) : Uint8Array.of(value);
    const shapeOf = call.em.node('Shape', `${call.scope}/shape`, [call.inputs[0]], {}, call.origin);
    return { outputs: [call.em.node('ConstantOfShape', call.scope, [shapeOf], { value: { dtype, shape: [1], data } }, call.origin)], ranks: [call.rank(0)] };
  };
}

/**
 * FloorDiv: floor(a / b). Integer operands divide as floats and are cast back (exact below
 * 2^24, far beyond the index arithmetic graph models use it for).
 */
function floorDiv(call: OpCall): OpResult {
  const { em, scope, origin } = call;
  const isInt = tfDType(attrType(call.node, 'T') ?? 'DT_FLOAT') === 'int32';
  const operand = (i: number): string => (isInt ? em.node('Cast', `${scope}/float${i}`, [call.inputs[i]], { to: 'float32' }, origin) : call.inputs[i]);
  const quotient = em.node('Div', `${scope}/div`, [operand(0), operand(1)], {}, origin);
  const floored = em.node('Floor', isInt ? `${scope}/floor` : scope, [quotient], {}, origin);
  const out = isInt ? em.node('Cast', scope, [floored], { to: 'int32' }, origin) : floored;
  return { outputs: [out], ranks: [maxRank(call.rank(0), call.rank(1))] };
}

/** ArgMax/ArgMin(input, dimension): the axis a constant, the reduced axis dropped. */
function argExtreme(op: 'ArgMax' | 'ArgMin'): OpTranslator {
  return (call) => {
    const axis = intsOf(need(call, 1, 'dimension'))[0];
    const r = call.rank(0);
    return { outputs: [call.em.node(op, call.scope, [call.inputs[0]], { axis, keepdims: 0 }, call.origin)], ranks: [r === undefined ? undefined : r - 1] };
  };
}

function gatherNd(call: OpCall): string {
  return call.em.node('GatherND', call.scope, [call.inputs[0], call.inputs[1]], {}, call.origin);
}

/**
 * SparseToDense(indices, output_shape, values, default) as ONNX ScatterND into the default
 * broadcast to the output shape: indices (a scalar, [N] or [N, R]) as [N, R] tuples, a
 * scalar value broadcast to [N]. TF requires distinct indices, so ScatterND's replacement is
 * TF's assignment.
 */
function sparseToDense(call: OpCall): string {
  const { em, scope, origin } = call;
  const outShape = call.constInput(1);
  const indicesRank = call.rank(0);
  // Scalar or [N] indices address a 1-D output; [N, R] indices are tuples already.
  const tupleLength = outShape !== null ? outShape.data.length : indicesRank === 0 || indicesRank === 1 ? 1 : undefined;
  if (tupleLength === undefined && indicesRank !== 2)
    throw new UnsupportedNode('its indices have an unknown rank and its output shape is computed at run time');
  const tuples =
    tupleLength === undefined
      ? call.inputs[0]
      : em.node('Reshape', `${scope}/tuples`, [call.inputs[0], em.ints(`${scope}/tuples_shape`, [-1, tupleLength])], {}, origin);
  const count = em.node('Shape', `${scope}/count`, [tuples], { end: 1 }, origin);
  const updates = em.node('Expand', `${scope}/updates`, [call.inputs[2], count], {}, origin);
  const dense = em.node('Expand', `${scope}/default`, [call.inputs[3], call.inputs[1]], {}, origin);
  return em.node('ScatterND', scope, [dense, tuples, updates], {}, origin);
}

function select(call: OpCall): string {
  return call.em.node('Where', call.scope, [call.inputs[0], call.inputs[1], call.inputs[2]], {}, call.origin);
}

export const CONTROL_FLOW_OPS = new Set([
  'While',
  'StatelessWhile',
  'If',
  'StatelessIf',
  'Enter',
  'Exit',
  'Merge',
  'Switch',
  'NextIteration',
  'LoopCond',
  'TensorListReserve',
  'TensorListFromTensor',
  'TensorListStack',
  'TensorListGetItem',
  'TensorListSetItem',
  'TensorListLength',
  'TensorListConcatV2',
  'TensorListSplit',
  'TensorListPopBack',
  'TensorListPushBack',
  'TensorArrayV3',
  'TensorArrayReadV3',
  'TensorArrayWriteV3',
  'TensorArrayGatherV3',
  'TensorArrayScatterV3',
  'TensorArraySizeV3',
  'TensorArrayConcatV3',
  'TensorArraySplitV3',
]);

export const OP_TRANSLATORS: Readonly<Record<string, OpTranslator>> = {
  Identity: identity,
  IdentityN: identity,
  Snapshot: identity,
  StopGradient: identity,
  PreventGradient: identity,
  EnsureShape: identity,
  CheckNumerics: identity,
  PlaceholderWithDefault: identity,
  Conv2D: conv2d(false),
  _FusedConv2D: conv2d(true),
  DepthwiseConv2dNative: depthwise(false),
  DepthwiseConv2d: depthwise(false),
  FusedDepthwiseConv2dNative: depthwise(true),
  Conv2DBackpropInput: conv2dBackpropInput,
  MatMul: matmul(false),
  _FusedMatMul: matmul(true),
  BatchMatMul: batchMatmul,
  BatchMatMulV2: batchMatmul,
  BatchMatMulV3: batchMatmul,
  Einsum: einsum,
  BiasAdd: biasAdd,
  Add: binary('Add'),
  AddV2: binary('Add'),
  AddN: addN,
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Div: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  SquaredDifference: squaredDifference,
  Square: square,
  Sqrt: unary('Sqrt'),
  Rsqrt: rsqrt,
  Reciprocal: unary('Reciprocal'),
  Inv: unary('Reciprocal'),
  Neg: unary('Neg'),
  Abs: unary('Abs'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Erf: unary('Erf'),
  Sin: unary('Sin'),
  Cos: unary('Cos'),
  Atan: unary('Atan'),
  Atan2: binary('Atan2'),
  ZerosLike: constantLike(0),
  OnesLike: constantLike(1),
  Floor: unary('Floor'),
  Ceil: unary('Ceil'),
  Round: unary('Round'),
  Sign: unary('Sign'),
  Relu: unary('Relu'),
  Relu6: relu6,
  Elu: unary('Elu', { alpha: 1 }),
  Selu: (call) => emitActivation('selu', { em: call.em, scope: call.scope, input: call.inputs[0], origin: call.origin }),
  LeakyRelu: leakyRelu,
  Prelu: binary('PRelu'),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Softplus: unary('Softplus'),
  Softsign: unary('Softsign'),
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
  FusedBatchNorm: fusedBatchNorm,
  FusedBatchNormV2: fusedBatchNorm,
  FusedBatchNormV3: fusedBatchNorm,
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  Mean: reduce('ReduceMean'),
  Sum: reduce('ReduceSum'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  Prod: reduce('ReduceProd'),
  Reshape: reshape,
  Transpose: transpose,
  ConcatV2: concat(false),
  Concat: concat(true),
  Squeeze: squeeze,
  ExpandDims: expandDims,
  Pack: pack,
  Unpack: unpack,
  Split: split,
  SplitV: splitV,
  Slice: slice,
  StridedSlice: stridedSlice,
  Pad: pad('constant'),
  PadV2: pad('constant'),
  MirrorPad: pad('mirror'),
  Cast: cast,
  Shape: shape,
  Size: size,
  Range: range,
  GatherV2: gather(true),
  Gather: gather(false),
  ResizeBilinear: resize('linear'),
  ResizeNearestNeighbor: resize('nearest'),
  DepthToSpace: depthToSpace,
  Tile: tile,
  Select: select,
  SelectV2: select,
  BroadcastTo: broadcastTo(0, 1),
  Fill: broadcastTo(1, 0),
  GatherNd: gatherNd,
  SparseToDense: sparseToDense,
  FloorMod: binary('Mod'),
  FloorDiv: floorDiv,
  ArgMax: argExtreme('ArgMax'),
  ArgMin: argExtreme('ArgMin'),
  DivNoNan: binary('DivNoNan'),
  Greater: binary('Greater'),
  GreaterEqual: binary('GreaterOrEqual'),
  Less: binary('Less'),
  LessEqual: binary('LessOrEqual'),
  Equal: binary('Equal'),
  LogicalAnd: binary('And'),
  LogicalOr: binary('Or'),
  LogicalNot: unary('Not'),
};
