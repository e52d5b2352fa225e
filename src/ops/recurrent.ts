/**
 * LSTM (ONNX opset 14 semantics): gates in the order i, o, f, c; the default activations
 * (sigmoid, tanh, tanh); forward, reverse or bidirectional; layout 0 ([T, B, I]) or 1
 * ([B, T, I]); optional biases, initial states and peepholes. Refused: other activations, clip,
 * input_forget, and sequence_lens shorter than the sequence (padding per sample).
 *
 * Initial states of batch 1 are broadcast over the batch: the ONNX loader feeds a model's
 * recurrent-state inputs with zeros of batch 1 (loaders/onnx/secondaryInputs.ts), which then
 * serve any batch size.
 *
 * The VJP is backpropagation through time over a recomputation of the forward pass that keeps
 * each step's gates (the retained activations hold only Y, Y_h and Y_c); the recomputation
 * costs one forward pass of the layer per reverse pass, small next to the layers around it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError, type OpKernel, type Tensor, type VjpArgs } from './kernel';
import { asFloat, attrNumber, attrString, required } from './kernelUtil';
import type { Attributes } from '../graph/ir';
import type { OutputBound } from './bounds';

interface LstmPlan {
  readonly hidden: number;
  readonly directions: ('forward' | 'reverse')[];
  readonly layout: number;
}

function planOf(attrs: Attributes): LstmPlan {
  const direction = attrString(attrs, 'direction', 'forward');
  const directions: ('forward' | 'reverse')[] =
    direction === 'bidirectional' ? ['forward', 'reverse'] : direction === 'reverse' ? ['reverse'] : direction === 'forward' ? ['forward'] : [];
  if (directions.length === 0) throw new KernelError(`LSTM direction "${direction}" is not forward, reverse or bidirectional`);
  const acts = attrs.activations;
  if (Array.isArray(acts)) {
    const expected = directions.flatMap(() => ['sigmoid', 'tanh', 'tanh']);
    if (acts.length !== expected.length || acts.some((a, i) => String(a).toLowerCase() !== expected[i])) {
      throw new KernelError(`LSTM activations ${acts.join(', ')} are not supported (only the default sigmoid, tanh, tanh)`);
    }
  }
  if (attrs.clip !== undefined) throw new KernelError('LSTM with a cell clip is not supported');
  if (attrNumber(attrs, 'input_forget', 0) !== 0) throw new KernelError('LSTM with input_forget (coupled gates) is not supported');
  const hidden = attrNumber(attrs, 'hidden_size', 0);
  return { hidden, directions, layout: attrNumber(attrs, 'layout', 0) };
}

/** One time step of one direction, kept for the VJP. */
interface Step {
  readonly t: number;
  readonly x: Tensor;
  readonly hPrev: Tensor;
  readonly cPrev: Tensor;
  readonly i: Tensor;
  readonly f: Tensor;
  readonly o: Tensor;
  /** tanh of the cell candidate. */
  readonly g: Tensor;
  readonly c: Tensor;
}

interface Direction {
  readonly w: Tensor;
  readonly r: Tensor;
  /** Peepholes P_i, P_o, P_f as [1, H] each. */
  readonly peep: Tensor[] | undefined;
  readonly steps: Step[];
}

interface Run {
  readonly outputs: [Tensor, Tensor, Tensor];
  readonly directions: Direction[];
  /** Whether initial_h / initial_c were given with batch 1 and broadcast. */
  readonly broadcastH: boolean;
  readonly broadcastC: boolean;
  readonly batch: number;
}

