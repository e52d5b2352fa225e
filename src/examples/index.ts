/**
 * Every file of every bundled example, generated in memory. No `vscode` and no engine code:
 * the script (scripts/generate-examples.ts) writes these files into examples/paper/, and the
 * extension writes the same bytes into its global storage when a user opens an example.
 */
import { EXAMPLES, type ExampleInfo } from './catalog';
import { onnxModelBytes } from './onnxModel';
import { buildParams } from './params';
import { pytorchSource, tfjsSource } from './sourceCode';
import { tfjsModelFiles } from './tfjsModel';

export interface GeneratedFile {
  /** Relative to the examples folder, with `/`: "mlp_tanh/model.onnx". */
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** Files of one example, relative to the examples folder. */
export const EXAMPLE_FILES = {
  onnx: 'model.onnx',
  pytorch: 'model.py',
  tfjsModel: 'tfjs/model.json',
  tfjsWeights: 'tfjs/weights.bin',
  tfjsSource: 'tfjs/model.js',
  /** Sidecars that point the source mapper at the model code (src/sourceMapping/hints.ts). */
  onnxSidecar: 'model.onnx.gradient-lens.json',
  tfjsSidecar: 'tfjs/model.json.gradient-lens.json',
} as const;

/** A sidecar naming the model code, relative to the sidecar's folder. */
function sidecar(sourceFile: string): string {
  return `${JSON.stringify({ sourceFiles: [sourceFile] }, null, 2)}\n`;
}

export function generateExample(e: ExampleInfo): GeneratedFile[] {
  const params = buildParams(e);
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  const tfjs = tfjsModelFiles(e, params);
  return [
    { path: `${e.id}/${EXAMPLE_FILES.onnx}`, bytes: onnxModelBytes(e, params) },
    { path: `${e.id}/${EXAMPLE_FILES.pytorch}`, bytes: text(pytorchSource(e)) },
    { path: `${e.id}/${EXAMPLE_FILES.tfjsModel}`, bytes: text(tfjs.modelJson) },
    { path: `${e.id}/${EXAMPLE_FILES.tfjsWeights}`, bytes: tfjs.weightsBin },
    { path: `${e.id}/${EXAMPLE_FILES.tfjsSource}`, bytes: text(tfjsSource(e)) },
    { path: `${e.id}/${EXAMPLE_FILES.onnxSidecar}`, bytes: text(sidecar(EXAMPLE_FILES.pytorch)) },
    { path: `${e.id}/${EXAMPLE_FILES.tfjsSidecar}`, bytes: text(sidecar('model.js')) },
  ];
}

export function generateAllExamples(): GeneratedFile[] {
  return EXAMPLES.flatMap(generateExample);
}

export { EXAMPLES, exampleById, type ExampleInfo } from './catalog';
