/**
 * TensorFlow.js model loader: a model.json (layers-model or graph-model) and the weight files
 * its weightsManifest lists, translated into the internal graph. Nothing from the file is run:
 * layers are translated by class name, graph-model ops by op name.
 */
import { promises as fs } from 'node:fs';
import type { Graph } from '../../graph/ir';
import { ModelLoadError, readModelFile } from '../errors';
import { ConfigError, isObject, type Json, type JsonObject } from './config';
import { translateGraphModel } from './graph/translate';
import { parseTopology } from './layers/topology';
import { cutModelAt } from './layers/cut';
import { translateLayersModel } from './layers/translate';
import { parseManifest, readWeights } from './weights';
import type { MemoryBudget } from '../../runtime/memoryBudget';

export type TfjsFormat = 'layers-model' | 'graph-model';

/** Which of the two formats a parsed model.json is; throws naming the file when neither. */
export function detectFormat(modelJson: string, json: Json): TfjsFormat {
  if (Array.isArray(json) && json.every((g) => isObject(g) && Array.isArray(g.paths) && Array.isArray(g.weights))) {
    throw new ModelLoadError(
      modelJson,
      'this is a bare weights manifest (a list of weight groups), not a TensorFlow.js model: it has no modelTopology saying how the weights are connected (face-api.js style weight files need the library code that defines the network)',
    );
  }
  if (!isObject(json)) throw new ModelLoadError(modelJson, 'not a TensorFlow.js model.json: the top level is not an object');
  const topology = json.modelTopology;
  const declared = json.format;
  if (declared === 'graph-model') return 'graph-model';
  if (declared === 'layers-model') return 'layers-model';
  if (isObject(topology)) {
    if (Array.isArray(topology.node)) return 'graph-model';
    if (typeof topology.class_name === 'string' || isObject(topology.model_config)) return 'layers-model';
  }
  const what =
    json.weightsManifest !== undefined && topology === undefined
      ? 'it has a weightsManifest but no modelTopology'
      : 'it has neither a layers topology (class_name / model_config) nor a graph (node list)';
  throw new ModelLoadError(modelJson, `neither a TensorFlow.js layers-model nor a graph-model: ${what}`);
}

/**
 * `budget`: charged for model.json and the weights before they are read (see readWeights);
 * `output`: cut the graph at this tensor (a node of a graph model, a layer of a layers model; see LoadOptions);
 * `from`: a graph model's start tensor (see LoadOptions).
 */
export async function loadTfjsModel(
  modelJsonPath: string,
  options: { readonly budget?: MemoryBudget; readonly output?: string; readonly from?: string } = {},
): Promise<Graph> {
  const { budget, output, from } = options;
  // The text and its parse are held until the graph is built.
  const fileBytes = budget === undefined ? 0 : (await fs.stat(modelJsonPath)).size;
  budget?.charge(fileBytes, `the model file ${modelJsonPath}`);
  try {
    return await readModelJson(modelJsonPath, budget, output, from);
  } finally {
    budget?.release(fileBytes);
  }
}

async function readModelJson(modelJsonPath: string, budget: MemoryBudget | undefined, output: string | undefined, from: string | undefined): Promise<Graph> {
  const text = (await readModelFile(modelJsonPath)).toString('utf8');
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (e) {
    throw new ModelLoadError(modelJsonPath, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const format = detectFormat(modelJsonPath, json);
  const root = json as JsonObject;
  if (!isObject(root.modelTopology)) throw new ModelLoadError(modelJsonPath, `a ${format} needs a "modelTopology" object`);
  const producer = [root.generatedBy, root.convertedBy].filter((s): s is string => typeof s === 'string').join(', ') || undefined;
  const groups = parseManifest(modelJsonPath, root.weightsManifest);
  try {
    if (format === 'layers-model') {
      const parsed = parseTopology(root.modelTopology);
      // Cut before translating: the layers after the chosen output are never looked at.
      const spec = output === undefined ? parsed : cutModelAt(parsed, output);
      const weights = await readWeights(modelJsonPath, groups, budget);
      return translateLayersModel(modelJsonPath, spec, weights, producer);
    }
    const weights = await readWeights(modelJsonPath, groups, budget);
    return translateGraphModel(modelJsonPath, root, weights, producer, output, from);
  } catch (e) {
    if (e instanceof ConfigError) throw new ModelLoadError(modelJsonPath, e.message);
    throw e;
  }
}
