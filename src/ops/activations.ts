/**
 * Activation functions (ONNX opset 18; Gelu as in opset 20). Elementwise ones are flagged
 * `elementwiseNonlinearity` so the collapse measures apply to them. Derivatives at kinks
 * follow the usual convention of the strict inequality: Relu'(0) = 0, Clip passes the
 * gradient only strictly inside (min, max).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attributes } from '../graph/ir';
import type { OpKernel, Tensor } from './kernel';
import { attrNumber, attrString, broadcastFloat, normalizeAxis, required, unbroadcast } from './kernelUtil';
import { broadcasting, noLargerThanInput } from './bounds';

/** An elementwise nonlinearity whose derivative is `grad(x, y, attrs)`. */
function activation(forward: (x: Tensor, attrs: Attributes) => Tensor, grad: (x: Tensor, y: Tensor, attrs: Attributes) => Tensor): OpKernel {
  return {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    layout: 'unary',
    elementwiseNonlinearity: true,
    forward: ({ inputs, attrs }) => [forward(required(inputs, 0, 'X'), attrs)],
    vjp: ({ inputs, outputs, dys, attrs }) => [tf.mul(dys[0]!, grad(inputs[0]!, outputs[0], attrs))],
    // The derivative broadcasts against the probes' cotangents.
    probeStacking: () => 'leading',
  };
}

/** 1 where `cond`, else 0, as float32. */
function indicator(cond: Tensor): Tensor {
  return tf.cast(cond, 'float32');
}

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;
const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/** alpha * (exp(x) - 1) for x <= 0, x above. */
function elu(x: Tensor, alpha: number): Tensor {
  return tf.where(tf.greater(x, 0), x, tf.mul(alpha, tf.sub(tf.exp(x), 1)));
}

function hardSigmoid(x: Tensor, alpha: number, beta: number): Tensor {
  return tf.clipByValue(tf.add(tf.mul(alpha, x), beta), 0, 1);
}

/** Derivative of hardSigmoid: alpha strictly inside the linear part, 0 outside. */
function hardSigmoidGrad(x: Tensor, alpha: number, beta: number): Tensor {
  const z = tf.add(tf.mul(alpha, x), beta);
  return tf.mul(alpha, indicator(tf.logicalAnd(tf.greater(z, 0), tf.less(z, 1))));
}

function geluApproximate(attrs: Attributes): boolean {
  const mode = attrString(attrs, 'approximate', 'none');
  if (mode !== 'none' && mode !== 'tanh') throw new Error(`Gelu approximate="${mode}" is not none or tanh`);
  return mode === 'tanh';
}

/** tanh(sqrt(2/pi) * (x + 0.044715 x^3)), the inner part of tanh-approximate GELU. */
function geluTanhInner(x: Tensor): Tensor {
  return tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(GELU_CUBIC, tf.pow(x, 3)))));
}

function gelu(x: Tensor, attrs: Attributes): Tensor {
  const inner = geluApproximate(attrs) ? geluTanhInner(x) : tf.erf(tf.mul(x, SQRT_HALF));
  return tf.mul(tf.mul(0.5, x), tf.add(1, inner));
}

function geluGrad(x: Tensor, attrs: Attributes): Tensor {
  if (geluApproximate(attrs)) {
    const t = geluTanhInner(x);
    const dInner = tf.mul(SQRT_2_OVER_PI, tf.add(1, tf.mul(3 * GELU_CUBIC, tf.square(x))));
    // 0.5 (1 + t) + 0.5 x (1 - t^2) dInner
    return tf.add(tf.mul(0.5, tf.add(1, t)), tf.mul(tf.mul(0.5, x), tf.mul(tf.sub(1, tf.square(t)), dInner)));
  }
  // Phi(x) + x phi(x)
  const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, SQRT_HALF))));
  const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(x))));
  return tf.add(cdf, tf.mul(x, pdf));
}

function softmaxAxis(x: Tensor, attrs: Attributes): number {
  return normalizeAxis(attrNumber(attrs, 'axis', -1), x.rank);
}

/** Numerically stable softmax along one axis. */
function softmax(x: Tensor, axis: number): Tensor {
  // The backend's fused kernel handles the last axis (the common case).
  if (axis === x.rank - 1 && x.dtype === 'float32') return tf.softmax(x, -1);
  const e = tf.exp(tf.sub(x, tf.max(x, axis, true)));
  return tf.div(e, tf.sum(e, axis, true));
}

function logSoftmax(x: Tensor, axis: number): Tensor {
  const shifted = tf.sub(x, tf.max(x, axis, true));
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
}

/** PRelu: the slope broadcasts unidirectionally to X. */
const prelu: OpKernel = {
  dataInputs: [0, 1],
  outputBound: broadcasting,
  layout: 'broadcast',
  elementwiseNonlinearity: true,
  forward: ({ inputs }) => {
    const x = required(inputs, 0, 'X');
    const slope = required(inputs, 1, 'slope');
    return [tf.where(tf.less(x, 0), tf.mul(x, slope), x)];
  },
  vjp: ({ inputs, dys }) => {
    const x = inputs[0]!;
    const slope = inputs[1]!;
    const dy = dys[0]!;
    const negative = tf.less(x, 0);
    const dx = tf.where(negative, tf.mul(dy, broadcastFloat(slope, x.shape)), dy);
    const dSlope = unbroadcast(tf.where(negative, tf.mul(dy, x), tf.zerosLike(dy)), slope.shape);
    return [dx, dSlope];
  },
};

