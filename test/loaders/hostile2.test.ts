/**
 * Hostile inputs, round 2 (issue #17): files that are not regular files (FIFOs, devices,
 * folders) wherever a model or the data names one, the content hash's containment and its
 * coverage of ONNX external data, and inputs built to make a parser or the layer ordering slow.
 * Every case that could hang runs under a test timeout, so a hang fails instead of blocking.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import * as path from 'node:path';
import { loadModel } from '../../src/loaders';
import { hashFiles, modelContentFiles, modelContentHash } from '../../src/loaders/contentHash';
import { ModelLoadError } from '../../src/loaders/errors';
import { DataError } from '../../src/data/errors';
import { NpyFile } from '../../src/data/npy';
import { readJsonData } from '../../src/data/json';
import { decodeImage } from '../../src/data/images';
import { loadSamples } from '../../src/data/samples';
import { MemoryBudget } from '../../src/runtime/memoryBudget';
import { ResourceError } from '../../src/runtime/resourceError';
import { useTestBackend } from '../helpers/backend';
import { onnx } from 'onnx-proto';
import { T, float32Bytes, floatTensor, node, rawTensor, valueInfo, writeOnnx, type ModelSpec } from './onnx-models';
import { denseJson, writeModel } from './tfjs-models';

/** A hang fails the test instead of blocking the suite. */
const QUICK = { timeout: 10_000 };

const SRC = path.resolve(__dirname, '../../src');

/**
 * The message of the error `body` (an async function body that may `require(SRC + '/…')`)
 * throws, run in a child process: opening a FIFO blocks the thread that opens it, which a test
 * timeout cannot interrupt, so the child is killed after a few seconds and the test fails.
 */
function refusalInChild(body: string): string {
  const script = `const SRC = ${JSON.stringify(SRC)};
(async () => { ${body} })().then(() => console.log('no error'), (e) => console.log(String(e && e.message))).finally(() => process.exit(0));`;
  const child = spawnSync(process.execPath, ['-e', script], { timeout: 8_000, encoding: 'utf8' });
  assert.equal(child.signal, null, `the child hung and was killed (${child.stderr})`);
  return child.stdout.trim();
}

function mkfifo(file: string): string {
  execFileSync('mkfifo', [file]);
  return file;
}

function externalAddModel(location: string): ModelSpec {
  return {
    nodes: [node('Add', ['x', 'c'], ['y'], {}, 'add')],
    inputs: [valueInfo('x', T.FLOAT, ['n', 2])],
    outputs: [valueInfo('y', T.FLOAT, ['n', 2])],
    initializers: [{ name: 'c', dims: [2], dataType: T.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: location }] }],
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => assert.fail('expected a refusal'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof Error, String(e));
  return e;
}

function throwsData(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    return e;
  }
  return assert.fail('expected a DataError');
}

