/**
 * Small convolutional graphs with the shapes of real models' blocks (BlazeFace/BlazePose, two
 * streams, a U-Net), built in the internal representation for the block-partition tests.
 */
import { GraphBuilder, gaussianMatrix } from './graphs';
import type { LoadedModel } from '../../src/loaders';

/** He-scaled conv weights [out, in/group, k, k]. */
function convWeights(b: GraphBuilder, out: number, inPerGroup: number, k: number, seed: number): string {
  const fanIn = inPerGroup * k * k;
  return b.constant(gaussianMatrix(out, fanIn, seed, Math.sqrt(2 / fanIn)), [out, inPerGroup, k, k]);
}

export function conv(b: GraphBuilder, x: string, cin: number, cout: number, k: number, seed: number, stride = 1, group = 1): string {
  const pad = (k - 1) >> 1;
  return b.node('Conv', [x, convWeights(b, cout, cin / group, k, seed)], {
    kernel_shape: [k, k],
    strides: [stride, stride],
    pads: [pad, pad, pad, pad],
    group,
  });
}

/** MaxPool 2×2 stride 2, then zero channels appended (cin -> cout): BlazeBlock's shortcut. */
function poolShortcut(b: GraphBuilder, x: string, cin: number, cout: number): string {
  const pooled = b.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  return cout === cin ? pooled : b.node('Pad', [pooled, b.intConstant([0, 0, 0, 0, 0, cout - cin, 0, 0])]);
}

/** Global average pool, flatten, dense to `classes`. */
function head(b: GraphBuilder, x: string, c: number, classes: number, seed: number): string {
  const g = b.node('GlobalAveragePool', [x]);
  const f = b.node('Flatten', [g], { axis: 1 });
  return b.node('MatMul', [f, b.constant(gaussianMatrix(c, classes, seed, Math.sqrt(1 / c)), [c, classes])]);
}

/**
 * stem conv+ReLU, then one stride-2 block whose conv path has a ReLU inside
 * (conv3×3 -> ReLU -> conv1×1) and whose shortcut is MaxPool -> Pad, added and ReLU'd; a head.
 */
export function maxPoolShortcutModel(): LoadedModel {
  const b = new GraphBuilder('x', ['batch', 4, 8, 8]);
  const stem = b.node('Relu', [conv(b, 'x', 4, 8, 3, 1)]);
  const inner = b.node('Relu', [conv(b, stem, 8, 8, 3, 2, 2)]);
  const branch = conv(b, inner, 8, 16, 1, 3);
  const merged = b.node('Relu', [b.node('Add', [branch, poolShortcut(b, stem, 8, 16)])]);
  return b.build(head(b, merged, 16, 3, 4));
}

/** BlazeFace's BlazeBlock: depthwise 3×3 stride 2 -> pointwise 1×1 (no activation between) + MaxPool -> Pad, then ReLU. */
export function blazeBlockModel(): LoadedModel {
  const b = new GraphBuilder('x', ['batch', 4, 8, 8]);
  const stem = b.node('Relu', [conv(b, 'x', 4, 8, 3, 1)]);
  const dw = conv(b, stem, 8, 8, 3, 2, 2, 8);
  const pw = conv(b, dw, 8, 16, 1, 3);
  const merged = b.node('Relu', [b.node('Add', [pw, poolShortcut(b, stem, 8, 16)])]);
  return b.build(head(b, merged, 16, 3, 4));
}

/**
 * A dense residual block whose branch ends in a zero scale (timm zero-initialises a block's last
 * norm): x -> W0 -> ReLU -> h;  h + 0 · (ReLU(h W1) W2);  then a readout.
 */
export function zeroBranchModel(): LoadedModel {
  const d = 16;
  const b = new GraphBuilder('x', ['batch', d]);
  const dense = (x: string, seed: number): string => b.node('MatMul', [x, b.constant(gaussianMatrix(d, d, seed, Math.sqrt(2 / d)), [d, d])]);
  const h = b.node('Relu', [dense('x', 1)]);
  const inner = dense(b.node('Relu', [dense(h, 2)]), 3);
  const branch = b.node('Mul', [inner, b.constant(new Float32Array(d), [d])]);
  const merged = b.node('Add', [h, branch]);
  return b.build(dense(merged, 4));
}

/** conv 3×3 + ReLU, `n` times. */
function convStack(b: GraphBuilder, x: string, cin: number, c: number, n: number, seed: number): string {
  let t = x;
  for (let i = 0; i < n; i++) t = b.node('Relu', [conv(b, t, i === 0 ? cin : c, c, 3, seed + i)]);
  return t;
}

/** Two streams of 7 conv+ReLU layers each from the input, concatenated, a 1×1 conv and a head (an age classifier's shape). */
export function twoStreamModel(): LoadedModel {
  const b = new GraphBuilder('x', ['batch', 3, 8, 8]);
  const a = convStack(b, 'x', 3, 4, 7, 10);
  const s = convStack(b, 'x', 3, 4, 7, 30);
  const joined = b.node('Concat', [a, s], { axis: 1 });
  const fused = b.node('Relu', [conv(b, joined, 8, 8, 1, 50)]);
  return b.build(head(b, fused, 8, 3, 51));
}

