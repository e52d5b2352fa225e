import type { OpKernel } from './kernel';

export const activationKernels: Record<string, OpKernel> = {};