/** The outputs Y [T, D, B, H], Y_h and Y_c [D, B, H] (layout 0; layout 1 transposed back). */
function lstm(inputs: readonly (Tensor | undefined)[], plan: LstmPlan): Run {
  let x = asFloat(required(inputs, 0, 'X'));
  if (x.rank !== 3) throw new KernelError(`LSTM input X must be 3-D, got [${x.shape.join(', ')}]`);
  if (plan.layout === 1) x = tf.transpose(x, [1, 0, 2]);
  const steps = x.shape[0] ?? 0;
  const batch = x.shape[1] ?? 0;
  const w = asFloat(required(inputs, 1, 'W'));
  const r = asFloat(required(inputs, 2, 'R'));
  if (r.rank !== 3) throw new KernelError(`LSTM recurrence weights R must be 3-D, got [${r.shape.join(', ')}]`);
  const hiddenSize = r.shape[2] ?? 0;
  if (plan.hidden !== 0 && plan.hidden !== hiddenSize) throw new KernelError(`LSTM hidden_size ${plan.hidden} does not match R [${r.shape.join(', ')}]`);
  const b = inputs[3];
  const lens = inputs[4];
  if (lens !== undefined && lens.size > 0) {
    const values = lens.dataSync();
    if (Array.from(values).some((v) => v !== steps)) throw new KernelError('LSTM sequence_lens shorter than the sequence (padded samples) are not supported');
  }
  const state = (t: Tensor | undefined, name: string): Tensor => {
    if (t === undefined) return tf.zeros([plan.directions.length, batch, hiddenSize]);
    const f = asFloat(t);
    if (f.rank !== 3 || f.shape[2] !== hiddenSize || (f.shape[1] !== batch && f.shape[1] !== 1)) {
      throw new KernelError(`LSTM ${name} [${f.shape.join(', ')}] does not match batch ${batch} and hidden size ${hiddenSize}`);
    }
    return f.shape[1] === batch ? f : tf.broadcastTo(f, [f.shape[0] ?? 1, batch, hiddenSize]);
  };
  // Layout 1 gives the states as [B, D, H].
  const layout0 = (t: Tensor | undefined): Tensor | undefined => (t === undefined || plan.layout !== 1 ? t : tf.transpose(t, [1, 0, 2]));
  const h0 = state(layout0(inputs[5]), 'initial_h');
  const c0 = state(layout0(inputs[6]), 'initial_c');
  const p = inputs[7];
  const xs = tf.unstack(x, 0);
  const ys: Tensor[] = [];
  const hs: Tensor[] = [];
  const cs: Tensor[] = [];
  const directions: Direction[] = [];
  plan.directions.forEach((dir, d) => {
    const wd = tf.squeeze(tf.slice(w, [d, 0, 0], [1, -1, -1]), [0]);
    const rd = tf.squeeze(tf.slice(r, [d, 0, 0], [1, -1, -1]), [0]);
    // Wb + Rb, one [1, 4H] row.
    const bias =
      b === undefined ? undefined : tf.add(tf.slice(asFloat(b), [d, 0], [1, 4 * hiddenSize]), tf.slice(asFloat(b), [d, 4 * hiddenSize], [1, 4 * hiddenSize]));
    const peep = p === undefined ? undefined : tf.split(tf.slice(asFloat(p), [d, 0], [1, 3 * hiddenSize]), 3, 1);
    let h = tf.squeeze(tf.slice(h0, [d, 0, 0], [1, -1, -1]), [0]);
    let c = tf.squeeze(tf.slice(c0, [d, 0, 0], [1, -1, -1]), [0]);
    const out: Tensor[] = new Array<Tensor>(steps);
    const trace: Step[] = [];
    for (let k = 0; k < steps; k++) {
      const t = dir === 'forward' ? k : steps - 1 - k;
      let gates = tf.add(tf.matMul(xs[t], wd, false, true), tf.matMul(h, rd, false, true));
      if (bias !== undefined) gates = tf.add(gates, bias);
      const [gi, go, gf, gc] = tf.split(gates, 4, 1);
      const i = tf.sigmoid(peep === undefined ? gi : tf.add(gi, tf.mul(peep[0], c)));
      const f = tf.sigmoid(peep === undefined ? gf : tf.add(gf, tf.mul(peep[2], c)));
      const g = tf.tanh(gc);
      const cNext = tf.add(tf.mul(f, c), tf.mul(i, g));
      const o = tf.sigmoid(peep === undefined ? go : tf.add(go, tf.mul(peep[1], cNext)));
      const hNext = tf.mul(o, tf.tanh(cNext));
      trace.push({ t, x: xs[t], hPrev: h, cPrev: c, i, f, o, g, c: cNext });
      h = hNext;
      c = cNext;
      out[t] = h;
    }
    ys.push(tf.stack(out, 0)); // [T, B, H]
    hs.push(h);
    cs.push(c);
    directions.push({ w: wd, r: rd, peep, steps: trace });
  });
  let y = tf.stack(ys, 1); // [T, D, B, H]
  let yh = tf.stack(hs, 0);
  let yc = tf.stack(cs, 0);
  if (plan.layout === 1) {
    y = tf.transpose(y, [2, 0, 1, 3]); // [B, T, D, H]
    yh = tf.transpose(yh, [1, 0, 2]);
    yc = tf.transpose(yc, [1, 0, 2]);
  }
  const broadcast = (t: Tensor | undefined): boolean => t !== undefined && t.shape[1] === 1 && batch !== 1;
  return { outputs: [y, yh, yc], directions, broadcastH: broadcast(layout0(inputs[5])), broadcastC: broadcast(layout0(inputs[6])), batch };
}

