/**
 * Operations on the graph's constant tensors (plain typed arrays, before any backend holds
 * them), shared by the loaders and the graph passes.
 */
import type { ConstTensor } from './ir';

/** A constant with its axes permuted, as numpy.transpose(value, perm): out axis i = in axis perm[i]. */
export function transposeConst(c: ConstTensor, perm: readonly number[]): ConstTensor {
  const shape = perm.map((p) => c.shape[p]);
  const rank = shape.length;
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * c.shape[i + 1];
  const strideOfOut = perm.map((p) => inStrides[p]);
  const out = new (c.data.constructor as new (n: number) => typeof c.data)(c.data.length);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = c.data[src];
    // Odometer over the output's index, tracking the source offset.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += strideOfOut[d];
      if (index[d] < shape[d]) break;
      src -= strideOfOut[d] * shape[d];
      index[d] = 0;
    }
  }
  return { dtype: c.dtype, shape, data: out };
}
