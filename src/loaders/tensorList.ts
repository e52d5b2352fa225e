/**
 * The tensors of a model file, for choosing where to cut the analysis (the extension's pick
 * list for AnalyzeRequest.output / from): each tensor's name as --output takes it, the op or
 * layer class that computes it, its shape where the file declares one, and whether it lies
 * behind an op the engine cannot run. Read from the file's own graph, without translating it,
 * so a model refused for unsupported post-processing can still be listed.
 */
import * as path from 'node:path';
import type { onnx } from 'onnx-proto';
import { isSupportedOp } from '../ops/registry';
import { ModelLoadError, readModelFile } from './errors';
import { decodeModel } from './onnx';
import { ConfigError, isObject, type Json, type JsonObject } from './tfjs/config';
import { detectFormat } from './tfjs';
import { parseNodes, splitRef } from './tfjs/graph/attrs';
import { CONTROL_FLOW_OPS, OP_TRANSLATORS } from './tfjs/graph/ops';
import { outputRefs } from './tfjs/graph/translate';
import { refName } from './tfjs/layers/cut';
import { parseTopology } from './tfjs/layers/topology';
import { hasUnsupportedLayer } from './tfjs/layers/translate';

export interface ListedTensor {
  /** The name --output / --from take (AnalyzeRequest.output / from). */
  readonly name: string;
  /** The ONNX op type, TensorFlow op or layer class computing it; "input" for a model input. */
  readonly op: string;
  /** Per the file (batch first), when it declares one; strings are named dynamic sizes. */
  readonly shape?: readonly (number | string)[];
  /** Computed by an op the engine cannot run, or from one: not a possible output. */
  readonly blocked?: boolean;
}

export interface TensorListing {
  readonly inputs: readonly ListedTensor[];
  /** Every computed tensor, in the file's order (producers before consumers in practice). */
  readonly tensors: readonly ListedTensor[];
  /** The model's own outputs. */
  readonly outputs: readonly string[];
}

export async function listModelTensors(modelPath: string): Promise<TensorListing> {
  const bytes = await readModelFile(modelPath);
  const ext = path.extname(modelPath).toLowerCase();
  if (ext === '.onnx') return listOnnx(decodeModel(bytes, modelPath));
  if (ext !== '.json') throw new ModelLoadError(modelPath, `unknown model format "${ext}": expected an .onnx file or a TensorFlow.js model.json`);
  let json: Json;
  try {
    json = JSON.parse(bytes.toString('utf8')) as Json;
  } catch (e) {
    throw new ModelLoadError(modelPath, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const root = json as JsonObject;
  if (!isObject(root.modelTopology)) throw new ModelLoadError(modelPath, 'a TensorFlow.js model needs a "modelTopology" object');
  try {
    return detectFormat(modelPath, json) === 'graph-model' ? listGraphModel(root) : listLayersModel(root.modelTopology);
  } catch (e) {
    if (e instanceof ConfigError) throw new ModelLoadError(modelPath, e.message);
    throw e;
  }
}

/** Marks tensors blocked in order: a node is blocked when unsupported or when it reads a blocked tensor. */
function propagate<N>(
  nodes: readonly N[],
  reads: (n: N) => readonly string[],
  writes: (n: N) => readonly string[],
  unsupported: (n: N) => boolean,
): Set<string> {
  const blocked = new Set<string>();
  for (const n of nodes) if (unsupported(n) || reads(n).some((r) => blocked.has(r))) writes(n).forEach((w) => blocked.add(w));
  return blocked;
}

function onnxShape(v: onnx.IValueInfoProto): (number | string)[] | undefined {
  const dims = v.type?.tensorType?.shape?.dim;
  if (dims === undefined || dims === null) return undefined;
  return dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : d.dimParam || '?'));
}

