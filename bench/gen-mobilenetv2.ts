/**
 * Writes a MobileNetV2-sized ONNX model (the torchvision layout at width 1.0: 3x3 stem of 32
 * channels, 17 inverted residual blocks of expansion 1x1 -> depthwise 3x3 -> projection 1x1
 * with ReLU6 and batch norm, identity skips where shapes allow, 1x1 to 1280, global average
 * pool, 1000-way Gemm; about 3.5 M parameters) for a 3x64x64 input, seeded weights, plus the
 * same 16-sample seeded input batch as the ResNet-18-sized model (generated on demand).
 * Usage: node out/bench/gen-mobilenetv2.js [outDir]   (default bench/models/mobilenetv2_64)
 */
import * as path from 'node:path';
import { SeededRandom } from '../src/runtime/random';
import { Builder, classifierModel, ensureModelFiles, node } from './gen-resnet18';

/** torchvision's inverted residual settings: expansion t, channels c, repeats n, first stride s. */
const SETTINGS: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

function invertedResidual(b: Builder, name: string, x: string, cin: number, cout: number, stride: number, t: number): string {
  const hidden = cin * t;
  let h = x;
  if (t !== 1) h = b.relu6(`${name}.conv.0.2`, b.bn(`${name}.conv.0.1`, b.conv(`${name}.conv.0.0`, h, cin, hidden, 1, 1, 0), hidden));
  const dw = t !== 1 ? 1 : 0;
  h = b.relu6(`${name}.conv.${dw}.2`, b.bn(`${name}.conv.${dw}.1`, b.conv(`${name}.conv.${dw}.0`, h, hidden, hidden, 3, stride, 1, hidden), hidden));
  h = b.bn(`${name}.conv.${dw + 2}`, b.conv(`${name}.conv.${dw + 1}`, h, hidden, cout, 1, 1, 0), cout);
  if (stride !== 1 || cin !== cout) return h;
  const sum = `${name}.add_out`;
  b.nodes.push(node('Add', [x, h], [sum], `${name}.add`));
  return sum;
}

export function mobilenetv2Model(seed = 2): { bytes: Uint8Array; parameters: number } {
  const b = new Builder(new SeededRandom(seed));
  let x = b.relu6('features.0.2', b.bn('features.0.1', b.conv('features.0.0', 'input', 3, 32, 3, 2, 1), 32));
  let cin = 32;
  let index = 1;
  for (const [t, c, n, s] of SETTINGS) {
    for (let i = 0; i < n; i++) {
      x = invertedResidual(b, `features.${index++}`, x, cin, c, i === 0 ? s : 1, t);
      cin = c;
    }
  }
  x = b.relu6(`features.${index}.2`, b.bn(`features.${index}.1`, b.conv(`features.${index}.0`, x, cin, 1280, 1, 1, 0), 1280));
  b.nodes.push(node('GlobalAveragePool', [x], ['avgpool_out'], 'avgpool'));
  b.nodes.push(node('Flatten', ['avgpool_out'], ['flatten_out'], 'flatten', { axis: 1 }));
  const logits = b.gemm('classifier.1', 'flatten_out', 1280, 1000);
  return classifierModel('mobilenetv2_64', b, logits);
}

export function defaultMobilenetv2Dir(): string {
  return path.resolve('bench', 'models', 'mobilenetv2_64');
}

export function ensureMobilenetv2(dir: string): { model: string; input: string } {
  return ensureModelFiles(dir, () => mobilenetv2Model().bytes);
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? defaultMobilenetv2Dir());
  const { model, input } = ensureMobilenetv2(dir);
  process.stdout.write(`wrote ${model} and ${input}\n`);
}
