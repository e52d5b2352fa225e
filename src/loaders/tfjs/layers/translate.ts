/**
 * Translates a layers-model topology into the internal graph: every layer call becomes the
 * ops of its translator, its (first) output tensor named after the layer (`<layer>`, or
 * `<layer>@<k>` for the k-th call of a shared layer), each node's origin naming the layer and
 * its class. Layers that run code from the file (Lambda, custom classes) are refused, named.
 */
import type { ConstTensor, Dim, DType, Graph, ValueInfo } from '../../../graph/ir';
import { ModelLoadError } from '../../errors';
import { ConfigError, type JsonObject } from '../config';
import { GraphEmitter } from '../emitter';
import type { LoadedWeights } from '../weights';
import { UnsupportedLayerConfig, type LayerCall, type LayerTranslator } from './context';
import { coreLayers } from './core';
import { lastTranslatableBefore } from './cut';
import { spatialLayers } from './spatial';
import { upscalerLayers } from './upscaler';
import { MODEL_CLASSES, runCallsInDependencyOrder, type LayerSpec, type ModelSpec, type TensorRef } from './topology';

// upscalerLayers: two custom classes translated from their published code (see upscaler.ts).
const TRANSLATORS: Readonly<Record<string, LayerTranslator>> = { ...coreLayers, ...spatialLayers, ...upscalerLayers };

/** The Keras layer classes this loader translates (for the README's op tables). */
export function supportedLayerClasses(): string[] {
  return Object.keys(TRANSLATORS).sort();
}

const RECURRENT = new Set([
  'SimpleRNN',
  'GRU',
  'LSTM',
  'RNN',
  'Bidirectional',
  'TimeDistributed',
  'ConvLSTM2D',
  'SimpleRNNCell',
  'GRUCell',
  'LSTMCell',
  'StackedRNNCells',
]);

/** Why a layer class is refused, for the error message. */
function refusalReason(className: string): string {
  if (className === 'Lambda') return 'a Lambda layer holds code, and code from a model file is never run';
  if (RECURRENT.has(className)) return 'recurrent layers are not supported (their time loop is control flow)';
  return 'not a built-in TensorFlow.js layer class this loader translates (custom layers are never run)';
}

export function isSupportedLayerClass(className: string): boolean {
  return className === 'InputLayer' || MODEL_CLASSES.has(className) || TRANSLATORS[className] !== undefined;
}

/** Every unsupported layer in the model, nested models included, as "Class (layer "name")". */
function unsupportedLayers(model: ModelSpec, found: Map<string, string[]>): void {
  for (const layer of model.layers) {
    if (layer.model) unsupportedLayers(layer.model, found);
    else if (!isSupportedLayerClass(layer.className)) {
      const list = found.get(layer.className) ?? [];
      list.push(layer.name);
      found.set(layer.className, list);
    }
  }
}

/** Whether the layer, or a layer of the model it is, cannot be translated. */
export function hasUnsupportedLayer(layer: LayerSpec): boolean {
  if (layer.model) return layer.model.layers.some(hasUnsupportedLayer);
  return !isSupportedLayerClass(layer.className);
}

interface Resolved {
  readonly tensor: string;
  readonly rank: number | undefined;
}

/** Finds a layer's weights in the manifest: `<layer>/<weight>`, tolerating scopes and ":0". */
class WeightIndex {
  private readonly byName = new Map<string, string>();

  constructor(private readonly weights: LoadedWeights) {
    for (const name of [...weights.tensors.keys(), ...weights.stringWeights]) this.byName.set(name.replace(/:0$/, ''), name);
  }

  find(layer: string, weight: string): string | null {
    const exact = this.byName.get(`${layer}/${weight}`);
    if (exact !== undefined) return exact;
    const suffix = `/${layer}/${weight}`;
    const matches = [...this.byName.keys()].filter((k) => k.endsWith(suffix));
    return matches.length === 1 ? this.byName.get(matches[0])! : null;
  }

  value(key: string): ConstTensor | undefined {
    return this.weights.tensors.get(key);
  }
}