/** Inputs that can get a gradient: X, W, R, B, initial_h, initial_c, P. */
const DIFFERENTIABLE = [0, 1, 2, 3, 5, 6, 7];

/** Backpropagation through time; cotangents of X, W, R, B, initial_h, initial_c and P. */
function lstmVjp(args: VjpArgs): (Tensor | undefined)[] {
  const plan = planOf(args.attrs);
  const run = lstm(args.inputs, plan);
  const [y] = run.outputs;
  const zero = (t: Tensor): Tensor => tf.zerosLike(t);
  // Cotangents in layout 0: dY [T, D, B, H], dY_h and dY_c [D, B, H].
  let dy = args.dys[0] ?? zero(y);
  let dyh = args.dys[1];
  let dyc = args.dys[2];
  if (plan.layout === 1) {
    dy = tf.transpose(dy, [1, 2, 0, 3]);
    if (dyh !== undefined) dyh = tf.transpose(dyh, [1, 0, 2]);
    if (dyc !== undefined) dyc = tf.transpose(dyc, [1, 0, 2]);
  }
  const steps = dy.shape[0] ?? 0;
  const dx: Tensor[] = [];
  const dW: Tensor[] = [];
  const dR: Tensor[] = [];
  const dB: Tensor[] = [];
  const dH0: Tensor[] = [];
  const dC0: Tensor[] = [];
  const dP: Tensor[] = [];
  const ones = (t: Tensor): Tensor => tf.onesLike(t);
  run.directions.forEach((dir, d) => {
    const first = dir.steps[0];
    const hidden = first === undefined ? 0 : (first.c.shape[1] ?? 0);
    const pick = (t: Tensor | undefined): Tensor | undefined => (t === undefined ? undefined : tf.squeeze(tf.slice(t, [d, 0, 0], [1, -1, -1]), [0]));
    let dhNext = pick(dyh) ?? tf.zeros([run.batch, hidden]);
    let dcNext = pick(dyc) ?? tf.zeros([run.batch, hidden]);
    let dw = tf.zerosLike(dir.w);
    let dr = tf.zerosLike(dir.r);
    let db = tf.zeros([1, 4 * hidden]);
    let dp = [tf.zeros([1, hidden]), tf.zeros([1, hidden]), tf.zeros([1, hidden])];
    const dxd: Tensor[] = new Array<Tensor>(steps);
    for (let k = dir.steps.length - 1; k >= 0; k--) {
      const s = dir.steps[k];
      const dh = tf.add(dhNext, tf.squeeze(tf.slice(dy, [s.t, d, 0, 0], [1, 1, -1, -1]), [0, 1]));
      const tc = tf.tanh(s.c);
      const dgo = tf.mul(tf.mul(dh, tc), tf.mul(s.o, tf.sub(ones(s.o), s.o)));
      let dc = tf.add(dcNext, tf.mul(tf.mul(dh, s.o), tf.sub(ones(tc), tf.square(tc))));
      if (dir.peep !== undefined) dc = tf.add(dc, tf.mul(dgo, dir.peep[1]));
      const dgi = tf.mul(tf.mul(dc, s.g), tf.mul(s.i, tf.sub(ones(s.i), s.i)));
      const dgf = tf.mul(tf.mul(dc, s.cPrev), tf.mul(s.f, tf.sub(ones(s.f), s.f)));
      const dgc = tf.mul(tf.mul(dc, s.i), tf.sub(ones(s.g), tf.square(s.g)));
      let dcPrev = tf.mul(dc, s.f);
      if (dir.peep !== undefined) {
        dcPrev = tf.add(dcPrev, tf.add(tf.mul(dgi, dir.peep[0]), tf.mul(dgf, dir.peep[2])));
        dp = [
          tf.add(dp[0], tf.sum(tf.mul(dgi, s.cPrev), 0, true)),
          tf.add(dp[1], tf.sum(tf.mul(dgo, s.c), 0, true)),
          tf.add(dp[2], tf.sum(tf.mul(dgf, s.cPrev), 0, true)),
        ];
      }
      const dgates = tf.concat([dgi, dgo, dgf, dgc], 1); // [B, 4H], gate order i, o, f, c
      dxd[s.t] = tf.matMul(dgates, dir.w);
      dw = tf.add(dw, tf.matMul(dgates, s.x, true, false));
      dr = tf.add(dr, tf.matMul(dgates, s.hPrev, true, false));
      db = tf.add(db, tf.sum(dgates, 0, true));
      dhNext = tf.matMul(dgates, dir.r);
      dcNext = dcPrev;
    }
    dx.push(steps === 0 ? tf.zeros([0, run.batch, 0]) : tf.stack(dxd, 0));
    dW.push(dw);
    dR.push(dr);
    dB.push(tf.concat([db, db], 1));
    dH0.push(dhNext);
    dC0.push(dcNext);
    dP.push(tf.concat(dp, 1));
  });
  let dX = dx.reduce((a, b) => tf.add(a, b));
  if (plan.layout === 1) dX = tf.transpose(dX, [1, 0, 2]);
  // A batch-1 initial state broadcast over the batch: its cotangent sums over the batch.
  const state = (parts: Tensor[], broadcast: boolean): Tensor => {
    let t = tf.stack(parts, 0);
    if (broadcast) t = tf.sum(t, 1, true);
    return plan.layout === 1 ? tf.transpose(t, [1, 0, 2]) : t;
  };
  const result: (Tensor | undefined)[] = [];
  result[0] = dX;
  result[1] = tf.stack(dW, 0);
  result[2] = tf.stack(dR, 0);
  if (args.inputs[3] !== undefined) result[3] = tf.concat(dB, 0);
  if (args.inputs[5] !== undefined) result[5] = state(dH0, run.broadcastH);
  if (args.inputs[6] !== undefined) result[6] = state(dC0, run.broadcastC);
  if (args.inputs[7] !== undefined) result[7] = tf.concat(dP, 0);
  return result;
}

const lstmBound: OutputBound = (inputs, node) => {
  const x = inputs[0];
  const r = inputs[2];
  if (x === undefined || r === undefined) return undefined;
  const directions = attrString(node.attrs, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
  const [steps = 1, batch = 1] = x.shape;
  const hidden = r.shape[2] ?? 1;
  return { elements: steps * batch * directions * hidden, detail: `LSTM output [${steps}, ${directions}, ${batch}, ${hidden}]` };
};

const lstmKernel: OpKernel = {
  dataInputs: DIFFERENTIABLE,
  outputBound: lstmBound,
  // Not holdsWeights: the engine takes a weight layer with one data input for affine in it
  // (projection skips, exact JVPs), which a recurrence is not.
  forward: (args) => lstm(args.inputs, planOf(args.attrs)).outputs,
  vjp: lstmVjp,
};

export const recurrentKernels: Readonly<Record<string, OpKernel>> = {
  LSTM: lstmKernel,
};
