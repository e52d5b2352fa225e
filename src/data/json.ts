/**
 * Sample data as JSON: a nested array whose first axis is the sample, or an object
 * {"inputs": nested array, "labels": array} that carries the labels too.
 */
import { DATA_LIMITS, DataError } from './errors';
import { readTextData } from './textFile';

/** More axes than any model input has (ONNX and TF.js tensors stay well below this). */
const MAX_RANK = 32;

/** A rectangular numeric array, flattened in C order. */
export interface DenseArray {
  readonly shape: readonly number[];
  readonly values: Float64Array;
}

export interface JsonData {
  readonly inputs: DenseArray;
  readonly labels?: DenseArray;
}

/** Shape and C-order values of a nested numeric array; a clear error for ragged or non-numeric ones. */
export function denseFromNested(file: string, value: unknown, what: string): DenseArray {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    // The values are read recursively, one call per axis: a 100,000-deep array would overflow the stack.
    if (shape.length === MAX_RANK) throw new DataError(file, `${what} is nested more than ${MAX_RANK} arrays deep; sample data has a few axes`);
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  if (shape.length === 0) throw new DataError(file, `${what} must be an array (got ${typeof value})`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > DATA_LIMITS.maxBatchElements) throw new DataError(file, `${what} has ${count} values, more than the limit of ${DATA_LIMITS.maxBatchElements}`);
  const values = new Float64Array(count);
  let k = 0;
  const walk = (v: unknown, depth: number, where: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataError(file, `${what}${where} is ${JSON.stringify(v)}, not a finite number`);
      values[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new DataError(
        file,
        `${what} is not rectangular: ${what}${where} should be an array of ${shape[depth]} (shape [${shape.join(', ')}] from the first elements)`,
      );
    }
    v.forEach((x, i) => walk(x, depth + 1, `${where}[${i}]`));
  };
  walk(value, 0, '');
  return { shape, values };
}

export function parseJsonData(file: string, text: string): JsonData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DataError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (Array.isArray(value)) return { inputs: denseFromNested(file, value, 'the data') };
  if (typeof value === 'object' && value !== null && 'inputs' in value) {
    const obj = value as { inputs: unknown; labels?: unknown };
    const inputs = denseFromNested(file, obj.inputs, '"inputs"');
    if (obj.labels === undefined) return { inputs };
    const labels = denseFromNested(file, obj.labels, '"labels"');
    if (labels.shape[0] !== inputs.shape[0]) {
      throw new DataError(file, `"labels" has ${labels.shape[0]} entries but "inputs" has ${inputs.shape[0]} samples`);
    }
    return { inputs, labels };
  }
  throw new DataError(file, 'expected a nested array of samples or an object {"inputs": [...], "labels": [...]}');
}

export function readJsonData(file: string): JsonData {
  return parseJsonData(file, readTextData(file));
}
