/** Channels-first chains in a recorded graph (src/runtime/recordLayout.ts), on hand-built graphs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recorder, RecordingBackend } from '../../src/runtime/recordBackend';
import { sinkChannelsFirst, toChannelsFirst } from '../../src/runtime/recordLayout';
import { encodeModel } from '../../src/runtime/ortModel';
import { loadOnnxRuntime, sessionOptions } from '../../src/runtime/ortSession';
import { SeededRandom } from '../../src/runtime/random';

function recorder(): Recorder {
  return new Recorder(new RecordingBackend(), new Map(), () => {
    throw new Error('no external tensors here');
  });
}

/** A graph input of the given shape. */
function input(r: Recorder, shape: number[]): string {
  const name = r.fresh('in');
  r.inputs.push({ name, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  r.inputSpecs.push({ name, shape, dtype: 'float32' });
  r.output(name, shape, 'float32'); // its shape, as Recorder.value() records a bound input's
  return name;
}

/** conv output [P*N, C, H, W] -> NHWC -> [P, N, H, W, C] * mask [N, H, W, C] -> [P*N, H, W, C] -> NCHW, as a ReLU VJP between two convolutions records. */
function maskChain(r: Recorder, p: number, n: number, c: number, h: number, w: number): { out: string; x: string; mask: string } {
  const x = input(r, [p * n, c, h, w]);
  const mask = input(r, [n, h, w, c]);
  const nhwc = r.output(r.node('Transpose', [x], { perm: [0, 2, 3, 1] }), [p * n, h, w, c], 'float32');
  const split = r.output(r.node('Reshape', [r.value(nhwc), r.int64([p, n, h, w, c])]), [p, n, h, w, c], 'float32');
  const masked = r.output(r.node('Mul', [r.value(split), mask]), [p, n, h, w, c], 'float32');
  const merged = r.output(r.node('Reshape', [r.value(masked), r.int64([p * n, h, w, c])]), [p * n, h, w, c], 'float32');
  const nchw = r.node('Transpose', [r.value(merged)], { perm: toChannelsFirst(4) });
  return { out: r.node('Neg', [nchw]), x, mask };
}

test('a stacked-probe mask between two convolutions runs channels-first: the full-size Transposes go, the mask is transposed', () => {
  const r = recorder();
  const { out } = maskChain(r, 4, 2, 3, 5, 6);
  assert.equal(sinkChannelsFirst(r, [out]), 1);
  const transposes = r.nodes.filter((n) => n.op === 'Transpose');
  // Only the mask ([N, H, W, C], a quarter of the cotangent) is still transposed.
  assert.equal(transposes.length, 1);
  assert.ok(r.inputSpecs.some((s) => s.name === transposes[0].inputs[0] && s.shape.length === 4 && s.shape[0] === 2));
});

test('the rewritten graph computes the same values on ONNX Runtime', () => {
  const build = (): { r: Recorder; out: string } => {
    const r = recorder();
    return { r, out: maskChain(r, 3, 2, 4, 3, 5).out };
  };
  const ort = loadOnnxRuntime();
  const random = new SeededRandom(11);
  const feeds = { in0: random.gaussian(6 * 4 * 3 * 5), in1: random.gaussian(2 * 3 * 5 * 4) };
  const run = (r: Recorder, out: string): Float32Array => {
    const model = encodeModel(
      { nodes: r.nodes, inputs: r.inputSpecs, outputs: [{ name: out, shape: [6, 4, 3, 5], dtype: 'float32' }], initializers: r.initializers },
      'test',
    );
    const session = ort.newSession(model, sessionOptions(1));
    try {
      const got = session.run(
        { in0: new ort.Tensor('float32', feeds.in0, [6, 4, 3, 5]), in1: new ort.Tensor('float32', feeds.in1, [2, 3, 5, 4]) },
        { [out]: null },
        {},
      );
      return got[out].data as Float32Array;
    } finally {
      session.dispose();
    }
  };
  const plain = build();
  const expected = run(plain.r, plain.out);
  const chained = build();
  assert.equal(sinkChannelsFirst(chained.r, [chained.out]), 1);
  assert.deepEqual(run(chained.r, chained.out), expected);
});

test('no rewrite where it would transpose more than it saves', () => {
  // A full-size operand that comes from a graph input must itself be transposed: no gain.
  const r = recorder();
  const a = input(r, [2, 3, 4, 5]);
  const b = input(r, [2, 3, 4, 5]);
  const aNhwc = r.output(r.node('Transpose', [a], { perm: [0, 2, 3, 1] }), [2, 4, 5, 3], 'float32');
  const bNhwc = r.output(r.node('Transpose', [b], { perm: [0, 2, 3, 1] }), [2, 4, 5, 3], 'float32');
  const sum = r.output(r.node('Add', [r.value(aNhwc), r.value(bNhwc)]), [2, 4, 5, 3], 'float32');
  const other = input(r, [2, 4, 5, 3]);
  const mixed = r.output(r.node('Mul', [r.value(sum), other]), [2, 4, 5, 3], 'float32');
  const out = r.node('Transpose', [r.value(mixed)], { perm: toChannelsFirst(4) });
  const nodesBefore = r.nodes.length;
  assert.equal(sinkChannelsFirst(r, [out]), 0);
  assert.equal(r.nodes.length, nodesBefore);
});

test('a value that several convolutions read is carried channels-first once', () => {
  const r = recorder();
  const { out } = maskChain(r, 4, 2, 3, 5, 6);
  // A second convolution input from the same masked cotangent, as a strided VJP's phases read it.
  const mergedNhwc = r.nodes.find((n) => n.op === 'Transpose' && n.outputs.includes(r.nodes.find((m) => m.op === 'Neg')!.inputs[0]))!.inputs[0];
  const second = r.node('Neg', [r.node('Transpose', [mergedNhwc], { perm: toChannelsFirst(4) })]);
  const both = r.node('Add', [out, second]);
  assert.equal(sinkChannelsFirst(r, [both]), 2);
  assert.equal(r.nodes.filter((n) => n.op === 'Mul').length, 1, 'one masked product serves both');
  assert.equal(r.nodes.filter((n) => n.op === 'Reshape').length, 2, 'one split and one merge of the probes, not a merge per reader');
  assert.equal(r.nodes.filter((n) => n.op === 'Transpose').length, 1);
});
