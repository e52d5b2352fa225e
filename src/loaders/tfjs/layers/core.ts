/**
 * Keras core, activation, merge and reshaping layers as internal ops. A layer's nodes are
 * named after it (`<layer>` for the main op, `<layer>/bias`, `<layer>/<activation>`), and the
 * caller names the layer's final tensor after the layer.
 */
import { emitActivation, isKnownActivation } from '../activations';
import { activationName, bool, ConfigError, intList, num, optNum, str, type JsonObject } from '../config';
import type { LayerCall, LayerResult, LayerTranslator } from './context';
import { UnsupportedLayerConfig } from './context';

/** Applies a layer's fused activation (if any) after its linear part. */
export function withActivation(call: LayerCall, x: string, config: JsonObject = call.config): string {
  const act = activationName(config);
  if (act.toLowerCase() === 'linear') return x;
  if (!isKnownActivation(act)) throw new UnsupportedLayerConfig(`activation "${act}" is not supported`);
  return emitActivation(act, { em: call.em, scope: call.scope, input: x, origin: call.origin });
}

function dense(call: LayerCall): string {
  const { em, scope, origin, config } = call;
  let x = em.node('MatMul', scope, [call.inputs[0], call.weight('kernel')], {}, origin);
  if (bool(config, 'use_bias', true)) x = em.node('Add', `${scope}/bias`, [x, call.weight('bias')], {}, origin);
  return withActivation(call, x);
}

function activation(call: LayerCall): string {
  const act = activationName(call.config);
  if (!isKnownActivation(act)) throw new UnsupportedLayerConfig(`activation "${act}" is not supported`);
  return emitActivation(act, { em: call.em, scope: call.scope, input: call.inputs[0], origin: call.origin, nodeName: call.scope });
}

function relu(call: LayerCall): string {
  const { em, scope, origin, config } = call;
  const max = optNum(config, 'max_value');
  const slope = num(config, 'negative_slope', 0);
  const threshold = num(config, 'threshold', 0);
  if (threshold !== 0) throw new UnsupportedLayerConfig(`ReLU with threshold ${threshold} is not supported`);
  const first = max === null ? scope : `${scope}/${slope === 0 ? 'relu' : 'leaky_relu'}`;
  const x = slope === 0 ? em.node('Relu', first, [call.inputs[0]], {}, origin) : em.node('LeakyRelu', first, [call.inputs[0]], { alpha: slope }, origin);
  if (max === null) return x;
  return em.node('Clip', scope, [x, '', em.floats(`${scope}/max`, [max], [])], {}, origin);
}

function reluLayer(call: LayerCall): string {
  // Emit Clip alone for a capped ReLU instead of Relu followed by Clip.
  const max = optNum(call.config, 'max_value');
  const slope = num(call.config, 'negative_slope', 0);
  if (max !== null && slope === 0 && num(call.config, 'threshold', 0) === 0) {
    const { em, scope, origin } = call;
    return em.node('Clip', scope, [call.inputs[0], em.floats(`${scope}/min`, [0], []), em.floats(`${scope}/max`, [max], [])], {}, origin);
  }
  return relu(call);
}

function leakyRelu(call: LayerCall): string {
  const alpha = call.config.negative_slope !== undefined ? num(call.config, 'negative_slope') : num(call.config, 'alpha', 0.3);
  return call.em.node('LeakyRelu', call.scope, [call.inputs[0]], { alpha }, call.origin);
}

function prelu(call: LayerCall): string {
  return call.em.node('PRelu', call.scope, [call.inputs[0], call.weight('alpha')], {}, call.origin);
}

function elu(call: LayerCall): string {
  return call.em.node('Elu', call.scope, [call.inputs[0]], { alpha: num(call.config, 'alpha', 1) }, call.origin);
}

function softmax(call: LayerCall): string {
  const axisValue = call.config.axis;
  const axis = Array.isArray(axisValue) && axisValue.length === 1 ? (axisValue[0] as number) : num(call.config, 'axis', -1);
  return call.em.node('Softmax', call.scope, [call.inputs[0]], { axis }, call.origin);
}

/** Layers that are the identity at inference (dropout and noise). */
function identity(call: LayerCall): string {
  return call.inputs[0];
}

function binaryChain(op: string): LayerTranslator {
  return (call) => {
    if (call.inputs.length < 2) throw new ConfigError(`${call.className} needs at least two inputs`);
    let x = call.inputs[0];
    for (let i = 1; i < call.inputs.length; i++) {
      const name = i === call.inputs.length - 1 ? call.scope : `${call.scope}/${i}`;
      x = call.em.node(op, name, [x, call.inputs[i]], {}, call.origin);
    }
    return { outputs: [x], ranks: [maxRank(call.ranks)] };
  };
}

