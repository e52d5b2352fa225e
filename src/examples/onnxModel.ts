/**
 * The examples as ONNX files, laid out as PyTorch's exporter would write them at opset 17:
 * node names are module paths (`/blocks/blocks.7/dense/Gemm` is `model.blocks[7].dense`),
 * tensors `<node>_output_0`, initializers named like the state_dict entries
 * (`blocks.7.dense.weight`, [out, in] with Gemm transB=1), input `input` with a dynamic
 * `batch` dimension, output `logits` (`output` for the linear network).
 */
import { EXAMPLE_WIDTH, type ExampleInfo } from './catalog';
import { BN_EPSILON, LN_EPSILON, transposed, type Dense, type ExampleParams } from './params';
import { ProtoWriter } from './protobuf';

export const ONNX_OPSET = 17;
const IR_VERSION = 8;
const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

type AttrValue = { readonly float: number } | { readonly int: number };

interface GraphBuilder {
  readonly nodes: ProtoWriter[];
  readonly initializers: ProtoWriter[];
}

function attribute(name: string, value: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if ('float' in value) w.float(2, value.float).int(20, ATTR_FLOAT);
  else w.int(3, value.int).int(20, ATTR_INT);
  return w;
}

/** Adds a node; returns its (first) output tensor name. */
function addNode(g: GraphBuilder, opType: string, name: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, output = `${name}_output_0`): string {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(1, i);
  w.string(2, output).string(3, name).string(4, opType);
  for (const [k, v] of Object.entries(attrs)) w.message(5, attribute(k, v));
  g.nodes.push(w);
  return output;
}

function addInitializer(g: GraphBuilder, name: string, dims: readonly number[], values: Float32Array): string {
  const w = new ProtoWriter();
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT).string(8, name).bytes(9, littleEndianBytes(values));
  g.initializers.push(w);
  return name;
}

export function littleEndianBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

function valueInfo(name: string, dims: readonly (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** A Linear module with bias as PyTorch exports it: Gemm(x, W, b) with transB=1. */
function gemm(g: GraphBuilder, module: string, nodePath: string, x: string, d: Dense, output?: string): string {
  const w = addInitializer(g, `${module}.weight`, [d.outFeatures, d.inFeatures], d.weight);
  if (!d.bias) throw new Error(`${module} has no bias`);
  const b = addInitializer(g, `${module}.bias`, [d.outFeatures], d.bias);
  return addNode(g, 'Gemm', `${nodePath}/Gemm`, [x, w, b], { alpha: { float: 1 }, beta: { float: 1 }, transB: { int: 1 } }, output);
}

function buildGraph(example: ExampleInfo, params: ExampleParams, g: GraphBuilder): string {
  let x = 'input';
  switch (params.kind) {
    case 'mlp': {
      const a = example.architecture;
      if (a.family !== 'mlp') throw new Error(`${example.id}: parameters do not match the architecture`);
      params.blocks.forEach((blk, i) => {
        const path = `/blocks/blocks.${i}`;
        x = gemm(g, `blocks.${i}.dense`, `${path}/dense`, x, blk.dense);
        const norm = blk.norm;
        if (norm && a.norm === 'batch') {
          const inputs = [x, addInitializer(g, `blocks.${i}.norm.weight`, [EXAMPLE_WIDTH], norm.gamma), addInitializer(g, `blocks.${i}.norm.bias`, [EXAMPLE_WIDTH], norm.beta)];
          if (!norm.runningMean || !norm.runningVar) throw new Error(`blocks.${i}.norm has no running statistics`);
          inputs.push(addInitializer(g, `blocks.${i}.norm.running_mean`, [EXAMPLE_WIDTH], norm.runningMean), addInitializer(g, `blocks.${i}.norm.running_var`, [EXAMPLE_WIDTH], norm.runningVar));
          x = addNode(g, 'BatchNormalization', `${path}/norm/BatchNormalization`, inputs, { epsilon: { float: BN_EPSILON }, momentum: { float: 0.9 } });
        } else if (norm && a.norm === 'layer') {
          const inputs = [x, addInitializer(g, `blocks.${i}.norm.weight`, [EXAMPLE_WIDTH], norm.gamma), addInitializer(g, `blocks.${i}.norm.bias`, [EXAMPLE_WIDTH], norm.beta)];
          x = addNode(g, 'LayerNormalization', `${path}/norm/LayerNormalization`, inputs, { axis: { int: -1 }, epsilon: { float: LN_EPSILON } });
        }
        x = addNode(g, a.activation, `${path}/act/${a.activation}`, [x]);
      });
      return gemm(g, 'head', '/head', x, params.head, 'logits');
    }
    case 'residual': {
      x = gemm(g, 'inp', '/inp', x, params.inp);
      params.units.forEach((u, i) => {
        const path = `/blocks/blocks.${i}`;
        let r = gemm(g, `blocks.${i}.fc1`, `${path}/fc1`, x, u.fc1);
        r = addNode(g, 'Relu', `${path}/act/Relu`, [r]);
        r = gemm(g, `blocks.${i}.fc2`, `${path}/fc2`, r, u.fc2);
        x = addNode(g, 'Add', `${path}/Add`, [x, r]);
      });
      return gemm(g, 'head', '/head', x, params.head, 'logits');
    }
    case 'linear': {
      const last = params.layers.length - 1;
      params.layers.forEach((d, i) => {
        // A bias-free Linear exports as MatMul with the transposed weight ([in, out]).
        const w = addInitializer(g, `layers.${i}.weight.T`, [d.inFeatures, d.outFeatures], transposed(d));
        x = addNode(g, 'MatMul', `/layers/layers.${i}/MatMul`, [x, w], {}, i === last ? 'output' : undefined);
      });
      return x;
    }
  }
}

export function onnxModelBytes(example: ExampleInfo, params: ExampleParams): Uint8Array {
  const g: GraphBuilder = { nodes: [], initializers: [] };
  const output = buildGraph(example, params, g);
  const outputDim = params.kind === 'linear' ? EXAMPLE_WIDTH : params.head.outFeatures;
  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(1, n);
  graph.string(2, example.id);
  for (const t of g.initializers) graph.message(5, t);
  graph.message(11, valueInfo('input', ['batch', EXAMPLE_WIDTH]));
  graph.message(12, valueInfo(output, ['batch', outputDim]));
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'gradient-lens examples')
    .string(3, '1')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, ONNX_OPSET))
    .finish();
}
