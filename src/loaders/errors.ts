/**
 * Errors every loader throws for a model it cannot load. The message always starts with the
 * file at fault, so a user can act on it without a stack trace.
 */

import { promises as fs } from 'node:fs';

export class ModelLoadError extends Error {
  constructor(
    /** The file at fault: the model file, or a weight/external-data file it references. */
    readonly file: string,
    /** What is wrong, in words (without the file name). */
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ModelLoadError';
  }
}

/**
 * The model uses operators (or operator variants) the engine has no kernel for. Thrown once,
 * naming every such op and the nodes that use it, before anything runs.
 *
 * Its `name` stays 'ModelLoadError': the worker and the extension classify errors by name,
 * and for them this is a load failure like any other.
 */
export class UnsupportedOperatorError extends ModelLoadError {
  constructor(
    file: string,
    /** Op type (or "Op (variant)") -> names of the nodes using it, in graph order. */
    readonly ops: ReadonlyMap<string, readonly string[]>,
    /** The last differentiable tensor before the unsupported ops: analyse up to it with --output. */
    readonly cutAt?: string,
  ) {
    super(
      file,
      describeUnsupported(ops) +
        (cutAt === undefined ? '' : `; the network is differentiable up to tensor "${cutAt}": analyse it up to there with --output "${cutAt}"`),
    );
  }
}

const NAMES_SHOWN = 3;

function describeUnsupported(ops: ReadonlyMap<string, readonly string[]>): string {
  const parts = [...ops].map(([op, nodes]) => {
    const shown = nodes
      .slice(0, NAMES_SHOWN)
      .map((n) => `"${n}"`)
      .join(', ');
    const more = nodes.length > NAMES_SHOWN ? ` and ${nodes.length - NAMES_SHOWN} more` : '';
    return `${op} (${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${shown}${more})`;
  });
  return `unsupported operator${ops.size === 1 ? '' : 's'}: ${parts.join('; ')}`;
}

/**
 * The model file's bytes, or a ModelLoadError naming the file and why it cannot be read
 * (every loader and the tensor listing read their model file through here).
 */
export async function readModelFile(filePath: string): Promise<Buffer> {
  try {
    return await fs.readFile(filePath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelLoadError(filePath, code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(e)})`);
  }
}
