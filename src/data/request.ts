/**
 * Shape check of the data part of an analysis request as it arrives over the worker's IPC
 * channel: the worker reads the files itself, so it must not trust field types blindly.
 */
function isNumberList(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Why the request's `data` / `reference` fields are malformed, or undefined when they are fine. */
export function dataRequestProblem(request: { data?: unknown; reference?: unknown }): string | undefined {
  if (request.reference !== undefined && request.reference !== 'output' && request.reference !== 'error') {
    return `reference must be "output" or "error" (got ${JSON.stringify(request.reference)})`;
  }
  const d = request.data;
  if (d === undefined) return undefined;
  if (typeof d !== 'object' || d === null) return 'data must be an object';
  const data = d as Record<string, unknown>;
  if (typeof data.path !== 'string' || data.path === '') return 'data.path must be a file or folder path';
  for (const key of ['labels', 'labelColumn'] as const) {
    if (data[key] !== undefined && typeof data[key] !== 'string') return `data.${key} must be a string`;
  }
  if (data.folderLabels !== undefined && typeof data.folderLabels !== 'boolean') return 'data.folderLabels must be true or false';
  if (data.sample !== undefined && data.sample !== 'first' && data.sample !== 'random') return 'data.sample must be "first" or "random"';
  for (const key of ['mean', 'std'] as const) {
    if (data[key] !== undefined && !isNumberList(data[key])) return `data.${key} must be a list of numbers`;
  }
  return undefined;
}
