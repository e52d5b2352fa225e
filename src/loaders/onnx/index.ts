/**
 * ONNX loader: decodes a `.onnx` file (protobuf, with onnx-proto's generated decoder) and
 * translates it into the internal graph. Every problem is a ModelLoadError naming the file;
 * operators the engine has no kernel for are refused all at once, before anything runs.
 */
import { promises as fs } from 'node:fs';
import { onnx } from 'onnx-proto';
import type { ConstTensor, Graph, GraphNode, ValueInfo } from '../../graph/ir';
import { isSupportedOp, kernelFor } from '../../ops/registry';
import { ModelLoadError, readModelFile, UnsupportedOperatorError } from '../errors';
import { convertAttributes } from './attributes';
import { GraphEmitter, type SourceNode } from './emitter';
import { decodeTensorProto, elementTypeName, int64Value, type TensorSource } from './tensor';
import type { MemoryBudget } from '../../runtime/memoryBudget';
import { NodeError, translateNode } from './upgrade';
import { graphValueInfo } from './valueInfo';
import { foldIfs, type ConditionEvaluator } from './constantIf';
import { fixSecondaryInputs, type FixedInput } from './secondaryInputs';
import * as tf from '@tensorflow/tfjs-core';
import { Executor } from '../../runtime/executor';

export { decodeTensorProto } from './tensor';

/** Options: see LoadOptions in ../index.ts (`budget` charged for the file and every decoded tensor, `output` to cut at). */
export async function loadOnnxModel(
  filePath: string,
  options: { readonly budget?: MemoryBudget; readonly output?: string; readonly probe?: InputProbe; readonly fixSecondaryInputs?: boolean } = {},
): Promise<Graph> {
  const { budget, output, probe, fixSecondaryInputs: fix } = options;
  // The file's bytes are held until the tensors are decoded out of them.
  const fileBytes = budget === undefined ? 0 : (await fs.stat(filePath)).size;
  budget?.charge(fileBytes, `the model file ${filePath}`);
  try {
    const bytes = await readModelFile(filePath);
    return translateModel(decodeModel(bytes, filePath), filePath, {
      budget,
      ...(output !== undefined && { output }),
      ...(probe !== undefined && { probe }),
      ...(fix !== undefined && { fixSecondaryInputs: fix }),
    });
  } finally {
    budget?.release(fileBytes);
  }
}

export function decodeModel(bytes: Uint8Array, file: string): onnx.ModelProto {
  if (bytes.length === 0) throw new ModelLoadError(file, 'the file is empty');
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ModelLoadError(file, `not a valid ONNX model: the protobuf data is truncated or corrupt (${why})`);
  }
  if (!model.graph) throw new ModelLoadError(file, 'not a valid ONNX model: it holds no graph');
  if ((model.graph.output ?? []).length === 0) throw new ModelLoadError(file, 'not a valid ONNX model: the graph has no outputs');
  return model;
}

/**
 * Version of the default ONNX operator set the model imports; undefined for a model whose
 * nodes all belong to other domains (it needs none).
 */
function defaultOpset(model: onnx.ModelProto, file: string): number | undefined {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (entry) return int64Value(entry.version ?? 0);
  // Files before IR version 3 had no opset_import and meant opset 1.
  if (int64Value(model.irVersion ?? 0) < 3) return 1;
  const usesDefault = (model.graph?.node ?? []).some((n) => !n.domain || n.domain === 'ai.onnx');
  if (usesDefault) throw new ModelLoadError(file, 'the model imports no version of the default ONNX operator set');
  return undefined;
}

/** Opset whose rules apply to default-domain nodes (a model without any gets the newest). */
const NEWEST_OPSET = 18;

