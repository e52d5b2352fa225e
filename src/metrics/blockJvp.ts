/**
 * Exact S v_i = (1/n) sum_j J_f(v_j) v_i for a block f, by forward-mode differentiation through
 * the block's ops (docs/metrics.md, k_lin): no finite differences, so no error at ReLU kinks.
 *
 * Each op of the block gets its Jacobian-vector product from what the engine already has:
 * - affine ops (convolution, dense, batch norm, additions, reshapes, average pools...): their
 *   Jacobian is the same at every point, J t = op(t) - op(0), one forward pass of the tangent;
 * - elementwise nonlinearities (Relu, Clip, Tanh...): the Jacobian is diagonal, sigma'(z_j), read
 *   once as the op's own VJP of ones, then J t = sigma'(z_j) * t by broadcasting;
 * - ops with an exact rule of their own (OpKernel.jvp: max pooling).
 * A block holding any other op (a product of two data tensors, a Softmax, shape arithmetic on
 * data) returns null and keeps the finite differences.
 *
 * Cost: a tangent v_i is the same for every point v_j until the first nonlinear op, so affine ops
 * before it run on n rows (one per tangent), not n^2; after the last nonlinear op the mean over
 * the points commutes with the remaining affine ops, so it is taken first and they run on n
 * rows again. Only the ops between the first and the last nonlinearity see n^2 rows (stacked
 * along axis 0 like probes), e.g. one of a ResNet basic block's two convolutions and only the
 * depthwise one of a MobileNetV2 block.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kernelFor } from '../ops/registry';
import { ExecutionError, type Activations, type Checkpoint, type Executor } from '../runtime/executor';
import { largestActivation, STACK_ELEMENTS, yieldToEventLoop } from './jacobian';

/** Ops linear in all their data inputs at once (the others are affine in one input at a time). */
const LINEAR_IN_ALL = new Set(['Add', 'Sub', 'Sum', 'Mean', 'Concat', 'Identity']);

type Rule = 'affine' | 'diagonal' | 'own';

interface Step {
  readonly index: number;
  readonly rule: Rule;
  /** Inputs of the node that carry a tangent (downstream of the block input). */
  readonly tangentInputs: readonly number[];
}

interface BlockPlan {
  readonly steps: readonly Step[];
  /** Tensors whose tangent a later nonlinear op reads: kept per point (n^2 rows). */
  readonly perPoint: ReadonlySet<string>;
}

/** How to differentiate each op of the block, or null when some op has no exact rule here. */
function planBlock(exec: Executor, acts: Activations, input: string, output: string): BlockPlan | null {
  const graph = exec.graph;
  // Tensors with a batch axis (computed from a model input): an op may read them only as tangents.
  const batched = new Set(graph.inputs.filter((i) => !graph.constants.has(i.name)).map((i) => i.name));
  const reach = new Set([input]);
  const candidates: number[] = [];
  graph.nodes.forEach((node, i) => {
    if (node.inputs.some((name) => batched.has(name))) node.outputs.forEach((o) => batched.add(o));
    if (node.inputs.some((name) => reach.has(name))) {
      node.outputs.forEach((o) => reach.add(o));
      candidates.push(i);
    }
  });
  if (!reach.has(output)) return null;
  const needed = new Set([output]);
  const chosen: number[] = [];
  for (let m = candidates.length - 1; m >= 0; m--) {
    const node = graph.nodes[candidates[m]];
    if (!node.outputs.some((o) => needed.has(o))) continue;
    chosen.push(candidates[m]);
    node.inputs.forEach((name) => reach.has(name) && needed.add(name));
  }
  chosen.reverse();
  const steps: Step[] = [];
  for (const index of chosen) {
    const node = graph.nodes[index];
    // Only the first output carries the tangent.
    if (node.outputs.slice(1).some((o) => o !== '' && needed.has(o))) return null;
    const kernel = kernelFor(node.op);
    const tangentInputs: number[] = [];
    for (let j = 0; j < node.inputs.length; j++) {
      const name = node.inputs[j];
      if (name === '') continue;
      if (reach.has(name)) {
        if (!kernel.dataInputs.includes(j)) return null;
        tangentInputs.push(j);
      } else if (batched.has(name)) return null;
    }
    const single = tangentInputs.length === 1 && tangentInputs[0] === 0;
    const affine =
      (kernel.affine === true || kernel.holdsWeights === true || node.op === 'Mul' || (node.op === 'Div' && !tangentInputs.includes(1))) &&
      (tangentInputs.length === 1 || LINEAR_IN_ALL.has(node.op));
    const rule: Rule | null = kernel.elementwiseNonlinearity && single ? 'diagonal' : kernel.jvp && single ? 'own' : affine ? 'affine' : null;
    if (rule === null) return null;
    steps.push({ index, rule, tangentInputs });
  }
  if (steps.some((s) => s.rule !== 'affine') && !exec.canStackProbes(acts, [input])) return null;
  const perPoint = new Set<string>();
  for (let m = steps.length - 1; m >= 0; m--) {
    const node = graph.nodes[steps[m].index];
    if (steps[m].rule !== 'affine' || perPoint.has(node.outputs[0])) steps[m].tangentInputs.forEach((j) => perPoint.add(node.inputs[j]));
  }
  return { steps, perPoint };
}

