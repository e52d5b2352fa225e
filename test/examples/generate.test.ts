/**
 * The bundled examples' generator: byte-identical output (against the committed manifest),
 * ONNX files that decode to the intended graphs, the same weights in the TF.js form, the
 * initialisations of the paper, and model code whose module names are the ONNX node names.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { EXAMPLES, generateAllExamples, type GeneratedFile } from '../../src/examples/index';
import { buildManifest, type ExamplesManifest } from '../../src/examples/manifest';
import { EXAMPLE_DEPTH, EXAMPLE_WIDTH } from '../../src/examples/catalog';

const REPO = path.resolve(__dirname, '..', '..', path.basename(path.resolve(__dirname, '..', '..')) === 'out' ? '..' : '.');
const MANIFEST = path.join(REPO, 'examples', 'paper', 'manifest.json');

let files: GeneratedFile[];
const file = (p: string): Uint8Array => {
  const f = files.find((x) => x.path === p);
  assert.ok(f, `generated ${p}`);
  return f.bytes;
};
const text = (p: string): string => new TextDecoder().decode(file(p));
const floats = (bytes: Uint8Array): Float32Array => new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

function decode(id: string): onnx.ModelProto {
  return onnx.ModelProto.decode(file(`${id}/model.onnx`));
}

function initializer(m: onnx.ModelProto, name: string): Float32Array {
  const t = m.graph?.initializer?.find((i) => i.name === name);
  assert.ok(t?.rawData, `initializer ${name}`);
  return floats(t.rawData);
}

/** A tfjs weight by name, read from weights.bin with the manifest's order and shapes. */
function tfjsWeight(id: string, name: string): Float32Array {
  const json = JSON.parse(text(`${id}/tfjs/model.json`)) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
  const bin = floats(file(`${id}/tfjs/weights.bin`));
  let offset = 0;
  for (const w of json.weightsManifest[0].weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (w.name === name) return bin.subarray(offset, offset + n);
    offset += n;
  }
  throw new Error(`no tfjs weight ${name}`);
}

const rms = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);

