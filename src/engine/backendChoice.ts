/**
 * What `--backend auto` picks once the model is loaded. ONNX Runtime runs dense convolutions
 * and whole reverse passes natively, but its grouped (depthwise) convolutions, and the
 * sub-pixel phases of their strided VJPs, are slower than wasm's XNNPACK, and every recorded
 * graph costs a session build that small models do not repay. Measured on the 2-core machine
 * (bench/results-2026-12-07-auto.md): a ResNet-18-sized model (dense convolutions only) 7.5 s on
 * ORT against 10.2 s on wasm; a MobileNetV2-sized one (17 depthwise convolutions) 15 s against
 * 12 s. So: ORT for models whose convolutions are all dense, wasm for the rest (depthwise
 * convolutions, or none: MLPs and transformers, whose linear layers wasm runs on its fast path).
 */
import type { Graph } from '../graph/ir';
import { attrNumber } from '../ops/kernelUtil';

const CONVOLUTIONS = new Set(['Conv', 'ConvTranspose']);

/**
 * Why ONNX Runtime should compute this model (for the report's reason), or undefined when wasm
 * should: it has convolutions, and none of them is grouped.
 */
export function ortPreferredFor(graph: Graph): string | undefined {
  const convs = graph.nodes.filter((n) => CONVOLUTIONS.has(n.op));
  if (convs.length === 0 || convs.some((n) => attrNumber(n.attrs, 'group', 1) !== 1)) return undefined;
  return `the model's ${convs.length} convolution${convs.length === 1 ? ' is' : 's are all'} dense`;
}
