/**
 * The layer graph of a Keras / TensorFlow.js layers-model topology: Sequential and functional
 * models (Keras 2 and Keras 3 spellings), nested models and shared layers (several inbound
 * nodes), normalised to one form: layers, each called once per inbound node with references
 * to (layer, node index, tensor index) of its inputs.
 */
import { ConfigError, isObject, type Json, type JsonObject } from '../config';

export interface TensorRef {
  readonly layer: string;
  readonly node: number;
  readonly tensor: number;
}

export interface LayerSpec {
  readonly name: string;
  readonly className: string;
  readonly config: JsonObject;
  /** Inputs of each call (inbound node), in node-index order. */
  readonly calls: readonly (readonly TensorRef[])[];
  /** Set for nested models. */
  readonly model?: ModelSpec;
}

export interface ModelSpec {
  readonly name: string;
  readonly layers: readonly LayerSpec[];
  readonly inputs: readonly TensorRef[];
  readonly outputs: readonly TensorRef[];
}

export const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/** Reads modelTopology (Keras: {model_config: {...}} or the model object itself). */
export function parseTopology(topology: JsonObject): ModelSpec {
  const model = isObject(topology.model_config) ? topology.model_config : topology;
  const className = model.class_name;
  if (typeof className !== 'string') throw new ConfigError('modelTopology has no "class_name"');
  if (!MODEL_CLASSES.has(className)) throw new ConfigError(`modelTopology is a "${className}", not a Sequential or functional model`);
  return parseModel(className, model.config ?? null, 0);
}

/**
 * Models nested deeper than this are refused: parsing and translating recurse once per level,
 * and a 3000-deep chain of Sequentials would overflow the call stack. Real models nest a few.
 */
export const MAX_MODEL_NESTING = 64;

function parseModel(className: string, config: Json, depth: number): ModelSpec {
  if (depth > MAX_MODEL_NESTING) throw new ConfigError(`models are nested more than ${MAX_MODEL_NESTING} deep (a model inside a model inside ...)`);
  return className === 'Sequential' ? parseSequential(config, depth) : parseFunctional(config, depth);
}

function layerName(layer: JsonObject): string {
  const config = isObject(layer.config) ? layer.config : {};
  const name = typeof layer.name === 'string' ? layer.name : config.name;
  if (typeof name !== 'string') throw new ConfigError(`a layer of class ${String(layer.class_name)} has no name`);
  return name;
}

function toLayerSpec(raw: Json, calls: TensorRef[][], depth: number): LayerSpec {
  if (!isObject(raw) || typeof raw.class_name !== 'string') throw new ConfigError(`malformed layer entry ${excerpt(raw)}`);
  const name = layerName(raw);
  const config = isObject(raw.config) ? raw.config : {};
  const model = MODEL_CLASSES.has(raw.class_name) ? parseModel(raw.class_name, raw.config ?? null, depth + 1) : undefined;
  return { name, className: raw.class_name, config, calls, model };
}

/** Batch input shape of a Sequential model's first layer (Keras 2 / 3 spellings). */
function firstLayerBatchShape(config: JsonObject): Json {
  if (config.batch_input_shape !== undefined) return config.batch_input_shape;
  if (config.batch_shape !== undefined) return config.batch_shape;
  if (Array.isArray(config.input_shape)) return [null, ...config.input_shape];
  throw new ConfigError(`the first layer "${String(config.name)}" of the Sequential model declares no input shape (batch_input_shape)`);
}

function parseSequential(config: Json, depth: number): ModelSpec {
  const rawLayers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : null;
  if (rawLayers === null || rawLayers.length === 0) throw new ConfigError('the Sequential model has no layers');
  const name = isObject(config) && typeof config.name === 'string' ? config.name : 'sequential';
  const layers: LayerSpec[] = [];
  let rest = rawLayers;
  const first = rawLayers[0];
  let previous: string;
  if (isObject(first) && first.class_name === 'InputLayer') {
    const spec = toLayerSpec(first, [], depth);
    layers.push(spec);
    previous = spec.name;
    rest = rawLayers.slice(1);
  } else {
    // Keras / TF.js name the implicit input layer "<first layer>_input".
    if (!isObject(first) || !isObject(first.config)) throw new ConfigError('malformed first layer of the Sequential model');
    const firstName = layerName(first);
    const inputConfig: JsonObject = {
      name: `${firstName}_input`,
      batch_input_shape: firstLayerBatchShape(first.config),
      dtype: first.config.dtype ?? 'float32',
    };
    previous = `${firstName}_input`;
    layers.push({ name: previous, className: 'InputLayer', config: inputConfig, calls: [] });
  }
  const inputName = previous;
  for (const raw of rest) {
    const spec = toLayerSpec(raw, [[{ layer: previous, node: 0, tensor: 0 }]], depth);
    layers.push(spec);
    previous = spec.name;
  }
  return { name, layers, inputs: [{ layer: inputName, node: 0, tensor: 0 }], outputs: [{ layer: previous, node: 0, tensor: 0 }] };
}

function parseFunctional(config: Json, depth: number): ModelSpec {
  if (!isObject(config) || !Array.isArray(config.layers)) throw new ConfigError('the functional model has no "layers" list');
  const name = typeof config.name === 'string' ? config.name : 'model';
  const layers = config.layers.map((raw) => {
    if (!isObject(raw)) throw new ConfigError('malformed layer entry');
    return toLayerSpec(raw, parseInboundNodes(raw.inbound_nodes ?? []), depth);
  });
  return { name, layers, inputs: parseEndpoints(config.input_layers, 'input_layers'), outputs: parseEndpoints(config.output_layers, 'output_layers') };
}

