import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Attributes } from '../../src/graph/ir';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, randn } from '../helpers/gradcheck';
import { assertResult, run1, tensorConst } from './runOp';
import { naiveConv, naiveConvTranspose, type NdArray } from './naive';
import { Executor } from '../../src/runtime/executor';
import { singleNodeGraph } from '../helpers/gradcheck';

function nd(t: tf.Tensor): NdArray {
  return { shape: t.shape, data: Array.from(t.dataSync()) };
}

/** ONNX layout -> channels-last (N,C,s... -> N,s...,C). */
function lastOf(t: tf.Tensor): tf.Tensor {
  return tf.transpose(t, [0, ...Array.from({ length: t.rank - 2 }, (_, i) => i + 2), 1]);
}

/** ONNX kernel [O, I, k...] -> TF [k..., I, O]. */
function tfKernel(w: tf.Tensor): tf.Tensor {
  return tf.transpose(w, [...Array.from({ length: w.rank - 2 }, (_, i) => i + 2), 1, 0]);
}

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly w: number[];
  readonly attrs: Attributes;
  /** Explicit pads the naive reference uses (auto_pad resolved by hand). */
  readonly pads?: number[];
  readonly bias?: boolean;
}

const convCases: Case[] = [
  { name: '2-D plain with bias', x: [2, 3, 5, 5], w: [4, 3, 3, 3], attrs: {}, bias: true },
  { name: '2-D stride 2, asymmetric pads', x: [1, 2, 6, 5], w: [3, 2, 3, 2], attrs: { strides: [2, 2], pads: [1, 0, 2, 1] }, pads: [1, 0, 2, 1] },
  { name: '2-D dilation 2', x: [1, 2, 7, 6], w: [2, 2, 3, 3], attrs: { dilations: [2, 2], pads: [1, 1, 1, 1] }, pads: [1, 1, 1, 1] },
  { name: '2-D stride 2 and dilation 2', x: [1, 2, 8, 7], w: [2, 2, 2, 3], attrs: { dilations: [2, 2], strides: [2, 2] } },
  { name: '2-D groups 2', x: [1, 4, 5, 5], w: [6, 2, 3, 3], attrs: { group: 2, pads: [1, 1, 1, 1] }, pads: [1, 1, 1, 1], bias: true },
  {
    name: '2-D depthwise, multiplier 2, stride 2',
    x: [2, 3, 6, 6],
    w: [6, 1, 3, 3],
    attrs: { group: 3, strides: [2, 2], pads: [1, 1, 0, 0] },
    pads: [1, 1, 0, 0],
  },
  // SAME_UPPER on 6 with k 3, s 2: total padding 1, at the end; SAME_LOWER: at the beginning.
  { name: '2-D SAME_UPPER stride 2', x: [1, 2, 6, 6], w: [2, 2, 3, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] }, pads: [0, 0, 1, 1] },
  { name: '2-D SAME_LOWER stride 2', x: [1, 2, 6, 6], w: [2, 2, 3, 3], attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] }, pads: [1, 1, 0, 0] },
  { name: '1-D stride 2 pads', x: [2, 3, 9], w: [2, 3, 3], attrs: { strides: [2], pads: [2, 1] }, pads: [2, 1], bias: true },
  { name: '3-D', x: [1, 2, 4, 4, 3], w: [2, 2, 2, 3, 2], attrs: { pads: [1, 0, 1, 0, 1, 0], strides: [1, 2, 1] }, pads: [1, 0, 1, 0, 1, 0] },
];