export interface TranslateOptions {
  /**
   * Refuse ops without a kernel (the default). Off only to inspect a translation whose
   * kernels do not exist yet; refused op variants are then still dropped from the graph.
   */
  readonly refuseUnsupported?: boolean;
  /** Charged for every decoded tensor (see TensorSource.budget). */
  readonly budget?: MemoryBudget;
  /** Cut the graph at this tensor: the only output; nodes it does not depend on are dropped before translation. */
  readonly output?: string;
  /** The analysed input's batch and dynamic sizes: Ifs whose condition follows from them are folded (foldIfs). */
  readonly probe?: InputProbe;
  /** Constants known before the file's initializers (the evaluation of a condition passes the loader's own). */
  readonly constants?: ReadonlyMap<string, ConstTensor>;
  /**
   * Fix the inputs after the first float one to constants (secondaryInputs.ts); default true.
   * False keeps every declared input an input, for callers that feed them all (ONNX's
   * conformance cases).
   */
  readonly fixSecondaryInputs?: boolean;
}

/** The batch size and the sizes of dynamic dimensions the model will be analysed with. */
export interface InputProbe {
  readonly batch: number;
  /** By dimension name, or dimK for an unnamed dimension K (as --dim gives them). */
  readonly dims: Readonly<Record<string, number>>;
}

/**
 * The newest opset is in the low twenties (one per ONNX release); a version far beyond is not a
 * file any exporter wrote, and silently reading it with opset-18 rules would be a guess.
 */
const MAX_PLAUSIBLE_OPSET = 40;

