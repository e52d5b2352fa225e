/**
 * The analysis would need more memory than the configured limit allows. Its own module with no
 * imports, so the extension can test for it without loading TensorFlow.js.
 */
export class ResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceError';
  }
}