/**
 * A tangent of c directions v_i at the n points v_j, in one of three forms:
 * - the same at every point: t is [c, ...];
 * - per point: t is [c * n, ...] (direction-major, like stacked probes);
 * - lazily per point: t [c, ...] times slope [n, ...] (an elementwise nonlinearity's sigma'(z_j)
 *   not yet multiplied out: when only averaging over the points follows, the mean of the slopes
 *   is enough, and the n^2 rows are never formed).
 */
interface Tangent {
  readonly t: tf.Tensor;
  readonly perPoint: boolean;
  readonly slope?: tf.Tensor;
}

function varies(x: Tangent): boolean {
  return x.perPoint || x.slope !== undefined;
}

/** The tangent as [c * n, ...] rows (a new tensor unless it already is one). */
function rowsOf(x: Tangent, c: number, n: number): tf.Tensor {
  if (x.perPoint) return x.t;
  return tf.tidy(() => {
    const rest = x.t.shape.slice(1);
    // A broadcasting product or sum, not broadcastTo: wasm's Tile copied at a fraction of the speed.
    const wide = x.slope ? tf.mul(tf.expandDims(x.t, 1), tf.expandDims(x.slope, 0)) : tf.add(tf.expandDims(x.t, 1), tf.zeros([1, n, ...rest]));
    return tf.reshape(wide, [c * n, ...rest]);
  });
}

/** The mean over the points: [c, ...], as a tangent that is the same at every point. */
function averaged(x: Tangent, c: number): tf.Tensor {
  return tf.tidy(() => {
    if (x.slope) return tf.mul(x.t, tf.mean(x.slope, 0, true));
    if (!x.perPoint) return x.t.clone();
    const rest = x.t.shape.slice(1);
    const n = x.t.shape[0] / c;
    // A batched product with a row of 1/n: wasm's Mean over a middle axis transposes first.
    const m = tf.matMul(tf.fill([c, 1, n], 1 / n), tf.reshape(x.t, [c, n, -1]));
    return tf.reshape(m, [c, ...rest]);
  });
}

function dispose(x: Tangent): void {
  x.t.dispose();
  x.slope?.dispose();
}

/** How exactLinearPart differentiates a block (planLinearPart). */
export interface LinearPartPlan {
  readonly input: string;
  readonly output: string;
  readonly block: BlockPlan;
}

/** The plan of the block from `input` to `output`, or null when some op has no exact rule here. */
export function planLinearPart(exec: Executor, acts: Activations, input: string, output: string): LinearPartPlan | null {
  const v = acts.get(input)!;
  const f = acts.get(output)!;
  if (v.dtype !== 'float32' || f.dtype !== 'float32') return null;
  const block = planBlock(exec, acts, input, output);
  return block === null ? null : { input, output, block };
}

/**
 * S v_i for every sample i as an [n, dOut] tensor, exactly (up to float32 rounding), or null when
 * the block holds an op without an exact rule here (the caller then uses finite differences).
 */
