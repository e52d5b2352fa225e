import type { OpKernel } from './kernel';

export const shapeKernels: Record<string, OpKernel> = {};
