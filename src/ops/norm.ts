import type { OpKernel } from './kernel';

export const normKernels: Record<string, OpKernel> = {};
