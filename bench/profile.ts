/**
 * Where the analysis's time goes: per op type, forward vs VJP, for one forward pass and one
 * reverse pass of P stacked probes from the model output to every block boundary (the
 * dominant job shape).
 * Kernel calls are timed by wrapping the registry's kernels; on the wasm backend every op
 * runs synchronously, so a call's wall time is its compute.
 * Usage: node out/bench/profile.js <model.onnx> [input.bin] [--probes P] [--batch N]
 * PROFILE_NODES=Conv,MaxPool lists those op types node by node. The forward column includes
 * the first run's kernel packing; the VJP column excludes it (one untimed VJP first).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Executor } from '../src/runtime/executor';
import { kernelFor } from '../src/ops/registry';
import type { OpKernel } from '../src/ops/kernel';
import { SeededRandom } from '../src/runtime/random';
import { benchFeeds, benchGraph, reversePassTargets } from './profileSession';

interface OpTime {
  forwardMs: number;
  vjpMs: number;
  forwardCalls: number;
  vjpCalls: number;
}

/** Times every kernel call, by op type, or by node for the op types listed in `perNode`. */
function instrument(ops: readonly string[], table: Map<string, OpTime>, perNode: ReadonlySet<string>): void {
  const entryOf = (op: string, node: string): OpTime => {
    const key = perNode.has(op) ? `${op} ${node}` : op;
    let e = table.get(key);
    if (e === undefined) table.set(key, (e = { forwardMs: 0, vjpMs: 0, forwardCalls: 0, vjpCalls: 0 }));
    return e;
  };
  for (const op of new Set(ops)) {
    const k = kernelFor(op) as { -readonly [K in keyof OpKernel]: OpKernel[K] };
    const forward = k.forward;
    k.forward = (args) => {
      const entry = entryOf(op, args.node.name);
      const t0 = performance.now();
      const r = forward(args);
      entry.forwardMs += performance.now() - t0;
      entry.forwardCalls++;
      return r;
    };
    const vjp = k.vjp;
    if (vjp) {
      k.vjp = (args) => {
        const entry = entryOf(op, args.node.name);
        const t0 = performance.now();
        const r = vjp(args);
        entry.vjpMs += performance.now() - t0;
        entry.vjpCalls++;
        return r;
      };
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (flag: string, dflt: string): string => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] !== undefined ? args.splice(i, 2)[1] : dflt;
  };
  const probes = Number(opt('--probes', '8'));
  const batch = Number(opt('--batch', '16'));
  const [modelPath, inputPath] = args;
  const graph = await benchGraph(modelPath);
  const { input, feeds } = benchFeeds(graph, batch, inputPath);
  const table = new Map<string, OpTime>();
  const perNode = new Set((process.env.PROFILE_NODES ?? '').split(',').filter((s) => s !== ''));
  instrument(
    graph.nodes.map((n) => n.op),
    table,
    perNode,
  );
  const exec = new Executor(graph);
  const t0 = performance.now();
  const acts = exec.forward(feeds);
  const forwardMs = performance.now() - t0;
  const { out, wrt, y } = reversePassTargets(exec, graph, input, acts);
  const rng = new SeededRandom(2);
  for (const t of table.values()) {
    t.vjpMs = 0;
    t.vjpCalls = 0;
  }
  // The probes stacked into one reverse pass, as the analysis runs them (probeStacking.ts).
  const t1 = performance.now();
  const seed = tf.tensor(rng.gaussian(probes * y.size), [probes * y.shape[0], ...y.shape.slice(1)]);
  const grads = exec.vjp(acts, new Map([[out, seed]]), wrt, undefined, probes);
  seed.dispose();
  grads.forEach((g) => g.dispose());
  const vjpMs = performance.now() - t1;
  process.stdout.write(`forward ${forwardMs.toFixed(0)} ms, ${probes} stacked VJPs to ${wrt.length} boundaries ${vjpMs.toFixed(0)} ms\n`);
  process.stdout.write(`${'op'.padEnd(40)} forward ms (calls)      vjp ms (calls)   vjp/forward\n`);
  const rows = [...table].sort((a, b) => b[1].vjpMs + b[1].forwardMs - (a[1].vjpMs + a[1].forwardMs));
  for (const [op, t] of rows) {
    const perF = t.forwardCalls ? t.forwardMs / t.forwardCalls : 0;
    const perV = t.vjpCalls ? t.vjpMs / t.vjpCalls : 0;
    process.stdout.write(
      `${op.padEnd(40)} ${t.forwardMs.toFixed(0).padStart(8)} (${String(t.forwardCalls).padStart(3)}) ${t.vjpMs.toFixed(0).padStart(12)} (${String(t.vjpCalls).padStart(4)}) ${(perF > 0 ? perV / perF : 0).toFixed(1).padStart(12)}\n`,
    );
  }
  exec.disposeActivations(acts, feeds);
  exec.dispose();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
