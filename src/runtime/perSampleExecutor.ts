/**
 * An executor for models that only run at batch 1 (an export baked the batch into a Reshape
 * constant): the batch goes through the graph one sample at a time, and the activations and
 * cotangents are concatenated along axis 0, so callers see the batch as if it had run at once.
 *
 * Every reported quantity is a per-sample sum or average (‖J‖_F² per sample, norms per sample,
 * batch-averaged Jacobians as sums of per-sample VJPs), so the numbers are those of a batch
 * pass. Tensors that do not depend on the feeds (shapes, masks built from constants) are the
 * same for every sample and keep sample 0's value. Probes are not stacked (one pass per probe).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../ops/kernel';
import { Executor, type Activations, type Checkpoint } from './executor';

export class PerSampleExecutor extends Executor {
  /** The per-sample activations behind each batch activation map forward() returned. */
  private readonly samples = new WeakMap<Activations, { acts: Map<string, Tensor>[]; feeds: Map<string, Tensor>[] }>();

  override forward(feeds: ReadonlyMap<string, Tensor>, checkpoint?: Checkpoint): Map<string, Tensor> {
    const n = batchOf(feeds);
    if (n <= 1) return super.forward(feeds, checkpoint);
    const perFeeds: Map<string, Tensor>[] = [];
    const perActs: Map<string, Tensor>[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const f = new Map([...feeds].map(([name, t]) => [name, t.rank > 0 && t.shape[0] === n ? tf.slice(t, i, 1) : t.clone()] as [string, Tensor]));
        perFeeds.push(f);
        perActs.push(super.forward(f, checkpoint));
      }
    } catch (e) {
      perActs.forEach((a, i) => super.disposeActivations(a, perFeeds[i]));
      perFeeds.forEach((f) => f.forEach((t) => t.dispose()));
      throw e;
    }
    const batched = this.dependsOnFeeds(new Set(feeds.keys()));
    const acts = new Map<string, Tensor>();
    for (const [name, first] of perActs[0]) {
      if (feeds.has(name)) acts.set(name, feeds.get(name)!);
      else if (batched.has(name) && first.rank > 0) acts.set(name, tf.concat(perActs.map((a) => a.get(name)!)));
      else acts.set(name, first);
    }
    this.samples.set(acts, { acts: perActs, feeds: perFeeds });
    return acts;
  }

  /** A batch run sample by sample takes its reverse passes sample by sample too (vjp below), never as one recorded family. */
  override passFamiliesPay(acts: Activations): boolean {
    return !this.samples.has(acts) && super.passFamiliesPay(acts);
  }

  override vjp(acts: Activations, seeds: ReadonlyMap<string, Tensor>, wrt: readonly string[], checkpoint?: Checkpoint, probes = 1): Map<string, Tensor> {
    const per = this.samples.get(acts);
    if (per === undefined) return super.vjp(acts, seeds, wrt, checkpoint, probes);
    if (probes !== 1) throw new Error('probes cannot be stacked when the batch runs sample by sample');
    const parts = per.acts.map((sampleActs, i) => {
      const sampleSeeds = new Map([...seeds].map(([name, s]) => [name, tf.slice(s, i, 1)] as [string, Tensor]));
      try {
        return super.vjp(sampleActs, sampleSeeds, wrt, checkpoint);
      } finally {
        sampleSeeds.forEach((s) => s.dispose());
      }
    });
    const result = new Map<string, Tensor>();
    for (const name of wrt) {
      const pieces = parts.map((p) => p.get(name)!);
      result.set(name, tf.concat(pieces));
    }
    parts.forEach((p) => p.forEach((t) => t.dispose()));
    return result;
  }

  /**
   * Block-local forward passes at perturbed points (the linearisation's finite-difference
   * JVPs) carry k·n rows, which a batch-1 graph cannot take at once: each row runs alone, with
   * the activations of the sample it stands for. Callers lay the points out sample-minor (row r
   * is a point of sample r mod n, as tiling the batch does), so a tensor read from outside the
   * overrides is that sample's.
   */
  override forwardFrom(acts: Activations, overrides: ReadonlyMap<string, Tensor>, targets: readonly string[], checkpoint?: Checkpoint): Map<string, Tensor> {
    const per = this.samples.get(acts);
    if (per === undefined) return super.forwardFrom(acts, overrides, targets, checkpoint);
    const n = per.acts.length;
    const rows = batchOf(overrides);
    if (rows === 1 && n > 1) return this.sharedPoint(per.acts, overrides, targets, checkpoint);
    if (rows % n !== 0) throw new Error(`a block-local pass of ${rows} points does not tile the batch of ${n} samples run one at a time`);
    const parts: Map<string, Tensor>[] = [];
    try {
      for (let r = 0; r < rows; r++) {
        const row = new Map([...overrides].map(([name, t]) => [name, t.rank > 0 && t.shape[0] === rows ? tf.slice(t, r, 1) : t] as [string, Tensor]));
        try {
          parts.push(super.forwardFrom(per.acts[r % n], row, targets, checkpoint));
        } finally {
          for (const [name, t] of row) if (t !== overrides.get(name)) t.dispose();
        }
      }
      return new Map(targets.map((name) => [name, tf.concat(parts.map((p) => p.get(name)!))] as [string, Tensor]));
    } finally {
      parts.forEach((p) => p.forEach((t) => t.dispose()));
    }
  }

  /**
   * One point shared by every sample (blockJvp's affineJvp evaluates op(0) on one row, which the
   * batch executor broadcasts against the samples' activations): run it against each sample.
   * Where every sample gives the same values (the op reads nothing sample-specific) the result
   * is one row, as the batch executor's would be; otherwise one row per sample.
   */
  private sharedPoint(
    samples: readonly Activations[],
    overrides: ReadonlyMap<string, Tensor>,
    targets: readonly string[],
    checkpoint?: Checkpoint,
  ): Map<string, Tensor> {
    const parts = samples.map((a) => super.forwardFrom(a, overrides, targets, checkpoint));
    try {
      return new Map(
        targets.map((name) => {
          const pieces = parts.map((p) => p.get(name)!);
          const first = pieces[0].dataSync();
          const same = pieces.every((t) => {
            const v = t.dataSync();
            return v.length === first.length && v.every((x, i) => Object.is(x, first[i]));
          });
          return [name, same ? pieces[0].clone() : tf.concat(pieces)] as [string, Tensor];
        }),
      );
    } finally {
      parts.forEach((p) => p.forEach((t) => t.dispose()));
    }
  }

  override canStackProbes(acts: Activations, wrt: readonly string[]): boolean {
    return this.samples.has(acts) ? false : super.canStackProbes(acts, wrt);
  }

  override disposeActivations(acts: Map<string, Tensor>, feeds: ReadonlyMap<string, Tensor>): void {
    const per = this.samples.get(acts);
    if (per === undefined) return super.disposeActivations(acts, feeds);
    const kept = new Set(per.acts[0].values());
    // The concatenated tensors are this map's own; the others belong to sample 0's map.
    for (const [name, t] of acts) if (!feeds.has(name) && !kept.has(t)) t.dispose();
    acts.clear();
    per.acts.forEach((a, i) => super.disposeActivations(a, per.feeds[i]));
    per.feeds.forEach((f) => f.forEach((t) => t.dispose()));
    this.samples.delete(acts);
  }

  /** Tensors whose values depend on the feeds through any input (not only data inputs). */
  private dependsOnFeeds(feeds: ReadonlySet<string>): Set<string> {
    const reach = new Set(feeds);
    for (const node of this.graph.nodes) {
      // Shape and Size read only the (per-sample) shape: their values are the same for every sample.
      if (node.op === 'Shape' || node.op === 'Size') continue;
      if (node.inputs.some((i) => reach.has(i))) node.outputs.forEach((o) => o !== '' && reach.add(o));
    }
    return reach;
  }
}

function batchOf(feeds: ReadonlyMap<string, Tensor>): number {
  const sizes = [...feeds.values()].filter((t) => t.rank > 0).map((t) => t.shape[0]);
  return sizes.length === 0 ? 1 : Math.max(...sizes);
}
