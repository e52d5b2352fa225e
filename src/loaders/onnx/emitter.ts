/**
 * Collects the internal graph while ONNX nodes are translated: nodes, constants, fresh
 * names that cannot collide with the file's own, and the unsupported ops found on the way.
 */
import type { AttrValue, ConstTensor, GraphNode, NodeOrigin } from '../../graph/ir';

/** An ONNX node after decoding, before translation into internal ops. */
export interface SourceNode {
  /** Unique within the graph (generated for unnamed nodes). */
  readonly name: string;
  readonly opType: string;
  /** '' for the default ONNX domain. */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  /** Attributes that have no internal form (subgraphs, sparse tensors). */
  readonly unconvertible: readonly string[];
  readonly origin: NodeOrigin;
}

export class GraphEmitter {
  readonly nodes: GraphNode[] = [];
  readonly constants = new Map<string, ConstTensor>();
  /** Op label (e.g. "Cast (to STRING)") -> names of the nodes, in graph order. */
  readonly unsupported = new Map<string, string[]>();
  private readonly taken: Set<string>;

  constructor(
    /** Every tensor and node name of the source graph. */
    takenNames: Iterable<string>,
    /** Tensors some node reads or the graph outputs: the others may be dropped. */
    readonly consumed: ReadonlySet<string>,
  ) {
    this.taken = new Set(takenNames);
  }

  /** A tensor or node name not used anywhere in the graph yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  node(op: string, name: string, inputs: readonly string[], outputs: readonly string[], attrs: Readonly<Record<string, AttrValue>>, origin: NodeOrigin): void {
    this.nodes.push({ name, op, inputs: [...inputs], outputs: [...outputs], attrs, origin });
  }

  /** Adds a constant under a fresh name derived from `base`; returns the name. */
  constant(base: string, tensor: ConstTensor): string {
    const name = this.fresh(base);
    this.constants.set(name, tensor);
    return name;
  }

  ints(base: string, values: readonly number[], shape: readonly number[] = [values.length]): string {
    return this.constant(base, { dtype: 'int32', shape, data: Int32Array.from(values) });
  }

  floats(base: string, values: readonly number[], shape: readonly number[] = [values.length]): string {
    return this.constant(base, { dtype: 'float32', shape, data: Float32Array.from(values) });
  }

  markUnsupported(label: string, nodeName: string): void {
    const list = this.unsupported.get(label);
    if (list) list.push(nodeName);
    else this.unsupported.set(label, [nodeName]);
  }
}
