/**
 * Reverse passes for several probes at once. The cotangents of P probes are stacked along
 * axis 0 (a tensor [d0, ...] carries [P * d0, ...]), so one reverse pass does the work of P
 * with P times fewer kernel calls, as PyTorch's batched VJPs do; the forward activations are
 * not copied. Each kernel says how its VJP takes stacked cotangents (OpKernel.probeStacking):
 *
 * - 'stacked': as they are. Its activations enter only through shapes, constants or
 *   per-channel broadcasts that do not touch axis 0 (a convolution's input cotangent).
 * - 'leading': reshaped to [P, d0, ...], broadcasting against the activations (elementwise
 *   derivatives such as Relu's mask); its input cotangents come back as [P, d0, ...].
 * - not said: once per probe, on that probe's rows, and the results stacked again.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OpKernel, Tensor, VjpArgs } from '../ops/kernel';

/** The shape of `probes` stacked tensors of `shape`. */
export function stackedShape(shape: readonly number[], probes: number): number[] {
  return probes === 1 ? [...shape] : [probes * shape[0], ...shape.slice(1)];
}

/** One node's VJP with every cotangent in `args.dys` stacked for `probes` probes. */
export function stackedVjp(kernel: OpKernel, args: VjpArgs, probes: number): (Tensor | undefined)[] {
  const vjp = kernel.vjp!;
  if (probes === 1) return vjp(args);
  const mode = kernel.probeStacking?.(args);
  if (mode === 'stacked') return vjp(args);
  // Only the wanted inputs' cotangents are stacked (a constant operand's need not be).
  const wanted = (j: number): boolean => args.wanted === undefined || args.wanted.has(j);
  if (mode === 'leading') {
    const dys = args.dys.map((d, j) => d && tf.reshape(d, [probes, ...args.outputs[j].shape]));
    return vjp({ ...args, dys }).map((g, j) => (g && wanted(j) ? tf.reshape(g, stackedShape(args.inputs[j]!.shape, probes)) : undefined));
  }
  const rows = args.dys.map((d) => (d === undefined ? undefined : tf.split(d, probes, 0)));
  const perProbe = Array.from({ length: probes }, (_, p) => vjp({ ...args, dys: rows.map((r) => r?.[p]) }));
  return args.inputs.map((_, j) => {
    const parts = perProbe.map((r) => r[j]);
    if (!wanted(j)) return undefined;
    return parts.every((g): g is Tensor => g !== undefined) ? tf.concat(parts, 0) : undefined;
  });
}