describe('content hash: same containment and file checks as loading', () => {
  test('a weight path leaving the folder (../../dev/zero) is refused, not read', QUICK, async () => {
    const file = writeModel(denseJson('../../../../../../../../dev/zero'));
    const e = await rejection(modelContentHash(file));
    assert.ok(e instanceof ModelLoadError);
    assert.match(e.message, /outside the model's folder/);
  });

  test('a weight path to a file outside the workspace is refused', QUICK, async () => {
    const outside = path.join(mkdtempSync(path.join(tmpdir(), 'gl-out-')), 'secret.bin');
    writeFileSync(outside, Buffer.alloc(48));
    assert.match((await rejection(modelContentHash(writeModel(denseJson(outside))))).message, /absolute path/);
  });

  test('a FIFO as weight shard is refused by the hash and by the loader, naming it', QUICK, async () => {
    const file = writeModel(denseJson('weights.bin'));
    mkfifo(path.join(path.dirname(file), 'weights.bin'));
    const f = JSON.stringify(file);
    assert.match(refusalInChild(`await require(SRC + '/loaders/contentHash').modelContentHash(${f});`), /weights\.bin.*named pipe/);
    assert.match(refusalInChild(`await require(SRC + '/loaders').loadModel(${f});`), /weights\.bin.*named pipe/);
  });

  test('a symlink inside the folder to /dev/zero as weight shard is refused as a device', QUICK, async () => {
    const file = writeModel(denseJson('zero.bin'));
    symlinkSync('/dev/zero', path.join(path.dirname(file), 'zero.bin'));
    // /dev is outside the folder, so containment refuses it first; either refusal is fine, a read is not.
    assert.match((await rejection(modelContentHash(file))).message, /zero\.bin/);
  });

  test('ONNX external data is part of the hash: changing it changes the hash', QUICK, async () => {
    const file = writeOnnx(externalAddModel('w.bin'), { 'w.bin': float32Bytes([1, 2]) });
    const external = path.join(path.dirname(file), 'w.bin');
    assert.deepEqual(await modelContentFiles(file), [file, external]);
    const before = await modelContentHash(file);
    // The ONNX file's bytes, read once for its external data, hash as the streamed files do.
    assert.equal(before, await hashFiles([file, external]));
    writeFileSync(external, float32Bytes([1, 3]));
    const after = await modelContentHash(file);
    assert.notEqual(after, before);
    await useTestBackend();
    assert.equal((await loadModel(file)).contentHash, after, 'the loader and the extension host compute the same hash');
  });

  test('ONNX external data leaving the folder is refused by the hash', QUICK, async () => {
    const file = writeOnnx(externalAddModel('../../../../../../../dev/zero'));
    assert.match((await rejection(modelContentHash(file))).message, /outside the model's folder/);
  });
});

describe('non-regular files named by a model', () => {
  before(async () => {
    await useTestBackend();
  });

  test('a FIFO as ONNX external data is refused quickly, naming it', QUICK, async () => {
    const file = writeOnnx(externalAddModel('w.bin'));
    mkfifo(path.join(path.dirname(file), 'w.bin'));
    const f = JSON.stringify(file);
    assert.match(refusalInChild(`await require(SRC + '/loaders').loadModel(${f});`), /w\.bin.*named pipe/);
    assert.match(refusalInChild(`await require(SRC + '/loaders/contentHash').modelContentHash(${f});`), /w\.bin.*named pipe/);
  });

  test('a folder as ONNX external data is called a folder, not a raw EISDIR', QUICK, async () => {
    const file = writeOnnx(externalAddModel('w.bin'));
    mkdirSync(path.join(path.dirname(file), 'w.bin'));
    const e = await rejection(loadModel(file));
    assert.match(e.message, /w\.bin.*is a folder/);
    assert.doesNotMatch(e.message, /EISDIR/);
  });
});

describe('non-regular data files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gl-data-hostile-'));
  const target = { inputName: 'x', shape: [2] };
  const first = { count: 2, mode: 'first' as const, seed: 0 };

  for (const name of ['fifo.npy', 'fifo.csv', 'fifo.json', 'fifo.bin']) {
    test(`a FIFO as data file (${name}) is refused quickly, naming it`, QUICK, () => {
      const file = mkfifo(path.join(dir, name));
      const call = `require(SRC + '/data/samples').loadSamples({ path: ${JSON.stringify(file)} }, ${JSON.stringify(target)}, ${JSON.stringify(first)});`;
      assert.match(refusalInChild(call), new RegExp(`${name.replace('.', '\\.')}.*named pipe`));
    });
  }

  for (const name of ['zero.bin', 'zero.csv', 'zero.npy']) {
    test(`a symlink to /dev/zero as data file (${name}) is refused as a device`, QUICK, () => {
      const file = path.join(dir, name);
      symlinkSync('/dev/zero', file);
      // Without the check this reads /dev/zero until memory runs out, synchronously: hence the child.
      const call = `require(SRC + '/data/samples').loadSamples({ path: ${JSON.stringify(file)} }, ${JSON.stringify(target)}, ${JSON.stringify(first)});`;
      assert.match(refusalInChild(call), /zero\.\w+: the data file is a device/);
    });
  }

  test('a FIFO named like an image is refused by the image decoder', QUICK, () => {
    const file = mkfifo(path.join(dir, 'fifo.png'));
    assert.match(refusalInChild(`require(SRC + '/data/images').decodeImage(${JSON.stringify(file)});`), /fifo\.png.*named pipe/);
  });
});

