/**
 * Channels-first chains in a recorded reverse pass. The kernels record on TensorFlow.js's
 * channels-last layout, and each convolution transposes its input to ONNX's NCHW and its output
 * back (recordKernels.ts). Between two convolutions of a reverse pass sit a ReLU or batch-norm
 * VJP (elementwise), the probe stacking's Reshapes ([P*N, H, W, C] <-> [P, N, H, W, C]) and
 * merges (Add): ONNX Runtime's transpose optimiser cancels a Transpose pair only when the two
 * are neighbours, so every convolution paid two full-size transposes (a third of ORT's time on
 * a ResNet-18-sized pass: Transpose 390 ms against Conv 406 ms).
 *
 * This pass asks, for each channels-first Transpose, for its input in channels-first form
 * (`channelsFirst`): through elementwise ops (their other operands transposed, or reshaped to
 * [C, 1, 1] when per-channel; a mask of N samples costs 1/P of the P-probe cotangent), through
 * Reshapes that keep the last three axes, up to the previous convolution's output, whose
 * channels-last Transpose is then skipped. Where the chain stops (a Concat, a Slice, a graph
 * input) one Transpose is inserted there. It only moves where data is permuted: every value
 * the graph computes is the same number as before.
 */
import type { NodeSpec } from './ortModel';
import type { Recorder } from './recordBackend';

/** Elementwise ops of one input (and attributes that do not name axes). */
const UNARY = new Set([
  'Identity',
  'Neg',
  'Abs',
  'Relu',
  'Sqrt',
  'Reciprocal',
  'Exp',
  'Log',
  'Sigmoid',
  'Tanh',
  'Cast',
  'IsNaN',
  'IsInf',
  'Not',
  'Sign',
  'Floor',
  'Ceil',
  'Erf',
]);
/** Elementwise ops of several inputs, numpy broadcasting. */
const NARY = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Where',
  'Greater',
  'Less',
  'Equal',
  'GreaterOrEqual',
  'LessOrEqual',
  'And',
  'Or',
  'Max',
  'Min',
  'Clip',
]);

/** The permutation that moves the last axis of a rank-r tensor to position r - 3 ([N, H, W, C] -> [N, C, H, W]). */
export function toChannelsFirst(r: number): number[] {
  return [...Array.from({ length: r - 3 }, (_, i) => i), r - 1, r - 3, r - 2];
}

/** Its inverse ([N, C, H, W] -> [N, H, W, C]). */
function toChannelsLast(r: number): number[] {
  return [...Array.from({ length: r - 3 }, (_, i) => i), r - 2, r - 1, r - 3];
}

function samePerm(a: unknown, b: readonly number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);
}

