/**
 * Keras convolution, pooling, padding, cropping, upsampling and normalisation layers as
 * internal ops. Channels-last layers keep TensorFlow's layout (`channelsLast` on the op, TF
 * kernel layout [k..., Cin/group, Cout]); channels-first ones get ONNX's layout, with the
 * kernels transposed once at load time.
 */
import type { ConstTensor } from '../../../graph/ir';
import { bool, ConfigError, num, str, tuple, type Json, type JsonObject } from '../config';
import { reshapeConst, transposedConvPadding } from '../geometry';
import { transposeConst } from '../../../graph/constants';
import type { LayerCall, LayerTranslator } from './context';
import { UnsupportedLayerConfig } from './context';
import { withActivation } from './core';

function channelsLast(config: JsonObject): boolean {
  const f = str(config, 'data_format', 'channels_last');
  if (f !== 'channels_last' && f !== 'channels_first') throw new ConfigError(`unknown data_format "${f}"`);
  return f === 'channels_last';
}

/** Padding attributes of Conv / pools for Keras 'same' / 'valid' / 'causal' (1-D). */
function paddingAttrs(config: JsonObject, kernel: readonly number[], dilation: readonly number[]): Record<string, string | number[]> {
  const padding = str(config, 'padding', 'valid').toLowerCase();
  if (padding === 'same') return { auto_pad: 'SAME_UPPER' };
  if (padding === 'valid') return { auto_pad: 'VALID' };
  if (padding === 'causal' && kernel.length === 1) return { pads: [(kernel[0] - 1) * dilation[0], 0] };
  throw new UnsupportedLayerConfig(`padding "${padding}" is not supported`);
}

/** Kernel in TF layout [k..., Cin, Cout] -> the layout the op wants. */
function convKernel(call: LayerCall, weightName: string, last: boolean, relayout?: (c: ConstTensor) => ConstTensor): string {
  if (last && relayout === undefined) return call.weight(weightName);
  let value = call.weightValue(weightName);
  if (relayout) value = relayout(value);
  if (!last) {
    const nd = value.shape.length - 2;
    value = transposeConst(value, [nd + 1, nd, ...Array.from({ length: nd }, (_, i) => i)]);
  }
  return call.em.constant(`${call.scope}/${weightName}:${last ? 'relaid' : 'oihw'}`, value);
}

function conv(nd: number): LayerTranslator {
  return (call) => {
    const { config, em, scope, origin } = call;
    const last = channelsLast(config);
    const kernel = tuple(config, 'kernel_size', nd);
    const strides = tuple(config, 'strides', nd, 1);
    const dilations = tuple(config, 'dilation_rate', nd, 1);
    const group = num(config, 'groups', 1);
    const w = convKernel(call, 'kernel', last);
    const inputs = [call.inputs[0], w];
    if (bool(config, 'use_bias', true)) inputs.push(call.weight('bias'));
    const attrs = { kernel_shape: kernel, strides, dilations, group, channelsLast: last, ...paddingAttrs(config, kernel, dilations) };
    return withActivation(call, em.node('Conv', scope, inputs, attrs, origin));
  };
}

/** Depthwise kernel [k..., C, mult] as a grouped convolution kernel [k..., 1, C*mult]. */
function depthwiseAsGrouped(c: ConstTensor): ConstTensor {
  const s = c.shape;
  const nd = s.length - 2;
  return reshapeConst(c, [...s.slice(0, nd), 1, s[nd] * s[nd + 1]]);
}

function emitDepthwise(call: LayerCall, nd: number, name: string, hasBias: boolean): string {
  const { config, em, origin } = call;
  const last = channelsLast(config);
  const kernel = tuple(config, 'kernel_size', nd);
  const strides = tuple(config, 'strides', nd, 1);
  const dilations = tuple(config, 'dilation_rate', nd, 1);
  const value = call.weightValue('depthwise_kernel');
  const channels = value.shape[nd];
  const w = convKernel(call, 'depthwise_kernel', last, depthwiseAsGrouped);
  const inputs = [call.inputs[0], w];
  if (hasBias) inputs.push(call.weight('bias'));
  const attrs = { kernel_shape: kernel, strides, dilations, group: channels, channelsLast: last, ...paddingAttrs(config, kernel, dilations) };
  return em.node('Conv', name, inputs, attrs, origin);
}

