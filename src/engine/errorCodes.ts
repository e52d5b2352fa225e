/**
 * The kinds of failure an analysis can end with. The worker sends the code across the process
 * boundary (src/protocol/worker.ts) and the extension acts on it, so no side switches on class
 * names, which a subclass or a rename would silently change. The one function that assigns
 * codes is classifyError (./classifyError.ts).
 *
 * No imports: the extension host validates codes with this module and must not load the engine.
 */
export const ERROR_CODES = [
  /** A model file cannot be read or parsed (the error names the file). */
  'model-load',
  /** The model loads but uses operators the engine has no kernel for (names the file). */
  'unsupported-op',
  /** The sample data or labels are unusable (names the file). */
  'data',
  /** The model's inputs do not fit the analysis (several data inputs, a bad input file...). */
  'input',
  /** The analysis would exceed the memory limit; a smaller batch or a higher limit helps. */
  'resource',
  /** A kernel failed while the model ran (names the node). */
  'execution',
  /** The caller's AbortSignal fired. */
  'cancelled',
  /** Anything else: a defect, or the engine failed to load. */
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
