/**
 * One memory budget for an analysis, charged for what it materialises before it allocates it,
 * so that exceeding the limit is a ResourceError naming the cause rather than a swapping
 * machine or a wasm heap overrun ('memory access out of bounds').
 */
import { ResourceError } from './resourceError';

const mb = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)} MB`;

export class MemoryBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Charges `bytes` for `what` (a file, an input, a tensor), or throws before anything is allocated. */
  charge(bytes: number, what: string): void {
    if (!(this.used + bytes <= this.limitBytes)) {
      throw new ResourceError(
        `${what} would take ${mb(bytes)}${this.used > 0 ? ` on top of ${mb(this.used)} already held` : ''}, over the memory limit of ${mb(this.limitBytes)}; ` +
          'raise the limit (memory limit setting / --memory-limit-mb) if the machine has the memory',
      );
    }
    this.used += bytes;
  }
}