function depthwiseConv(nd: number): LayerTranslator {
  return (call) => withActivation(call, emitDepthwise(call, nd, call.scope, bool(call.config, 'use_bias', true)));
}

function separableConv(nd: number): LayerTranslator {
  return (call) => {
    const { config, em, scope, origin } = call;
    const last = channelsLast(config);
    const depthwise = emitDepthwise(call, nd, `${scope}/depthwise`, false);
    const inputs = [depthwise, convKernel(call, 'pointwise_kernel', last)];
    if (bool(config, 'use_bias', true)) inputs.push(call.weight('bias'));
    const ones = new Array<number>(nd).fill(1);
    const attrs = { kernel_shape: ones, strides: ones, dilations: ones, group: 1, channelsLast: last, auto_pad: 'VALID' };
    return withActivation(call, em.node('Conv', scope, inputs, attrs, origin));
  };
}

function convTranspose(nd: number): LayerTranslator {
  return (call) => {
    const { config, em, scope, origin } = call;
    const last = channelsLast(config);
    const kernel = tuple(config, 'kernel_size', nd);
    const strides = tuple(config, 'strides', nd, 1);
    const dilations = tuple(config, 'dilation_rate', nd, 1);
    if (config.output_padding !== undefined && config.output_padding !== null) {
      throw new UnsupportedLayerConfig('an explicit output_padding is not supported');
    }
    const padding = str(config, 'padding', 'valid').toLowerCase();
    if (padding !== 'same' && padding !== 'valid') throw new UnsupportedLayerConfig(`padding "${padding}" is not supported`);
    const geo = kernel.map((k, i) => transposedConvPadding(k, strides[i], dilations[i], padding));
    // Keras kernel [k..., Cout, Cin] is already the channels-last ConvTranspose layout; ONNX
    // wants [Cin, Cout, k...].
    let w = call.weight('kernel');
    if (!last) {
      const value = call.weightValue('kernel');
      w = em.constant(`${scope}/kernel:iohw`, transposeConst(value, [nd + 1, nd, ...Array.from({ length: nd }, (_, i) => i)]));
    }
    const inputs = [call.inputs[0], w];
    if (bool(config, 'use_bias', true)) inputs.push(call.weight('bias'));
    const attrs = {
      kernel_shape: kernel,
      strides,
      dilations,
      group: 1,
      channelsLast: last,
      pads: [...geo.map((g) => g.begin), ...geo.map((g) => g.end)],
      output_padding: geo.map((g) => g.outputPadding),
    };
    return withActivation(call, em.node('ConvTranspose', scope, inputs, attrs, origin));
  };
}

function pool(op: 'MaxPool' | 'AveragePool', nd: number): LayerTranslator {
  return (call) => {
    const { config, em, scope, origin } = call;
    const size = tuple(config, 'pool_size', nd, 2);
    const stridesRaw = config.strides;
    const strides = stridesRaw === null || stridesRaw === undefined ? size : tuple(config, 'strides', nd);
    const attrs = {
      kernel_shape: size,
      strides,
      channelsLast: channelsLast(config),
      ...paddingAttrs(
        config,
        size,
        size.map(() => 1),
      ),
    };
    return em.node(op, scope, [call.inputs[0]], attrs, origin);
  };
}

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerTranslator {
  return (call) => {
    const { config, em, scope, origin } = call;
    const pooled = em.node(op, `${scope}/pool`, [call.inputs[0]], { channelsLast: channelsLast(config) }, origin);
    if (bool(config, 'keepdims', false)) return pooled;
    // Keras drops the pooled spatial dimensions: [N, 1, ..., 1, C] -> [N, C].
    return { outputs: [em.node('Flatten', scope, [pooled], { axis: 1 }, origin)], ranks: [2] };
  };
}

