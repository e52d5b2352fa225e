import type { OpKernel } from './kernel';

export const poolKernels: Record<string, OpKernel> = {};