export function translateLayersModel(modelJson: string, model: ModelSpec, weights: LoadedWeights, producer: string | undefined): Graph {
  const unsupported = new Map<string, string[]>();
  unsupportedLayers(model, unsupported);
  if (unsupported.size > 0) {
    const parts = [...unsupported].map(
      ([cls, names]) => `${cls} (layer${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')}): ${refusalReason(cls)}`,
    );
    const cutAt = lastTranslatableBefore(model, (l) => hasUnsupportedLayer(l));
    const hint = cutAt === undefined ? '' : `; the network is differentiable up to tensor "${cutAt}": analyse it up to there with --output "${cutAt}"`;
    throw new ModelLoadError(modelJson, `unsupported layer class${unsupported.size > 1 ? 'es' : ''}: ${parts.join('; ')}${hint}`);
  }
  const em = new GraphEmitter();
  const index = new WeightIndex(weights);
  const graphInputs: ValueInfo[] = [];
  const outputs = translateModel({ modelJson, em, index, graphInputs }, model, null, '');
  const graphOutputs: ValueInfo[] = outputs.map((o) => ({ name: o.tensor, dtype: 'float32', shape: null }));
  const first = graphInputs[0];
  const inputLayout = first?.shape?.length === 4 ? 'NHWC' : first?.shape?.length === 2 ? 'features' : undefined;
  return em.build({ format: 'tfjs-layers', formatLabel: 'TensorFlow.js layers-model', producer, inputLayout }, graphInputs, graphOutputs);
}

interface TranslateContext {
  readonly modelJson: string;
  readonly em: GraphEmitter;
  readonly index: WeightIndex;
  readonly graphInputs: ValueInfo[];
}

function key(r: TensorRef): string {
  return `${r.layer}\u0000${r.node}\u0000${r.tensor}`;
}

/** The largest element count a typed array (and so a tensor) can hold. */
const MAX_INPUT_ELEMENTS = 2 ** 31 - 1;

function inputInfo(layer: LayerSpec, modelJson: string): ValueInfo {
  const shape = layer.config.batch_input_shape ?? layer.config.batch_shape;
  if (!Array.isArray(shape)) throw new ModelLoadError(modelJson, `input layer "${layer.name}" declares no batch_input_shape`);
  const dims: Dim[] = shape.map((d, i) => (typeof d === 'number' && d >= 0 ? d : i === 0 ? 'batch' : `dim${i}`));
  // Fractional or astronomically large sizes would otherwise surface later as a RangeError
  // from the input allocation, far from the file that caused them.
  let elements = 1;
  for (const d of dims) {
    if (typeof d !== 'number') continue;
    if (!Number.isSafeInteger(d)) throw new ModelLoadError(modelJson, `input layer "${layer.name}" has an invalid dimension ${d} in batch_input_shape`);
    elements *= d;
  }
  if (elements > MAX_INPUT_ELEMENTS)
    throw new ModelLoadError(modelJson, `input layer "${layer.name}" declares ${elements} elements per batch_input_shape, more than a tensor can hold`);
  const dtypeRaw = layer.config.dtype;
  const dtype: DType = dtypeRaw === 'int32' ? 'int32' : dtypeRaw === 'bool' ? 'bool' : 'float32';
  return { name: layer.name, dtype, shape: dims };
}

/**
 * Emits one (possibly nested) model. `inputs` null: the top-level model, whose input layers
 * become graph inputs. `prefix` is prepended to layer names of nested models called more than
 * once, keeping every call's tensors apart.
 */
