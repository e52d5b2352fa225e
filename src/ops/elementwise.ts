/**
 * Elementwise arithmetic, comparison and logic ops (ONNX opset 18), with numpy-style
 * broadcasting. Binary VJPs sum the cotangent back over the broadcast axes of each operand.
 * Integer tensors stay integer where ONNX keeps them integer (shape arithmetic).
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError, type OpKernel, type Tensor } from './kernel';
import { asFloat, attrNumber, attrString, passThrough, required, toBool, unbroadcast, VARIADIC_INPUTS } from './kernelUtil';
import { broadcasting, noLargerThanInput } from './bounds';

type Unary = (x: Tensor) => Tensor;

/** An elementwise unary op with derivative `grad(x, y)` (multiplied by the cotangent). */
function unary(forward: Unary, grad: ((x: Tensor, y: Tensor) => Tensor) | null, extra: Partial<OpKernel> = {}): OpKernel {
  return {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    forward: ({ inputs }) => [forward(required(inputs, 0, 'X'))],
    vjp: ({ inputs, outputs, dys }) => {
      const x = inputs[0]!;
      if (grad === null) return [tf.zeros(dys[0]!.shape)];
      return [tf.mul(dys[0]!, grad(x, outputs[0]))];
    },
    probeStacking: () => 'leading',
    ...extra,
  };
}

/** Cotangents of a broadcast binary op given the full-shape partials. */
function binaryVjp(partials: (a: Tensor, b: Tensor, y: Tensor, dy: Tensor) => [Tensor, Tensor]): NonNullable<OpKernel['vjp']> {
  return ({ inputs, outputs, dys }) => {
    const a = inputs[0]!;
    const b = inputs[1]!;
    const dy = dys[0]!;
    const [da, db] = partials(a, b, outputs[0], dy);
    // Stacked probes lead the cotangent ('leading'): they are kept, not summed like a broadcast.
    const probes = dy.rank > outputs[0].rank ? dy.shape[0] : 0;
    const back = (g: Tensor, shape: readonly number[]): Tensor =>
      probes === 0
        ? unbroadcast(g, shape)
        : tf.reshape(unbroadcast(g, [probes, ...new Array<number>(outputs[0].rank - shape.length).fill(1), ...shape]), [probes, ...shape]);
    return [back(da, a.shape), back(db, b.shape)];
  };
}

function binaryForward(f: (a: Tensor, b: Tensor) => Tensor): OpKernel['forward'] {
  return ({ inputs }) => [f(required(inputs, 0, 'A'), required(inputs, 1, 'B'))];
}

/** Integer division truncating toward zero (C semantics, as ONNX specifies); tf.div floors. */
function truncDiv(a: Tensor, b: Tensor): Tensor {
  const q = tf.floorDiv(tf.abs(a), tf.abs(b));
  return tf.mul(tf.mul(tf.sign(a), tf.sign(b)), q);
}

function divide(a: Tensor, b: Tensor): Tensor {
  if (a.dtype === 'int32' && b.dtype === 'int32') return truncDiv(a, b);
  return tf.div(asFloat(a), asFloat(b));
}

/**
 * ONNX Mod: fmod = 0 takes the divisor's sign (Python's %, TF's FloorMod), fmod = 1 the
 * dividend's (C's fmod). The quotient it implies is the one the VJP needs: d/db = -q.
 */
function modQuotient(a: Tensor, b: Tensor, fmod: boolean): Tensor {
  const q = tf.div(asFloat(a), asFloat(b));
  return fmod ? tf.mul(tf.sign(q), tf.floor(tf.abs(q))) : tf.floor(q);
}

function modulo(a: Tensor, b: Tensor, fmod: boolean): Tensor {
  if (!fmod) return tf.mod(a, b);
  // Truncated remainder: |a| mod |b| carries a's sign.
  const r = tf.mod(tf.abs(a), tf.abs(b));
  return tf.mul(r, tf.cast(tf.sign(a), r.dtype));
}

/** TF's DivNoNan: a / b, and 0 where b is 0 (gradients there are 0 too). */
function safeDivisor(b: Tensor): [Tensor, Tensor] {
  const zero = tf.equal(b, 0);
  return [zero, tf.where(zero, tf.onesLike(b), b)];
}

/** ONNX Pow: the result has the base's type. */
function power(x: Tensor, y: Tensor): Tensor {
  if (x.dtype === 'int32' && y.dtype === 'int32') return tf.pow(x, y);
  const r = tf.pow(asFloat(x), asFloat(y));
  // Float results for an integer base are truncated like numpy's astype.
  return x.dtype === 'int32' ? tf.cast(r, 'int32') : r;
}