const transposeCases: (Case & { outputPadding?: number[] })[] = [
  { name: '2-D plain with bias', x: [1, 2, 3, 3], w: [2, 3, 3, 3], attrs: {}, bias: true },
  {
    name: '2-D stride 2, pads, output_padding',
    x: [2, 2, 3, 4],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], pads: [1, 0, 0, 1], output_padding: [1, 1] },
    pads: [1, 0, 0, 1],
    outputPadding: [1, 1],
  },
  { name: '2-D dilation 2 stride 3', x: [1, 1, 3, 3], w: [1, 2, 2, 2], attrs: { strides: [3, 3], dilations: [2, 2] } },
  { name: '2-D groups 2', x: [1, 4, 3, 3], w: [4, 1, 3, 3], attrs: { group: 2, strides: [2, 1] } },
  { name: '1-D stride 2', x: [1, 2, 4], w: [2, 3, 3], attrs: { strides: [2], pads: [1, 1] }, pads: [1, 1], bias: true },
];

function inputsOf(c: Case, seed: number): { x: tf.Tensor; w: tf.Tensor } {
  const x = randn(c.x, seed);
  const w = randn(c.w, seed + 1);
  return { x, w };
}

describe('Conv / ConvTranspose: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  for (const c of convCases) {
    test(`Conv ${c.name}: naive reference, and channelsLast agrees`, () => {
      const { x, w } = inputsOf(c, 3);
      const b = c.bias ? randn([c.w[0]], 9) : null;
      const ref = naiveConv(
        nd(x),
        nd(w),
        {
          strides: c.attrs.strides as number[] | undefined,
          dilations: c.attrs.dilations as number[] | undefined,
          pads: c.pads,
          group: c.attrs.group as number | undefined,
        },
        b ? Array.from(b.dataSync()) : undefined,
      );
      const got = run1('Conv', b ? [x, w, b] : [x, w], c.attrs);
      assertResult(got, ref.shape, ref.data, 'float32', 1e-4);
      const last = run1('Conv', b ? [lastOf(x), tfKernel(w), b] : [lastOf(x), tfKernel(w)], { ...c.attrs, channelsLast: true });
      const want = lastOf(tf.tensor(ref.data, ref.shape));
      assertResult(last, want.shape, Array.from(want.dataSync()), 'float32', 1e-4);
    });
  }

  for (const c of transposeCases) {
    test(`ConvTranspose ${c.name}: naive reference, and channelsLast agrees`, () => {
      const { x, w } = inputsOf(c, 4);
      const group = (c.attrs.group as number | undefined) ?? 1;
      const b = c.bias ? randn([c.w[1] * group], 10) : null;
      const ref = naiveConvTranspose(
        nd(x),
        nd(w),
        {
          strides: c.attrs.strides as number[] | undefined,
          dilations: c.attrs.dilations as number[] | undefined,
          pads: c.pads,
          group,
          outputPadding: c.outputPadding,
        },
        b ? Array.from(b.dataSync()) : undefined,
      );
      const got = run1('ConvTranspose', b ? [x, w, b] : [x, w], c.attrs);
      assertResult(got, ref.shape, ref.data, 'float32', 1e-4);
      const last = run1('ConvTranspose', b ? [lastOf(x), tfKernel(w), b] : [lastOf(x), tfKernel(w)], { ...c.attrs, channelsLast: true });
      const want = lastOf(tf.tensor(ref.data, ref.shape));
      assertResult(last, want.shape, Array.from(want.dataSync()), 'float32', 1e-4);
    });
  }

  test('ConvTranspose output_shape and SAME_UPPER / SAME_LOWER choose the pads', () => {
    const x = randn([1, 1, 3, 3], 5);
    const w = randn([1, 1, 3, 3], 6);
    // Full size 2 * 2 + 3 = 7; output 6 leaves a total padding of 1.
    const upper = run1('ConvTranspose', [x, w], { strides: [2, 2], auto_pad: 'SAME_UPPER' });
    const refUpper = naiveConvTranspose(nd(x), nd(w), { strides: [2, 2], pads: [0, 0, 1, 1] });
    assertResult(upper, [1, 1, 6, 6], refUpper.data, 'float32', 1e-4);
    const lower = run1('ConvTranspose', [x, w], { strides: [2, 2], auto_pad: 'SAME_LOWER' });
    const refLower = naiveConvTranspose(nd(x), nd(w), { strides: [2, 2], pads: [1, 1, 0, 0] });
    assertResult(lower, [1, 1, 6, 6], refLower.data, 'float32', 1e-4);
    const shaped = run1('ConvTranspose', [x, w], { strides: [2, 2], output_shape: [5, 7] });
    const refShaped = naiveConvTranspose(nd(x), nd(w), { strides: [2, 2], pads: [1, 0, 1, 0] });
    assertResult(shaped, [1, 1, 5, 7], refShaped.data, 'float32', 1e-4);
  });

  test('a hand-computed 1-D convolution', () => {
    const x = tf.tensor([1, 2, 3, 4], [1, 1, 4]);
    const w = tf.tensor([1, 0, -1], [1, 1, 3]);
    // Padded [0,1,2,3,4,0]: windows (0,1,2) (1,2,3) (2,3,4) (3,4,0) -> -2 -2 -2 3, stride 2 keeps 1st, 3rd.
    assertResult(run1('Conv', [x, w], { pads: [1, 1] }), [1, 1, 4], [-2, -2, -2, 3]);
    assertResult(run1('Conv', [x, w], { pads: [1, 1], strides: [2] }), [1, 1, 2], [-2, -2]);
  });

  test('a group count that does not match the kernel is refused', () => {
    assert.throws(() => run1('Conv', [randn([1, 4, 3, 3], 1), randn([2, 4, 1, 1], 2)], { group: 2 }), /group/);
  });
});

