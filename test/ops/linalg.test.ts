import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useTestBackend } from '../helpers/backend';
import { checkVjp, randn } from '../helpers/gradcheck';
import { assertResult, f32, i32, run1 } from './runOp';

/**
 * Einsum by brute force: every assignment of values to the letters, the product of the
 * operands' entries summed into the output entry. No ellipsis (tests spell those out).
 */
function naiveEinsum(equation: string, xs: tf.Tensor[]): { shape: number[]; data: number[] } {
  const [lhs, rhs] = equation.split('->');
  const terms = lhs.split(',');
  const sizes = new Map<string, number>();
  terms.forEach((t, k) => [...t].forEach((l, a) => sizes.set(l, Math.max(sizes.get(l) ?? 1, xs[k].shape[a]))));
  const letters = [...sizes.keys()];
  const out = [...rhs];
  const shape = out.map((l) => sizes.get(l)!);
  const data = new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0);
  const vals = xs.map((x) => Array.from(x.dataSync()));
  const total = letters.reduce((a, l) => a * sizes.get(l)!, 1);
  for (let flat = 0; flat < total; flat++) {
    const v = new Map<string, number>();
    let rest = flat;
    for (let i = letters.length - 1; i >= 0; i--) {
      const n = sizes.get(letters[i])!;
      v.set(letters[i], rest % n);
      rest = Math.floor(rest / n);
    }
    let prod = 1;
    terms.forEach((t, k) => {
      let idx = 0;
      // size-1 dimensions broadcast: they always read index 0.
      [...t].forEach((l, a) => (idx = idx * xs[k].shape[a] + (xs[k].shape[a] === 1 ? 0 : v.get(l)!)));
      prod *= vals[k][idx];
    });
    data[out.reduce((a, l, i) => a * shape[i] + v.get(l)!, 0)] += prod;
  }
  return { shape, data };
}

interface EinsumCase {
  readonly equation: string;
  readonly shapes: number[][];
  /** The same equation without ellipsis or implicit output, for the brute-force reference. */
  readonly explicit?: string;
}

const einsumCases: EinsumCase[] = [
  {
    equation: 'bij,bjk->bik',
    shapes: [
      [2, 3, 4],
      [2, 4, 2],
    ],
  },
  {
    equation: 'bhid,bhjd->bhij',
    shapes: [
      [2, 2, 3, 4],
      [2, 2, 5, 4],
    ],
  },
  { equation: '...ii->...i', shapes: [[2, 3, 3]], explicit: 'aii->ai' },
  { equation: 'ii', shapes: [[3, 3]], explicit: 'ii->' },
  { equation: 'ij->ji', shapes: [[2, 3]] },
  { equation: 'ij->i', shapes: [[3, 4]] },
  { equation: 'i,i', shapes: [[5], [5]], explicit: 'i,i->' },
  {
    equation: 'ij,jk',
    shapes: [
      [2, 3],
      [3, 4],
    ],
    explicit: 'ij,jk->ik',
  },
  { equation: 'i,j->ij', shapes: [[3], [2]] },
  {
    equation: 'bn,anm,bm->ba',
    shapes: [
      [2, 3],
      [4, 3, 2],
      [2, 2],
    ],
  },
  {
    equation: '...ij,...jk->...ik',
    shapes: [
      [2, 1, 2, 3],
      [3, 3, 2],
    ],
    explicit: 'abij,bjk->abik',
  },
  { equation: 'ijk->kji', shapes: [[2, 3, 4]] },
  {
    equation: 'bij,bkj->',
    shapes: [
      [2, 2, 3],
      [2, 4, 3],
    ],
  },
  {
    equation: 'iij,jk->ik',
    shapes: [
      [3, 3, 2],
      [2, 4],
    ],
  },
];

