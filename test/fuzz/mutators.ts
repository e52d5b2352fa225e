/**
 * Seeded mutators for the loader fuzz test: each takes the original model bytes and a
 * SeededRandom and returns a broken variant. Kinds are named so the summary can say which
 * mutation led to which outcome.
 */
import { onnx } from 'onnx-proto';
import { SeededRandom } from '../../src/runtime/random';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[Math.floor(rng.next() * items.length)];
}

function int(rng: SeededRandom, n: number): number {
  return Math.floor(rng.next() * n);
}

// ---- byte-level (both formats) ----

export function truncate(bytes: Uint8Array, rng: SeededRandom): Uint8Array {
  return bytes.slice(0, int(rng, bytes.length));
}

export function flipBytes(bytes: Uint8Array, rng: SeededRandom): Uint8Array {
  const out = bytes.slice();
  const flips = 1 + int(rng, 8);
  for (let i = 0; i < flips; i++) out[int(rng, out.length)] ^= 1 << int(rng, 8);
  return out;
}

// ---- model.json ----

/** Every (container, key) pair in the JSON tree, so a mutation can hit any field. */
function slots(root: Json): { holder: Json[] | { [key: string]: Json }; key: string | number }[] {
  const out: { holder: Json[] | { [key: string]: Json }; key: string | number }[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v))
      v.forEach((c, i) => {
        out.push({ holder: v, key: i });
        walk(c);
      });
    else if (v !== null && typeof v === 'object')
      for (const k of Object.keys(v)) {
        out.push({ holder: v, key: k });
        walk(v[k]);
      }
  };
  walk(root);
  return out;
}

function setSlot(holder: Json[] | { [key: string]: Json }, key: string | number, value: Json): void {
  (holder as Record<string | number, Json>)[key] = value;
}

/** Arrays stored under one of `keys` anywhere in the tree. */
function arraysUnder(root: Json, keys: readonly string[]): Json[][] {
  return slots(root)
    .filter((s) => typeof s.key === 'string' && keys.includes(s.key))
    .map((s) => (s.holder as Record<string, Json>)[s.key])
    .filter((v): v is Json[] => Array.isArray(v));
}

interface LayerJson {
  [key: string]: Json;
}

function layersOf(root: Json): LayerJson[] {
  const topo = (root as { modelTopology?: { config?: { layers?: Json } } }).modelTopology;
  const layers = topo?.config?.layers;
  return Array.isArray(layers) ? layers.filter((l): l is LayerJson => l !== null && typeof l === 'object' && !Array.isArray(l)) : [];
}

/** The [layerName, node, tensor, kwargs] references of functional models' inbound_nodes. */
function inboundRefs(root: Json): Json[][] {
  const refs: Json[][] = [];
  for (const layer of layersOf(root)) {
    const nodes = layer.inbound_nodes;
    if (!Array.isArray(nodes)) continue;
    for (const n of nodes) if (Array.isArray(n)) for (const r of n) if (Array.isArray(r) && typeof r[0] === 'string') refs.push(r);
  }
  return refs;
}

const RETYPES: readonly Json[] = [null, 'x', -1, 1e30, true, [], {}, [[1, 2]], 'NaN'];
const BAD_DIMS: readonly Json[] = [-1, -7, 0, 2 ** 31, 2 ** 53, 1e12, 1.5, 'a', null];

export type JsonMutation = (root: Json, rng: SeededRandom) => void;

