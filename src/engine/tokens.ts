/**
 * Models whose inputs are token ids (language models): the ids are not differentiable, so the
 * analysis starts where they become floats, at the embedding **(our choice, docs/metrics.md)**:
 * the token lookup's output (a Gather from a float table), or the sum of the lookups when
 * the position and segment lookups are added to it. That tensor is boundary 0.
 *
 * Every integer input is fed: the ids input with ids drawn uniformly from the vocabulary
 * (seeded) or read from the sample data, an attention mask with ones, token types with zeros,
 * position ids with 0..T-1, any other integer input with zeros.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Graph, GraphNode, ValueInfo } from '../graph/ir';
import type { TokenInputReport } from '../report/schema';
import { streamFor } from '../runtime/random';
import { InputError } from './input';

/** The sequence length when the model leaves it dynamic and no --dim gives it. */
export const DEFAULT_SEQUENCE_LENGTH = 16;

export type TokenFill = 'ids' | 'ones' | 'zeros' | 'positions';

export interface TokenPlan {
  /** The input holding the token ids. */
  readonly ids: ValueInfo;
  /** Boundary 0: the embedding (lookup, or sum of lookups). */
  readonly start: string;
  readonly vocabulary: number;
  readonly sequenceLength: number;
  /** Every integer input and what it is fed. */
  readonly inputs: readonly { readonly info: ValueInfo; readonly fill: TokenFill }[];
}

function fillFor(name: string): TokenFill {
  if (/mask/i.test(name)) return 'ones';
  if (/position/i.test(name)) return 'positions';
  return 'zeros';
}

/** Producer node index of every tensor. */
function producers(graph: Graph): Map<string, number> {
  const out = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && out.set(o, i)));
  return out;
}

/** Graph inputs whose values (not only shapes: Shape and Size are not followed) reach `tensor`. */
function valueSources(graph: Graph, producer: ReadonlyMap<string, number>, tensor: string, inputs: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const stack = [tensor];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (inputs.has(t)) found.add(t);
    const p = producer.get(t);
    if (p === undefined) continue;
    const node = graph.nodes[p];
    if (node.op === 'Shape' || node.op === 'Size') continue;
    node.inputs.forEach((i) => i !== '' && stack.push(i));
  }
  return found;
}

/** A Gather from a float constant table of rank 2 along axis 0: an embedding lookup. */
function isLookup(graph: Graph, node: GraphNode): boolean {
  if (node.op !== 'Gather') return false;
  const table = graph.constants.get(node.inputs[0]);
  const axis = typeof node.attrs.axis === 'number' ? node.attrs.axis : 0;
  return table !== undefined && table.dtype === 'float32' && table.shape.length === 2 && axis === 0;
}

/** Whether any of `tensor`'s ancestors is the output of a lookup. */
function comesFromLookup(graph: Graph, producer: ReadonlyMap<string, number>, tensor: string, lookups: ReadonlySet<string>): boolean {
  const seen = new Set<string>();
  const stack = [tensor];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (lookups.has(t)) return true;
    if (seen.has(t)) continue;
    seen.add(t);
    const p = producer.get(t);
    if (p !== undefined) graph.nodes[p].inputs.forEach((i) => i !== '' && stack.push(i));
  }
  return false;
}

/**
 * The token plan when every input of the model is an integer tensor; undefined when the model
 * has a float input (analysed as usual). Refuses integer inputs that feed no embedding lookup.
 */
export function planTokenInputs(graph: Graph, overrides: Readonly<Record<string, number>>): TokenPlan | undefined {
  const inputs = graph.inputs.filter((i) => !graph.constants.has(i.name));
  if (inputs.length === 0 || inputs.some((i) => i.dtype === 'float32')) return undefined;
  const producer = producers(graph);
  const names = new Set(inputs.map((i) => i.name));
  const lookups = graph.nodes.filter((n) => isLookup(graph, n));
  // The token lookup: fed by an input's values, with the largest table (the vocabulary).
  let token: { node: GraphNode; ids: string; vocabulary: number } | undefined;
  for (const node of lookups) {
    const sources = valueSources(graph, producer, node.inputs[1], names);
    if (sources.size !== 1) continue;
    const vocabulary = graph.constants.get(node.inputs[0])!.shape[0];
    if (token === undefined || vocabulary > token.vocabulary) token = { node, ids: [...sources][0], vocabulary };
  }
  if (token === undefined) {
    throw new InputError(
      `the model inputs (${inputs.map((i) => `${i.name}: ${i.dtype}`).join(', ')}) are integers and feed no embedding lookup (a Gather from a float table); gradients need a float input`,
    );
  }
  const start = embeddingSum(graph, token.node.outputs[0], producer, new Set(lookups.map((n) => n.outputs[0])));
  const ids = inputs.find((i) => i.name === token.ids)!;
  return {
    ids,
    start,
    vocabulary: token.vocabulary,
    sequenceLength: sequenceLength(ids, overrides),
    inputs: inputs.map((info) => ({ info, fill: info.name === ids.name ? 'ids' : fillFor(info.name) })),
  };
}

