/**
 * Errors about the user's sample data or labels. They always name the file, so the message
 * alone tells the user what to fix (the CLI prints it, the extension shows it).
 */
export class DataError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'DataError';
  }
}

/** Limits checked before anything large is allocated: data files are untrusted input. */
export const DATA_LIMITS = {
  /** JSON and CSV are parsed whole, so their size is capped. */
  maxTextFileBytes: 256 * 1024 ** 2,
  /** Elements of the loaded batch (float32 each): 2^27 = 512 MB. */
  maxBatchElements: 2 ** 27,
  /** Width and height of one decoded image. */
  maxImageSide: 16384,
  /** Pixels of one decoded image (RGBA bytes are 4 per pixel). */
  maxImagePixels: 64 * 1024 ** 2,
  /** Image files listed in a folder (and its class sub-folders). */
  maxImageFiles: 1_000_000,
  /** Numbers in a labels file. */
  maxLabelElements: 2 ** 26,
} as const;

/** Throws when `count` elements would exceed the batch limit. */
export function checkBatchSize(file: string, count: number, what: string): void {
  if (!Number.isSafeInteger(count) || count > DATA_LIMITS.maxBatchElements) {
    throw new DataError(file, `${what} would need ${count} values, more than the limit of ${DATA_LIMITS.maxBatchElements}; use a smaller --batch`);
  }
}
