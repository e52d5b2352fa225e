/**
 * Writes a ResNet-18-sized ONNX model (the torchvision layout: 7x7 stem, max pool, four
 * stages of two basic blocks with 64/128/256/512 channels, global average pool, 1000-way
 * Gemm; about 11.7 M parameters) for a 3x64x64 input, with seeded He-normal weights and
 * non-trivial batch-norm statistics, plus a 16-sample seeded N(0, 1) input batch.
 *
 * The file is about 47 MB, so it is generated on demand (bench.ts calls this) into a
 * gitignored folder instead of being committed.
 * Usage: node out/bench/gen-resnet18.js [outDir]   (default bench/models/resnet18_64)
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { SeededRandom } from '../src/runtime/random';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const A = onnx.AttributeProto.AttributeType;

export const RESNET18_INPUT: readonly number[] = [3, 64, 64];
export const RESNET18_BATCH = 16;

type Attr = number | readonly number[];

export function node(opType: string, inputs: string[], outputs: string[], name: string, attrs: Record<string, Attr> = {}): onnx.INodeProto {
  const attribute = Object.entries(attrs).map(([k, v]): onnx.IAttributeProto =>
    typeof v === 'number' ? { name: k, type: A.INT, i: v } : { name: k, type: A.INTS, ints: [...v] },
  );
  return { opType, input: inputs, output: outputs, name, attribute };
}

function raw(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export class Builder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  parameters = 0;

  constructor(private readonly rng: SeededRandom) {}

  private tensor(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: raw(values) });
    this.parameters += values.length;
    return name;
  }

  /** He-normal weights (std sqrt(2 / fan_in)), as torchvision initialises its convolutions. */
  private heNormal(count: number, fanIn: number): Float32Array {
    const v = this.rng.gaussian(count);
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < v.length; i++) v[i] *= std;
    return v;
  }

  private uniform(count: number, lo: number, hi: number): Float32Array {
    const v = new Float32Array(count);
    for (let i = 0; i < count; i++) v[i] = lo + (hi - lo) * this.rng.next();
    return v;
  }

  conv(name: string, x: string, cin: number, cout: number, k: number, stride: number, pad: number, group = 1): string {
    const perGroup = cin / group;
    const w = this.tensor(`${name}.weight`, [cout, perGroup, k, k], this.heNormal(cout * perGroup * k * k, perGroup * k * k));
    const y = `${name}_out`;
    this.nodes.push(node('Conv', [x, w], [y], name, { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], group }));
    return y;
  }

  /** Batch norm with running statistics that are not the identity, as in a trained network. */
  bn(name: string, x: string, c: number): string {
    const scale = this.tensor(`${name}.weight`, [c], this.uniform(c, 0.5, 1.5));
    const bias = this.tensor(`${name}.bias`, [c], this.uniform(c, -0.2, 0.2));
    const mean = this.tensor(`${name}.running_mean`, [c], this.uniform(c, -0.5, 0.5));
    const variance = this.tensor(`${name}.running_var`, [c], this.uniform(c, 0.5, 2));
    const y = `${name}_out`;
    this.nodes.push(node('BatchNormalization', [x, scale, bias, mean, variance], [y], name));
    return y;
  }

  /** ReLU6 as torchvision exports it (Clip with constant bounds). */
  relu6(name: string, x: string): string {
    const lo = this.tensor(`${name}.min`, [], new Float32Array([0]));
    const hi = this.tensor(`${name}.max`, [], new Float32Array([6]));
    this.parameters -= 2;
    const y = `${name}_out`;
    this.nodes.push(node('Clip', [x, lo, hi], [y], name));
    return y;
  }

  relu(name: string, x: string): string {
    const y = `${name}_out`;
    this.nodes.push(node('Relu', [x], [y], name));
    return y;
  }

  basicBlock(name: string, x: string, cin: number, cout: number, stride: number): string {
    let h = this.relu(`${name}.relu1`, this.bn(`${name}.bn1`, this.conv(`${name}.conv1`, x, cin, cout, 3, stride, 1), cout));
    h = this.bn(`${name}.bn2`, this.conv(`${name}.conv2`, h, cout, cout, 3, 1, 1), cout);
    const skip = stride !== 1 || cin !== cout ? this.bn(`${name}.downsample.1`, this.conv(`${name}.downsample.0`, x, cin, cout, 1, stride, 0), cout) : x;
    const sum = `${name}.add_out`;
    this.nodes.push(node('Add', [h, skip], [sum], `${name}.add`));
    return this.relu(`${name}.relu2`, sum);
  }

  gemm(name: string, x: string, cin: number, cout: number): string {
    const bound = 1 / Math.sqrt(cin);
    const w = this.tensor(`${name}.weight`, [cout, cin], this.uniform(cout * cin, -bound, bound));
    const b = this.tensor(`${name}.bias`, [cout], this.uniform(cout, -bound, bound));
    const y = `${name}_out`;
    this.nodes.push(node('Gemm', [x, w, b], [y], name, { transB: 1 }));
    return y;
  }
}