/** Comparison or logic op: bool output, no gradient. */
function predicate(f: (a: Tensor, b: Tensor) => Tensor): OpKernel {
  return { dataInputs: [], outputBound: broadcasting, forward: binaryForward(f) };
}

function present(inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const xs = inputs.filter((t): t is Tensor => t !== undefined);
  if (xs.length === 0) throw new KernelError('at least one input is required');
  return xs;
}

/**
 * Max/Min over any number of broadcast inputs. The cotangent goes to the input holding the
 * extreme value; on ties it goes to the first such input only (a valid subgradient, and
 * deterministic).
 */
function extreme(pick: (a: Tensor, b: Tensor) => Tensor): OpKernel {
  return {
    dataInputs: VARIADIC_INPUTS,
    outputBound: broadcasting,
    layout: 'broadcast',
    forward: ({ inputs }) => {
      const xs = present(inputs);
      return [xs.length === 1 ? xs[0].clone() : xs.reduce((acc, x) => pick(acc, x))];
    },
    vjp: ({ inputs, outputs, dys }) => {
      const y = outputs[0];
      const dy = dys[0]!;
      let taken: Tensor = tf.zeros(y.shape, 'bool');
      return inputs.map((x) => {
        if (x === undefined) return undefined;
        const hit = tf.logicalAnd(tf.equal(tf.broadcastTo(x, y.shape), y), tf.logicalNot(taken));
        taken = tf.logicalOr(taken, hit);
        return unbroadcast(tf.where(hit, dy, tf.zerosLike(dy)), x.shape);
      });
    },
  };
}

function sumAll(xs: Tensor[]): Tensor {
  return xs.length === 1 ? xs[0].clone() : xs.reduce((acc, x) => tf.add(acc, x));
}

const castKernel: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  affine: true,
  forward: ({ inputs, attrs }) => {
    const x = required(inputs, 0, 'input');
    const to = attrString(attrs, 'to', '');
    if (to === x.dtype) return [x.clone()];
    // float -> int32 truncates toward zero in tf.cast, as ONNX requires.
    if (to === 'float32' || to === 'int32') return [tf.cast(x, to)];
    if (to === 'bool') return [toBool(x)];
    throw new KernelError(`Cast to "${to}" is not supported (float32, int32, bool)`);
  },
  vjp: ({ inputs, attrs, dys }) => {
    const x = inputs[0]!;
    // Only a float-to-float cast passes a gradient; casts to int or bool are piecewise constant.
    if (x.dtype !== 'float32' || attrString(attrs, 'to', '') !== 'float32') return [undefined];
    return [passThrough(dys[0]!)];
  },
};

const identity: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  layout: 'unary',
  affine: true,
  forward: ({ inputs }) => [required(inputs, 0, 'input').clone()],
  vjp: ({ dys }) => [passThrough(dys[0]!)],
  probeStacking: () => 'stacked',
};

/** Dropout at inference: the identity; the optional mask output is all true. */
const dropout: OpKernel = {
  dataInputs: [0],
  outputBound: noLargerThanInput,
  layout: 'unary',
  affine: true,
  forward: ({ inputs, node }) => {
    const x = required(inputs, 0, 'data');
    const out = [x.clone()];
    if (node.outputs.length > 1) out.push(tf.ones(x.shape, 'bool'));
    return out;
  },
  vjp: ({ dys }) => [passThrough(dys[0]!)],
  probeStacking: () => 'stacked',
};

