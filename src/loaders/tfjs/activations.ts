/**
 * TensorFlow.js / Keras activation functions as internal ops. Used for Activation layers, for
 * the activation fused into Dense/Conv layers and for the fused ops of graph models. Functions
 * without an ONNX op of their own (swish, gelu, mish) are composed from primitive ops, so the
 * engine sees the same pattern an ONNX exporter would write.
 */
import type { NodeOrigin } from '../../graph/ir';
import type { GraphEmitter } from './emitter';

export const SELU_ALPHA = 1.6732632423543772;
export const SELU_GAMMA = 1.0507009873554805;

/** Activation names the translators accept (Keras spelling, lower case). */
const KNOWN = new Set([
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hard_sigmoid',
  'hardsigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'swish',
  'silu',
  'mish',
  'gelu',
  'gelu_new',
  'exponential',
  'leaky_relu',
  'leakyrelu',
  'log_softmax',
]);

export function isKnownActivation(name: string): boolean {
  return KNOWN.has(normalise(name));
}

function normalise(name: string): string {
  return name.toLowerCase();
}

export interface ActivationCall {
  readonly em: GraphEmitter;
  /** Base for node names, e.g. the layer name: nodes are `<scope>/<activation>`. */
  readonly scope: string;
  readonly input: string;
  readonly origin: NodeOrigin;
  /** Name of the final node (default `<scope>/<activation>`): an Activation layer's own name. */
  readonly nodeName?: string;
  /** Name of the final output tensor (default: a name derived from the node). */
  readonly output?: string;
  /** For leaky_relu. */
  readonly alpha?: number;
  /** Axis for softmax (default -1). */
  readonly axis?: number;
}

/**
 * Emits `activation(input)` ending in a tensor called `output`; 'linear' emits an Identity
 * (so the requested output name exists). Throws for names not in `isKnownActivation`.
 */
export function emitActivation(activation: string, call: ActivationCall): string {
  const { em, scope, input, origin, output } = call;
  const act = normalise(activation);
  const last = call.nodeName ?? `${scope}/${act}`;
  const single = (op: string, attrs: Record<string, number> = {}, extra: string[] = []): string =>
    em.node(op, last, [input, ...extra], attrs, origin, { output });
  switch (act) {
    case 'linear':
      return em.node('Identity', call.nodeName ?? `${scope}/identity`, [input], {}, origin, { output });
    case 'relu':
      return single('Relu');
    case 'relu6':
      return single('Clip', {}, [em.floats(`${scope}/relu6_min`, [0], []), em.floats(`${scope}/relu6_max`, [6], [])]);
    case 'elu':
      return single('Elu', { alpha: call.alpha ?? 1 });
    case 'selu':
      return single('Selu', { alpha: SELU_ALPHA, gamma: SELU_GAMMA });
    case 'sigmoid':
      return single('Sigmoid');
    case 'hard_sigmoid':
    case 'hardsigmoid':
      // TF.js: clip(0.2 x + 0.5, 0, 1).
      return single('HardSigmoid', { alpha: 0.2, beta: 0.5 });
    case 'tanh':
      return single('Tanh');
    case 'softmax':
      return single('Softmax', { axis: call.axis ?? -1 });
    case 'log_softmax':
      return single('LogSoftmax', { axis: call.axis ?? -1 });
    case 'softplus':
      return single('Softplus');
    case 'softsign':
      return single('Softsign');
    case 'exponential':
      return single('Exp');
    case 'leaky_relu':
    case 'leakyrelu':
      return single('LeakyRelu', { alpha: call.alpha ?? 0.2 });
    case 'swish':
    case 'silu': {
      const s = em.node('Sigmoid', `${scope}/swish/sigmoid`, [input], {}, origin);
      return em.node('Mul', call.nodeName ?? `${scope}/swish`, [input, s], {}, origin, { output });
    }
    case 'mish': {
      const sp = em.node('Softplus', `${scope}/mish/softplus`, [input], {}, origin);
      const t = em.node('Tanh', `${scope}/mish/tanh`, [sp], {}, origin);
      return em.node('Mul', call.nodeName ?? `${scope}/mish`, [input, t], {}, origin, { output });
    }
    case 'gelu': {
      // Exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), in the Div/Erf/Add/Mul/Mul pattern ONNX
      // exporters write (the engine recognises it as one nonlinearity).
      const div = em.node('Div', `${scope}/gelu/div`, [input, em.floats(`${scope}/gelu/sqrt2`, [Math.SQRT2], [])], {}, origin);
      const erf = em.node('Erf', `${scope}/gelu/erf`, [div], {}, origin);
      const add = em.node('Add', `${scope}/gelu/add`, [erf, em.floats(`${scope}/gelu/one`, [1], [])], {}, origin);
      const mul = em.node('Mul', `${scope}/gelu/mul`, [input, add], {}, origin);
      return em.node('Mul', call.nodeName ?? `${scope}/gelu`, [mul, em.floats(`${scope}/gelu/half`, [0.5], [])], {}, origin, { output });
    }
    case 'gelu_new': {
      // Tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
      const x3 = em.node('Pow', `${scope}/gelu_new/cube`, [input, em.floats(`${scope}/gelu_new/three`, [3], [])], {}, origin);
      const scaled = em.node('Mul', `${scope}/gelu_new/mul_c`, [x3, em.floats(`${scope}/gelu_new/c`, [0.044715], [])], {}, origin);
      const inner = em.node('Add', `${scope}/gelu_new/add_x`, [input, scaled], {}, origin);
      const arg = em.node('Mul', `${scope}/gelu_new/mul_k`, [inner, em.floats(`${scope}/gelu_new/k`, [Math.sqrt(2 / Math.PI)], [])], {}, origin);
      const t = em.node('Tanh', `${scope}/gelu_new/tanh`, [arg], {}, origin);
      const onePlus = em.node('Add', `${scope}/gelu_new/add_one`, [t, em.floats(`${scope}/gelu_new/one`, [1], [])], {}, origin);
      const half = em.node('Mul', `${scope}/gelu_new/mul_x`, [input, onePlus], {}, origin);
      return em.node('Mul', call.nodeName ?? `${scope}/gelu_new`, [half, em.floats(`${scope}/gelu_new/half`, [0.5], [])], {}, origin, { output });
    }
    default:
      throw new Error(`unknown activation "${activation}"`);
  }
}
