/** The one check every data reader makes before it opens a file. */
import { checkFileToRead } from '../loaders/paths';
import { DataError } from './errors';

/**
 * The size of `file`, which must be a regular file (symbolic links followed): a FIFO would block
 * the reader forever and a device such as /dev/zero reports size 0 and never ends.
 */
export function regularDataFileSize(file: string): number {
  const { size, problem } = checkFileToRead(file);
  if (problem !== undefined) throw new DataError(file, `the data file ${problem}`);
  return size;
}
