/**
 * The layers of a TensorFlow.js model.json (layers-model: `modelTopology...config.layers[]`;
 * graph-model: `modelTopology.node[]`) with the position of each one's `"name": "<layer>"`
 * member: inside the layer's `config` for layers models, the node entry's own for graph models.
 */
import { member, parseJsonWithPositions, type JsonNode } from './jsonPositions';

export interface ModelJsonLayer {
  readonly name: string;
  /** Keras class name ("Dense", "Conv2D") or the graph node's op. */
  readonly className: string;
  /** Offsets of the `"name": "<layer>"` member: key's opening quote to the value's end. */
  readonly start: number;
  readonly end: number;
}

/** The layers in file order, or undefined when the text is not a model.json this can read. */
export function modelJsonLayers(text: string): ModelJsonLayer[] | undefined {
  let root: JsonNode;
  try {
    root = parseJsonWithPositions(text);
  } catch {
    return undefined;
  }
  const topology = member(root, 'modelTopology')?.value;
  if (topology === undefined) return undefined;
  const nodes = member(topology, 'node')?.value;
  if (nodes?.type === 'array') return nodes.items.flatMap((n) => entry(n, n, 'op'));
  // Layers models: {class_name, config: {layers: [...]}}, possibly under model_config.
  const config = member(member(topology, 'model_config')?.value ?? topology, 'config')?.value;
  const layers = member(config, 'layers')?.value;
  if (layers?.type !== 'array') return undefined;
  return layers.items.flatMap((layer) => entry(layer, member(layer, 'config')?.value, 'class_name'));
}

function entry(owner: JsonNode, nameHolder: JsonNode | undefined, classKey: string): ModelJsonLayer[] {
  const name = member(nameHolder, 'name') ?? member(owner, 'name');
  const cls = member(owner, classKey)?.value;
  if (name === undefined || name.value.type !== 'string') return [];
  return [{ name: name.value.value, className: cls?.type === 'string' ? cls.value : '', start: name.keyStart, end: name.value.end }];
}