/** From the token lookup's output, up through Adds whose other operand comes from lookups too. */
function embeddingSum(graph: Graph, from: string, producer: ReadonlyMap<string, number>, lookups: ReadonlySet<string>): string {
  let t = from;
  for (;;) {
    const consumers = graph.nodes.filter((n) => n.inputs.includes(t));
    if (consumers.length !== 1 || graph.outputs.some((o) => o.name === t)) return t;
    const add = consumers[0];
    if (add.op !== 'Add' && add.op !== 'Sum') return t;
    const others = add.inputs.filter((i) => i !== '' && i !== t);
    if (others.length === 0 || !others.every((o) => comesFromLookup(graph, producer, o, lookups))) return t;
    t = add.outputs[0];
  }
}

/** The ids input's shape [batch, T]: T from the model, else --dim (by the axis's name or dim1), else the default. */
function sequenceLength(ids: ValueInfo, overrides: Readonly<Record<string, number>>): number {
  const shape = ids.shape;
  if (shape === null || shape.length !== 2) {
    throw new InputError(`the token-id input "${ids.name}" has shape [${shape?.join(', ') ?? 'unknown'}]; token ids of shape [batch, sequence] are supported`);
  }
  const d = shape[1];
  if (typeof d === 'number' && d > 0) return d;
  const key = typeof d === 'string' && d !== '?' ? d : 'dim1';
  return overrides[key] ?? overrides.dim1 ?? DEFAULT_SEQUENCE_LENGTH;
}

/** Seeded ids uniform in [0, vocabulary), n x T. */
export function sampleIds(plan: TokenPlan, n: number, seed: number, purpose: string): Int32Array {
  const rng = streamFor(seed, purpose);
  const ids = new Int32Array(n * plan.sequenceLength);
  for (let i = 0; i < ids.length; i++) ids[i] = Math.min(plan.vocabulary - 1, Math.floor(rng.next() * plan.vocabulary));
  return ids;
}

/** Ids given as float values (sample data), checked to be whole numbers inside the vocabulary. */
export function idsFromValues(plan: TokenPlan, values: Float32Array, where: string): Int32Array {
  const ids = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= plan.vocabulary) {
      throw new InputError(`${where}: value ${v} at position ${i} is not a token id in [0, ${plan.vocabulary})`);
    }
    ids[i] = v;
  }
  return ids;
}

/** The feeds of every integer input for n samples of the given ids. */
export function tokenFeeds(plan: TokenPlan, ids: Int32Array, n: number): Map<string, tf.Tensor> {
  const t = plan.sequenceLength;
  const feeds = new Map<string, tf.Tensor>();
  for (const { info, fill } of plan.inputs) {
    const shape = [n, t];
    if (fill === 'ids') feeds.set(info.name, tf.tensor(ids.subarray(0, n * t), shape, 'int32'));
    else if (fill === 'ones') feeds.set(info.name, tf.ones(shape, 'int32'));
    else if (fill === 'zeros') feeds.set(info.name, tf.zeros(shape, 'int32'));
    else feeds.set(info.name, tf.tile(tf.reshape(tf.range(0, t, 1, 'int32'), [1, t]), [n, 1]));
  }
  return feeds;
}

/** The report's description of the token inputs. */
export function tokenReport(plan: TokenPlan): TokenInputReport {
  return {
    ids: plan.ids.name,
    vocabulary: plan.vocabulary,
    sequenceLength: plan.sequenceLength,
    embedding: plan.start,
    fixed: plan.inputs.flatMap((i) => (i.fill === 'ids' ? [] : [{ name: i.info.name, value: i.fill }])),
  };
}
