import type { OpKernel } from './kernel';

export const reduceKernels: Record<string, OpKernel> = {};
