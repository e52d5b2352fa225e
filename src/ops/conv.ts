import type { OpKernel } from './kernel';

export const convKernels: Record<string, OpKernel> = {};
