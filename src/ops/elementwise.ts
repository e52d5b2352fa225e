import type { OpKernel } from './kernel';

export const elementwiseKernels: Record<string, OpKernel> = {};