/** The ModelProto bytes of the ResNet-18-sized model. */
export function resnet18Model(seed = 18): { bytes: Uint8Array; parameters: number } {
  const b = new Builder(new SeededRandom(seed));
  let x = b.relu('relu', b.bn('bn1', b.conv('conv1', 'input', 3, 64, 7, 2, 3), 64));
  const pooled = 'maxpool_out';
  b.nodes.push(node('MaxPool', [x], [pooled], 'maxpool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
  x = pooled;
  const widths = [64, 128, 256, 512];
  let cin = 64;
  widths.forEach((w, stage) => {
    x = b.basicBlock(`layer${stage + 1}.0`, x, cin, w, stage === 0 ? 1 : 2);
    x = b.basicBlock(`layer${stage + 1}.1`, x, w, w, 1);
    cin = w;
  });
  b.nodes.push(node('GlobalAveragePool', [x], ['avgpool_out'], 'avgpool'));
  b.nodes.push(node('Flatten', ['avgpool_out'], ['flatten_out'], 'flatten', { axis: 1 }));
  const logits = b.gemm('fc', 'flatten_out', 512, 1000);
  return classifierModel('resnet18_64', b, logits);
}

/** The encoded ONNX model of a built classifier graph: input [batch, 3, 64, 64], `logits` [batch, 1000], opset 13. */
export function classifierModel(name: string, b: Builder, logits: string): { bytes: Uint8Array; parameters: number } {
  const dim = (d: number | string): onnx.TensorShapeProto.IDimension => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'gradient-lens-bench',
    producerVersion: '1.0',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name,
      node: b.nodes,
      initializer: b.initializers,
      input: [{ name: 'input', type: { tensorType: { elemType: FLOAT, shape: { dim: ['batch', ...RESNET18_INPUT].map(dim) } } } }],
      output: [{ name: logits, type: { tensorType: { elemType: FLOAT, shape: { dim: ['batch', 1000].map(dim) } } } }],
    },
  };
  return { bytes: onnx.ModelProto.encode(model).finish(), parameters: b.parameters };
}

/** Seeded N(0, 1) input batch [n, 3, 64, 64], float32 little-endian (the fixtures' input.bin format). */
export function resnet18Input(n = RESNET18_BATCH, seed = 64): Uint8Array {
  return raw(new SeededRandom(seed).gaussian(n * RESNET18_INPUT.reduce((a, c) => a * c, 1)));
}

/** Writes model.onnx and input.bin into `dir` unless they are there already; returns their paths. */
export function ensureResnet18(dir: string): { model: string; input: string } {
  return ensureModelFiles(dir, () => resnet18Model().bytes);
}

/** model.onnx (made by `makeModel`) and the seeded input.bin in `dir`, each written only when missing. */
export function ensureModelFiles(dir: string, makeModel: () => Uint8Array): { model: string; input: string } {
  const model = path.join(dir, 'model.onnx');
  const input = path.join(dir, 'input.bin');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(model)) writeFileSync(model, makeModel());
  if (!existsSync(input)) writeFileSync(input, resnet18Input());
  return { model, input };
}

export function defaultResnet18Dir(): string {
  // Relative to the repository root, where npm run bench runs (bench.ts writes results there too).
  return path.resolve('bench', 'models', 'resnet18_64');
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? defaultResnet18Dir());
  const { model, input } = ensureResnet18(dir);
  process.stdout.write(`wrote ${model} and ${input}\n`);
}
