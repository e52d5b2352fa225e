/** Reads a text data file whole, after checking its size (JSON and CSV are parsed in memory). */
import { readFileSync, statSync } from 'node:fs';
import { DATA_LIMITS, DataError } from './errors';

export function readTextData(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new DataError(file, `cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  if (size > DATA_LIMITS.maxTextFileBytes) {
    throw new DataError(file, `${size} bytes is more than the ${DATA_LIMITS.maxTextFileBytes} bytes a JSON or CSV data file may have; use .npy for large data`);
  }
  return readFileSync(file, 'utf8');
}
