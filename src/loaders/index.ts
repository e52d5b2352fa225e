/**
 * Picks the loader for a model file and hashes what it read. After this point nothing
 * knows which format the model came from.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Graph } from '../graph/ir';
import { modelContentHash } from './contentHash';
import { ModelLoadError } from './errors';
import { loadOnnxModel } from './onnx';
import { loadTfjsModel } from './tfjs';

export interface LoadedModel {
  readonly graph: Graph;
  /** sha256 over the model file and the weight or external-data files it references, in order. */
  readonly contentHash: string;
}

export interface LoadOptions {
  /**
   * Cut the graph at this tensor: it becomes the only output, and only the ops it depends on
   * are translated (an unsupported op after it is no error). ONNX and TF.js graph models.
   */
  readonly output?: string;
}

export async function loadModel(modelPath: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const ext = path.extname(modelPath).toLowerCase();
  let stat;
  try {
    stat = await fs.stat(modelPath);
  } catch {
    throw new ModelLoadError(modelPath, 'file not found');
  }
  if (!stat.isFile()) throw new ModelLoadError(modelPath, 'not a file');
  if (ext === '.onnx') {
    const graph = await loadOnnxModel(modelPath, options.output);
    return { graph, contentHash: await modelContentHash(modelPath) };
  }
  if (ext === '.json') {
    const graph = await loadTfjsModel(modelPath, options.output);
    return { graph, contentHash: await modelContentHash(modelPath) };
  }
  throw new ModelLoadError(modelPath, `unknown model format "${ext || '(no extension)'}": expected an .onnx file or a TensorFlow.js model.json`);
}
