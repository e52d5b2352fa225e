/**
 * The one place that says what kind of failure an engine error is (see ./errorCodes.ts).
 *
 * This module loads the engine's error classes, and with them TensorFlow.js: the worker imports
 * it lazily, together with the engine, so its start stays cheap.
 */
import { DataError } from '../data/errors';
import { ModelLoadError, UnsupportedOperatorError } from '../loaders/errors';
import { KernelError } from '../ops/kernel';
import { ExecutionError } from '../runtime/executor';
import { ResourceError } from '../runtime/sizeGuard';
import { CancelledError } from './api';
import { InputError } from './input';
import type { ErrorCode } from './errorCodes';

/** The kind of failure `error` is; subclasses are tested before their base class. */
export function classifyError(error: unknown): ErrorCode {
  if (error instanceof CancelledError) return 'cancelled';
  if (error instanceof UnsupportedOperatorError) return 'unsupported-op';
  if (error instanceof ModelLoadError) return 'model-load';
  if (error instanceof DataError) return 'data';
  if (error instanceof InputError) return 'input';
  if (error instanceof ResourceError) return 'resource';
  if (error instanceof ExecutionError || error instanceof KernelError) return 'execution';
  return 'internal';
}
