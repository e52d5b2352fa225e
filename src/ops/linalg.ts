import type { OpKernel } from './kernel';

export const linalgKernels: Record<string, OpKernel> = {};