export function translateModel(model: onnx.ModelProto, file: string, options: TranslateOptions = {}): Graph {
  const g = model.graph!;
  const opset = defaultOpset(model, file);
  if (opset !== undefined && !(opset >= 1 && opset <= MAX_PLAUSIBLE_OPSET)) {
    throw new ModelLoadError(
      file,
      `the model imports version ${opset} of the default ONNX operator set, which does not exist (versions run from 1 to about 25)`,
    );
  }
  const source = { file, budget: options.budget };

  const initializers = new Map<string, ConstTensor>(options.constants ?? []);
  const elementTypes = new Map<string, number>();
  for (const t of g.initializer ?? []) {
    if (!t.name) throw new ModelLoadError(file, 'an initializer has no name');
    // Which of two values would be meant is undefined; ONNX requires unique names.
    if (initializers.has(t.name)) throw new ModelLoadError(file, `two initializers are named "${t.name}"`);
    initializers.set(t.name, decodeTensorProto(t, source));
    elementTypes.set(t.name, t.dataType ?? 0);
  }
  // Since IR version 4 initializers need not be graph inputs; before, inputs with an
  // initializer were inputs with a default value. Either way they are constants here.
  const declaredInputs = (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map((v) => graphValueInfo(v, 'graph input', file));
  // Inputs after the first float one (a sample rate, a recurrent state) are fixed constants.
  const { data: inputs, fixed } = options.fixSecondaryInputs === false ? { data: declaredInputs, fixed: [] } : fixSecondaryInputs(declaredInputs);
  for (const f of fixed) initializers.set(f.name, f.tensor);
  const declared = (g.output ?? []).map((v) => graphValueInfo(v, 'graph output', file));
  const chosen = options.output;
  const outputs: ValueInfo[] = chosen === undefined ? declared : [declared.find((o) => o.name === chosen) ?? { name: chosen, dtype: 'float32', shape: null }];

  // An If whose condition is a constant is its taken branch (constantIf.ts).
  // An If whose condition follows from the analysed input's shape, or from a fixed input, is its taken branch too.
  const evaluate =
    options.probe === undefined || inputs.length !== 1 ? undefined : conditionEvaluator(model, file, inputs[0], options.probe, initializers, opset);
  const allNodes = sourceNodes(foldIfs(g.node ?? [], initializers, file, evaluate), source);
  const nodes = chosen === undefined ? allNodes : ancestorsOf(chosen, allNodes, file);
  const available = new Set<string>(['', ...initializers.keys(), ...inputs.map((i) => i.name)]);
  const ordered = sortTopologically(nodes, available, file);

  const taken = [...available, ...nodes.flatMap((n) => [n.name, ...n.outputs])];
  const consumed = new Set([...nodes.flatMap((n) => n.inputs), ...outputs.map((o) => o.name)]);
  const em = new GraphEmitter(taken, consumed);
  for (const [name, c] of initializers) em.constants.set(name, c);
  for (const n of ordered) {
    if (n.unconvertible.length > 0 && n.opType !== 'Constant') {
      // If, Loop, Scan: ops with subgraphs, which the engine does not run.
      em.markUnsupported(isSupportedOp(n.opType) ? `${n.opType} (attribute ${n.unconvertible.join(', ')})` : n.opType, n.name);
      continue;
    }
    try {
      translateNode(n, em, opset ?? NEWEST_OPSET);
    } catch (e) {
      if (e instanceof NodeError) throw new ModelLoadError(file, `node "${n.name}" (${n.opType}): ${e.message}`);
      throw e;
    }
  }
  if (options.refuseUnsupported !== false) refuseUnsupported(em, file, chosen === undefined ? inputs.map((i) => i.name) : undefined);
  refuseIntegerWeights(em.nodes, initializers, elementTypes, file);

  const produced = new Set([...available, ...em.constants.keys(), ...em.nodes.flatMap((n) => n.outputs)]);
  for (const o of outputs) {
    if (!produced.has(o.name)) throw new ModelLoadError(file, `graph output "${o.name}" is produced by no node`);
  }
  const first = inputs[0]?.shape;
  const inputLayout = first?.length === 4 ? 'NCHW' : first?.length === 2 ? 'features' : undefined;
  const producer = `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim();
  return {
    description: {
      format: 'onnx',
      formatLabel: opset === undefined ? 'ONNX' : `ONNX (opset ${opset})`,
      ...(producer !== '' && { producer }),
      ...(inputLayout !== undefined && { inputLayout }),
      ...(fixed.length > 0 && { fixedInputs: fixed.map((f: FixedInput) => ({ name: f.name, value: f.value })) }),
    },
    inputs,
    outputs,
    nodes: em.nodes,
    constants: em.constants,
  };
}

/** The analysed input's shape from the probe; undefined when a dynamic size is not given. */
function probeShape(input: ValueInfo, probe: InputProbe): number[] | undefined {
  if (input.shape === null) return undefined;
  const shape = input.shape.map((d, i) => {
    if (typeof d === 'number' && d > 0) return d;
    if (i === 0) return probe.batch;
    return probe.dims[typeof d === 'string' && d !== '?' ? d : `dim${i}`];
  });
  return shape.every((d): d is number => d !== undefined) ? shape : undefined;
}

/**
 * Whether `condition` reads the values of `input` (not only its shape: Shape and Size end the
 * trace), in which case it differs between samples and cannot be folded.
 */
function readsValues(condition: string, before: readonly onnx.INodeProto[], input: string): boolean {
  const producer = new Map<string, onnx.INodeProto>();
  for (const p of before) for (const o of p.output ?? []) producer.set(o, p);
  const seen = new Set<string>();
  const stack = [condition];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t === input) return true;
    if (seen.has(t)) continue;
    seen.add(t);
    const p = producer.get(t);
    if (p === undefined || p.opType === 'Shape' || p.opType === 'Size') continue;
    (p.input ?? []).forEach((i) => i !== '' && stack.push(i));
    // Nested graphs read outer names too (a Loop's body): follow them conservatively.
    for (const a of p.attribute ?? []) for (const n of a.g?.node ?? []) (n.input ?? []).forEach((i) => i !== '' && stack.push(i));
  }
  return false;
}

/**
 * Evaluates a condition by running the nodes before its If on a zero input of the probe's
 * shape: valid for every sample when the condition reads only the input's shape and fixed
 * values (checked first). Anything that fails leaves the If to be refused by name.
 */
function conditionEvaluator(
  model: onnx.ModelProto,
  file: string,
  input: ValueInfo,
  probe: InputProbe,
  initializers: ReadonlyMap<string, ConstTensor>,
  opset: number | undefined,
): ConditionEvaluator | undefined {
  const shape = probeShape(input, probe);
  if (shape === undefined) return undefined;
  return (condition, before) => {
    if (readsValues(condition, before, input.name)) return undefined;
    let graph: Graph;
    try {
      const prefix = onnx.ModelProto.create({
        ...model,
        graph: onnx.GraphProto.create({ ...model.graph, node: [...before], initializer: [], output: [{ name: condition }] }),
      });
      graph = translateModel(prefix, file, { output: condition, constants: initializers });
    } catch {
      return undefined;
    }
    const exec = new Executor(graph);
    const feeds = new Map([[input.name, tf.zeros(shape, 'float32')]]);
    try {
      const acts = exec.forward(feeds);
      const value = acts.get(condition) ?? graph.constants.get(condition);
      const data = value === undefined ? undefined : 'dataSync' in value ? value.dataSync() : value.data;
      exec.disposeActivations(acts, feeds);
      return data === undefined || data.length !== 1 ? undefined : Number(data[0]) !== 0;
    } catch {
      return undefined;
    } finally {
      feeds.forEach((t) => t.dispose());
      exec.dispose();
    }
  };
}

/** Decoded nodes with unique names: unnamed nodes become `${opType}_${index}`. */
function sourceNodes(protos: readonly onnx.INodeProto[], source: TensorSource): SourceNode[] {
  const explicit = new Set(protos.map((p) => p.name ?? '').filter((name) => name !== ''));
  const used = new Set<string>();
  return protos.map((p, index) => {
    const opType = p.opType ?? '';
    const original = p.name ?? '';
    let name = original !== '' && !used.has(original) ? original : `${original || opType}_${index}`;
    for (let k = 1; used.has(name) || (name !== original && explicit.has(name)); k++) name = `${original || opType}_${index}_${k}`;
    used.add(name);
    let attrs;
    try {
      attrs = convertAttributes(p.attribute ?? [], source);
    } catch (e) {
      if (e instanceof ModelLoadError) throw new ModelLoadError(e.file, `node "${name}" (${opType}): ${e.reason}`);
      throw e;
    }
    return {
      name,
      opType,
      domain: p.domain ?? '',
      inputs: [...(p.input ?? [])],
      outputs: [...(p.output ?? [])],
      attrs: attrs.values,
      unconvertible: attrs.unconvertible,
      origin: { name: original !== '' ? original : name, sourceOp: opType },
    };
  });
}

/**
 * Nodes in an order where every input is computed before it is read (ONNX files should be
 * sorted already; this keeps their order then). Refuses dangling inputs and cycles.
 */
function sortTopologically(nodes: readonly SourceNode[], available: ReadonlySet<string>, file: string): SourceNode[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (o === '') continue;
      const other = producer.get(o);
      if (other !== undefined) throw new ModelLoadError(file, `tensor "${o}" is produced by two nodes, "${nodes[other].name}" and "${n.name}"`);
      if (available.has(o)) throw new ModelLoadError(file, `node "${n.name}" (${n.opType}) writes "${o}", which is a graph input or an initializer`);
      producer.set(o, i);
    }
  });
  const NEW = 0;
  const VISITING = 1;
  const DONE = 2;
  const state = new Uint8Array(nodes.length);
  const order: SourceNode[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] !== NEW) continue;
    // Depth-first, iteratively: deep networks would overflow the call stack.
    const stack: [node: number, nextInput: number][] = [[root, 0]];
    state[root] = VISITING;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const node = nodes[top[0]];
      if (top[1] < node.inputs.length) {
        const input = node.inputs[top[1]++];
        if (available.has(input)) continue;
        const p = producer.get(input);
        if (p === undefined) {
          throw new ModelLoadError(
            file,
            `node "${node.name}" (${node.opType}) reads tensor "${input}", which is neither a graph input, an initializer nor the output of any node`,
          );
        }
        if (state[p] === VISITING)
          throw new ModelLoadError(
            file,
            `the graph has a cycle: node "${node.name}" (${node.opType}) reads tensor "${input}", which depends on the node's own output`,
          );
        if (state[p] === NEW) {
          state[p] = VISITING;
          stack.push([p, 0]);
        }
      } else {
        state[top[0]] = DONE;
        order.push(node);
        stack.pop();
      }
    }
  }
  return order;
}