function broadcast(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/**
 * Rewrites `recorder.nodes` in place (see the top of this file) and drops the nodes no output
 * of `outputs` needs any more; returns how many channels-first Transposes it removed.
 */
export function sinkChannelsFirst(recorder: Recorder, outputs: readonly string[]): number {
  const nodes = recorder.nodes;
  const producer = new Map<string, NodeSpec>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const int64Values = new Map<string, readonly number[]>();
  for (const init of recorder.initializers)
    if (init.dtype === 'int64' && init.data instanceof BigInt64Array) int64Values.set(init.name, Array.from(init.data, Number));
  const added: NodeSpec[] = [];
  const emit = (op: string, inputs: readonly string[], attrs?: NodeSpec['attrs']): string => {
    const out = recorder.fresh('v');
    added.push({ op, inputs, outputs: [out], attrs });
    return out;
  };

  const shapes = new Map<string, readonly number[] | null>();
  const shapeOf = (v: string): readonly number[] | null => {
    const known = recorder.shapeOf(v) ?? shapes.get(v);
    if (known !== undefined) return known;
    shapes.set(v, null); // a cycle cannot happen in a graph being built, but guards the recursion
    const n = producer.get(v);
    let s: readonly number[] | null = null;
    if (n !== undefined && n.outputs.length === 1) {
      if (UNARY.has(n.op)) s = shapeOf(n.inputs[0]);
      else if (NARY.has(n.op)) {
        const ins = n.inputs.filter((i) => i !== '').map(shapeOf);
        s = ins.every((x) => x !== null) ? broadcast(ins as number[][]) : null;
      } else if (n.op === 'Transpose') {
        const x = shapeOf(n.inputs[0]);
        const perm = n.attrs?.perm;
        s = x !== null && Array.isArray(perm) ? (perm as number[]).map((p) => x[p]) : null;
      } else if (n.op === 'Reshape') {
        const target = int64Values.get(n.inputs[1]);
        s = target !== undefined && target.every((d) => d > 0) ? target : null;
      }
    }
    shapes.set(v, s);
    return s;
  };

  const sameTail = (a: readonly number[], b: readonly number[]): boolean =>
    a.length >= 3 && b.length >= 3 && [1, 2, 3].every((k) => a[a.length - k] === b[b.length - k]);

  const memo = new Map<string, string | null>();
  // What an attempt changed, so that one that does not pay can be undone.
  const journal: string[] = [];
  let transposedElements = 0;
  const remember = (v: string, name: string | null): void => {
    if (!memo.has(v)) journal.push(v);
    memo.set(v, name);
  };
  /** `v` ([..., H, W, C]) as [..., C, H, W]: found upstream, or a Transpose of v; null when v's rank is unknown. */
  const channelsFirst = (v: string): string | null => {
    const known = memo.get(v);
    if (known !== undefined) return known;
    remember(v, null);
    const result = upstream(v) ?? fallback(v);
    remember(v, result);
    return result;
  };
  /** The Transposes fallback inserted: a value whose memo is one of them was not found upstream. */
  const inserted = new Set<string>();
  const fallback = (v: string): string | null => {
    const s = shapeOf(v);
    if (s === null || s.length < 3) return null;
    transposedElements += s.reduce((a, b) => a * b, 1);
    const name = emit('Transpose', [v], { perm: toChannelsFirst(s.length) });
    inserted.add(name);
    return name;
  };
  /** An operand of an elementwise op, in the channels-first form of an output of rank `rank`. */
  const operand = (x: string, rank: number): string | null => {
    if (x === '') return x;
    const s = shapeOf(x);
    if (s === null) return null;
    if (s.length === 0 || s.every((d) => d === 1)) return x;
    if (s.length === 1) return emit('Reshape', [x, recorder.int64([s[0], 1, 1])]);
    // Broadcasting aligns trailing axes: an operand's own last three are the output's [H, W, C].
    return s.length >= 3 && s.length <= rank ? channelsFirst(x) : null;
  };
  /** v's channels-first form from its producer's inputs, or null where the chain stops. */
  const upstream = (v: string): string | null => {
    const n = producer.get(v);
    if (n === undefined || n.outputs.length !== 1) return null;
    if (n.op === 'Transpose') {
      const perm = n.attrs?.perm;
      return Array.isArray(perm) && perm.length >= 3 && samePerm(perm, toChannelsLast(perm.length)) ? n.inputs[0] : null;
    }
    const s = shapeOf(v);
    if (s === null || s.length < 3) return null;
    if (n.op === 'Reshape') {
      const from = shapeOf(n.inputs[0]);
      if (from === null || !sameTail(from, s)) return null;
      const x = channelsFirst(n.inputs[0]);
      if (x === null) return null;
      const perm = toChannelsFirst(s.length);
      return emit('Reshape', [x, recorder.int64(perm.map((p) => s[p]))]);
    }
    if (!UNARY.has(n.op) && !NARY.has(n.op)) return null;
    const ins: string[] = [];
    for (const i of n.inputs) {
      const x = operand(i, s.length);
      if (x === null) return null;
      ins.push(x);
    }
    return emit(n.op, ins, n.attrs);
  };
  /**
   * The channels-first form of `v` from upstream, if that transposes fewer elements than the
   * Transpose of v it replaces (operands that the chain cannot reach are transposed where they
   * enter it); otherwise everything the attempt added is undone and the result is null.
   */
  const attempt = (v: string): string | null => {
    // Found upstream already (several convolutions read v: a strided VJP's phases): the same chain serves.
    const known = memo.get(v);
    if (known !== undefined && known !== null && !inserted.has(known)) return known;
    const mark = { added: added.length, journal: journal.length };
    transposedElements = 0;
    const found = upstream(v);
    const size = (shapeOf(v) ?? []).reduce((a, b) => a * b, 1);
    if (found !== null && transposedElements < size) return found;
    added.length = mark.added;
    for (const k of journal.splice(mark.journal)) memo.delete(k);
    return null;
  };

  let removed = 0;
  nodes.forEach((n, i) => {
    if (n.op !== 'Transpose' || n.outputs.length !== 1) return;
    const perm = n.attrs?.perm;
    if (!Array.isArray(perm) || perm.length < 3 || !samePerm(perm, toChannelsFirst(perm.length))) return;
    const found = attempt(n.inputs[0]);
    if (found === null) return;
    remember(n.inputs[0], found);
    nodes[i] = { op: 'Identity', inputs: [found], outputs: n.outputs };
    removed++;
  });
  if (removed === 0) return 0;
  const all = [...nodes, ...added];
  nodes.length = 0;
  nodes.push(...liveInOrder(all, outputs));
  // Values the rewrite left unread (the old chains' constants, an undone attempt's shapes).
  const read = new Set(nodes.flatMap((n) => n.inputs));
  const keptInits = recorder.initializers.filter((i) => read.has(i.name));
  recorder.initializers.length = 0;
  recorder.initializers.push(...keptInits);
  return removed;
}

/**
 * The nodes some output needs, in an order where every node follows the producers of its
 * inputs (the nodes added above read values made later in the list).
 */
function liveInOrder(all: readonly NodeSpec[], outputs: readonly string[]): NodeSpec[] {
  const producer = new Map<string, number>();
  all.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const order: NodeSpec[] = [];
  const state = new Uint8Array(all.length); // 0 unvisited, 1 on the stack, 2 placed
  // Iterative depth-first post-order: reverse passes of deep models are thousands of nodes long.
  for (const out of outputs) {
    const start = producer.get(out);
    if (start === undefined || state[start] !== 0) continue;
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const node = all[top[0]];
      if (top[1] < node.inputs.length) {
        const next = producer.get(node.inputs[top[1]++]);
        if (next !== undefined && state[next] === 0) {
          state[next] = 1;
          stack.push([next, 0]);
        }
        continue;
      }
      stack.pop();
      state[top[0]] = 2;
      order.push(node);
    }
  }
  return order;
}
