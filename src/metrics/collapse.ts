/**
 * Collapsing-domain measures per elementwise nonlinearity (docs/metrics.md): sign diversity,
 * relative spread of the pre-activations over the batch, and the nonlinearity's own k from
 * its exact linearisation S = diag(mean_i sigma'(z_i)).
 *
 * A nonlinearity is either one node whose kernel is an elementwise nonlinearity, or an exact
 * GELU that an exporter wrote as primitive ops (Div, Erf, Add, Mul, Mul), which counts as one.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '../graph/ir';
import type { NonlinearityReport } from '../report/schema';
import type { DataFlow } from '../passes/dataflow';
import type { Activations, Executor } from '../runtime/executor';
import { kernelFor } from '../ops/registry';

export interface NonlinearitySite {
  /** Op type, or 'Gelu' for the composite pattern. */
  readonly op: string;
  /** The node producing the output (for a pattern: its last node). */
  readonly nodeIndex: number;
  /** All nodes of the nonlinearity (one, or the pattern's). */
  readonly nodeIndices: readonly number[];
  readonly input: string;
  readonly output: string;
}

/** The measured part of a nonlinearity's report entry (the rest says where it is). */
export type CollapseMeasures = Pick<NonlinearityReport, 'dim' | 'signDiversity' | 'relativeSpread' | 'k' | 'meanSlope' | 'qSz' | 'qRho' | 'qPreactivation'>;

export function findNonlinearities(graph: Graph, flow: DataFlow): NonlinearitySite[] {
  const sites: NonlinearitySite[] = [];
  const inPattern = new Set<number>();
  graph.nodes.forEach((node, i) => {
    if (node.op === 'Erf') {
      const gelu = matchGeluPattern(graph, flow, i);
      if (gelu) {
        gelu.nodeIndices.forEach((j) => inPattern.add(j));
        sites.push(gelu);
      }
    }
  });
  graph.nodes.forEach((node, i) => {
    if (inPattern.has(i) || !kernelFor(node.op).elementwiseNonlinearity) return;
    const z = node.inputs[0];
    if (!flow.dataTensors.has(z)) return;
    sites.push({ op: node.op, nodeIndex: i, nodeIndices: [i], input: z, output: node.outputs[0] });
  });
  return sites.sort((a, b) => a.nodeIndex - b.nodeIndex);
}

/**
 * z -> Div(z, c) or Mul(z, c) -> Erf -> Add(., c) -> Mul chain that multiplies in z (directly
 * or as Mul(z, c)) and constants. Returns undefined when the nodes around Erf don't form it.
 */
function matchGeluPattern(graph: Graph, flow: DataFlow, erfIndex: number): NonlinearitySite | undefined {
  const nodes = graph.nodes;
  const singleConsumer = (t: string): number | undefined => {
    const c = flow.dataConsumers.get(t) ?? [];
    return c.length === 1 ? c[0] : undefined;
  };
  const otherOperand = (i: number, t: string): string | undefined => {
    const ins = nodes[i].inputs.filter((x) => x !== '');
    return ins.length === 2 ? (ins[0] === t ? ins[1] : ins[1] === t ? ins[0] : undefined) : undefined;
  };
  const scaleIdx = flow.producer.get(nodes[erfIndex].inputs[0]);
  if (scaleIdx === undefined) return undefined;
  const scale = nodes[scaleIdx];
  if ((scale.op !== 'Div' && scale.op !== 'Mul') || !flow.fixedTensors.has(scale.inputs[1])) return undefined;
  const z = scale.inputs[0];
  const addIdx = singleConsumer(nodes[erfIndex].outputs[0]);
  if (addIdx === undefined || nodes[addIdx].op !== 'Add') return undefined;
  const addOther = otherOperand(addIdx, nodes[erfIndex].outputs[0]);
  if (addOther === undefined || !flow.fixedTensors.has(addOther)) return undefined;
  const members = [scaleIdx, erfIndex, addIdx];
  let t = nodes[addIdx].outputs[0];
  let hasZ = false;
  for (let step = 0; step < 2; step++) {
    const m = singleConsumer(t);
    if (m === undefined || nodes[m].op !== 'Mul') break;
    const o = otherOperand(m, t);
    if (o === undefined) break;
    const oProducer = flow.producer.get(o);
    const zTimesConst =
      oProducer !== undefined &&
      nodes[oProducer].op === 'Mul' &&
      nodes[oProducer].inputs.includes(z) &&
      nodes[oProducer].inputs.some((x) => x !== z && flow.fixedTensors.has(x));
    if (o === z || zTimesConst) {
      hasZ = true;
      if (zTimesConst) members.push(oProducer);
    } else if (!flow.fixedTensors.has(o)) break;
    members.push(m);
    t = nodes[m].outputs[0];
  }
  if (!hasZ) return undefined;
  const sorted = [...new Set(members)].sort((a, b) => a - b);
  return { op: 'Gelu', nodeIndex: sorted[sorted.length - 1], nodeIndices: sorted, input: z, output: t };
}

/** z rounding below this fraction of the output in Q means rho = 0 (k infinite). */
const ZERO_RHO_FRACTION = 1e-6;

export function measureCollapse(exec: Executor, acts: Activations, site: NonlinearitySite): CollapseMeasures {
  const z = acts.get(site.input)!;
  const y = acts.get(site.output)!;
  const n = z.shape[0];
  const dim = z.size / n;
  // sigma'(z) elementwise: the VJP of an elementwise map with an all-ones cotangent.
  const ones = tf.onesLike(y);
  const slope = exec.vjp(acts, new Map([[site.output, ones]]), [site.input]).get(site.input)!;
  ones.dispose();
  const stats = tf.tidy(() => {
    const zf = tf.reshape(z, [n, dim]);
    const yf = tf.reshape(y, [n, dim]);
    const pos = tf.sum(tf.cast(tf.greater(zf, 0), 'float32'), 0);
    const neg = tf.sum(tf.cast(tf.less(zf, 0), 'float32'), 0);
    const total = tf.add(pos, neg);
    const diversity = tf.where(tf.greater(total, 0), tf.div(tf.minimum(pos, neg), tf.maximum(total, 1)), tf.zerosLike(total));
    const centred = tf.sub(zf, tf.mean(zf, 0, true));
    const s = tf.mean(tf.reshape(slope, [n, dim]), 0);
    const sz = tf.mul(zf, s);
    const rho = tf.sub(yf, sz);
    return tf
      .stack([
        tf.mean(diversity),
        tf.sqrt(tf.div(tf.mean(tf.square(centred)), tf.mean(tf.square(zf)))),
        tf.sqrt(tf.div(tf.sum(tf.square(sz)), n)),
        tf.sqrt(tf.div(tf.sum(tf.square(rho)), n)),
        tf.mean(s),
        tf.sqrt(tf.div(tf.sum(tf.square(zf)), n)),
        tf.sqrt(tf.div(tf.sum(tf.square(yf)), n)),
      ])
      .dataSync();
  });
  slope.dispose();
  const [signDiversity, relativeSpread, qSz, qRho, meanSlope, qPreactivation, qY] = Array.from(stats);
  return {
    dim,
    signDiversity,
    relativeSpread,
    k: qRho <= ZERO_RHO_FRACTION * qY ? null : qSz / qRho,
    meanSlope,
    qSz,
    qRho,
    qPreactivation,
  };
}