/** The nodes `output` depends on (a chosen output cuts the graph there). */
function ancestorsOf(output: string, nodes: readonly SourceNode[], file: string): SourceNode[] {
  const producer = new Map<string, SourceNode>();
  for (const n of nodes) for (const o of n.outputs) if (o !== '') producer.set(o, n);
  if (!producer.has(output)) throw new ModelLoadError(file, `the chosen output "${output}" is produced by no node of the graph`);
  const kept = new Set<SourceNode>();
  const stack = [output];
  while (stack.length > 0) {
    const n = producer.get(stack.pop()!);
    if (n === undefined || kept.has(n)) continue;
    kept.add(n);
    n.inputs.forEach((i) => i !== '' && stack.push(i));
  }
  return nodes.filter((n) => kept.has(n));
}

/**
 * The last tensor in graph order that carries data from the inputs, is differentiable, and
 * depends on no unsupported op (nor on a tensor an unsupported variant would have produced):
 * where to cut a graph whose post-processing is unsupported.
 */
export function lastDifferentiableTensor(nodes: readonly GraphNode[], available: ReadonlySet<string>, inputs: readonly string[]): string | undefined {
  const known = new Set(available);
  const blocked = new Set<string>();
  const data = new Set(inputs);
  let last: string | undefined;
  for (const n of nodes) {
    const supported = isSupportedOp(n.op);
    const ins = n.inputs.filter((i) => i !== '');
    const bad = !supported || ins.some((i) => blocked.has(i) || !known.has(i));
    for (const o of n.outputs) {
      if (o === '') continue;
      known.add(o);
      if (bad) blocked.add(o);
    }
    if (bad) continue;
    const kernel = kernelFor(n.op);
    if (!kernel.dataInputs.some((j) => data.has(n.inputs[j] ?? ''))) continue;
    n.outputs.forEach((o) => o !== '' && data.add(o));
    if (kernel.vjp !== undefined && n.outputs[0]) last = n.outputs[0];
  }
  return last;
}