describe('.npy header', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gl-npy-hostile-'));

  function npyWithHeader(name: string, major: 1 | 2, header: string): string {
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
    const len = Buffer.alloc(major === 1 ? 2 : 4);
    if (major === 1) len.writeUInt16LE(header.length);
    else len.writeUInt32LE(header.length);
    const file = path.join(dir, name);
    writeFileSync(file, Buffer.concat([pre, len, Buffer.from(header, 'latin1')]));
    return file;
  }

  test('a 1 MB header of repeated "\'shape\':(" is refused without being parsed', QUICK, () => {
    const file = npyWithHeader('big.npy', 2, `{${"'shape':(".repeat(100_000)}`);
    assert.match(throwsData(() => NpyFile.open(file)).message, /header claims \d+ bytes, more than/);
  });

  test('a header of the largest size allowed, repeating keys without values, is refused as unreadable', QUICK, () => {
    // The old pattern took about 1 s on this 60 KB header (quadratic); the single-pass scanner takes milliseconds.
    const file = npyWithHeader('v1.npy', 1, `{'descr': '<f4', 'fortran_order': False, ${"'shape':(".repeat(6_500)}`);
    for (let i = 0; i < 5; i++) assert.match(throwsData(() => NpyFile.open(file)).message, /cannot read the \.npy header/);
  });

  test('numpy-style headers still parse (trailing commas, 1-tuples, padding)', () => {
    const file = npyWithHeader('ok.npy', 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }          \n");
    const npy = NpyFile.open(file);
    assert.deepEqual(npy.header.shape, [0]);
    assert.equal(npy.header.dtype, 'f4');
  });
});

describe('TF.js layer ordering', () => {
  before(async () => {
    await useTestBackend();
  });

  test('20k layers listed in reverse order load (ordering is linear, not quadratic)', { timeout: 60_000 }, async () => {
    // The quadratic scan took about 30 s here; Kahn's ordering takes well under a second (see the commit).
    const n = 20_000;
    const layers: unknown[] = [];
    for (let i = n; i >= 1; i--) {
      layers.push({ class_name: 'Activation', config: { name: `a${i}`, activation: 'relu' }, inbound_nodes: [[[i === 1 ? 'in' : `a${i - 1}`, 0, 0, {}]]] });
    }
    layers.push({ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4], dtype: 'float32' }, inbound_nodes: [] });
    const file = writeModel({
      format: 'layers-model',
      modelTopology: { class_name: 'Model', config: { name: 'deep', layers, input_layers: [['in', 0, 0]], output_layers: [[`a${n}`, 0, 0]] } },
    });
    const { graph } = await loadModel(file);
    assert.equal(graph.nodes.length, n);
    assert.equal(graph.nodes[0].outputs[0], 'a1');
    assert.equal(graph.nodes[n - 1].outputs[0], `a${n}`);
  });
});

