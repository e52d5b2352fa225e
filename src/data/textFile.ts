/** Reads a text data file whole, after checking its size (JSON and CSV are parsed in memory). */
import { readFileSync } from 'node:fs';
import { DATA_LIMITS, DataError } from './errors';
import { regularDataFileSize } from './regularFile';

export function readTextData(file: string): string {
  const size = regularDataFileSize(file);
  if (size > DATA_LIMITS.maxTextFileBytes) {
    throw new DataError(file, `${size} bytes is more than the ${DATA_LIMITS.maxTextFileBytes} bytes a JSON or CSV data file may have; use .npy for large data`);
  }
  return readFileSync(file, 'utf8');
}
