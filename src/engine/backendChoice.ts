/**
 * What `--backend auto` picks once the model is loaded: ONNX Runtime for a model with
 * convolutions, wasm for one without (MLPs and transformers, whose linear layers wasm runs on
 * its fast path, and for which a recorded graph's session build is not repaid).
 *
 * Depthwise convolutions used to keep a model on wasm, whose XNNPACK runs them better. Since the
 * GSC-to-output pass is squared inside its graph and the weights stay out of the wasm heap
 * (2026-12-07, bench/results-2026-12-07-night.md), a MobileNetV2-sized model (17 depthwise
 * convolutions, run on TensorFlow.js within the ORT path) analyses in 10.6-12.3 s on ORT against
 * 11.4-12.5 s on wasm, with 35% less CPU time; the ResNet-18-sized model 6.0-6.9 s against 10 s.
 */
import type { Graph } from '../graph/ir';
import { attrNumber } from '../ops/kernelUtil';

const CONVOLUTIONS = new Set(['Conv', 'ConvTranspose']);

/** Why ONNX Runtime should compute this model (for the report's reason), or undefined when wasm should: it has convolutions. */
export function ortPreferredFor(graph: Graph): string | undefined {
  const convs = graph.nodes.filter((n) => CONVOLUTIONS.has(n.op));
  if (convs.length === 0) return undefined;
  const grouped = convs.filter((n) => attrNumber(n.attrs, 'group', 1) !== 1).length;
  const what = `${convs.length} convolution${convs.length === 1 ? '' : 's'}`;
  return `the model has ${what}${grouped > 0 ? ` (${grouped} grouped, run on wasm within it)` : ''}`;
}