describe('Conv / ConvTranspose: VJP against finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  for (const c of convCases) {
    test(`Conv ${c.name}`, () => {
      const { x, w } = inputsOf(c, 11);
      const bias = c.bias ? [{ value: randn([c.w[0]], 12) }] : [];
      checkVjp({ op: 'Conv', attrs: c.attrs, inputs: [{ value: x }, { value: w }, ...bias] });
      checkVjp({ op: 'Conv', attrs: { ...c.attrs, channelsLast: true }, inputs: [{ value: lastOf(x) }, { value: tfKernel(w) }, ...bias] });
    });
  }

  for (const c of transposeCases) {
    test(`ConvTranspose ${c.name}`, () => {
      const { x, w } = inputsOf(c, 13);
      const group = (c.attrs.group as number | undefined) ?? 1;
      const bias = c.bias ? [{ value: randn([c.w[1] * group], 14) }] : [];
      checkVjp({ op: 'ConvTranspose', attrs: c.attrs, inputs: [{ value: x }, { value: w }, ...bias] });
      checkVjp({ op: 'ConvTranspose', attrs: { ...c.attrs, channelsLast: true }, inputs: [{ value: lastOf(x) }, { value: tfKernel(w) }, ...bias] });
    });
  }
});

/** The cotangents of x and w from the executor's reverse pass, weights as a constant. */
function ourGrads(attrs: Attributes, x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor, constW: boolean): { dx: number[]; dw: number[] } {
  const graph = singleNodeGraph('Conv', attrs, [{ value: x }, constW ? { constant: tensorConst(w) } : { value: w }]);
  const exec = new Executor(graph);
  try {
    const feeds = new Map<string, tf.Tensor>(
      constW
        ? [['in0', x]]
        : [
            ['in0', x],
            ['in1', w],
          ],
    );
    const acts = exec.forward(feeds);
    const g = exec.vjp(acts, new Map([['out0', dy]]), constW ? ['in0'] : ['in0', 'in1']);
    const out = { dx: Array.from(g.get('in0')!.dataSync()), dw: constW ? [] : Array.from(g.get('in1')!.dataSync()) };
    g.forEach((t) => t.dispose());
    exec.disposeActivations(acts, feeds);
    return out;
  } finally {
    exec.dispose();
  }
}