/** Three conv+ReLU per level, two levels down (MaxPool), a bottleneck, two levels up (ConvTranspose 2×2 stride 2) with the encoder's tensors concatenated. */
export function smallUNetModel(): LoadedModel {
  const b = new GraphBuilder('x', ['batch', 3, 8, 8]);
  const up = (x: string, cin: number, cout: number, seed: number): string =>
    b.node('ConvTranspose', [x, b.constant(gaussianMatrix(cin, cout * 4, seed, Math.sqrt(1 / cin)), [cin, cout, 2, 2])], {
      kernel_shape: [2, 2],
      strides: [2, 2],
    });
  const e1 = convStack(b, 'x', 3, 4, 3, 10);
  const e2 = convStack(b, b.node('MaxPool', [e1], { kernel_shape: [2, 2], strides: [2, 2] }), 4, 8, 3, 20);
  const mid = convStack(b, b.node('MaxPool', [e2], { kernel_shape: [2, 2], strides: [2, 2] }), 8, 16, 3, 30);
  const d2 = convStack(b, b.node('Concat', [up(mid, 16, 8, 40), e2], { axis: 1 }), 16, 8, 3, 50);
  const d1 = convStack(b, b.node('Concat', [up(d2, 8, 4, 60), e1], { axis: 1 }), 8, 4, 3, 70);
  return b.build(conv(b, d1, 4, 2, 1, 80));
}

/** conv 3×3 -> ReLU -> conv 1×1, added to its input, ReLU'd: a residual unit with an identity skip. */
function residualUnit(b: GraphBuilder, x: string, c: number, seed: number): string {
  const branch = conv(b, b.node('Relu', [conv(b, x, c, c, 3, seed)]), c, c, 1, seed + 1);
  return b.node('Relu', [b.node('Add', [x, branch])]);
}

/**
 * A trunk, then two heads of `units` residual units each, concatenated into a readout (iris's
 * shape: its two heads leave no tensor that cuts the graph after the trunk).
 */
export function twoHeadResidualModel(units = 6): LoadedModel {
  const b = new GraphBuilder('x', ['batch', 3, 8, 8]);
  const trunk = b.node('Relu', [conv(b, 'x', 3, 4, 3, 1)]);
  let h1 = trunk;
  let h2 = trunk;
  for (let u = 0; u < units; u++) {
    h1 = residualUnit(b, h1, 4, 10 + 2 * u);
    h2 = residualUnit(b, h2, 4, 40 + 2 * u);
  }
  const joined = b.node('Concat', [h1, h2], { axis: 1 });
  return b.build(head(b, joined, 8, 3, 70));
}

/**
 * PP-OCR det's residual squeeze-and-excitation (RSE) unit: a conv, then x + x · sigmoid(SE(x))
 * with SE = GlobalAveragePool -> conv 1×1 -> ReLU -> conv 1×1.
 */
function rseUnit(b: GraphBuilder, x: string, cin: number, c: number, k: number, seed: number): string {
  const y = conv(b, x, cin, c, k, seed);
  const squeezed = b.node('Relu', [conv(b, b.node('GlobalAveragePool', [y]), c, 2, 1, seed + 1)]);
  const gate = b.node('Sigmoid', [conv(b, squeezed, 2, c, 1, seed + 2)]);
  return b.node('Add', [y, b.node('Mul', [y, gate])]);
}

/** Nearest 2× upsampling (Resize with scales). */
function upsample(b: GraphBuilder, x: string, times: number): string {
  let t = x;
  for (let i = 0; i < times; i++) t = b.node('Resize', [t, '', b.constant(Float32Array.from([1, 1, 2, 2]), [4])], { mode: 'nearest' });
  return t;
}

/**
 * An FPN neck with PP-OCRv4 det's shape: a backbone of three stages (2× down each); an RSE
 * lateral from each stage; top-down merges (the upsampled coarser level added to the lateral);
 * an RSE output unit per level, upsampled to the finest size and concatenated; a 1×1 conv.
 * The coarsest level's path is the main path; the other levels' laterals and output units are
 * streams off it, each holding one residual (RSE) unit.
 */
export function fpnModel(): LoadedModel {
  const b = new GraphBuilder('x', ['batch', 3, 16, 16]);
  const c1 = convStack(b, 'x', 3, 4, 2, 10);
  const c2 = convStack(b, b.node('MaxPool', [c1], { kernel_shape: [2, 2], strides: [2, 2] }), 4, 8, 2, 20);
  const c3 = convStack(b, b.node('MaxPool', [c2], { kernel_shape: [2, 2], strides: [2, 2] }), 8, 8, 2, 30);
  const l1 = rseUnit(b, c1, 4, 4, 1, 40);
  const l2 = rseUnit(b, c2, 8, 4, 1, 50);
  const p3 = rseUnit(b, c3, 8, 4, 1, 60);
  const p2 = b.node('Add', [l2, upsample(b, p3, 1)]);
  const p1 = b.node('Add', [l1, upsample(b, p2, 1)]);
  const o3 = upsample(b, rseUnit(b, p3, 4, 2, 3, 70), 2);
  const o2 = upsample(b, rseUnit(b, p2, 4, 2, 3, 80), 1);
  const o1 = rseUnit(b, p1, 4, 2, 3, 90);
  const fused = b.node('Concat', [o3, o2, o1], { axis: 1 });
  return b.build(conv(b, fused, 6, 1, 1, 99));
}
