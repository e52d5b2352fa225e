/**
 * The internal operator set: every op type a loader may emit, and its kernel.
 * An op type not listed here is unsupported; loaders refuse models that use one,
 * naming every such op type and the nodes that use it, before anything runs.
 */
import { KernelError, type OpKernel } from './kernel';
import { elementwiseKernels } from './elementwise';
import { activationKernels } from './activations';
import { reduceKernels } from './reduce';
import { shapeKernels } from './shape';
import { linalgKernels } from './linalg';
import { convKernels } from './conv';
import { poolKernels } from './pool';
import { normKernels } from './norm';
import { resizeKernels } from './resize';

const registry: ReadonlyMap<string, OpKernel> = new Map(
  Object.entries({
    ...elementwiseKernels,
    ...activationKernels,
    ...reduceKernels,
    ...shapeKernels,
    ...linalgKernels,
    ...convKernels,
    ...poolKernels,
    ...normKernels,
    ...resizeKernels,
  }),
);

export function isSupportedOp(op: string): boolean {
  return registry.has(op);
}

export function supportedOps(): string[] {
  return [...registry.keys()].sort();
}

export function kernelFor(op: string): OpKernel {
  const k = registry.get(op);
  if (k === undefined) throw new KernelError(`unsupported operator ${op}`);
  return k;
}
