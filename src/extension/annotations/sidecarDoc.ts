/**
 * The help text offered by "Configure…" when blocks could not be placed: how to point Gradient
 * Lens at a model's code with a sidecar file or the gradientLens.sourceFiles setting, with an
 * example built from this model's unplaced block names. Shown in an untitled editor; nothing
 * is written to disk. Pure (no `vscode`).
 */
import * as path from 'node:path';

export interface SidecarDocInput {
  readonly modelPath: string;
  /** Absolute paths the extension looks at for a sidecar (sidecarCandidates). */
  readonly sidecarPaths: readonly string[];
  readonly unplaced: readonly { readonly blockIndex: number; readonly name: string; readonly reason: string }[];
  /** The model's path relative to its workspace folder, for the setting example. */
  readonly modelRelative: string;
}

export function sidecarDoc({ modelPath, sidecarPaths, unplaced, modelRelative }: SidecarDocInput): string {
  const modelDir = path.dirname(modelPath);
  const placements = Object.fromEntries(unplaced.slice(0, 6).map((u, i) => [u.name, `model.py:${10 * (i + 1)}`]));
  const sidecarExample = JSON.stringify({ sourceFiles: ['model.py'], placements }, null, 2);
  const settingExample = JSON.stringify(
    { 'gradientLens.sourceFiles': { [modelRelative]: [path.posix.join(path.posix.dirname(modelRelative.replace(/\\/g, '/')), 'model.py')] } },
    null,
    2,
  );
  return [
    `# Gradient Lens: where is the code of ${path.basename(modelPath)}?`,
    '',
    'Gradient Lens annotates the lines that define each analyzed block. It finds them by the',
    'module and layer names stored in the model (PyTorch attributes such as `self.layer1`,',
    "Keras/TensorFlow.js `name=` arguments, a model.json's own layer entries). When that is not",
    'enough, tell it where the code is. Gradient Lens only reads these files; it never writes them.',
    '',
    '## A sidecar file next to the model',
    '',
    'Create one of these files (the first that exists is used):',
    '',
    ...sidecarPaths.map((p) => `- \`${path.relative(modelDir, p) || path.basename(p)}\` in \`${modelDir}\``),
    '',
    '`sourceFiles` lists the files that define the model, relative to the sidecar file.',
    '`placements` (optional) pins a block or layer name to a line (`file:LINE`, 1-based).',
    '',
    '```json',
    sidecarExample,
    '```',
    '',
    '## Or a setting',
    '',
    '`gradientLens.sourceFiles` maps a model path or glob (relative to the workspace folder) to',
    'its source file(s) or globs:',
    '',
    '```json',
    settingExample,
    '```',
    '',
    "Without either, Gradient Lens searches the workspace's *.py, *.js and *.ts files (nearest to",
    'the model first, skipping node_modules, build output and virtual environments).',
    '',
    unplaced.length > 0 ? `## Blocks not placed (${unplaced.length})` : '',
    '',
    ...unplaced.map((u) => `- block ${u.blockIndex} \`${u.name.replace(/`/g, "'")}\`: ${u.reason}`),
    '',
  ].join('\n');
}
