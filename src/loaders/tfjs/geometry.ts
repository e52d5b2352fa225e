/**
 * Load-time helpers shared by the two translators: TensorFlow's padding rules in ONNX terms,
 * and re-laying out constant weights (transpose, reshape) once instead of at every run.
 */
import type { ConstTensor } from '../../graph/ir';

/**
 * Pads and output_padding that make an ONNX ConvTranspose give TensorFlow's transposed
 * convolution of one spatial axis. TF defines it as the adjoint of a forward convolution
 * from the (larger) output to the input; `same` padding of that forward convolution puts
 * floor(total/2) before. The output size is input*stride ('same') or
 * input*stride + max(k_eff - stride, 0) ('valid'), which ONNX reaches with output_padding.
 */
export function transposedConvPadding(
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'same' | 'valid',
): { begin: number; end: number; outputPadding: number } {
  const kEff = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return { begin: 0, end: 0, outputPadding: Math.max(stride - kEff, 0) };
  const total = Math.max(kEff - stride, 0);
  const begin = Math.floor(total / 2);
  return { begin, end: total - begin, outputPadding: stride - kEff + total };
}

/**
 * The same for TF's Conv2DBackpropInput, whose output size is given: the forward convolution
 * maps `outSize` to ceil(outSize/stride) ('same') or ceil((outSize - k_eff + 1)/stride) ('valid').
 */
export function backpropInputPadding(
  outSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'same' | 'valid',
): { begin: number; end: number; outputPadding: number } {
  const kEff = (kernel - 1) * dilation + 1;
  const inSize = padding === 'same' ? Math.ceil(outSize / stride) : Math.ceil((outSize - kEff + 1) / stride);
  const total = padding === 'same' ? Math.max((inSize - 1) * stride + kEff - outSize, 0) : 0;
  const begin = Math.floor(total / 2);
  const produced = stride * (inSize - 1) + kEff - total;
  return { begin, end: total - begin, outputPadding: outSize - produced };
}

/** The same values under another shape of equal size. */
export function reshapeConst(c: ConstTensor, shape: readonly number[]): ConstTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== c.data.length) throw new Error(`cannot reshape ${c.data.length} values to [${shape.join(', ')}]`);
  return { dtype: c.dtype, shape: [...shape], data: c.data };
}
