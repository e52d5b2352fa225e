/**
 * One memory budget for an analysis, charged for what it materialises before it allocates it,
 * so that exceeding the limit is a ResourceError naming the cause rather than a swapping
 * machine or a wasm heap overrun ('memory access out of bounds'). The loaders charge the files
 * they read and the weights they decode, the executor the activations a forward pass keeps;
 * what is freed again (a shard's raw bytes once decoded, a pass's activations) is released.
 */
import { ResourceError } from './resourceError';

/** Megabytes, with a decimal below 10 so that small charges do not read "0 MB". */
const mb = (bytes: number): string => {
  const m = bytes / 1024 ** 2;
  return `${m < 10 ? m.toFixed(1) : Math.round(m)} MB`;
};

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

  /** Gives back bytes charged before, once what they paid for is freed. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** Charges `bytes` while `use` runs (a buffer that is dropped afterwards), and releases them whatever happens. */
  whileHeld<T>(bytes: number, what: string, use: () => T): T {
    this.charge(bytes, what);
    try {
      return use();
    } finally {
      this.release(bytes);
    }
  }
}
