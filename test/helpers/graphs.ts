/** Small graphs built directly in the internal representation, for checks of the metrics. */
import type { ConstTensor, Graph, GraphNode } from '../../src/graph/ir';
import type { LoadedModel } from '../../src/loaders';
import { SeededRandom } from '../../src/runtime/random';

export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly constants = new Map<string, ConstTensor>();
  private counter = 0;

  constructor(
    readonly inputName = 'x',
    readonly inputShape: (number | string)[] = ['batch', 8],
  ) {}

  constant(data: Float32Array, shape: number[], name = `c${this.counter++}`): string {
    this.constants.set(name, { dtype: 'float32', shape, data });
    return name;
  }

  /** An int32 constant (pads, axes, shapes: int64 in a model file, narrowed at load time). */
  intConstant(values: readonly number[], shape: number[] = [values.length], name = `i${this.counter++}`): string {
    this.constants.set(name, { dtype: 'int32', shape, data: Int32Array.from(values) });
    return name;
  }

  node(op: string, inputs: string[], attrs: GraphNode['attrs'] = {}, name = `/${op.toLowerCase()}${this.counter++}/${op}`): string {
    const out = `${name}_output_0`;
    this.nodes.push({ name, op, inputs, outputs: [out], attrs, origin: { name, sourceOp: op } });
    return out;
  }

  build(output: string): LoadedModel {
    const graph: Graph = {
      description: { format: 'test', formatLabel: 'test graph' },
      inputs: [{ name: this.inputName, dtype: 'float32', shape: this.inputShape }],
      outputs: [{ name: output, dtype: 'float32', shape: null }],
      nodes: this.nodes,
      constants: this.constants,
    };
    return { graph, contentHash: 'test' };
  }
}

/**
 * A ResNet stem in miniature, on [batch, 3, 8, 8]: a 3x3 convolution to 4 channels with a bias,
 * ReLU, then a 3x3 max pool of stride 2 (pads 1); `relu` and `output` name the two tensors.
 */
export function miniStem(): { model: LoadedModel; relu: string; output: string } {
  const b = new GraphBuilder('x', ['batch', 3, 8, 8]);
  const w = b.constant(gaussianMatrix(4, 3 * 9, 11, 0.5), [4, 3, 3, 3]);
  const relu = b.node('Relu', [b.node('Conv', ['x', w, b.constant(gaussianMatrix(1, 4, 12, 0.3), [4])], { pads: [1, 1, 1, 1] })]);
  const output = b.node('MaxPool', [relu], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  return { model: b.build(output), relu, output };
}

/** A d x d orthogonal matrix from Gram-Schmidt on seeded Gaussian columns. */
export function orthogonalMatrix(d: number, seed: number): Float32Array {
  const g = new SeededRandom(seed).gaussian(d * d);
  const cols: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    const v = new Float64Array(d);
    for (let i = 0; i < d; i++) v[i] = g[i * d + j];
    for (const c of cols) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += v[i] * c[i];
      for (let i = 0; i < d; i++) v[i] -= dot * c[i];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < d; i++) v[i] /= norm;
    cols.push(v);
  }
  const out = new Float32Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] = cols[j][i];
  return out;
}

export function gaussianMatrix(rows: number, cols: number, seed: number, scale: number): Float32Array {
  return new SeededRandom(seed).gaussian(rows * cols).map((v) => v * scale);
}
