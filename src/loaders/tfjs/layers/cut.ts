/**
 * Cutting a layers model at a tensor (--output NAME): the model keeps only the layer calls the
 * chosen tensor depends on, before anything is translated, so a layer after it that the loader
 * cannot translate (a Lambda decoding boxes, a custom layer) is no error. And, for a model
 * refused for such layers, the last tensor before them, to name in the refusal.
 *
 * Tensor names are those translate.ts gives the internal graph: `<layer>` for the first output
 * of a layer's first call, `<layer>@<k>` for its k-th call, `#<t>` appended for output t.
 */
import { ConfigError } from '../config';
import type { LayerSpec, ModelSpec, TensorRef } from './topology';

/** The internal tensor name of a layer call's output (translate.ts, nameOutputs). */
export function refName(r: TensorRef): string {
  return `${r.layer}${r.node > 0 ? `@${r.node}` : ''}${r.tensor > 0 ? `#${r.tensor}` : ''}`;
}

/** The top-level layer call output a tensor name stands for; a whole layer name first. */
function parseName(byName: ReadonlyMap<string, LayerSpec>, name: string): TensorRef | undefined {
  if (byName.has(name)) return { layer: name, node: 0, tensor: 0 };
  const m = /^(.+?)(?:@(\d+))?(?:#(\d+))?$/.exec(name);
  if (m === null || !byName.has(m[1])) return undefined;
  return { layer: m[1], node: Number(m[2] ?? 0), tensor: Number(m[3] ?? 0) };
}

/** The nested model (a layer of the top-level model) that holds a layer of this name, if any. */
function nestedHolder(model: ModelSpec, layer: string): string | undefined {
  for (const l of model.layers) {
    if (l.model === undefined) continue;
    if (l.model.layers.some((x) => x.name === layer) || nestedHolder(l.model, layer) !== undefined) return l.name;
  }
  return undefined;
}

/** `model` with `output` as its only output and only the layer calls that tensor depends on. */
export function cutModelAt(model: ModelSpec, output: string): ModelSpec {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const ref = parseName(byName, output);
  if (ref === undefined) {
    const holder = nestedHolder(model, output.replace(/(@\d+)?(#\d+)?$/, ''));
    throw new ConfigError(
      holder === undefined
        ? `the chosen output "${output}" is no layer of the model`
        : `the chosen output "${output}" is a layer inside the nested model "${holder}"; choose a layer of the top-level model (such as "${holder}" itself)`,
    );
  }
  const target = byName.get(ref.layer)!;
  if (target.className === 'InputLayer') throw new ConfigError(`the chosen output "${output}" is a model input`);
  if (ref.node >= target.calls.length) throw new ConfigError(`the chosen output "${output}": layer "${ref.layer}" is called ${target.calls.length} time(s)`);
  // The calls kept per layer: 0 … last. A layer's calls are numbered by position, so keeping
  // call k keeps every call before it (and what those read).
  const last = new Map<string, number>();
  const stack: TensorRef[] = [ref];
  for (let r = stack.pop(); r !== undefined; r = stack.pop()) {
    const layer = byName.get(r.layer);
    const before = last.get(r.layer) ?? -1;
    if (layer === undefined || r.node <= before) continue;
    last.set(r.layer, r.node);
    for (let k = before + 1; k <= r.node; k++) stack.push(...(layer.calls[k] ?? []));
  }
  const layers = model.layers
    .filter((l) => last.has(l.name))
    .map((l) => (l.calls.length <= last.get(l.name)! + 1 ? l : { ...l, calls: l.calls.slice(0, last.get(l.name)! + 1) }));
  const inputs = model.inputs.filter((r) => last.has(r.layer));
  if (inputs.length === 0) throw new ConfigError(`the chosen output "${output}" does not depend on any model input`);
  return { ...model, layers, inputs, outputs: [ref] };
}

/**
 * The latest tensor the model's outputs depend on that is computed without any unsupported
 * layer but is read by one: the place to cut a model whose own outputs are blocked. Undefined
 * when no such tensor exists (an unsupported layer right after the input).
 */
export function lastTranslatableBefore(model: ModelSpec, unsupported: (layer: LayerSpec) => boolean): string | undefined {
  const index = new Map(model.layers.map((l, i) => [l.name, i]));
  const tainted = new Set(model.layers.filter(unsupported).map((l) => l.name));
  // Fixpoint: layers that read a tainted layer are tainted (model.json lists layers mostly in
  // order, so this takes a pass or two).
  for (let changed = true; changed;) {
    changed = false;
    for (const l of model.layers) {
      if (tainted.has(l.name) || !l.calls.some((c) => c.some((r) => tainted.has(r.layer)))) continue;
      tainted.add(l.name);
      changed = true;
    }
  }
  let best: TensorRef | undefined;
  for (const l of model.layers) {
    if (!tainted.has(l.name)) continue;
    for (const r of l.calls.flat()) {
      if (tainted.has(r.layer) || model.layers[index.get(r.layer) ?? -1]?.className === 'InputLayer') continue;
      if (best === undefined || (index.get(r.layer) ?? -1) > (index.get(best.layer) ?? -1)) best = r;
    }
  }
  return best === undefined ? undefined : refName(best);
}
