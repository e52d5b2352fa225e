/**
 * The convolution primitive of src/ops/convCore.ts executed by ONNX Runtime: one cached
 * session per convolution configuration (kernel, input shape without the batch, strides,
 * dilations, pads), whose model is Transpose (channels-last to ONNX's NCHW) -> Conv ->
 * Transpose back. The batch is a symbolic dimension, so the forward pass and the reverse
 * passes of any number of stacked probes share a session.
 *
 * A kernel that is a kept tensor (a model constant, or a value the kernels cache from one) is
 * an initializer of the session, so ORT pre-packs it into its blocked layout once; any other
 * kernel (the cotangent that plays the kernel in a weight gradient) is a second input.
 * Data crosses in place where TensorFlow.js computes on wasm: ORT reads the input from the wasm
 * heap and writes its output into a tensor allocated there (heapViews.ts).
 *
 * A depthwise convolution (one input channel per group) runs on TensorFlow.js instead:
 * measured on the 2-core machine, XNNPACK's took 49 ms CPU where ORT's took 89 (3x3 over
 * [128, 16, 16, 96]) and 3.8 where it took 5.2 ([128, 8, 8, 192]), ORT adding two layout
 * transposes and two copies to a convolution that is cheap. (Leaving rarely run dense
 * convolutions to TensorFlow.js until their FLOPs repay a session was tried and did not pay:
 * XNNPACK packs a kernel on its first use too, at about the cost of ORT's session, so the
 * 1.2 s of per-convolution sessions of a ResNet-18 analysis saved came back as eager runs.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { tfjsConvExecutor, type ConvExecutor, type SpatialPads } from '../ops/convCore';
import type { Tensor } from '../ops/kernel';
import { deferredInitializer, encodeModel, type EncodedModel, type Initializer, type NodeSpec } from './ortModel';
import { foldConstants } from './foldConstants';
import { heapOutput, valuesForRun } from './heapViews';
import { knownHostTransposes } from '../ops/hostValues';
import { sessionOptions, type OrtRuntime, type OrtSession } from './ortSession';

export interface OrtConvExecutor extends ConvExecutor {
  /**
   * Convolutions ORT ran, sessions built and held (a test checks that ORT really ran), and
   * depthwise convolutions left to TensorFlow.js (see the top of this file).
   */
  readonly stats: { runs: number; sessions: number; live: number; eager: number };
  /** Releases every session (their pre-packed kernels). */
  dispose(): void;
}

interface ConvCall {
  readonly x: Tensor;
  readonly w: Tensor;
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly begin: readonly number[];
  readonly end: readonly number[];
}

function outputSpatial(c: ConvCall): number[] {
  const r = c.x.rank - 2;
  return Array.from({ length: r }, (_, i) => {
    const extent = (c.w.shape[i] - 1) * c.dilations[i] + 1;
    return Math.floor((c.x.shape[i + 1] + c.begin[i] + c.end[i] - extent) / c.strides[i]) + 1;
  });
}

/** The model of one convolution configuration; `initializer` holds the kernel when it is constant. */
function convModel(c: ConvCall, initializer: Initializer | undefined): EncodedModel {
  const r = c.x.rank - 2;
  const spatial = Array.from({ length: r }, (_, i) => i + 1);
  const cin = c.x.shape[r + 1];
  const groups = cin / c.w.shape[r];
  const cout = c.w.shape[r + 1];
  const nodes: NodeSpec[] = [
    { op: 'Transpose', inputs: ['x'], outputs: ['xc'], attrs: { perm: [0, r + 1, ...spatial] } },
    // TF layout [k..., I, O] -> ONNX [O, I, k...]; a constant kernel is stored transposed (foldConstants).
    { op: 'Transpose', inputs: ['w'], outputs: ['wc'], attrs: { perm: [r + 1, r, ...spatial.map((a) => a - 1)] } },
    {
      op: 'Conv',
      inputs: ['xc', 'wc'],
      outputs: ['yc'],
      attrs: { group: groups, strides: c.strides, dilations: c.dilations, pads: [...c.begin, ...c.end], kernel_shape: c.w.shape.slice(0, r) },
    },
    { op: 'Transpose', inputs: ['yc'], outputs: ['y'], attrs: { perm: [0, ...spatial.map((a) => a + 1), 1] } },
  ];
  const x = { name: 'x', shape: ['batch', ...c.x.shape.slice(1)] };
  const w = { name: 'w', shape: c.w.shape };
  const initializers: Initializer[] = initializer ? [initializer] : [];
  // A constant kernel's Transpose is computed here (once per kernel array), not by ORT.
  return encodeModel(
    foldConstants({
      nodes,
      inputs: initializer ? [x] : [x, w],
      outputs: [{ name: 'y', shape: ['batch', ...outputSpatial(c), cout] }],
      initializers,
    }),
  );
}