function ref(v: Json): TensorRef | null {
  if (Array.isArray(v) && v.length >= 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number') {
    return { layer: v[0], node: v[1], tensor: v[2] };
  }
  return null;
}

/** [[name, node, tensor], ...] or a single [name, node, tensor] (Keras 3 with one endpoint). */
function parseEndpoints(v: Json | undefined, what: string): TensorRef[] {
  const single = v === undefined ? null : ref(v);
  if (single) return [single];
  if (Array.isArray(v)) {
    return v.map((e) => {
      const r = ref(e);
      if (!r) throw new ConfigError(`${what} is malformed: ${JSON.stringify(v)}`);
      return r;
    });
  }
  throw new ConfigError(`${what} is missing or malformed`);
}

function parseInboundNodes(v: Json): TensorRef[][] {
  if (!Array.isArray(v)) throw new ConfigError('inbound_nodes is not a list');
  const nodes = v.map(parseInboundNode);
  // A call with no input tensors would reach the executor as an input named "undefined".
  if (nodes.some((refs) => refs.length === 0)) throw new ConfigError(`an inbound node lists no input tensors: ${JSON.stringify(v)}`);
  return nodes;
}

function parseInboundNode(node: Json): TensorRef[] {
  // Keras 3: {args: [...keras tensors...], kwargs: {...}}.
  if (isObject(node)) {
    const found: TensorRef[] = [];
    collectKerasTensors(node.args ?? [], found);
    return found;
  }
  // Keras 2 / TF.js: [[layer, node, tensor, kwargs], ...].
  if (Array.isArray(node)) {
    return node.map((e) => {
      const r = ref(e);
      if (!r) throw new ConfigError(`inbound node entry is malformed: ${JSON.stringify(e)}`);
      return r;
    });
  }
  throw new ConfigError(`inbound node is malformed: ${JSON.stringify(node)}`);
}

function collectKerasTensors(v: Json, out: TensorRef[]): void {
  if (Array.isArray(v)) {
    v.forEach((x) => collectKerasTensors(x, out));
    return;
  }
  if (isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config)) {
    const r = ref(v.config.keras_history ?? null);
    if (!r) throw new ConfigError(`keras tensor without keras_history: ${JSON.stringify(v)}`);
    out.push(r);
  }
}

/** One call (inbound node) of a layer. */
export interface LayerCallRef {
  readonly layer: LayerSpec;
  readonly call: number;
}

/**
 * Runs every call of `layers` (input layers excepted) once all the tensors it reads are
 * produced, always the ready call listed first; `run` returns how many output tensors the call
 * produced. Kahn's algorithm with a min-heap of list positions: each call is visited once and
 * each of its inputs once, so a model listing 20k layers in reverse order costs no more than one
 * in order (a scan for the first ready call was quadratic). `produced` holds the tensors
 * available before the first call (the model's inputs); it is extended as calls run.
 * Throws (through `stuck`) when calls remain whose inputs no call produces.
 */
export function runCallsInDependencyOrder(
  layers: readonly LayerSpec[],
  produced: (ref: TensorRef) => boolean,
  run: (call: LayerCallRef) => number,
  stuck: (call: LayerCallRef, missing: TensorRef) => never,
): void {
  const calls: LayerCallRef[] = [];
  for (const layer of layers) {
    if (layer.className === 'InputLayer') continue;
    layer.calls.forEach((_, call) => calls.push({ layer, call }));
  }
  const available = new Set<string>();
  const isAvailable = (r: TensorRef): boolean => available.has(tensorKey(r)) || produced(r);
  const waiting = new Map<string, number[]>();
  const unmet = calls.map((c, i) => {
    const missing = new Set(c.layer.calls[c.call].filter((r) => !isAvailable(r)).map(tensorKey));
    for (const k of missing) {
      const list = waiting.get(k);
      if (list) list.push(i);
      else waiting.set(k, [i]);
    }
    return missing.size;
  });
  const ready = new MinHeap();
  unmet.forEach((n, i) => n === 0 && ready.push(i));
  let done = 0;
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    const c = calls[i];
    const outputs = run(c);
    done++;
    for (let t = 0; t < outputs; t++) {
      const k = tensorKey({ layer: c.layer.name, node: c.call, tensor: t });
      if (available.has(k)) continue;
      available.add(k);
      for (const j of waiting.get(k) ?? []) if (--unmet[j] === 0) ready.push(j);
      waiting.delete(k);
    }
  }
  if (done < calls.length) {
    const first = calls.find((_, i) => unmet[i] > 0)!;
    stuck(
      first,
      first.layer.calls[first.call].find((r) => !isAvailable(r))!,
    );
  }
}

function tensorKey(r: TensorRef): string {
  return `${r.layer}\u0000${r.node}\u0000${r.tensor}`;
}

/** A binary min-heap of non-negative integers. */
class MinHeap {
  private readonly items: number[] = [];

  push(v: number): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/** The start of a JSON value for a message (a value nested thousands deep cannot be stringified). */
function excerpt(value: Json): string {
  try {
    return JSON.stringify(value).slice(0, 200);
  } catch {
    return Array.isArray(value) ? '(a deeply nested list)' : '(a deeply nested value)';
  }
}