const where: OpKernel = {
  dataInputs: [1, 2],
  outputBound: broadcasting,
  forward: ({ inputs }) => {
    const c = toBool(required(inputs, 0, 'condition'));
    return [tf.where(c, required(inputs, 1, 'X'), required(inputs, 2, 'Y'))];
  },
  vjp: ({ inputs, outputs, dys }) => {
    const dy = dys[0]!;
    const c = tf.broadcastTo(toBool(inputs[0]!), outputs[0].shape);
    const zero = tf.zerosLike(dy);
    return [undefined, unbroadcast(tf.where(c, dy, zero), inputs[1]!.shape), unbroadcast(tf.where(c, zero, dy), inputs[2]!.shape)];
  },
};

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const elementwiseKernels: Record<string, OpKernel> = {
  Add: {
    dataInputs: [0, 1],
    outputBound: broadcasting,
    layout: 'broadcast',
    affine: true,
    forward: binaryForward((a, b) => tf.add(a, b)),
    vjp: binaryVjp((_a, _b, _y, dy) => [dy, dy]),
    probeStacking: () => 'leading',
  },
  Sub: {
    dataInputs: [0, 1],
    outputBound: broadcasting,
    layout: 'broadcast',
    affine: true,
    forward: binaryForward((a, b) => tf.sub(a, b)),
    vjp: binaryVjp((_a, _b, _y, dy) => [dy, tf.neg(dy)]),
    probeStacking: () => 'leading',
  },
  Mul: {
    dataInputs: [0, 1],
    outputBound: broadcasting,
    layout: 'broadcast',
    forward: binaryForward((a, b) => tf.mul(a, b)),
    vjp: binaryVjp((a, b, _y, dy) => [tf.mul(dy, b), tf.mul(dy, a)]),
    probeStacking: () => 'leading',
  },
  Div: {
    dataInputs: [0, 1],
    outputBound: broadcasting,
    layout: 'broadcast',
    forward: binaryForward(divide),
    // d(a/b)/da = 1/b, d(a/b)/db = -y/b.
    vjp: binaryVjp((_a, b, y, dy) => {
      const g = tf.div(dy, b);
      return [g, tf.neg(tf.mul(g, y))];
    }),
    probeStacking: () => 'leading',
  },
  Mod: {
    dataInputs: [0, 1],
    outputBound: broadcasting,
    layout: 'broadcast',
    forward: ({ inputs, attrs }) => [modulo(required(inputs, 0, 'A'), required(inputs, 1, 'B'), attrNumber(attrs, 'fmod', 0) !== 0)],
    // a - q b with q piecewise constant: d/da = 1, d/db = -q.
    vjp: (args) => binaryVjp((a, b, _y, dy) => [dy, tf.neg(tf.mul(dy, modQuotient(a, b, attrNumber(args.attrs, 'fmod', 0) !== 0)))])(args),
    probeStacking: () => 'leading',
  },
  DivNoNan: {
    dataInputs: [0, 1],
    outputBound: broadcasting,
    layout: 'broadcast',
    forward: binaryForward((a, b) => {
      const [zero, safe] = safeDivisor(asFloat(b));
      return tf.where(zero, tf.zerosLike(safe), tf.div(asFloat(a), safe));
    }),
    vjp: binaryVjp((_a, b, y, dy) => {
      const [zero, safe] = safeDivisor(asFloat(b));
      const g = tf.where(tf.broadcastTo(zero, dy.shape), tf.zerosLike(dy), tf.div(dy, safe));
      return [g, tf.neg(tf.mul(g, y))];
    }),
    probeStacking: () => 'leading',
  },
  Pow: {
    dataInputs: [0, 1],
    outputBound: broadcasting,
    layout: 'broadcast',
    forward: binaryForward(power),
    vjp: binaryVjp((x, e, y, dy) => {
      const xf = asFloat(x);
      const ef = asFloat(e);
      const dx = tf.mul(dy, tf.mul(ef, tf.pow(xf, tf.sub(ef, 1))));
      // d(x^e)/de = x^e ln x, defined for x > 0; elsewhere taken as 0.
      const positive = tf.greater(xf, 0);
      const logX = tf.log(tf.where(positive, xf, tf.onesLike(xf)));
      const de = tf.where(positive, tf.mul(dy, tf.mul(asFloat(y), logX)), tf.zerosLike(dy));
      return [dx, de];
    }),
    probeStacking: () => 'leading',
  },
  Sqrt: unary(
    (x) => tf.sqrt(x),
    (_x, y) => tf.div(0.5, y),
    { layout: 'unary' },
  ),
  Reciprocal: unary(
    (x) => tf.reciprocal(x),
    (_x, y) => tf.neg(tf.square(y)),
    { layout: 'unary' },
  ),
  Exp: unary(
    (x) => tf.exp(x),
    (_x, y) => y,
    { layout: 'unary' },
  ),
  Log: unary(
    (x) => tf.log(x),
    (x) => tf.reciprocal(x),
    { layout: 'unary' },
  ),
  Neg: unary(
    (x) => tf.neg(x),
    (x) => tf.fill(x.shape, -1),
    { affine: true, layout: 'unary' },
  ),
  // sign(0) = 0: the derivative of |x| at 0 is taken as 0.
  Abs: unary(
    (x) => tf.abs(x),
    (x) => tf.sign(x),
    { layout: 'unary' },
  ),
  Erf: unary(
    (x) => tf.erf(x),
    (x) => tf.mul(TWO_OVER_SQRT_PI, tf.exp(tf.neg(tf.square(x)))),
    { layout: 'unary' },
  ),
  IsNaN: { dataInputs: [], outputBound: noLargerThanInput, forward: ({ inputs }) => [tf.isNaN(required(inputs, 0, 'X'))] },
  IsInf: {
    dataInputs: [],
    outputBound: noLargerThanInput,
    forward: ({ inputs, attrs }) => {
      const x = required(inputs, 0, 'X');
      const positive = attrNumber(attrs, 'detect_positive', 1) !== 0;
      const negative = attrNumber(attrs, 'detect_negative', 1) !== 0;
      const pos = positive ? tf.equal(x, Infinity) : tf.zeros(x.shape, 'bool');
      return [negative ? tf.logicalOr(pos, tf.equal(x, -Infinity)) : pos];
    },
  },
  // Cast to the type of input 1 (dynamo exports write CastLike where TorchScript wrote Cast).
  CastLike: {
    dataInputs: [0],
    outputBound: noLargerThanInput,
    affine: true,
    forward: (args) => castKernel.forward({ ...args, attrs: { ...args.attrs, to: required(args.inputs, 1, 'target_type').dtype } }),
    vjp: ({ inputs, dys }) => [inputs[0]!.dtype === 'float32' && inputs[1]!.dtype === 'float32' ? passThrough(dys[0]!) : undefined],
  },
  // Trigonometry (geometry heads: facemesh-attention's landmarks-to-transform matrices).
  Sin: unary(
    (x) => tf.sin(x),
    (x) => tf.cos(x),
    { layout: 'unary' },
  ),
  Cos: unary(
    (x) => tf.cos(x),
    (x) => tf.neg(tf.sin(x)),
    { layout: 'unary' },
  ),
  Atan: unary(
    (x) => tf.atan(x),
    (x) => tf.reciprocal(tf.add(1, tf.square(x))),
    { layout: 'unary' },
  ),
  // TF's Atan2(y, x), the angle of (x, y) (no ONNX op): d/dy = x / r^2, d/dx = -y / r^2, taken
  // as 0 at the origin, where the angle has no derivative.
  Atan2: {
    dataInputs: [0, 1],
    outputBound: broadcasting,
    layout: 'broadcast',
    forward: binaryForward((y, x) => tf.atan2(asFloat(y), asFloat(x))),
    vjp: binaryVjp((y, x, _out, dy) => {
      const r2 = tf.add(tf.square(asFloat(x)), tf.square(asFloat(y)));
      const zero = tf.equal(r2, 0);
      const g = tf.where(tf.broadcastTo(zero, dy.shape), tf.zerosLike(dy), tf.div(dy, tf.where(zero, tf.onesLike(r2), r2)));
      return [tf.mul(g, asFloat(x)), tf.neg(tf.mul(g, asFloat(y)))];
    }),
    probeStacking: () => 'leading',
  },
  // Piecewise constant: zero derivative almost everywhere.
  Floor: unary((x) => tf.floor(x), null),
  Ceil: unary((x) => tf.ceil(x), null),
  Round: unary((x) => tf.round(x), null),
  Sign: unary((x) => tf.sign(x), null),
  Identity: identity,
  Dropout: dropout,
  Cast: castKernel,
  Where: where,
  Equal: predicate((a, b) => tf.equal(a, b)),
  Greater: predicate((a, b) => tf.greater(a, b)),
  GreaterOrEqual: predicate((a, b) => tf.greaterEqual(a, b)),
  Less: predicate((a, b) => tf.less(a, b)),
  LessOrEqual: predicate((a, b) => tf.lessEqual(a, b)),
  And: predicate((a, b) => tf.logicalAnd(toBool(a), toBool(b))),
  Or: predicate((a, b) => tf.logicalOr(toBool(a), toBool(b))),
  Xor: predicate((a, b) => tf.logicalXor(toBool(a), toBool(b))),
  Not: { dataInputs: [], outputBound: noLargerThanInput, forward: ({ inputs }) => [tf.logicalNot(toBool(required(inputs, 0, 'X')))] },
  Max: extreme((a, b) => tf.maximum(a, b)),
  Min: extreme((a, b) => tf.minimum(a, b)),
  Sum: {
    dataInputs: VARIADIC_INPUTS,
    outputBound: broadcasting,
    layout: 'broadcast',
    affine: true,
    forward: ({ inputs }) => [sumAll(present(inputs))],
    vjp: ({ inputs, dys }) => inputs.map((x) => (x === undefined ? undefined : unbroadcast(dys[0]!, x.shape))),
  },
  Mean: {
    dataInputs: VARIADIC_INPUTS,
    outputBound: broadcasting,
    layout: 'broadcast',
    affine: true,
    forward: ({ inputs }) => {
      const xs = present(inputs);
      return [tf.div(sumAll(xs.map(asFloat)), xs.length)];
    },
    vjp: ({ inputs, dys }) => {
      const g = tf.div(dys[0]!, present(inputs).length);
      return inputs.map((x) => (x === undefined ? undefined : unbroadcast(g, x.shape)));
    },
  },
};