export async function exactLinearPart(exec: Executor, acts: Activations, input: string, output: string, checkpoint?: Checkpoint): Promise<tf.Tensor2D | null> {
  const plan = planLinearPart(exec, acts, input, output);
  return plan === null ? null : exactLinearPartOf(exec, acts, plan, checkpoint);
}

/** exactLinearPart of a block already planned (planLinearPart). */
export async function exactLinearPartOf(exec: Executor, acts: Activations, plan: LinearPartPlan, checkpoint?: Checkpoint): Promise<tf.Tensor2D | null> {
  try {
    // Between chunks, timers and a cancel request get their turn.
    const chunks = linearPartChunks(exec, acts, plan, checkpoint);
    for (let next = chunks.next(); ; next = chunks.next()) {
      if (next.done === true) return next.value;
      await yieldToEventLoop();
    }
  } catch (e) {
    // An op that cannot take the stacked rows (it reads a batch-sized tensor we did not see):
    // the finite differences know how to go one tangent at a time.
    if (e instanceof ExecutionError) return null;
    throw e;
  }
}

/** exactLinearPart of a planned block in one synchronous go (inside a recorded family); throws an ExecutionError where exactLinearPart gives null. */
export function linearPartNow(exec: Executor, acts: Activations, plan: LinearPartPlan, checkpoint?: Checkpoint): tf.Tensor2D {
  const chunks = linearPartChunks(exec, acts, plan, checkpoint);
  for (let next = chunks.next(); ; next = chunks.next()) if (next.done === true) return next.value;
}

/** The rows of S V chunk by chunk, pausing (yield) before each chunk; returns them as [n, dOut]. */
function* linearPartChunks(exec: Executor, acts: Activations, plan: LinearPartPlan, checkpoint?: Checkpoint): Generator<void, tf.Tensor2D, void> {
  const { input, output } = plan;
  const n = acts.get(input)!.shape[0];
  const dOut = acts.get(output)!.size / n;
  const largest = largestActivation(exec, acts);
  const stack = Math.max(1, Math.min(n, Math.floor(STACK_ELEMENTS / largest)));
  const rows: tf.Tensor[] = [];
  const derivatives = new Map<number, tf.Tensor>();
  try {
    // sigma'(z_j) of each elementwise nonlinearity, once: its VJP of ones (the Jacobian is diagonal).
    for (const step of plan.block.steps) {
      if (step.rule !== 'diagonal') continue;
      const node = exec.graph.nodes[step.index];
      const ones = tf.onesLike(acts.get(node.outputs[0])!);
      try {
        derivatives.set(step.index, exec.vjp(acts, new Map([[node.outputs[0], ones]]), [node.inputs[0]], checkpoint).get(node.inputs[0])!);
      } finally {
        ones.dispose();
      }
    }
    for (let i = 0; i < n; i += stack) {
      yield;
      checkpoint?.();
      const c = Math.min(stack, n - i);
      rows.push(chunk(exec, acts, plan.block, derivatives, input, output, i, c, checkpoint));
    }
    return tf.tidy(() => tf.reshape(tf.concat(rows, 0), [n, dOut]) as tf.Tensor2D);
  } finally {
    rows.forEach((r) => r.dispose());
    derivatives.forEach((d) => d.dispose());
  }
}

