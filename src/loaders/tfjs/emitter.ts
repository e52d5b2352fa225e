/**
 * Collects the nodes and constants a TensorFlow.js model translates into, keeping node and
 * tensor names unique. Both the layers-model and the graph-model translators emit through it,
 * in a topological order (each node after the nodes producing its inputs).
 */
import type { Attributes, ConstTensor, Graph, GraphNode, ModelDescription, NodeOrigin, ValueInfo } from '../../graph/ir';

export interface EmitOptions {
  /** Name of the output tensor; default `<node name>:out`. */
  readonly output?: string;
  /** Several outputs (the first is `output` when given). */
  readonly outputs?: readonly string[];
}

export class GraphEmitter {
  private readonly nodes: GraphNode[] = [];
  private readonly constants = new Map<string, ConstTensor>();
  private readonly nodeNames = new Set<string>();
  private readonly tensorNames = new Set<string>();
  /** Index of the node producing each tensor, and the tensors some node reads: renameOutput stays O(1) (it scanned every node, quadratic over 20k layers). */
  private readonly producer = new Map<string, number>();
  private readonly read = new Set<string>();

  /** Marks a tensor name as taken (graph inputs). */
  reserveTensor(name: string): void {
    this.tensorNames.add(name);
  }

  hasTensor(name: string): boolean {
    return this.tensorNames.has(name);
  }

  /** A node name not used yet: `base`, else `base_1`, `base_2`, ... */
  uniqueNodeName(base: string): string {
    return unique(base, this.nodeNames);
  }

  uniqueTensorName(base: string): string {
    return unique(base, this.tensorNames);
  }

  /**
   * Emits one node and returns its (first) output tensor name. The node name is made unique;
   * an explicitly requested output name must be free (the translators choose layer names).
   */
  node(op: string, name: string, inputs: readonly string[], attrs: Attributes, origin: NodeOrigin, options: EmitOptions = {}): string {
    const nodeName = this.uniqueNodeName(name);
    const outputs = options.outputs ?? [options.output ?? `${nodeName}:out`];
    const finalOutputs = outputs.map((o) => (o === '' ? '' : this.uniqueTensorName(o)));
    this.nodeNames.add(nodeName);
    finalOutputs.forEach((o) => o !== '' && this.tensorNames.add(o));
    finalOutputs.forEach((o) => o !== '' && this.producer.set(o, this.nodes.length));
    inputs.forEach((i) => this.read.add(i));
    this.nodes.push({ name: nodeName, op, inputs: [...inputs], outputs: finalOutputs, attrs, origin });
    return finalOutputs[0];
  }

  /** Like `node` but returns every output name. */
  multiNode(op: string, name: string, inputs: readonly string[], attrs: Attributes, origin: NodeOrigin, outputs: readonly string[]): string[] {
    this.node(op, name, inputs, attrs, origin, { outputs });
    return [...this.nodes[this.nodes.length - 1].outputs];
  }

  /**
   * Gives the tensor `tensor` the name `name` when it is the output of an emitted node that no
   * node reads yet; returns false (and changes nothing) otherwise, e.g. for a graph input or a
   * constant, where the caller emits an Identity instead.
   */
  renameOutput(tensor: string, name: string): boolean {
    if (tensor === name) return true;
    if (this.tensorNames.has(name)) return false;
    const i = this.producer.get(tensor);
    if (i === undefined) return false;
    if (this.read.has(tensor)) return false;
    const n = this.nodes[i];
    this.nodes[i] = { ...n, outputs: n.outputs.map((o) => (o === tensor ? name : o)) };
    this.tensorNames.delete(tensor);
    this.tensorNames.add(name);
    this.producer.delete(tensor);
    this.producer.set(name, i);
    return true;
  }

  /** Adds a constant; an existing constant with the same name is reused (shared weights). */
  constant(name: string, value: ConstTensor): string {
    if (this.constants.has(name)) return name;
    const finalName = this.uniqueTensorName(name);
    this.tensorNames.add(finalName);
    this.constants.set(finalName, value);
    return finalName;
  }

  /** A fresh int32 constant (shapes, axes, pads). */
  ints(name: string, values: readonly number[], shape: readonly number[] = [values.length]): string {
    return this.constant(this.uniqueTensorName(name), { dtype: 'int32', shape, data: Int32Array.from(values) });
  }

  /** A fresh float32 constant (scalars such as clip bounds). */
  floats(name: string, values: readonly number[], shape: readonly number[] = [values.length]): string {
    return this.constant(this.uniqueTensorName(name), { dtype: 'float32', shape, data: Float32Array.from(values) });
  }

  getConstant(name: string): ConstTensor | undefined {
    return this.constants.get(name);
  }

  build(description: ModelDescription, inputs: readonly ValueInfo[], outputs: readonly ValueInfo[]): Graph {
    return { description, inputs, outputs, nodes: this.nodes, constants: this.constants };
  }
}

function unique(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 1; ; i++) {
    const candidate = `${base}_${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}