/**
 * One error for every op (and op variant) without a kernel, naming the nodes; with the graph
 * inputs given (no chosen output), it also names the tensor to cut at.
 */
function refuseUnsupported(em: GraphEmitter, file: string, inputs?: readonly string[]): void {
  const ops = new Map<string, Set<string>>();
  // Helper nodes of one source node (e.g. a coerced Softmax) share its name: count it once.
  const add = (label: string, node: string): void => {
    const names = ops.get(label);
    if (names) names.add(node);
    else ops.set(label, new Set([node]));
  };
  // In graph order: the emitted nodes, then the variants found during translation.
  em.nodes.forEach((n: GraphNode) => {
    if (!isSupportedOp(n.op)) add(n.op, n.origin.name);
  });
  for (const [label, names] of em.unsupported) names.forEach((name) => add(label, name));
  if (ops.size === 0) return;
  const cutAt = inputs === undefined ? undefined : lastDifferentiableTensor(em.nodes, new Set(['', ...em.constants.keys(), ...inputs]), inputs);
  throw new UnsupportedOperatorError(file, new Map([...ops].map(([op, names]) => [op, [...names]])), cutAt);
}

/** Ops whose operands ONNX requires to share one element type, and which the engine computes in float. */
const FLOAT_PRODUCT_OPS = new Set(['MatMul', 'Gemm', 'Conv', 'ConvTranspose']);

/**
 * An integer initializer (int8 weights of a quantized model, say) multiplied with float data is
 * not a valid ONNX model, and TensorFlow.js would silently cast it: the numbers would describe
 * a different network. Refused by name, unless every operand is an integer constant.
 */
function refuseIntegerWeights(
  nodes: readonly GraphNode[],
  initializers: ReadonlyMap<string, ConstTensor>,
  types: ReadonlyMap<string, number>,
  file: string,
): void {
  for (const n of nodes) {
    if (!FLOAT_PRODUCT_OPS.has(n.op)) continue;
    const operands = n.inputs.filter((name) => name !== '');
    const integer = operands.find((name) => initializers.get(name)?.dtype === 'int32');
    if (integer === undefined || operands.every((name) => initializers.get(name)?.dtype === 'int32')) continue;
    throw new ModelLoadError(
      file,
      `node "${n.origin.name}" (${n.op}) multiplies the ${elementTypeName(types.get(integer) ?? 0)} initializer "${integer}" with float values; ` +
        'ONNX requires one element type for both (a quantized model needs its DequantizeLinear / QLinear ops, which are not supported)',
    );
  }
}