/** Rows i .. i + c - 1 of S V ([c, ...]). */
function chunk(
  exec: Executor,
  acts: Activations,
  plan: BlockPlan,
  derivatives: ReadonlyMap<number, tf.Tensor>,
  input: string,
  output: string,
  i: number,
  c: number,
  checkpoint?: Checkpoint,
): tf.Tensor {
  const graph = exec.graph;
  const n = acts.get(input)!.shape[0];
  const tangents = new Map<string, Tangent>([[input, { t: tf.slice(acts.get(input)!, i, c), perPoint: false }]]);
  try {
    for (const step of plan.steps) {
      checkpoint?.();
      const node = graph.nodes[step.index];
      const ins = step.tangentInputs.map((j) => tangents.get(node.inputs[j])!);
      const temps: tf.Tensor[] = [];
      const asRows = (x: Tangent): tf.Tensor => {
        const r = rowsOf(x, c, n);
        if (r !== x.t) temps.push(r);
        return r;
      };
      let result: Tangent;
      try {
        if (step.rule === 'diagonal') {
          // J t = sigma'(z_j) * t: kept lazy (slopes multiply) until something needs the rows.
          const slope = derivatives.get(step.index)!;
          const x = ins[0];
          if (!x.perPoint) result = { t: x.t.clone(), perPoint: false, slope: x.slope ? tf.mul(x.slope, slope) : slope.clone() };
          else {
            const t = tf.tidy(() => tf.reshape(tf.mul(tf.reshape(x.t, [c, n, ...slope.shape.slice(1)]), tf.expandDims(slope, 0)), x.t.shape));
            result = { t, perPoint: true };
          }
        } else if (step.rule === 'own') {
          // When the mean over the points follows, an op that can average its own JVPs saves
          // forming the n^2 rows (OpKernel.jvpMean).
          const x = ins[0];
          const mean = !x.perPoint && !plan.perPoint.has(node.outputs[0]) ? exec.nodeJvpMean(acts, step.index, x.t, x.slope) : undefined;
          if (mean !== undefined) result = { t: mean, perPoint: false };
          else {
            const tangentsOf = node.inputs.map((_, j) => (j === 0 ? asRows(x) : undefined));
            result = { t: exec.nodeJvp(acts, step.index, tangentsOf, c)!, perPoint: true };
          }
        } else if (!ins.some(varies)) {
          result = {
            t: affineJvp(
              exec,
              acts,
              node.inputs,
              node.outputs[0],
              step.tangentInputs,
              ins.map((x) => x.t),
              checkpoint,
            ),
            perPoint: false,
          };
        } else if ((node.op === 'Add' || node.op === 'Sub') && ins.length === 2 && ins.some((x) => !varies(x))) {
          // A per-point branch plus a skip that is the same at every point: broadcast, no copy.
          const [a, b] = ins.map((x) => (varies(x) ? tf.reshape(asRows(x), [c, n, ...x.t.shape.slice(1)]) : tf.expandDims(x.t, 1)));
          const sum = node.op === 'Add' ? tf.add(a, b) : tf.sub(a, b);
          [a, b].forEach((t) => t.dispose());
          result = { t: tf.reshape(sum, [c * n, ...sum.shape.slice(2)]), perPoint: true };
          sum.dispose();
        } else {
          const t = affineJvp(exec, acts, node.inputs, node.outputs[0], step.tangentInputs, ins.map(asRows), checkpoint);
          result = { t, perPoint: true };
        }
      } finally {
        temps.forEach((t) => t.dispose());
      }
      if (varies(result) && !plan.perPoint.has(node.outputs[0])) {
        // No nonlinear op follows: the mean over the points commutes with the rest.
        const mean = averaged(result, c);
        dispose(result);
        result = { t: mean, perPoint: false };
      }
      const previous = tangents.get(node.outputs[0]);
      if (previous) dispose(previous);
      tangents.set(node.outputs[0], result);
    }
    const last = tangents.get(output)!;
    return tf.tidy(() => tf.reshape(varies(last) ? averaged(last, c) : last.t, [c, -1]));
  } finally {
    tangents.forEach(dispose);
  }
}

/** J t of an affine op: op(t) - op(0), two forward passes of the node (the second on one row). */
function affineJvp(
  exec: Executor,
  acts: Activations,
  inputs: readonly string[],
  target: string,
  tangentInputs: readonly number[],
  ts: readonly tf.Tensor[],
  checkpoint?: Checkpoint,
): tf.Tensor {
  const moved = new Map(tangentInputs.map((j, m) => [inputs[j], ts[m]]));
  const zeros = new Map(tangentInputs.map((j, m) => [inputs[j], tf.zeros([1, ...ts[m].shape.slice(1)])]));
  try {
    const ft = exec.forwardFrom(acts, moved, [target], checkpoint).get(target)!;
    const f0 = exec.forwardFrom(acts, zeros, [target], checkpoint).get(target)!;
    // The op's constant offset (a bias) is not part of its Jacobian.
    const out = tf.sub(ft, f0);
    [ft, f0].forEach((t) => t.dispose());
    return out;
  } finally {
    zeros.forEach((z) => z.dispose());
  }
}
