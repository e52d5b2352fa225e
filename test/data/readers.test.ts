/** The sample-data readers return exactly the values written, and refuse bad files naming them. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNpy, NpyFile } from '../../src/data/npy';
import { parseJsonData } from '../../src/data/json';
import { csvData, parseCsvTable } from '../../src/data/csv';
import { loadSamples } from '../../src/data/samples';
import { readLabelsFile } from '../../src/data/labels';
import { chooseSamples } from '../../src/data/sampling';
import { DataError } from '../../src/data/errors';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-data-'));
const write = (name: string, content: Buffer | string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};
const target = (shape: number[]) => ({ inputName: 'x', shape });
const first = (count: number) => ({ count, mode: 'first' as const, seed: 0 });

describe('npy', () => {
  test('float32, float64 and uint8 rows come back exactly, in C order', () => {
    const f32 = [0.1, -2.5, 3e-8, 7, 1.5, -0.25];
    const p32 = write('a32.npy', encodeNpy(f32, [3, 2], 'f4'));
    const s32 = loadSamples({ path: p32 }, target([2]), first(10));
    assert.deepEqual(Array.from(s32.values), Array.from(Float32Array.from(f32)));
    assert.equal(s32.total, 3);

    const f64 = [1 / 3, 2 / 3, -1e-3, 4];
    const p64 = write('a64.npy', encodeNpy(f64, [2, 2], 'f8'));
    assert.deepEqual(Array.from(loadSamples({ path: p64 }, target([2]), first(10)).values), Array.from(Float32Array.from(f64)));

    const u8 = [0, 255, 128, 7, 9, 1, 2, 3];
    const pu8 = write('u8.npy', encodeNpy(u8, [2, 2, 2], 'u1'));
    const su8 = loadSamples({ path: pu8 }, target([2, 2]), first(10));
    assert.deepEqual(Array.from(su8.values), u8, 'uint8 values are taken as they are (no scaling)');
  });

  test('only the chosen rows are read: the first N, or a seeded random N', () => {
    const rows = Array.from({ length: 20 }, (_, r) => [r, 100 + r]).flat();
    const p = write('rows.npy', encodeNpy(rows, [20, 2], 'f4'));
    const head = loadSamples({ path: p }, target([2]), first(3));
    assert.deepEqual(Array.from(head.values), [0, 100, 1, 101, 2, 102]);
    const a = loadSamples({ path: p, sample: 'random' }, target([2]), { count: 5, mode: 'random', seed: 7 });
    const b = loadSamples({ path: p, sample: 'random' }, target([2]), { count: 5, mode: 'random', seed: 7 });
    const c = loadSamples({ path: p, sample: 'random' }, target([2]), { count: 5, mode: 'random', seed: 8 });
    assert.deepEqual(a.indices, b.indices);
    assert.notDeepEqual(a.indices, c.indices);
    assert.deepEqual(
      Array.from(a.values),
      a.indices.flatMap((r) => [r, 100 + r]),
    );
  });

  test('Fortran order, other dtypes, truncation and shape mismatches are refused naming the file', () => {
    const fortran = write('fortran.npy', encodeNpy([1, 2, 3, 4], [2, 2], 'f4', true));
    assert.throws(
      () => loadSamples({ path: fortran }, target([2]), first(2)),
      (e: Error) => e instanceof DataError && e.message.includes(fortran) && /Fortran order/.test(e.message),
    );
    const ints = write('ints.npy', encodeNpy([1, 2, 3, 4], [2, 2], 'i4'));
    assert.throws(() => loadSamples({ path: ints }, target([2]), first(2)), new RegExp(`${ints.replace(/[.]/g, '\\.')}: unsupported dtype i4`));
    const good = encodeNpy([1, 2, 3, 4], [2, 2], 'f4');
    const cut = write('cut.npy', good.subarray(0, good.length - 3));
    assert.throws(() => NpyFile.open(cut), /cut\.npy: the file is truncated/);
    const p = write('shape.npy', encodeNpy(new Array(12).fill(0), [2, 6], 'f4'));
    assert.throws(() => loadSamples({ path: p }, target([4]), first(2)), /shape\.npy: the model input "x" expects samples .*of shape \[4\], found \[6\]/);
    assert.throws(() => NpyFile.open(write('junk.npy', 'hello')), /junk\.npy: not a NumPy \.npy file/);
  });

  test('a shape whose size exceeds the batch limit is refused before allocating', () => {
    // Header claims 2^40 rows, the file is tiny: refused as truncated, nothing allocated.
    const buf = encodeNpy([0, 0], [1, 2], 'f4');
    const header = buf.toString('latin1').replace("'shape': (1, 2)", "'shape': (1099511627776, 2)");
    assert.throws(() => NpyFile.open(write('huge.npy', Buffer.from(header, 'latin1'))), /huge\.npy: the file is truncated/);
    // A sparse file that really holds 3 samples of 2^26 floats: 3 * 2^26 values exceed the limit
    // of 2^27, so loadSamples refuses before allocating the batch.
    const d = 2 ** 26;
    const big = encodeNpy([], [0, d], 'f4').toString('latin1').replace(`'shape': (0, ${d})`, `'shape': (3, ${d})`);
    const sparse = write('sparse.npy', Buffer.from(big, 'latin1'));
    truncateSync(sparse, Buffer.byteLength(big, 'latin1') + 3 * d * 4);
    assert.throws(
      () => loadSamples({ path: sparse }, target([d]), first(16)),
      /sparse\.npy: 3 samples of shape \[67108864\] would need 201326592 values, more than the limit/,
    );
  });
});

describe('json', () => {
  test('nested arrays and {"inputs", "labels"}', () => {
    const plain = parseJsonData('a.json', '[[1, 2], [3, 4.5]]');
    assert.deepEqual(plain.inputs.shape, [2, 2]);
    assert.deepEqual(Array.from(plain.inputs.values), [1, 2, 3, 4.5]);
    const p = write('withLabels.json', JSON.stringify({ inputs: [[[1, 2]], [[3, 4]], [[5, 6]]], labels: [2, 0, 1] }));
    const s = loadSamples({ path: p }, target([1, 2]), first(10));
    assert.deepEqual(Array.from(s.values), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(s.labels!.values), [2, 0, 1]);
  });

  test('ragged, non-numeric and mismatched data is refused with the place', () => {
    assert.throws(() => parseJsonData('r.json', '[[1, 2], [3]]'), /r\.json: the data is not rectangular: the data\[1\] should be an array of 2/);
    assert.throws(() => parseJsonData('s.json', '[[1, "x"]]'), /s\.json: the data\[0\]\[1\] is "x", not a finite number/);
    assert.throws(() => parseJsonData('l.json', '{"inputs": [[1], [2]], "labels": [1]}'), /"labels" has 1 entries but "inputs" has 2 samples/);
    const p = write('wrong.json', '[[1, 2, 3], [4, 5, 6]]');
    assert.throws(() => loadSamples({ path: p }, target([2]), first(2)), /wrong\.json: the model input "x" expects samples .*\[2\], found \[3\]/);
  });
});

describe('csv', () => {
  test('header optional, label column by name or index', () => {
    const t = parseCsvTable('a,b,label\n1,2,0\n3,"4",1\n');
    assert.deepEqual(t.header, ['a', 'b', 'label']);
    const d = csvData('t.csv', t, 'label');
    assert.deepEqual(Array.from(d.features), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(d.labels!), [0, 1]);
    const noHeader = csvData('n.csv', parseCsvTable('5,1.5,-2\n6,2.5,-3\n'), '0');
    assert.equal(noHeader.featureNames, null);
    assert.deepEqual(Array.from(noHeader.features), [1.5, -2, 2.5, -3]);
    assert.deepEqual(Array.from(noHeader.labels!), [5, 6]);
  });

  test('bad cells and feature counts name the file, line and column', () => {
    assert.throws(() => csvData('b.csv', parseCsvTable('a,b\n1,2\n3,x\n')), /b\.csv: line 3, column 1 \("b"\): "x" is not a number/);
    assert.throws(() => csvData('c.csv', parseCsvTable('a,b\n1,2\n'), 'y'), /c\.csv: no label column "y"/);
    const p = write('three.csv', 'a,b,c\n1,2,3\n4,5,6\n');
    assert.throws(
      () => loadSamples({ path: p }, target([4]), first(2)),
      /three\.csv: the model input "x" expects 4 features per sample .*found 3 numeric columns/,
    );
  });
});

describe('labels files', () => {
  test('npy int64, json and one-column csv labels, and counts must match the data', () => {
    const data = write('d.npy', encodeNpy([1, 2, 3, 4, 5, 6], [3, 2], 'f4'));
    const l64 = write('l64.npy', encodeNpy([2, 0, 1], [3], 'i8'));
    assert.deepEqual(Array.from(readLabelsFile(l64).values), [2, 0, 1]);
    const lj = write('l.json', '[1, 1, 0]');
    assert.deepEqual(Array.from(readLabelsFile(lj).values), [1, 1, 0]);
    const lc = write('l.csv', 'label\n0\n2\n1\n');
    assert.deepEqual(Array.from(readLabelsFile(lc).values), [0, 2, 1]);
    const s = loadSamples({ path: data, labels: lc }, target([2]), first(2));
    assert.deepEqual(Array.from(s.labels!.values), [0, 2], 'labels follow the chosen samples');
    const short = write('short.json', '[1, 0]');
    assert.throws(() => loadSamples({ path: data, labels: short }, target([2]), first(2)), /short\.json: has 2 labels but the data .*d\.npy has 3 samples/);
  });
});

test('seeded random choice: distinct, ascending, in range, reproducible', () => {
  const a = chooseSamples(1000, 50, 'random', 3);
  assert.equal(new Set(a).size, 50);
  assert.ok(a.every((v, i) => v >= 0 && v < 1000 && (i === 0 || v > a[i - 1])));
  assert.deepEqual(a, chooseSamples(1000, 50, 'random', 3));
  assert.deepEqual(chooseSamples(5, 50, 'random', 3), [0, 1, 2, 3, 4]);
});