/** Keras padding/cropping amounts: int, [a, b] per axis, or [[a, b], ...]. */
function amounts(value: Json | undefined, nd: number, what: string): [number, number][] {
  if (typeof value === 'number') return new Array(nd).fill(0).map(() => [value, value]);
  if (Array.isArray(value) && value.length === nd) {
    return value.map((v) => {
      if (typeof v === 'number') return [v, v] as [number, number];
      if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]] as [number, number];
      throw new ConfigError(`${what} is malformed: ${JSON.stringify(value)}`);
    });
  }
  if (nd === 1 && Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    return [[value[0] as number, value[1] as number]];
  }
  throw new ConfigError(`${what} is malformed: ${JSON.stringify(value)}`);
}

/** Spatial axes of a rank nd+2 tensor. */
function spatialAxes(nd: number, last: boolean): number[] {
  return Array.from({ length: nd }, (_, i) => (last ? i + 1 : i + 2));
}

function zeroPadding(nd: number): LayerTranslator {
  return (call) => {
    const { config, em, scope, origin } = call;
    const amount = amounts(config.padding, nd, 'padding');
    const axes = spatialAxes(nd, channelsLast(config));
    const begin = new Array<number>(nd + 2).fill(0);
    const end = new Array<number>(nd + 2).fill(0);
    axes.forEach((a, i) => {
      begin[a] = amount[i][0];
      end[a] = amount[i][1];
    });
    return em.node('Pad', scope, [call.inputs[0], em.ints(`${scope}/pads`, [...begin, ...end])], { mode: 'constant' }, origin);
  };
}

function cropping(nd: number): LayerTranslator {
  return (call) => {
    const { config, em, scope, origin } = call;
    const amount = amounts(config.cropping, nd, 'cropping');
    const axes = spatialAxes(nd, channelsLast(config));
    const starts = amount.map((a) => a[0]);
    const ends = amount.map((a) => (a[1] === 0 ? 2147483647 : -a[1]));
    const inputs = [call.inputs[0], em.ints(`${scope}/starts`, starts), em.ints(`${scope}/ends`, ends), em.ints(`${scope}/axes`, axes)];
    return em.node('Slice', scope, inputs, {}, origin);
  };
}

function upSampling(nd: number): LayerTranslator {
  return (call) => {
    const { config, em, scope, origin } = call;
    const size = tuple(config, 'size', nd, 2);
    const last = channelsLast(config);
    const interpolation = str(config, 'interpolation', 'nearest');
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') throw new UnsupportedLayerConfig(`interpolation "${interpolation}" is not supported`);
    const scales = last ? [1, ...size, 1] : [1, 1, ...size];
    // TF.js resizes without align_corners / half_pixel_centers: asymmetric coordinates.
    const attrs = {
      mode: interpolation === 'nearest' ? 'nearest' : 'linear',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
      channelsLast: last,
    };
    return em.node('Resize', scope, [call.inputs[0], '', em.floats(`${scope}/scales`, scales)], attrs, origin);
  };
}

function axisOf(config: JsonObject): number[] {
  const v = config.axis;
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((a) => typeof a === 'number')) return v as number[];
  if (v === undefined || v === null) return [-1];
  throw new ConfigError(`"axis" is malformed: ${JSON.stringify(v)}`);
}

