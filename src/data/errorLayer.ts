/**
 * The error layer of the paper as the reference layer: the per-sample loss appended to the
 * internal graph as ordinary ops, so blocks, GSC and the executor treat it like any other
 * tensor. The labels enter as one more fed tensor (not a graph input, so the model still has
 * exactly one data input).
 *
 *   cross-entropy (labels are class indices, output [N, C] logits):
 *       loss_i = -sum_c onehot(y_i)_c * LogSoftmax(z_i)_c
 *   squared error (labels have the output's shape, or a scalar output):
 *       loss_i = sum_j (z_ij - y_ij)^2
 *
 * The loss is one number per sample (shape [N]), so d_l = 1 and GSC(k -> error) uses one exact
 * cotangent (docs/metrics.md, exact mode).
 */
import type { ConstTensor, Graph, GraphNode } from '../graph/ir';
import { DataError } from './errors';
import type { Labels } from './labels';

export type LossKind = 'cross-entropy' | 'squared-error';

/** Name of the fed labels tensor; the prefix keeps it apart from any model tensor name. */
export const LABELS_TENSOR = '__gradient_lens_labels';
export const LOSS_TENSOR = '__gradient_lens_loss';

export interface LossChoice {
  readonly loss: LossKind;
  /** Per-sample shape of the fed labels tensor (one-hot [C] for cross-entropy). */
  readonly feedShape: readonly number[];
}

/** Cross-entropy for class indices against [C] logits, squared error for labels shaped like the output. */
export function chooseLoss(labels: Labels, outputSampleShape: readonly number[]): LossChoice {
  const perLabel = labels.sampleShape.reduce((a, b) => a * b, 1);
  const perOutput = outputSampleShape.reduce((a, b) => a * b, 1);
  const scalarLabels = perLabel === 1;
  if (scalarLabels && outputSampleShape.length === 1 && perOutput >= 2) {
    const C = perOutput;
    labels.values.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= C) {
        throw new DataError(labels.source, `label ${i} is ${v}; class indices for an output of ${C} classes must be whole numbers 0..${C - 1}`);
      }
    });
    return { loss: 'cross-entropy', feedShape: [C] };
  }
  if (perLabel === perOutput) return { loss: 'squared-error', feedShape: outputSampleShape };
  throw new DataError(
    labels.source,
    `labels of shape [${labels.sampleShape.join(', ')}] per sample fit neither cross-entropy (class indices for an output [C]) nor squared error (the output's shape [${outputSampleShape.join(', ')}])`,
  );
}

/** The fed labels tensor's values for `labels` (already the selected samples). */
export function labelFeedValues(labels: Labels, choice: LossChoice): Float32Array {
  if (choice.loss === 'squared-error') return Float32Array.from(labels.values);
  const C = choice.feedShape[0];
  const out = new Float32Array(labels.values.length * C);
  labels.values.forEach((cls, i) => (out[i * C + cls] = 1));
  return out;
}

function intConst(values: readonly number[]): ConstTensor {
  return { dtype: 'int32', shape: [values.length], data: Int32Array.from(values) };
}

/** A copy of `graph` with the loss of `output` against the fed labels as LOSS_TENSOR. */
export function appendErrorLayer(graph: Graph, output: string, choice: LossChoice): Graph {
  const rank = choice.feedShape.length;
  const axes = Array.from({ length: rank }, (_, i) => i + 1);
  const axesName = '__gradient_lens_loss_axes';
  const origin = (name: string): GraphNode['origin'] => ({ name, sourceOp: 'GradientLensLoss' });
  const node = (name: string, op: string, inputs: string[], outputs: string[], attrs: GraphNode['attrs'] = {}): GraphNode => ({
    name,
    op,
    inputs,
    outputs,
    attrs,
    origin: origin('error layer'),
  });
  const nodes: GraphNode[] =
    choice.loss === 'cross-entropy'
      ? [
          node('__gradient_lens_log_softmax', 'LogSoftmax', [output], ['__gradient_lens_log_p'], { axis: -1 }),
          node('__gradient_lens_pick', 'Mul', ['__gradient_lens_log_p', LABELS_TENSOR], ['__gradient_lens_picked']),
          node('__gradient_lens_sum', 'ReduceSum', ['__gradient_lens_picked', axesName], ['__gradient_lens_log_likelihood'], { keepdims: 0 }),
          node('__gradient_lens_neg', 'Neg', ['__gradient_lens_log_likelihood'], [LOSS_TENSOR]),
        ]
      : [
          node('__gradient_lens_residual', 'Sub', [output, LABELS_TENSOR], ['__gradient_lens_diff']),
          node('__gradient_lens_square', 'Mul', ['__gradient_lens_diff', '__gradient_lens_diff'], ['__gradient_lens_sq']),
          node('__gradient_lens_sum', 'ReduceSum', ['__gradient_lens_sq', axesName], [LOSS_TENSOR], { keepdims: 0 }),
        ];
  const constants = new Map(graph.constants);
  constants.set(axesName, intConst(axes));
  return {
    ...graph,
    nodes: [...graph.nodes, ...nodes],
    outputs: [{ name: LOSS_TENSOR, dtype: 'float32', shape: ['batch'] }],
    constants,
  };
}
