import type { OpKernel } from './kernel';

export const resizeKernels: Record<string, OpKernel> = {};