describe('linalg kernels: forward', () => {
  before(async () => {
    await useTestBackend();
  });

  test('MatMul: 2-D, batch broadcasting, 1-D operands (hand-computed)', () => {
    const a = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = f32([1, 0, 0, 1, 1, 1], [3, 2]);
    assertResult(run1('MatMul', [a, b]), [2, 2], [4, 5, 10, 11]);
    assertResult(run1('MatMul', [f32([1, 2, 3]), b]), [2], [4, 5]);
    assertResult(run1('MatMul', [a, f32([1, 1, 1])]), [2], [6, 15]);
    assertResult(run1('MatMul', [f32([1, 2, 3]), f32([4, 5, 6])]), [], [32]);
    // [2, 1, 2, 3] x [3, 3, 2] -> [2, 3, 2, 2]: each batch entry is a @ b_k.
    const a4 = tf.reshape(tf.stack([a, tf.mul(a, 2)]), [2, 1, 2, 3]);
    const b3 = tf.stack([b, tf.mul(b, -1), tf.zerosLike(b)]);
    assertResult(run1('MatMul', [a4, b3]), [2, 3, 2, 2], [4, 5, 10, 11, -4, -5, -10, -11, 0, 0, 0, 0, 8, 10, 20, 22, -8, -10, -20, -22, 0, 0, 0, 0]);
    assertResult(run1('MatMul', [i32([1, 2, 3, 4], [2, 2]), i32([1, 1, 1, 1], [2, 2])]), [2, 2], [3, 3, 7, 7], 'int32');
  });

  test('Gemm: alpha, beta, transA, transB, C broadcast or absent', () => {
    const a = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = f32([1, 0, 0, 1, 1, 1], [3, 2]);
    assertResult(run1('Gemm', [a, b]), [2, 2], [4, 5, 10, 11]);
    assertResult(run1('Gemm', [a, b, f32([1, -1])], { alpha: 2, beta: 3 }), [2, 2], [11, 7, 23, 19]);
    assertResult(run1('Gemm', [tf.transpose(a), tf.transpose(b), f32([1])], { transA: 1, transB: 1 }), [2, 2], [5, 6, 11, 12]);
    assertResult(run1('Gemm', [a, b, f32([1, 2, 3, 4], [2, 2])], { beta: 0 }), [2, 2], [4, 5, 10, 11]);
  });

  for (const c of einsumCases) {
    test(`Einsum ${c.equation}: brute-force reference`, () => {
      const xs = c.shapes.map((s, k) => randn(s, 30 + k));
      const ref = naiveEinsum(c.explicit ?? c.equation, xs);
      assertResult(run1('Einsum', xs, { equation: c.equation }), ref.shape, ref.data, 'float32', 1e-4);
    });
  }

  test('Einsum refuses a mismatched operand', () => {
    assert.throws(() => run1('Einsum', [randn([2, 3], 1)], { equation: 'ijk->i' }), /rank/);
  });
});

describe('linalg kernels: VJP against finite differences', () => {
  before(async () => {
    await useTestBackend();
  });

  test('MatMul', () => {
    checkVjp({ op: 'MatMul', inputs: [{ value: randn([3, 4], 1) }, { value: randn([4, 2], 2) }] });
    checkVjp({ op: 'MatMul', inputs: [{ value: randn([2, 1, 3, 4], 3) }, { value: randn([3, 4, 2], 4) }] });
    checkVjp({ op: 'MatMul', inputs: [{ value: randn([4], 5) }, { value: randn([2, 4, 3], 6) }] });
    checkVjp({ op: 'MatMul', inputs: [{ value: randn([2, 3, 4], 7) }, { value: randn([4], 8) }] });
  });

  test('Gemm', () => {
    for (const [transA, transB] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ]) {
      const a = randn(transA ? [4, 3] : [3, 4], 10);
      const b = randn(transB ? [2, 4] : [4, 2], 11);
      checkVjp({ op: 'Gemm', attrs: { transA, transB, alpha: 0.7, beta: 1.3 }, inputs: [{ value: a }, { value: b }, { value: randn([2], 12) }] });
    }
    checkVjp({ op: 'Gemm', inputs: [{ value: randn([3, 4], 13) }, { value: randn([4, 2], 14) }, { value: randn([3, 1], 15) }] });
    checkVjp({ op: 'Gemm', inputs: [{ value: randn([3, 4], 13) }, { value: randn([4, 2], 14) }] });
  });

  for (const c of einsumCases) {
    test(`Einsum ${c.equation}`, () => {
      checkVjp({ op: 'Einsum', attrs: { equation: c.equation }, inputs: c.shapes.map((s, k) => ({ value: randn(s, 40 + k) })) });
    });
  }
});