function batchNorm(call: LayerCall): string {
  const { config, em, scope, origin } = call;
  const rank = call.ranks[0];
  const axes = axisOf(config);
  if (axes.length !== 1) throw new UnsupportedLayerConfig(`normalisation over axes [${axes.join(', ')}] is not supported`);
  if (rank === undefined) throw new UnsupportedLayerConfig('the rank of the input is unknown');
  const axis = axes[0] < 0 ? axes[0] + rank : axes[0];
  if (axis !== rank - 1 && axis !== 1) throw new UnsupportedLayerConfig(`normalisation along axis ${axis} of a rank-${rank} tensor is not supported`);
  const mean = call.weightValue('moving_mean');
  const channels = mean.shape[0];
  const filled = (value: number, what: string): string => em.floats(`${scope}/${what}`, new Array<number>(channels).fill(value));
  const scale = bool(config, 'scale', true) ? call.weight('gamma') : filled(1, 'gamma');
  const bias = bool(config, 'center', true) ? call.weight('beta') : filled(0, 'beta');
  const inputs = [call.inputs[0], scale, bias, call.weight('moving_mean'), call.weight('moving_variance')];
  const attrs = { epsilon: num(config, 'epsilon', 1e-3), channelsLast: axis === rank - 1 && rank > 2 };
  return em.node('BatchNormalization', scope, inputs, attrs, origin);
}

function layerNorm(call: LayerCall): string {
  const { config, em, scope, origin } = call;
  const rank = call.ranks[0];
  if (rank === undefined) throw new UnsupportedLayerConfig('the rank of the input is unknown');
  const axes = axisOf(config)
    .map((a) => (a < 0 ? a + rank : a))
    .sort((a, b) => a - b);
  const first = axes[0];
  if (!axes.every((a, i) => a === first + i) || axes[axes.length - 1] !== rank - 1) {
    throw new UnsupportedLayerConfig(`normalisation over axes [${axes.join(', ')}] (not the trailing axes) is not supported`);
  }
  const scale = bool(config, 'scale', true) ? call.weight('gamma') : em.floats(`${scope}/gamma`, [1]);
  const inputs = [call.inputs[0], scale];
  if (bool(config, 'center', true)) inputs.push(call.weight('beta'));
  return em.node('LayerNormalization', scope, inputs, { axis: first, epsilon: num(config, 'epsilon', 1e-3) }, origin);
}

export const spatialLayers: Readonly<Record<string, LayerTranslator>> = {
  Conv1D: conv(1),
  Conv2D: conv(2),
  Conv3D: conv(3),
  Convolution1D: conv(1),
  Convolution2D: conv(2),
  Convolution3D: conv(3),
  DepthwiseConv1D: depthwiseConv(1),
  DepthwiseConv2D: depthwiseConv(2),
  SeparableConv1D: separableConv(1),
  SeparableConv2D: separableConv(2),
  SeparableConvolution2D: separableConv(2),
  Conv2DTranspose: convTranspose(2),
  Conv3DTranspose: convTranspose(3),
  Convolution2DTranspose: convTranspose(2),
  MaxPooling1D: pool('MaxPool', 1),
  MaxPooling2D: pool('MaxPool', 2),
  MaxPooling3D: pool('MaxPool', 3),
  MaxPool1D: pool('MaxPool', 1),
  MaxPool2D: pool('MaxPool', 2),
  MaxPool3D: pool('MaxPool', 3),
  AveragePooling1D: pool('AveragePool', 1),
  AveragePooling2D: pool('AveragePool', 2),
  AveragePooling3D: pool('AveragePool', 3),
  AvgPool1D: pool('AveragePool', 1),
  AvgPool2D: pool('AveragePool', 2),
  AvgPool3D: pool('AveragePool', 3),
  GlobalAveragePooling1D: globalPool('GlobalAveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalAveragePooling3D: globalPool('GlobalAveragePool'),
  GlobalAvgPool1D: globalPool('GlobalAveragePool'),
  GlobalAvgPool2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling1D: globalPool('GlobalMaxPool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
  GlobalMaxPooling3D: globalPool('GlobalMaxPool'),
  GlobalMaxPool1D: globalPool('GlobalMaxPool'),
  GlobalMaxPool2D: globalPool('GlobalMaxPool'),
  ZeroPadding1D: zeroPadding(1),
  ZeroPadding2D: zeroPadding(2),
  ZeroPadding3D: zeroPadding(3),
  Cropping1D: cropping(1),
  Cropping2D: cropping(2),
  Cropping3D: cropping(3),
  UpSampling2D: upSampling(2),
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
};
