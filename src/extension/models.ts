/** Which files are models the extension offers to analyse (also encoded in package.json). */
import * as path from 'node:path';

/** Glob for vscode.workspace.findFiles: ONNX files and TensorFlow.js model.json files. */
export const MODEL_GLOB = '**/{*.onnx,model.json}';
/** Folders never searched for models. */
export const MODEL_EXCLUDE_GLOB = '**/{node_modules,.git,out,dist}/**';

export function isModelPath(filePath: string): boolean {
  const base = path.basename(filePath).toLowerCase();
  return base.endsWith('.onnx') || base === 'model.json';
}