function configKey(c: ConvCall, constantKernel: boolean): string {
  const kernel = constantKernel ? `k${c.w.id}` : `in${c.w.shape.join('x')}`;
  return [kernel, c.x.shape.slice(1).join('x'), c.strides.join(','), c.dilations.join(','), c.begin.join(','), c.end.join(',')].join('|');
}

/**
 * A constant kernel as the initializer 'w': its values are read only if its channels-first
 * transpose is not known already (knownHostTransposes), so a channels-last kernel the layout
 * pass made is never made for ONNX Runtime.
 */
function kernelInitializer(w: Tensor): Initializer {
  return deferredInitializer('w', w.shape, () => float32(w), knownHostTransposes(w));
}

/** A float32 tensor's values for one run (valuesForRun: a weight's own array or a view of the wasm heap). */
function float32(t: Tensor): Float32Array {
  const data = valuesForRun(t);
  if (!(data instanceof Float32Array)) throw new Error(`ONNX Runtime convolution of a ${t.dtype} tensor`);
  return data;
}

export interface OrtConvOptions {
  /**
   * false: every convolution on ONNX Runtime, depthwise ones included (the tests of ORT's
   * numbers); true (the default): depthwise ones on TensorFlow.js (see the top of this file).
   */
  readonly depthwiseOnTfjs?: boolean;
}

export function ortConvExecutor(ort: OrtRuntime, intraOpThreads: number, opts: OrtConvOptions = {}): OrtConvExecutor {
  /** Sessions by configuration, with the constant kernel they hold (if any). */
  const sessions = new Map<string, { readonly session: OrtSession; readonly kernel?: Tensor }>();
  const depthwiseOnTfjs = opts.depthwiseOnTfjs ?? true;
  const options = sessionOptions(intraOpThreads);
  const stats = { runs: 0, sessions: 0, live: 0, eager: 0 };

  // A session of a disposed kernel (an earlier analysis's executor) can never run again.
  const sweep = (): void => {
    for (const [key, entry] of sessions) {
      if (entry.kernel?.isDisposed === true) {
        entry.session.dispose();
        sessions.delete(key);
        stats.live--;
      }
    }
  };

  /**
   * One input channel per group, more than one group, over at most 2 spatial axes: XNNPACK's
   * depthwise kernel is 2-D (1-D lifts into it); TensorFlow.js runs a 3-D one group by group.
   */
  const depthwise = (c: ConvCall): boolean => c.x.rank - 2 <= 2 && c.w.shape[c.x.rank - 2] === 1 && c.x.shape[c.x.rank - 1] > 1;

  const sessionFor = (c: ConvCall, constantKernel: boolean): OrtSession => {
    const key = configKey(c, constantKernel);
    let entry = sessions.get(key);
    if (entry === undefined) {
      sweep();
      entry = { session: ort.newSession(convModel(c, constantKernel ? kernelInitializer(c.w) : undefined), options), kernel: constantKernel ? c.w : undefined };
      sessions.set(key, entry);
      stats.sessions++;
      stats.live++;
    }
    return entry.session;
  };

  const conv = (x: Tensor, w: Tensor, strides: readonly number[], dilations: readonly number[], pads?: SpatialPads): Tensor => {
    const r = x.rank - 2;
    const zeros = Array.from({ length: r }, () => 0);
    const call: ConvCall = { x, w, strides, dilations, begin: pads?.begin ?? zeros, end: pads?.end ?? zeros };
    const constantKernel = w.kept;
    if (depthwiseOnTfjs && depthwise(call)) {
      stats.eager++;
      return tfjsConvExecutor.conv(x, w, strides, dilations, pads);
    }
    const session = sessionFor(call, constantKernel);
    const yShape = [x.shape[0], ...outputSpatial(call), w.shape[r + 1]];
    // ORT writes straight into a wasm tensor and reads its inputs in place (heapViews.ts):
    // the output is allocated first, since an allocation may move the heap under earlier views.
    const out = heapOutput(yShape);
    try {
      const feeds: Record<string, InstanceType<OrtRuntime['Tensor']>> = { x: new ort.Tensor('float32', float32(x), x.shape) };
      if (!constantKernel) feeds.w = new ort.Tensor('float32', float32(w), w.shape);
      const y = session.run(feeds, { y: out === undefined ? null : new ort.Tensor('float32', out.view(), yShape) }, {}).y;
      stats.runs++;
      return out?.tensor ?? tf.tensor(y.data as Float32Array, y.dims as number[], 'float32');
    } catch (e) {
      out?.tensor.dispose();
      throw e;
    }
  };

  return {
    name: 'onnxruntime',
    conv,
    stats,
    dispose: () => {
      for (const e of sessions.values()) e.session.dispose();
      sessions.clear();
      stats.live = 0;
    },
  };
}