function maxRank(ranks: readonly (number | undefined)[]): number | undefined {
  return ranks.some((r) => r === undefined) ? undefined : Math.max(...(ranks as number[]));
}

function subtract(call: LayerCall): LayerResult {
  if (call.inputs.length !== 2) throw new ConfigError('Subtract needs exactly two inputs');
  return { outputs: [call.em.node('Sub', call.scope, [call.inputs[0], call.inputs[1]], {}, call.origin)], ranks: [maxRank(call.ranks)] };
}

function average(call: LayerCall): LayerResult {
  const sum = binaryChain('Add')({ ...call, scope: `${call.scope}/sum` }) as LayerResult;
  const x = call.em.node('Mul', call.scope, [sum.outputs[0], call.em.floats(`${call.scope}/inv_n`, [1 / call.inputs.length], [])], {}, call.origin);
  return { outputs: [x], ranks: sum.ranks };
}

function concatenate(call: LayerCall): string {
  return call.em.node('Concat', call.scope, call.inputs, { axis: num(call.config, 'axis', -1) }, call.origin);
}

function flatten(call: LayerCall): LayerResult {
  let x = call.inputs[0];
  const rank = call.ranks[0];
  if (str(call.config, 'data_format', 'channels_last') === 'channels_first' && rank !== undefined && rank > 2) {
    // Keras flattens channels-first tensors in channels-last order.
    const perm = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
    x = call.em.node('Transpose', `${call.scope}/to_channels_last`, [x], { perm }, call.origin);
  }
  return { outputs: [call.em.node('Flatten', call.scope, [x], { axis: 1 }, call.origin)], ranks: [2] };
}

function reshape(call: LayerCall): LayerResult {
  const target = intList(call.config.target_shape, 'target_shape');
  // Batch dimension: inferred (-1) unless the target infers one itself; then copied (0).
  const shape = target.includes(-1) ? [0, ...target] : [-1, ...target];
  const x = call.em.node('Reshape', call.scope, [call.inputs[0], call.em.ints(`${call.scope}/shape`, shape)], {}, call.origin);
  return { outputs: [x], ranks: [target.length + 1] };
}

function permute(call: LayerCall): string {
  const dims = intList(call.config.dims, 'dims');
  return call.em.node('Transpose', call.scope, [call.inputs[0]], { perm: [0, ...dims] }, call.origin);
}

function repeatVector(call: LayerCall): LayerResult {
  const n = num(call.config, 'n');
  const { em, scope, origin } = call;
  const u = em.node('Unsqueeze', `${scope}/unsqueeze`, [call.inputs[0], em.ints(`${scope}/axes`, [1])], {}, origin);
  const x = em.node('Concat', scope, new Array<string>(n).fill(u), { axis: 1 }, origin);
  return { outputs: [x], ranks: [3] };
}

function embedding(call: LayerCall): LayerResult {
  const { em, scope, origin } = call;
  const ids = em.node('Cast', `${scope}/ids`, [call.inputs[0]], { to: 'int32' }, origin);
  const x = em.node('Gather', scope, [call.weight('embeddings'), ids], { axis: 0 }, origin);
  const r = call.ranks[0];
  return { outputs: [x], ranks: [r === undefined ? undefined : r + 1] };
}

function rescaling(call: LayerCall): string {
  const { em, scope, origin } = call;
  const scale = num(call.config, 'scale');
  const offset = num(call.config, 'offset', 0);
  const x = em.node('Mul', `${scope}/scale`, [call.inputs[0], em.floats(`${scope}/scale_value`, [scale], [])], {}, origin);
  return offset === 0 ? x : em.node('Add', `${scope}/offset`, [x, em.floats(`${scope}/offset_value`, [offset], [])], {}, origin);
}

export const coreLayers: Readonly<Record<string, LayerTranslator>> = {
  Dense: dense,
  Activation: activation,
  ReLU: reluLayer,
  LeakyReLU: leakyRelu,
  PReLU: prelu,
  ELU: elu,
  Softmax: softmax,
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  SpatialDropout3D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
  Add: binaryChain('Add'),
  Subtract: subtract,
  Multiply: binaryChain('Mul'),
  Average: average,
  Maximum: binaryChain('Max'),
  Minimum: binaryChain('Min'),
  Concatenate: concatenate,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  RepeatVector: repeatVector,
  Embedding: embedding,
  Rescaling: rescaling,
};