export const JSON_MUTATIONS: Record<string, JsonMutation> = {
  'json-delete'(root, rng) {
    const s = pick(rng, slots(root));
    if (Array.isArray(s.holder)) s.holder.splice(s.key as number, 1);
    else delete s.holder[s.key];
  },
  'json-retype'(root, rng) {
    const s = pick(rng, slots(root));
    setSlot(s.holder, s.key, pick(rng, RETYPES));
  },
  'json-bad-dim'(root, rng) {
    const shapes = arraysUnder(root, ['batch_input_shape', 'shape', 'batchInputShape']).filter((a) => a.length > 0);
    const shape = pick(rng, shapes);
    shape[int(rng, shape.length)] = pick(rng, BAD_DIMS);
  },
  'json-shape-mismatch'(root, rng) {
    // A weight whose declared element count no longer matches the bytes (or the layer).
    const shapes = arraysUnder(root, ['shape']).filter((a) => a.length > 0);
    const shape = pick(rng, shapes);
    const i = int(rng, shape.length);
    shape[i] = typeof shape[i] === 'number' ? (shape[i] as number) + 1 + int(rng, 3) : 3;
    if (rng.next() < 0.3) shape.push(2);
  },
  'json-duplicate-name'(root, rng) {
    const weights = arraysUnder(root, ['weights'])
      .flat()
      .filter((w): w is LayerJson => w !== null && typeof w === 'object' && !Array.isArray(w));
    const layers = layersOf(root);
    if (rng.next() < 0.5 && weights.length > 1) {
      pick(rng, weights).name = pick(rng, weights).name ?? 'x';
    } else if (layers.length > 1) {
      const a = pick(rng, layers);
      const b = pick(rng, layers);
      a.name = b.name ?? 'x';
      if (a.config && typeof a.config === 'object' && !Array.isArray(a.config)) a.config.name = a.name;
    }
  },
  'json-dangling-ref'(root, rng) {
    const refs = inboundRefs(root);
    if (refs.length > 0) pick(rng, refs)[0] = 'no_such_layer';
    else {
      const weights = arraysUnder(root, ['weights'])
        .flat()
        .filter((w): w is LayerJson => w !== null && typeof w === 'object' && !Array.isArray(w));
      if (weights.length > 0) pick(rng, weights).name = 'no_such_layer/kernel';
    }
  },
  'json-missing-input'(root, rng) {
    const layers = layersOf(root);
    const all = (root as { modelTopology?: { config?: { [k: string]: Json } } }).modelTopology?.config;
    if (all && rng.next() < 0.5) delete all.input_layers;
    const inputs = layers.filter((l) => l.class_name === 'InputLayer');
    const target = inputs[0] ?? layers[0];
    if (!target) return;
    if (inputs.length > 0 && rng.next() < 0.5 && Array.isArray(all?.layers)) all.layers.splice(all.layers.indexOf(target), 1);
    else if (target.config && typeof target.config === 'object' && !Array.isArray(target.config)) delete target.config.batch_input_shape;
  },
  'json-cycle'(root, rng) {
    // A layer fed by itself or by a later layer (inbound_nodes pointing forward).
    const layers = layersOf(root);
    const fed = layers.map((l, i) => ({ l, i })).filter(({ l }) => Array.isArray(l.inbound_nodes) && l.inbound_nodes.length > 0);
    if (fed.length === 0) return;
    const { l, i } = pick(rng, fed);
    const later = layers[i + int(rng, layers.length - i)];
    l.inbound_nodes = [[[later.name ?? 'x', 0, 0, {}]]];
  },
};

// ---- ONNX (decoded ModelProto) ----

export type OnnxMutation = (graph: onnx.IGraphProto, rng: SeededRandom) => void;

const HUGE_OR_NEGATIVE = [-1, -5, 0, 2 ** 31, 2 ** 40, 1e15];

/** The decoder fills every repeated field with an array; this makes that visible to the types. */
function list<T>(items: T[] | null | undefined): T[] {
  if (!items) throw new Error('decoded ModelProto lacks a repeated field');
  return items;
}

export const ONNX_MUTATIONS: Record<string, OnnxMutation> = {
  'onnx-bad-dim'(g, rng) {
    const inits = list(g.initializer);
    if (rng.next() < 0.5 && inits.length > 0) {
      const dims = list(pick(rng, inits).dims);
      if (dims.length === 0) dims.push(3);
      dims[int(rng, dims.length)] = pick(rng, HUGE_OR_NEGATIVE);
    } else {
      const dims = list(g.input).flatMap((i) => i.type?.tensorType?.shape?.dim ?? []);
      if (dims.length === 0) return;
      const d = pick(rng, dims);
      d.dimParam = '';
      d.dimValue = pick(rng, HUGE_OR_NEGATIVE);
    }
  },
  'onnx-dangling-input'(g, rng) {
    const inputs = list(pick(rng, list(g.node)).input);
    if (inputs.length === 0) inputs.push('no_such_tensor');
    else inputs[int(rng, inputs.length)] = 'no_such_tensor';
  },
  'onnx-duplicate-output'(g, rng) {
    const nodes = list(g.node);
    const a = list(pick(rng, nodes).output);
    const b = list(pick(rng, nodes).output);
    if (a.length > 0 && b.length > 0) a[0] = b[0];
  },
  'onnx-cycle'(g, rng) {
    // A node fed by its own output or a later node's.
    const nodes = list(g.node);
    const i = int(rng, nodes.length);
    const inputs = list(nodes[i].input);
    const laterOutputs = list(nodes[i + int(rng, nodes.length - i)].output);
    if (inputs.length > 0 && laterOutputs.length > 0) inputs[0] = laterOutputs[0];
  },
  'onnx-remove-initializer'(g, rng) {
    const inits = list(g.initializer);
    if (inits.length > 0) inits.splice(int(rng, inits.length), 1);
  },
  'onnx-raw-data-length'(g, rng) {
    const withRaw = list(g.initializer).filter((t) => t.rawData && t.rawData.length > 0);
    if (withRaw.length === 0) return;
    const t = pick(rng, withRaw);
    const raw = t.rawData ?? new Uint8Array(0);
    t.rawData = rng.next() < 0.5 ? raw.slice(0, int(rng, raw.length)) : new Uint8Array([...raw, 1, 2, 3]);
  },
};

export function mutateOnnx(bytes: Uint8Array, kind: string, rng: SeededRandom): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  if (!model.graph) throw new Error('fixture has no graph');
  ONNX_MUTATIONS[kind](model.graph, rng);
  return onnx.ModelProto.encode(model).finish();
}

export function mutateJson(text: string, kind: string, rng: SeededRandom): string {
  const root = JSON.parse(text) as Json;
  JSON_MUTATIONS[kind](root, rng);
  return JSON.stringify(root);
}