describe('bundled examples: generator', () => {
  before(() => {
    files = generateAllExamples();
  });

  test('regenerates every committed file byte for byte (sha256 in examples/paper/manifest.json)', () => {
    const committed = JSON.parse(readFileSync(MANIFEST, 'utf8')) as ExamplesManifest;
    const now = buildManifest(files);
    assert.deepEqual(now.files.map((f) => f.path), committed.files.map((f) => f.path));
    for (const f of now.files) assert.equal(f.sha256, committed.files.find((c) => c.path === f.path)?.sha256, `${f.path} differs from the committed manifest`);
    // The committed text files are the generated ones.
    for (const f of files.filter((x) => /model\.(py|js)$|gradient-lens\.json$/.test(x.path))) {
      assert.equal(readFileSync(path.join(REPO, 'examples', 'paper', f.path), 'utf8'), new TextDecoder().decode(f.bytes), f.path);
    }
    assert.equal(committed.depth, EXAMPLE_DEPTH);
    assert.equal(committed.width, EXAMPLE_WIDTH);
  });

  test('a second generation in the same process gives the same bytes', () => {
    const again = generateAllExamples();
    assert.equal(again.length, files.length);
    again.forEach((f, i) => assert.ok(Buffer.from(f.bytes).equals(Buffer.from(files[i].bytes)), f.path));
  });

  test('ONNX graphs: opset 17, dynamic batch, PyTorch-style node names, the right ops', () => {
    for (const e of EXAMPLES) {
      const m = decode(e.id);
      assert.equal(Number(m.opsetImport?.[0]?.version), 17, e.id);
      const g = m.graph!;
      assert.equal(g.input?.[0]?.name, 'input');
      assert.deepEqual(g.input?.[0]?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue)), ['batch', EXAMPLE_WIDTH]);
      const ops = (g.node ?? []).map((n) => n.opType);
      const names = (g.node ?? []).map((n) => n.name ?? '');
      for (const n of names) assert.match(n, /^\/(blocks\/blocks\.\d+\/(dense|norm|act|fc1|fc2)\/\w+|blocks\/blocks\.\d+\/Add|layers\/layers\.\d+\/MatMul|head\/Gemm|inp\/Gemm)$/, `${e.id}: node name ${n}`);
      const count = (op: string): number => ops.filter((o) => o === op).length;
      const a = e.architecture;
      if (a.family === 'mlp') {
        assert.equal(count('Gemm'), EXAMPLE_DEPTH + 1, e.id);
        assert.equal(count(a.activation), EXAMPLE_DEPTH, e.id);
        assert.equal(count('BatchNormalization'), a.norm === 'batch' ? EXAMPLE_DEPTH : 0, e.id);
        assert.equal(count('LayerNormalization'), a.norm === 'layer' ? EXAMPLE_DEPTH : 0, e.id);
        assert.equal(g.output?.[0]?.name, 'logits');
      } else if (a.family === 'residual') {
        assert.equal(count('Add'), EXAMPLE_DEPTH / 2);
        assert.equal(count('Gemm'), EXAMPLE_DEPTH + 2);
      } else {
        assert.deepEqual([...new Set(ops)], ['MatMul']);
        assert.equal(count('MatMul'), EXAMPLE_DEPTH);
        assert.equal(g.output?.[0]?.name, 'output');
      }
    }
    const ln = decode('mlp_ln_tanh').graph!.node!.find((n) => n.opType === 'LayerNormalization')!;
    assert.equal(Number(ln.attribute?.find((x) => x.name === 'axis')?.i), -1, 'a negative int64 attribute round-trips');
    assert.ok(Math.abs((ln.attribute?.find((x) => x.name === 'epsilon')?.f ?? 0) - 1e-5) < 1e-12);
  });

  test('weights follow the paper’s initialisations; the linear network is orthogonal', () => {
    const w = (id: string, name: string): number => rms(initializer(decode(id), name));
    // Expected standard deviations: He sqrt(2/100), Xavier with gain 5/3: (5/3) sqrt(2/200), LeCun sqrt(1/100).
    for (const [id, std] of [['mlp_relu', Math.sqrt(0.02)], ['mlp_tanh', (5 / 3) * 0.1], ['mlp_selu', 0.1], ['mlp_bn_relu', Math.sqrt(0.02)], ['mlp_ln_tanh', (5 / 3) * 0.1]] as const) {
      for (const i of [0, 25, 49]) assert.ok(Math.abs(w(id, `blocks.${i}.dense.weight`) / std - 1) < 0.03, `${id} layer ${i}: rms ${w(id, `blocks.${i}.dense.weight`)} vs ${std}`);
    }
    assert.ok(Math.abs(w('resmlp_relu', 'blocks.3.fc1.weight') / Math.sqrt(0.02) - 1) < 0.03);
    assert.ok(Math.abs(w('resmlp_relu', 'blocks.3.fc2.weight') / 0.1 - 1) < 0.03);
    const q = initializer(decode('linear_orthogonal'), 'layers.17.weight.T');
    let worst = 0;
    for (let i = 0; i < EXAMPLE_WIDTH; i++) {
      for (let j = 0; j < EXAMPLE_WIDTH; j++) {
        let dot = 0;
        for (let k = 0; k < EXAMPLE_WIDTH; k++) dot += q[i * EXAMPLE_WIDTH + k] * q[j * EXAMPLE_WIDTH + k];
        worst = Math.max(worst, Math.abs(dot - (i === j ? 1 : 0)));
      }
    }
    assert.ok(worst < 1e-6, `Q Q^T deviates from I by ${worst}`);
    // Batch norm carries the statistics of its inputs: the first layer sees W x + b with var ~ 2 (He).
    const v0 = initializer(decode('mlp_bn_relu'), 'blocks.0.norm.running_var');
    const meanVar = v0.reduce((s, x) => s + x, 0) / v0.length;
    assert.ok(meanVar > 1.6 && meanVar < 2.4, `running_var of block 0 averages ${meanVar}`);
  });

  test('the TF.js form holds the same weights (kernels transposed) under the Keras names', () => {
    const m = decode('mlp_bn_relu');
    const w = initializer(m, 'blocks.7.dense.weight'); // [out, in]
    const k = tfjsWeight('mlp_bn_relu', 'blocks_7_dense/kernel'); // [in, out]
    for (const [o, i] of [[0, 0], [3, 91], [99, 42]]) assert.equal(k[i * EXAMPLE_WIDTH + o], w[o * EXAMPLE_WIDTH + i]);
    assert.deepEqual(tfjsWeight('mlp_bn_relu', 'blocks_7_norm/moving_variance'), initializer(m, 'blocks.7.norm.running_var'));
    assert.deepEqual(tfjsWeight('resmlp_relu', 'head/bias'), initializer(decode('resmlp_relu'), 'head.bias'));
  });

  test('model.py defines every module the ONNX node names refer to; model.js every TF.js layer name', () => {
    for (const e of EXAMPLES) {
      const py = text(`${e.id}/model.py`);
      const m = decode(e.id);
      // /blocks/blocks.7/dense/Gemm -> attributes "blocks" and "dense"; /head/Gemm -> "head".
      const attrs = new Set<string>();
      for (const n of m.graph!.node!) {
        for (const part of (n.name ?? '').split('/').slice(1, -1)) if (!/\.\d+$/.test(part)) attrs.add(part);
      }
      for (const a of attrs) assert.match(py, new RegExp(`self\\.${a} = `), `${e.id}/model.py defines self.${a}`);
      // Initializer names are state_dict keys: blocks.7.dense.weight -> self.blocks[7].dense.
      for (const t of m.graph!.initializer!) {
        const module = (t.name ?? '').replace(/\.(weight(\.T)?|bias|running_mean|running_var)$/, '').split('.').filter((p) => !/^\d+$/.test(p));
        for (const part of module) assert.ok(attrs.has(part), `${e.id}: initializer ${t.name} names module ${part}`);
      }
      const js = text(`${e.id}/tfjs/model.js`);
      const json = JSON.parse(text(`${e.id}/tfjs/model.json`)) as { modelTopology: { config: { layers: { class_name: string; config: { name: string } }[] } } };
      for (const l of json.modelTopology.config.layers) {
        // blocks_7_dense is written as the template `blocks_${i}_dense`.
        const pattern = l.config.name.replace(/_\d+_/, '_${i}_').replace(/_\d+$/, '_${i}');
        assert.ok(js.includes(`'${l.config.name}'`) || js.includes(`\`${pattern}\``), `${e.id}/tfjs/model.js names ${l.config.name}`);
      }
    }
  });

  test('model.py is valid Python and model.js valid JavaScript', (t) => {
    const python = spawnSync('python3', ['--version']);
    for (const e of EXAMPLES) {
      const js = spawnSync(process.execPath, ['--input-type=module', '--check'], { input: text(`${e.id}/tfjs/model.js`) });
      assert.equal(js.status, 0, `${e.id}/tfjs/model.js: ${js.stderr}`);
      if (python.status !== 0) continue;
      const py = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: text(`${e.id}/model.py`) });
      assert.equal(py.status, 0, `${e.id}/model.py: ${py.stderr}`);
    }
    if (python.status !== 0) t.diagnostic('python3 not found: model.py not parsed');
  });
});