describe('the memory limit while loading', () => {
  before(async () => {
    await useTestBackend();
  });

  /** A layers model whose one weight group lists the shard w.bin `times` times, the manifest describing all of it. */
  function repeatedShardModel(shardBytes: number, times: number): string {
    const json = denseJson('w.bin');
    json.weightsManifest = [
      {
        paths: Array.from({ length: times }, () => 'w.bin'),
        weights: [
          { name: 'dense/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'padding', shape: [(times * shardBytes) / 4 - 12], dtype: 'float32' },
        ],
      },
    ];
    return writeModel(json, [], { 'w.bin': Buffer.alloc(shardBytes) });
  }

  test('tfjs: one shard listed 60 times is refused by the budget before it is read, naming it', QUICK, async () => {
    const file = repeatedShardModel(64 * 1024, 60);
    const budget = new MemoryBudget(1024 ** 2);
    const e = await rejection(loadModel(file, { budget }));
    assert.ok(e instanceof ResourceError, String(e));
    assert.match(e.message, /weight file .*w\.bin \(listed 60 times in .*model\.json\) would take 3\.8 MB.*over the memory limit of 1\.0 MB/);
    assert.equal(budget.usedBytes, 0, 'nothing stays charged');
    // Within the limit the same model loads, and the charge that stays is the decoded weights.
    const roomy = new MemoryBudget(64 * 1024 ** 2);
    await loadModel(file, { budget: roomy });
    assert.equal(roomy.usedBytes, 60 * 64 * 1024);
  });

  test('tfjs: a 3 GB shard where the manifest describes 48 bytes is refused unread', QUICK, async () => {
    const file = writeModel(denseJson('w.bin'), [], { 'w.bin': Buffer.alloc(0) });
    // Sparse: takes no disk space, and reading it whole would fail (over 2 GiB) or take seconds.
    truncateSync(path.join(path.dirname(file), 'w.bin'), 3 * 1024 ** 3);
    const e = await rejection(loadModel(file));
    assert.ok(e instanceof ModelLoadError, String(e));
    assert.match(
      e.message,
      /w\.bin: byte count does not match the weightsManifest: the weight group's file\(s\) hold 3221225472 bytes, the manifest describes 48/,
    );
  });

  test('onnx: 40 initializers naming one external file are charged each, and refused past the limit', QUICK, async () => {
    const floats = 64 * 1024;
    const initializers = Array.from({ length: 40 }, (_, i) => ({
      name: `w${i}`,
      dims: [floats],
      dataType: T.FLOAT,
      dataLocation: 1,
      externalData: [{ key: 'location', value: 'data.bin' }],
    }));
    const nodes = initializers.map((w, i) => node('Add', [i === 0 ? 'x' : `h${i - 1}`, w.name], [i === 39 ? 'y' : `h${i}`], {}, `add${i}`));
    const file = writeOnnx(
      { nodes, inputs: [valueInfo('x', T.FLOAT, ['n', floats])], outputs: [valueInfo('y', T.FLOAT, ['n', floats])], initializers },
      { 'data.bin': new Uint8Array(4 * floats) },
    );
    const budget = new MemoryBudget(4 * 1024 ** 2);
    const e = await rejection(loadModel(file, { budget }));
    assert.ok(e instanceof ResourceError, String(e));
    assert.match(e.message, /tensor "w\d+" of .*model\.onnx.* would take 0\.3 MB on top of \d\.\d MB already held, over the memory limit of 4\.0 MB/);
    const roomy = new MemoryBudget(64 * 1024 ** 2);
    await loadModel(file, { budget: roomy });
    assert.equal(roomy.usedBytes, 40 * 4 * floats, 'the decoded initializers stay charged, the file and the external bytes do not');
  });
});

describe('ONNX files no exporter writes', () => {
  const matmul = (w: onnx.ITensorProto, opset = 13): ModelSpec => ({
    nodes: [node('MatMul', ['x', 'w'], ['y'], {}, 'mm')],
    inputs: [valueInfo('x', T.FLOAT, ['n', 2])],
    outputs: [valueInfo('y', T.FLOAT, ['n', 2])],
    initializers: [w],
    opset,
  });
  const floatW = floatTensor('w', [2, 2], [1, 0, 0, 1]);

  test('two initializers of one name are refused, naming it', async () => {
    const spec = matmul(floatW);
    const e = await rejection(loadModel(writeOnnx({ ...spec, initializers: [floatW, floatTensor('w', [2, 2], [0, 1, 1, 0])] })));
    assert.ok(e instanceof ModelLoadError, String(e));
    assert.match(e.message, /model\.onnx: two initializers are named "w"/);
  });

  test('opset 1000 is refused as a version that does not exist; opset 21 loads', async () => {
    const e = await rejection(loadModel(writeOnnx(matmul(floatW, 1000))));
    assert.ok(e instanceof ModelLoadError, String(e));
    assert.match(e.message, /model\.onnx: the model imports version 1000 of the default ONNX operator set, which does not exist/);
    await loadModel(writeOnnx(matmul(floatW, 21)));
  });

  test('int8 weights multiplied with float data are refused, naming the node and the initializer', async () => {
    const int8 = rawTensor('w', [2, 2], T.INT8, Uint8Array.of(1, 0, 0, 1));
    const e = await rejection(loadModel(writeOnnx(matmul(int8))));
    assert.ok(e instanceof ModelLoadError, String(e));
    assert.match(e.message, /model\.onnx: node "mm" \(MatMul\) multiplies the INT8 initializer "w" with float values/);
  });
});

describe('stack depth and unclear decoder messages', () => {
  test('tfjs: 3000 nested Sequential models are refused with a clear error, not a stack overflow', QUICK, async () => {
    let layer = JSON.stringify({ class_name: 'Dense', config: { name: 'd', units: 2, use_bias: false, batch_input_shape: [null, 2] } });
    // Built as text: JSON.stringify itself overflows on the nested objects.
    for (let i = 0; i < 3000; i++) layer = `{"class_name":"Sequential","config":{"name":"s${i}","batch_input_shape":[null,2],"layers":[${layer}]}}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'gl-nested-'));
    const file = path.join(dir, 'model.json');
    writeFileSync(file, `{"format":"layers-model","modelTopology":{"class_name":"Sequential","config":{"name":"top","layers":[${layer}]}}}`);
    const e = await rejection(loadModel(file));
    assert.ok(e instanceof ModelLoadError, String(e));
    assert.match(e.message, /model\.json: models are nested more than 64 deep/);
  });

  test('data: a JSON array nested 100,000 deep is refused naming the data file, not a stack overflow', QUICK, () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'gl-deep-')), 'deep.json');
    writeFileSync(file, '['.repeat(100_000) + ']'.repeat(100_000));
    assert.match(throwsData(() => readJsonData(file)).message, /deep\.json: the data is nested more than 32 arrays deep/);
  });

  test('data: a PNG whose pixel data inflates past its 1x1 header is named with the cause, not "have should not go down"', QUICK, () => {
    const crcTable = Array.from({ length: 256 }, (_, n) => {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      return c >>> 0;
    });
    const crc32 = (b: Buffer): number => (b.reduce((c, x) => crcTable[(c ^ x) & 0xff] ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;
    const chunk = (type: string, data: Buffer): Buffer => {
      const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(data.length);
      const tail = Buffer.alloc(4);
      tail.writeUInt32BE(crc32(body));
      return Buffer.concat([head, body, tail]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(1, 0);
    ihdr.writeUInt32BE(1, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 6; // RGBA
    const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const png = Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1_000_000))), chunk('IEND', Buffer.alloc(0))]);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'gl-png-')), 'bomb.png');
    writeFileSync(file, png);
    const message = throwsData(() => decodeImage(file)).message;
    assert.match(message, /bomb\.png: not a readable PNG: its compressed pixel data is corrupt or longer than the 1x1 image its header declares/);
  });

  test('data: a CSV of the wrong width is refused from its first rows, before the rest is parsed', QUICK, () => {
    // 3 columns where the model wants 4; a bad cell far down would be found first by a full parse.
    const rows = Array.from({ length: 50_000 }, (_, i) => (i === 40_000 ? 'oops,2,3' : `${i},2,3`));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'gl-csv-')), 'wide.csv');
    writeFileSync(file, `a,b,c\n${rows.join('\n')}\n`);
    const e = throwsData(() => loadSamples({ path: file }, { inputName: 'x', shape: [4] }, { count: 2, mode: 'first', seed: 0 }));
    assert.match(e.message, /wide\.csv: the model input "x" expects 4 features per sample \(shape \[4\]\), found 3 numeric columns/);
  });
});
