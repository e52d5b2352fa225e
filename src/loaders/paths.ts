/**
 * Resolution of files a model references (weight shards, external tensor data). A model file
 * may come from anywhere, so a reference may only name a file inside the model's own folder:
 * no absolute paths, no URLs, no `..` escapes, and no symbolic links that lead out.
 */
import { realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from './errors';

/** A scheme such as `http:` or `file:` (two letters at least, so `C:` is left to the absolute-path check). */
const URL_SCHEME = /^[a-z][a-z0-9+.-]+:/i;

/**
 * The absolute path of `reference`, a path relative to the folder of `modelFile`.
 * Throws a ModelLoadError naming the model file when the reference is not allowed. A file
 * that does not exist is returned as is: the caller reports it as missing.
 */
export function resolveInsideModelDir(modelFile: string, reference: string): string {
  const refuse = (why: string): never => {
    throw new ModelLoadError(modelFile, `refers to the file "${reference}", ${why}; referenced files must lie inside the model's folder`);
  };
  if (reference === '' || reference.includes('\0')) refuse('which is not a valid file name');
  if (URL_SCHEME.test(reference)) refuse('which is a URL');
  if (path.posix.isAbsolute(reference) || path.win32.isAbsolute(reference)) refuse('which is an absolute path');

  const dir = path.resolve(path.dirname(modelFile));
  const resolved = path.resolve(dir, reference);
  if (!isInside(dir, resolved)) refuse("which is outside the model's folder");

  // A symbolic link (of the file or of a folder on the way) may still lead elsewhere.
  let real: string;
  try {
    real = realpathSync(resolved);
  } catch {
    return resolved;
  }
  if (!isInside(realpathSync(dir), real)) refuse(`which is a link to ${real}, outside the model's folder`);
  return resolved;
}

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** A file that may be read: a regular file (symbolic links followed) and its size, known before reading. */
export type FileToRead = { readonly size: number; readonly problem?: undefined } | { readonly size?: undefined; readonly problem: string };

/**
 * Whether `file` may be opened for reading, checked with stat (which follows symbolic links)
 * before any open: a FIFO blocks the reader forever, a device such as /dev/zero reports size 0
 * and never ends, a folder fails with a bare EISDIR. `problem` completes a sentence that starts
 * with the file's name (e.g. "is a named pipe (FIFO), not a regular file").
 */
export function checkFileToRead(file: string): FileToRead {
  let stat;
  try {
    stat = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? String(e)})` };
  }
  if (stat.isFile()) return { size: stat.size };
  if (stat.isDirectory()) return { problem: 'is a folder, not a file' };
  if (stat.isFIFO()) return { problem: 'is a named pipe (FIFO), not a regular file; reading it could wait forever' };
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return { problem: 'is a device, not a regular file' };
  if (stat.isSocket()) return { problem: 'is a socket, not a regular file' };
  return { problem: 'is not a regular file' };
}
