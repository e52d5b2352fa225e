/**
 * Refuses a node before it runs when its output would be absurdly large. Loaders already
 * refuse oversized constants and inputs, but a crafted model can build a huge tensor from
 * small ones (Expand to [1e6, 1e6], Tile by 1e9, ConstantOfShape, a Resize scale of 1e5, an
 * outer-product MatMul, pads of 2^30). Allocating first and failing later would take the
 * machine's memory (or corrupt the wasm heap), so the executor asks this module for an upper
 * bound of each node's output element count, from input shapes and small shape inputs only.
 * The bound is a fact of the op's kernel (OpKernel.outputBound, src/ops/bounds.ts): every
 * kernel must have one, so no op is unguarded (Einsum and Concat were, before).
 */
import type { GraphNode } from '../graph/ir';
import type { KernelContext, Tensor } from '../ops/kernel';
import type { Bound } from '../ops/bounds';
import { isSupportedOp, kernelFor } from '../ops/registry';
import { ResourceError } from './resourceError';

export { ResourceError };

/** A ResourceError (same handling everywhere: the message says what to change), naming the node. */
export class TensorSizeError extends ResourceError {
  constructor(
    readonly nodeName: string,
    readonly opType: string,
    readonly elements: number,
    readonly limit: number,
    detail: string,
  ) {
    super(
      `node "${nodeName}" (${opType}) would produce ${formatCount(elements)} elements (${detail}), ` +
        `more than the ${formatCount(limit)} one tensor may hold under the memory limit; the model is refused before allocating it`,
    );
  }
}

function formatCount(n: number): string {
  return n >= 1e6 ? n.toExponential(2) : String(n);
}

type Inputs = readonly (Tensor | undefined)[];
export type { Bound };

/** An upper bound of `node`'s output element count: its kernel's `outputBound` (every kernel has one). */
export function outputElementBound(node: GraphNode, inputs: Inputs, ctx: KernelContext): Bound | undefined {
  return isSupportedOp(node.op) ? kernelFor(node.op).outputBound(inputs, node, ctx) : undefined;
}

/**
 * Throws a TensorSizeError when `node`'s output could exceed `maxElements`. Cheap: reads only
 * shapes and the small shape/scale/pad inputs the kernel would read anyway.
 */
export function checkOutputSize(node: GraphNode, inputs: Inputs, ctx: KernelContext, maxElements: number): void {
  const bound = outputElementBound(node, inputs, ctx);
  if (bound !== undefined && !(bound.elements <= maxElements)) {
    throw new TensorSizeError(node.name, node.op, bound.elements, maxElements, bound.detail);
  }
}
