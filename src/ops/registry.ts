/**
 * The internal operator set: every op type a loader may emit, and its kernel.
 * An op type not listed here is unsupported; loaders refuse models that use one,
 * naming every such op type and the nodes that use it, before anything runs.
 */
import { KernelError, type LayoutClass, type OpKernel } from './kernel';
import { elementwiseKernels } from './elementwise';
import { activationKernels } from './activations';
import { reduceKernels } from './reduce';
import { shapeKernels } from './shape';
import { linalgKernels } from './linalg';
import { convKernels } from './conv';
import { poolKernels } from './pool';
import { normKernels } from './norm';
import { resizeKernels } from './resize';
import { indexingKernels } from './indexing';
import { recurrentKernels } from './recurrent';

/**
 * One table per kernel file, merged into one map. A name defined twice would silently keep
 * whichever table came last (and its facts: bound, layout, weights), so it is refused.
 */
export function mergeKernelTables(tables: readonly Readonly<Record<string, OpKernel>>[]): ReadonlyMap<string, OpKernel> {
  const merged = new Map<string, OpKernel>();
  for (const table of tables) {
    for (const [op, kernel] of Object.entries(table)) {
      if (merged.has(op)) throw new KernelError(`operator ${op} is defined by two kernels`);
      merged.set(op, kernel);
    }
  }
  return merged;
}

const registry: ReadonlyMap<string, OpKernel> = mergeKernelTables([
  elementwiseKernels,
  activationKernels,
  reduceKernels,
  shapeKernels,
  linalgKernels,
  convKernels,
  poolKernels,
  normKernels,
  resizeKernels,
  indexingKernels,
  recurrentKernels,
]);

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

/** The layout pass's class of an op (absent for unknown ops and ops that stop a channels-last region). */
export function layoutClassOf(op: string): LayoutClass | undefined {
  return registry.get(op)?.layout;
}

/** Whether the op is a weight layer (Conv, ConvTranspose, Gemm, MatMul, Einsum). */
export function holdsWeights(op: string): boolean {
  return registry.get(op)?.holdsWeights === true;
}
