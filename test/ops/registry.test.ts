/**
 * The op registry: one kernel per name (a duplicate is refused), and the facts other layers
 * used to keep in their own lists (layout classes, weight layers, size bounds) read from it.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { holdsWeights, kernelFor, layoutClassOf, mergeKernelTables, supportedOps } from '../../src/ops/registry';
import { KernelError, type OpKernel } from '../../src/ops/kernel';
import { noLargerThanInput } from '../../src/ops/bounds';

const kernel: OpKernel = { dataInputs: [0], forward: ({ inputs }) => [inputs[0]!.clone()], outputBound: noLargerThanInput };

describe('op registry', () => {
  test('a name defined by two kernel tables is refused, naming it', () => {
    assert.throws(
      () => mergeKernelTables([{ Relu: kernel }, { Tanh: kernel }, { Relu: kernel }]),
      (e: unknown) => e instanceof KernelError && /Relu/.test(e.message),
    );
    assert.equal(mergeKernelTables([{ Relu: kernel }, { Tanh: kernel }]).size, 2);
  });

  test('every registered kernel has an output-size bound', () => {
    for (const op of supportedOps()) assert.equal(typeof kernelFor(op).outputBound, 'function', op);
  });

  test('weight layers: Conv, ConvTranspose, Gemm, MatMul and Einsum', () => {
    assert.deepEqual(supportedOps().filter(holdsWeights), ['Conv', 'ConvTranspose', 'Einsum', 'Gemm', 'MatMul']);
  });

  // The layout pass's op sets as they were written out in src/passes/layout.ts before they
  // became kernel facts: the pass must treat today's ops exactly as it did.
  const byClass = (...classes: string[]): string[] => supportedOps().filter((op) => classes.includes(layoutClassOf(op) ?? ''));
  test("layout classes reproduce the layout pass's former op sets", () => {
    const channelsLast = [
      'Conv',
      'ConvTranspose',
      'MaxPool',
      'AveragePool',
      'GlobalAveragePool',
      'GlobalMaxPool',
      'BatchNormalization',
      'InstanceNormalization',
      'LRN',
      'DepthToSpace',
      'SpaceToDepth',
    ];
    const unary = [
      'Relu',
      'LeakyRelu',
      'Elu',
      'Selu',
      'Sigmoid',
      'HardSigmoid',
      'HardSwish',
      'Tanh',
      'Gelu',
      'Clip',
      'Softplus',
      'Softsign',
      'Sqrt',
      'Reciprocal',
      'Exp',
      'Log',
      'Neg',
      'Abs',
      'Erf',
      'Sin',
      'Cos',
      'Atan',
      'Identity',
      'Dropout',
    ];
    const sorted = (xs: string[]): string[] => [...xs].sort();
    assert.deepEqual(byClass('convolution'), ['Conv', 'ConvTranspose']);
    assert.deepEqual(byClass('channels-last', 'convolution'), sorted(channelsLast));
    assert.deepEqual(
      byClass('reduction'),
      sorted(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp']),
    );
    assert.deepEqual(byClass('unary'), sorted(unary));
    assert.deepEqual(byClass('broadcast'), sorted(['Add', 'Sub', 'Mul', 'Div', 'Mod', 'DivNoNan', 'Atan2', 'Pow', 'PRelu', 'Max', 'Min', 'Sum', 'Mean']));
    assert.deepEqual(
      byClass('same-rank', 'unary', 'channels-last', 'convolution'),
      sorted([...unary, ...channelsLast, 'Resize', 'Concat', 'Softmax', 'LogSoftmax', 'LayerNormalization', 'Transpose']),
    );
  });
});