function translateModel(tc: TranslateContext, model: ModelSpec, inputs: readonly Resolved[] | null, prefix: string): Resolved[] {
  const resolved = new Map<string, Resolved>();
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  model.inputs.forEach((ref, i) => {
    const layer = byName.get(ref.layer);
    if (!layer) throw new ModelLoadError(tc.modelJson, `input layer "${ref.layer}" is not among the model's layers`);
    if (inputs === null) {
      const info = inputInfo(layer, tc.modelJson);
      tc.em.reserveTensor(info.name);
      tc.graphInputs.push(info);
      resolved.set(key(ref), { tensor: info.name, rank: info.shape?.length });
    } else {
      if (inputs[i] === undefined) throw new ModelLoadError(tc.modelJson, `nested model "${model.name}" gets fewer inputs than it declares`);
      resolved.set(key(ref), inputs[i]);
    }
  });

  // Calls run once all their inputs are resolved; model.json lists layers in a usable order
  // for single calls, but shared layers' later calls can come after their consumers' layers.
  runCallsInDependencyOrder(
    model.layers,
    (r) => resolved.has(key(r)),
    ({ layer, call }) => {
      const ins = layer.calls[call].map((r) => resolved.get(key(r))!);
      const scope = prefix + (call === 0 ? layer.name : `${layer.name}@${call}`);
      const outs = layer.model ? translateNested(tc, layer, ins, scope, prefix === '' && call === 0 ? '' : `${scope}/`) : translateLayer(tc, layer, ins, scope);
      outs.forEach((o, t) => resolved.set(key({ layer: layer.name, node: call, tensor: t }), o));
      return outs.length;
    },
    (stuck, missing) => {
      throw new ModelLoadError(
        tc.modelJson,
        `layer "${stuck.layer.name}" reads output ${missing.tensor} of call ${missing.node} of layer "${missing.layer}", which the model never produces`,
      );
    },
  );
  return model.outputs.map((r) => {
    const o = resolved.get(key(r));
    if (!o) throw new ModelLoadError(tc.modelJson, `output "${r.layer}" of model "${model.name}" is never produced`);
    return o;
  });
}

/** Gives a layer call's outputs their names: `<scope>` for the first, `<scope>#<t>` after. */
function nameOutputs(tc: TranslateContext, layer: LayerSpec, scope: string, outs: readonly Resolved[]): Resolved[] {
  return outs.map((o, t) => {
    const wanted = t === 0 ? scope : `${scope}#${t}`;
    if (tc.em.renameOutput(o.tensor, wanted)) return { tensor: wanted, rank: o.rank };
    const tensor = tc.em.node('Identity', scope, [o.tensor], {}, { name: layer.name, sourceOp: layer.className }, { output: wanted });
    return { tensor, rank: o.rank };
  });
}

function translateNested(tc: TranslateContext, layer: LayerSpec, ins: readonly Resolved[], scope: string, prefix: string): Resolved[] {
  const outs = translateModel(tc, layer.model!, ins, prefix);
  return nameOutputs(tc, layer, scope, outs);
}

function translateLayer(tc: TranslateContext, layer: LayerSpec, ins: readonly Resolved[], scope: string): Resolved[] {
  const translator = TRANSLATORS[layer.className];
  const origin = { name: layer.name, sourceOp: layer.className };
  const fail = (reason: string): never => {
    throw new ModelLoadError(tc.modelJson, `layer "${layer.name}" (${layer.className}): ${reason}`);
  };
  const weightKey = (w: string): string | null => tc.index.find(layer.name, w);
  const call: LayerCall = {
    em: tc.em,
    name: layer.name,
    className: layer.className,
    config: layer.config as JsonObject,
    scope,
    inputs: ins.map((i) => i.tensor),
    ranks: ins.map((i) => i.rank),
    origin,
    weight: (w) => {
      const k = weightKey(w);
      if (k === null) return fail(`needs the weight "${layer.name}/${w}", which the weightsManifest does not list`);
      const value = tc.index.value(k);
      if (value === undefined) return fail(`weight "${k}" is stored as strings`);
      return tc.em.constant(k, value);
    },
    optionalWeight: (w) => (weightKey(w) === null ? null : call.weight(w)),
    weightValue: (w) => {
      const k = weightKey(w);
      const value = k === null ? undefined : tc.index.value(k);
      return value ?? fail(`needs the weight "${layer.name}/${w}", which the weightsManifest does not list`);
    },
  };
  let result;
  try {
    result = translator(call);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UnsupportedLayerConfig) return fail(e.message);
    throw e;
  }
  const outputs = typeof result === 'string' ? [result] : result.outputs;
  const ranks = typeof result === 'string' || result.ranks === undefined ? outputs.map(() => ins[0]?.rank) : result.ranks;
  return nameOutputs(
    tc,
    layer,
    scope,
    outputs.map((tensor, t) => ({ tensor, rank: ranks[t] })),
  );
}
