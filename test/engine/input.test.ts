/** The per-sample input shape: what is dynamic, what is declared, and what cannot be analysed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleShape } from '../../src/engine/input';
import type { ValueInfo } from '../../src/graph/ir';

const input = (shape: (number | string)[]): ValueInfo => ({ name: 'x', dtype: 'float32', shape });

test('a declared zero dimension is refused as a size, not called dynamic', () => {
  assert.throws(
    () => sampleShape(input(['batch', 3, 0, 5]), {}),
    (e: Error) => /declares dimension 2 as 0/.test(e.message) && !/dynamic/.test(e.message),
  );
});

test('named and unknown dimensions are dynamic until given sizes', () => {
  assert.throws(() => sampleShape(input(['batch', 3, 'height', -1]), {}), /dynamic dimensions height, dim3/);
  assert.deepEqual(sampleShape(input(['batch', 3, 'height', -1]), { height: 8, dim3: 4 }), [3, 8, 4]);
});
