/**
 * What the user is told when an analysis fails, by the kind of failure (the worker's error code,
 * or the client's own errors). No `vscode` import: the unit tests check each case.
 *
 * User errors (a bad file, an unsupported op, unusable data, the memory limit) are one clear
 * message without a stack: the stack of a bundled worker is minified and says nothing about the
 * user's file. Stacks are kept for what may be a defect (execution, internal).
 */
import * as path from 'node:path';
import { CancelledError } from '../../engine/api';
import { AnalysisError, WorkerCrashedError } from './workerClient';

export type FailureNotice =
  | { readonly kind: 'cancelled' }
  /** An error notification with `message`; `details` go to the Output channel. */
  | { readonly kind: 'error'; readonly message: string; readonly details?: string };

export function failureNotice(fileName: string, e: unknown): FailureNotice {
  if (e instanceof CancelledError) return { kind: 'cancelled' };
  if (e instanceof WorkerCrashedError) {
    return { kind: 'error', message: `while analyzing ${fileName}, ${e.message}. The next analysis starts a new process.`, details: e.stderrTail || undefined };
  }
  if (e instanceof AnalysisError) {
    switch (e.code) {
      case 'cancelled':
        return { kind: 'cancelled' };
      case 'resource':
        return {
          kind: 'error',
          message: `${fileName}: ${e.message} (lower gradientLens.batchSize or raise gradientLens.memoryLimitMb)`,
        };
      case 'model-load':
      case 'unsupported-op': {
        const file = e.info.file ?? fileName;
        // The loader's message starts with the full path; the notification names the file once.
        const reason = e.message.startsWith(`${file}: `) ? e.message.slice(file.length + 2) : e.message;
        // The full path goes to the Output channel; a stack would say nothing about the user's file.
        return { kind: 'error', message: `cannot load ${path.basename(file)}: ${reason}`, details: e.message };
      }
      case 'data':
      case 'input':
        return { kind: 'error', message: `analysis of ${fileName} failed: ${e.message}` };
      default:
        return { kind: 'error', message: `analysis of ${fileName} failed: ${e.message}`, details: e.info.stack };
    }
  }
  return {
    kind: 'error',
    message: `analysis of ${fileName} failed: ${e instanceof Error ? e.message : String(e)}`,
    details: e instanceof Error ? e.stack : undefined,
  };
}