/** Clip with optional min (input 1) and max (input 2) tensors. */
const clip: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  layout: 'unary',
  elementwiseNonlinearity: true,
  forward: ({ inputs }) => {
    let y = required(inputs, 0, 'input');
    const lo = inputs[1];
    const hi = inputs[2];
    if (lo !== undefined && lo.size > 0) y = tf.maximum(y, tf.cast(lo, y.dtype));
    if (hi !== undefined && hi.size > 0) y = tf.minimum(y, tf.cast(hi, y.dtype));
    // A fresh tensor even with no bounds: outputs must not alias inputs.
    return [y === inputs[0] ? y.clone() : y];
  },
  vjp: ({ inputs, dys }) => {
    const x = inputs[0]!;
    const lo = inputs[1];
    const hi = inputs[2];
    let inside: Tensor | undefined;
    const and = (c: Tensor): Tensor => (inside === undefined ? c : tf.logicalAnd(inside, c));
    if (lo !== undefined && lo.size > 0) inside = and(tf.greater(x, tf.cast(lo, x.dtype)));
    if (hi !== undefined && hi.size > 0) inside = and(tf.less(x, tf.cast(hi, x.dtype)));
    return [inside === undefined ? dys[0]!.clone() : tf.mul(dys[0]!, indicator(inside))];
  },
  // The mask broadcasts against the probes' cotangents, as the other activations'. Without
  // this, ReLU6 (MobileNetV2's Clip) split every stacked pass into one call per probe: 9 of
  // the 15 s of a MobileNetV2 analysis's eager reverse passes went to those splits.
  probeStacking: () => 'leading',
};

export const activationKernels: Record<string, OpKernel> = {
  // step(x) is 1 above 0 and 0 elsewhere in one kernel (greater + cast took two passes).
  Relu: activation(
    (x) => tf.relu(x),
    (x) => tf.step(x, 0),
  ),
  LeakyRelu: activation(
    (x, a) => {
      const alpha = attrNumber(a, 'alpha', 0.01);
      return tf.where(tf.greater(x, 0), x, tf.mul(alpha, x));
    },
    (x, _y, a) => tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, attrNumber(a, 'alpha', 0.01))),
  ),
  PRelu: prelu,
  Elu: activation(
    (x, a) => elu(x, attrNumber(a, 'alpha', 1)),
    (x, y, a) => tf.where(tf.greater(x, 0), tf.onesLike(x), tf.add(y, attrNumber(a, 'alpha', 1))),
  ),
  Selu: activation(
    (x, a) => tf.mul(attrNumber(a, 'gamma', SELU_GAMMA), elu(x, attrNumber(a, 'alpha', SELU_ALPHA))),
    (x, _y, a) => {
      const gamma = attrNumber(a, 'gamma', SELU_GAMMA);
      const alpha = attrNumber(a, 'alpha', SELU_ALPHA);
      return tf.mul(gamma, tf.where(tf.greater(x, 0), tf.onesLike(x), tf.mul(alpha, tf.exp(x))));
    },
  ),
  Sigmoid: activation(
    (x) => tf.sigmoid(x),
    (_x, y) => tf.mul(y, tf.sub(1, y)),
  ),
  HardSigmoid: activation(
    (x, a) => hardSigmoid(x, attrNumber(a, 'alpha', 0.2), attrNumber(a, 'beta', 0.5)),
    (x, _y, a) => hardSigmoidGrad(x, attrNumber(a, 'alpha', 0.2), attrNumber(a, 'beta', 0.5)),
  ),
  // x * HardSigmoid(x) with alpha 1/6, beta 1/2.
  HardSwish: activation(
    (x) => tf.mul(x, hardSigmoid(x, 1 / 6, 0.5)),
    (x) => tf.add(hardSigmoid(x, 1 / 6, 0.5), tf.mul(x, hardSigmoidGrad(x, 1 / 6, 0.5))),
  ),
  Tanh: activation(
    (x) => tf.tanh(x),
    (_x, y) => tf.sub(1, tf.square(y)),
  ),
  Gelu: activation(gelu, (x, _y, a) => geluGrad(x, a)),
  Clip: clip,
  // log(1 + exp(x)); tf.softplus is the overflow-safe form.
  Softplus: activation(
    (x) => tf.softplus(x),
    (x) => tf.sigmoid(x),
  ),
  Softsign: activation(
    (x) => tf.div(x, tf.add(1, tf.abs(x))),
    (x) => tf.reciprocal(tf.square(tf.add(1, tf.abs(x)))),
  ),
  Softmax: {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    layout: 'same-rank',
    forward: ({ inputs, attrs }) => {
      const x = required(inputs, 0, 'input');
      return [softmax(x, softmaxAxis(x, attrs))];
    },
    // J^T dy = y * (dy - sum(dy * y))
    vjp: ({ inputs, outputs, dys, attrs }) => {
      const y = outputs[0];
      const dy = dys[0]!;
      // Stacked probes lead dy ('leading'): the softmax axis moves by one.
      const axis = softmaxAxis(inputs[0]!, attrs) + dy.rank - y.rank;
      return [tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), axis, true)))];
    },
    probeStacking: () => 'leading',
  },
  LogSoftmax: {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    layout: 'same-rank',
    forward: ({ inputs, attrs }) => {
      const x = required(inputs, 0, 'input');
      return [logSoftmax(x, softmaxAxis(x, attrs))];
    },
    // J^T dy = dy - softmax * sum(dy)
    vjp: ({ inputs, outputs, dys, attrs }) => {
      const dy = dys[0]!;
      const axis = softmaxAxis(inputs[0]!, attrs) + dy.rank - outputs[0].rank;
      return [tf.sub(dy, tf.mul(tf.exp(outputs[0]), tf.sum(dy, axis, true)))];
    },
    probeStacking: () => 'leading',
  },
};