function listOnnx(model: onnx.ModelProto): TensorListing {
  const g = model.graph!;
  const shapes = new Map<string, (number | string)[]>();
  for (const v of [...(g.valueInfo ?? []), ...(g.output ?? []), ...(g.input ?? [])]) {
    const s = v.name ? onnxShape(v) : undefined;
    if (s !== undefined) shapes.set(v.name!, s);
  }
  const initializers = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const nodes = (g.node ?? []).filter((n) => n.opType !== 'Constant');
  // Ops of other domains are unsupported but for Microsoft's Gelu (upgrade.ts); If, Loop and
  // Scan carry subgraphs (a constant If is inlined by the loader, so it is not marked here).
  const unsupported = (n: onnx.INodeProto): boolean =>
    n.domain !== undefined && n.domain !== null && n.domain !== '' && n.domain !== 'ai.onnx'
      ? !(n.domain === 'com.microsoft' && n.opType === 'Gelu')
      : n.opType !== 'If' && !isSupportedOp(n.opType ?? '');
  const blocked = propagate(
    nodes,
    (n) => n.input ?? [],
    (n) => n.output ?? [],
    unsupported,
  );
  const listed = (name: string, op: string): ListedTensor => ({
    name,
    op,
    ...(shapes.has(name) && { shape: shapes.get(name)! }),
    ...(blocked.has(name) && { blocked: true }),
  });
  return {
    inputs: (g.input ?? []).filter((v) => v.name && !initializers.has(v.name)).map((v) => listed(v.name!, 'input')),
    tensors: nodes.flatMap((n) => (n.output ?? []).filter((o) => o !== '').map((o) => listed(o, n.opType ?? '?'))),
    outputs: (g.output ?? []).map((v) => v.name ?? ''),
  };
}

function listGraphModel(root: JsonObject): TensorListing {
  const topology = root.modelTopology as JsonObject;
  const nodes = parseNodes(topology.node).filter((n) => n.op !== 'Const' && n.op !== 'NoOp');
  const placeholders = nodes.filter((n) => n.op === 'Placeholder');
  const computed = nodes.filter((n) => n.op !== 'Placeholder');
  const blocked = propagate(
    computed,
    (n) => n.inputs.map((i) => splitRef(i)[0]),
    (n) => [n.name],
    (n) => CONTROL_FLOW_OPS.has(n.op) || OP_TRANSLATORS[n.op] === undefined,
  );
  const shapeOf = (attr: JsonObject): (number | string)[] | undefined => {
    const dims = isObject(attr.shape) && isObject(attr.shape.shape) ? attr.shape.shape.dim : isObject(attr.shape) ? attr.shape.dim : undefined;
    if (!Array.isArray(dims)) return undefined;
    return dims.map((d) => {
      const size = isObject(d) ? Number(d.size) : NaN;
      return Number.isInteger(size) && size > 0 ? size : '?';
    });
  };
  return {
    inputs: placeholders.map((n) => {
      const shape = shapeOf(n.attr);
      return { name: n.name, op: 'input', ...(shape && { shape }) };
    }),
    tensors: computed.map((n) => ({ name: n.name, op: n.op, ...(blocked.has(n.name) && { blocked: true }) })),
    outputs: outputRefs(root, nodes).map((r) => splitRef(r)[0]),
  };
}

function listLayersModel(topology: JsonObject): TensorListing {
  const model = parseTopology(topology);
  const inputLayers = model.layers.filter((l) => l.className === 'InputLayer');
  const calls = model.layers
    .filter((l) => l.className !== 'InputLayer')
    .flatMap((l) => l.calls.map((refs, k) => ({ layer: l, refs, name: refName({ layer: l.name, node: k, tensor: 0 }) })));
  const blocked = propagate(
    calls,
    (c) => c.refs.map(refName),
    (c) => [c.name],
    (c) => hasUnsupportedLayer(c.layer),
  );
  return {
    inputs: inputLayers.map((l) => {
      const shape = l.config.batch_input_shape ?? l.config.batch_shape;
      return {
        name: l.name,
        op: 'input',
        ...(Array.isArray(shape) && { shape: shape.map((d) => (typeof d === 'number' && d > 0 ? d : '?')) }),
      };
    }),
    tensors: calls.map((c) => ({ name: c.name, op: c.layer.className, ...(blocked.has(c.name) && { blocked: true }) })),
    outputs: model.outputs.map(refName),
  };
}