function assertClose(got: number[], want: number[], what: string): void {
  assert.equal(got.length, want.length, what);
  const scale = Math.max(...want.map(Math.abs), 1);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * scale, `${what} ${i}: ${v} vs ${want[i]}`));
}

describe("Conv VJP against the cpu backend's own Conv2D/DepthwiseConv2d backprop kernels", () => {
  before(async () => {
    await useTestBackend();
  });

  const variants: {
    name: string;
    x: number[];
    w: number[];
    strides: [number, number];
    dil: [number, number];
    pad: 'same' | 'valid';
    attrs: Attributes;
    depthwise?: boolean;
  }[] = [
    { name: 'stride 2 SAME', x: [2, 7, 6, 3], w: [3, 3, 3, 4], strides: [2, 2], dil: [1, 1], pad: 'same', attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' } },
    // (tf.grad does not support dilations; finite differences cover them.)
    { name: 'stride 3 VALID, rectangular kernel', x: [1, 8, 7, 2], w: [3, 2, 2, 3], strides: [3, 3], dil: [1, 1], pad: 'valid', attrs: { strides: [3, 3] } },
    {
      name: 'depthwise stride 2 SAME',
      x: [1, 6, 7, 3],
      w: [3, 3, 3, 2],
      strides: [2, 2],
      dil: [1, 1],
      pad: 'same',
      attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER', group: 3 },
      depthwise: true,
    },
  ];

  for (const v of variants) {
    test(v.name, async () => {
      const x = randn(v.x, 21);
      const w = randn(v.w, 22); // TF layout; depthwise: [kh, kw, C, mult]
      const cout = v.depthwise ? v.w[2] * v.w[3] : v.w[3];
      const ourW = v.depthwise ? tf.reshape(w, [v.w[0], v.w[1], 1, cout]) : w;
      const y = run1('Conv', [x, ourW], { ...v.attrs, channelsLast: true });
      const dy = randn(y.shape, 23);
      const ours = ourGrads({ ...v.attrs, channelsLast: true }, x, ourW, dy, false);
      const oursConst = ourGrads({ ...v.attrs, channelsLast: true }, x, ourW, dy, true);
      const data = { x: nd(x), w: nd(w), dy: nd(dy) };
      const previous = tf.getBackend();
      await tf.setBackend('cpu');
      let want: { dx: number[]; dw: number[] };
      try {
        want = tf.tidy(() => {
          const xc = tf.tensor4d(data.x.data, data.x.shape as [number, number, number, number]);
          const wc = tf.tensor4d(data.w.data, data.w.shape as [number, number, number, number]);
          const dyc = tf.tensor4d(data.dy.data, data.dy.shape as [number, number, number, number]);
          // The cpu backend's own backprop kernels (what tf.grad would call; tfjs-core alone
          // does not load the gradient registry, so they are invoked by name).
          const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): tf.Tensor =>
            tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
          const common = { strides: v.strides, pad: v.pad, dilations: v.dil, dataFormat: 'NHWC' };
          const gx = run(
            v.depthwise ? 'DepthwiseConv2dNativeBackpropInput' : 'Conv2DBackpropInput',
            { dy: dyc, filter: wc },
            { ...common, inputShape: xc.shape },
          );
          const gw = run(
            v.depthwise ? 'DepthwiseConv2dNativeBackpropFilter' : 'Conv2DBackpropFilter',
            { x: xc, dy: dyc },
            { ...common, filterShape: wc.shape },
          );
          return { dx: Array.from(gx.dataSync()), dw: Array.from(gw.dataSync()) };
        });
      } finally {
        await tf.setBackend(previous);
      }
      assertClose(ours.dx, want.dx, 'dx');
      assertClose(oursConst.dx, want.dx, 'dx (constant kernel)');
      assertClose(ours.dw, want.dw, 'dw');
    });
  }
});
