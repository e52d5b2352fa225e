/**
 * ONNX opset normalisation: older operator forms (attributes that later became inputs,
 * Upsample, Resize-10, the 2-D coercion of Softmax before opset 13, training-only forms)
 * translate into the opset-18 forms of the internal graph. Checked on the translation
 * itself, and numerically where the kernels involved exist.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { onnx } from 'onnx-proto';
import type { ConstTensor, Graph, GraphNode } from '../../src/graph/ir';
import { loadOnnxModel, translateModel } from '../../src/loaders/onnx';
import { UnsupportedOperatorError } from '../../src/loaders/errors';
import { isSupportedOp } from '../../src/ops/registry';
import { useTestBackend } from '../helpers/backend';
import { forward } from './tfjs-models';
import { T, encodeModel, floatTensor, node, valueInfo, writeOnnx, type AttrSpec, type ModelSpec } from './onnx-models';

/** One node `op(inputs) -> y` at `opset`, x of shape [2, 3, 4] plus `initializers`. */
function single(op: string, opset: number, attrs: Record<string, AttrSpec> = {}, inputs = ['x'], extra: Partial<ModelSpec> = {}): ModelSpec {
  return {
    nodes: [node(op, inputs, ['y'], attrs, 'the_node')],
    inputs: [valueInfo('x', T.FLOAT, [2, 3, 4])],
    outputs: [valueInfo('y', T.FLOAT, null)],
    opset,
    ...extra,
  };
}

/** The translation, without refusing ops whose kernels are not written yet. */
function translate(spec: ModelSpec): Graph {
  return translateModel(onnx.ModelProto.decode(encodeModel(spec)), 'test.onnx', { refuseUnsupported: false });
}

function theNode(g: Graph, name = 'the_node'): GraphNode {
  const n = g.nodes.find((m) => m.name === name);
  assert.ok(n, `node ${name} in ${g.nodes.map((m) => m.name).join(', ')}`);
  return n;
}

/** Values of the constant feeding input `i` of node `n`. */
function constInput(g: Graph, n: GraphNode, i: number): { dtype: string; shape: number[]; values: number[] } {
  const c: ConstTensor | undefined = g.constants.get(n.inputs[i]);
  assert.ok(c, `input ${i} (${n.inputs[i]}) of ${n.name} is a constant`);
  return { dtype: c.dtype, shape: [...c.shape], values: [...c.data] };
}

async function refusal(spec: ModelSpec): Promise<UnsupportedOperatorError> {
  try {
    await loadOnnxModel(writeOnnx(spec));
  } catch (e) {
    assert.ok(e instanceof UnsupportedOperatorError, `expected UnsupportedOperatorError, got ${String(e)}`);
    return e;
  }
  assert.fail('loaded without error');
}

const ints = (name: string, values: number[]): onnx.ITensorProto => ({ name, dims: [values.length], dataType: T.INT64, int64Data: values });

describe('ONNX attributes that became inputs', () => {
  test('Squeeze/Unsqueeze axes (< 13), ReduceSum axes (< 13), other Reduce* axes (< 18)', () => {
    for (const op of ['Squeeze', 'Unsqueeze', 'ReduceSum', 'ReduceMean', 'ReduceL2']) {
      const g = translate(single(op, 11, { axes: [0, -1], keepdims: 1 }));
      const n = theNode(g);
      assert.equal(n.op, op);
      assert.deepEqual(constInput(g, n, 1), { dtype: 'int32', shape: [2], values: [0, -1] }, op);
      assert.equal(n.attrs.axes, undefined);
    }
    // ReduceMean keeps its attribute form until opset 18, ReduceSum only until 13.
    const mean17 = theNode(translate(single('ReduceMean', 17, { axes: [1] })));
    assert.equal(mean17.inputs.length, 2);
    const sum13 = theNode(translate(single('ReduceSum', 13, {}, ['x', 'axes'], { initializers: [ints('axes', [1])] })));
    assert.deepEqual(sum13.inputs, ['x', 'axes']);
    // No axes at all: no input (reduce over everything).
    assert.deepEqual(theNode(translate(single('ReduceMax', 11))).inputs, ['x']);
  });

  test('Split: split attribute (< 13) becomes an input; equal parts get num_outputs (< 18)', () => {
    const outputs = (spec: ModelSpec): ModelSpec => ({
      ...spec,
      nodes: [{ ...spec.nodes[0], output: ['a', 'b', 'c'] }],
      outputs: [valueInfo('a', T.FLOAT, null)],
    });
    const g = translate(outputs(single('Split', 11, { axis: 2, split: [1, 1, 2] })));
    assert.deepEqual(constInput(g, theNode(g), 1).values, [1, 1, 2]);
    assert.equal(theNode(g).attrs.num_outputs, undefined);
    const equal = theNode(translate(outputs(single('Split', 13, { axis: 2 }))));
    assert.equal(equal.attrs.num_outputs, 3);
    assert.deepEqual(equal.outputs, ['a', 'b', 'c']);
  });

  test('Clip min/max (< 11) become float scalar inputs, an absent one an omitted input', () => {
    const g = translate(single('Clip', 6, { max: { float: 0.5 } }));
    const n = theNode(g);
    assert.equal(n.inputs[1], '');
    assert.deepEqual(constInput(g, n, 2), { dtype: 'float32', shape: [], values: [0.5] });
    assert.deepEqual(n.attrs, {});
  });

  test('Pad pads/value (< 11) become inputs; Slice starts/ends/axes (< 10) too', () => {
    const g = translate(single('Pad', 2, { pads: [0, 1, 0, 0, 1, 0], value: { float: 3 }, mode: 'constant' }));
    const n = theNode(g);
    assert.deepEqual(constInput(g, n, 1).values, [0, 1, 0, 0, 1, 0]);
    assert.deepEqual(constInput(g, n, 2), { dtype: 'float32', shape: [], values: [3] });
    assert.deepEqual(n.attrs, { mode: 'constant' });
    const s = translate(single('Slice', 9, { starts: [1], ends: [2 ** 40], axes: [2] }));
    const sn = theNode(s);
    assert.deepEqual(
      [1, 2, 3].map((i) => constInput(s, sn, i).values),
      [[1], [2 ** 31 - 1], [2]],
    );
  });
});

describe('ONNX Upsample and Resize', () => {
  test('Upsample (scales attribute, opset 7) becomes an asymmetric Resize', () => {
    const g = translate(single('Upsample', 7, { mode: 'bilinear', scales: { floats: [1, 1, 2] } }));
    const n = theNode(g);
    assert.equal(n.op, 'Resize');
    assert.equal(n.inputs[1], '');
    assert.deepEqual(constInput(g, n, 2).values, [1, 1, 2]);
    assert.deepEqual(n.attrs, { mode: 'linear', coordinate_transformation_mode: 'asymmetric' });
  });

  test('Upsample-9 and Resize-10 take scales from their second input; nearest floors', () => {
    for (const [op, opset] of [
      ['Upsample', 9],
      ['Resize', 10],
    ] as const) {
      const n = theNode(translate(single(op, opset, {}, ['x', 's'], { initializers: [floatTensor('s', [3], [1, 2, 2])] })));
      assert.deepEqual([n.op, n.inputs], ['Resize', ['x', '', 's']]);
      assert.deepEqual(n.attrs, { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
    }
  });

  test('Resize-11 empty roi and scales constants become omitted inputs', () => {
    const n = theNode(
      translate(
        single('Resize', 11, { mode: 'linear' }, ['x', 'roi', 'scales', 'sizes'], {
          initializers: [floatTensor('roi', [0], []), floatTensor('scales', [0], []), ints('sizes', [2, 3, 8])],
        }),
      ),
    );
    assert.deepEqual(n.inputs, ['x', '', '', 'sizes']);
  });
});

describe('ONNX Softmax before opset 13', () => {
  test('is spelt out as Flatten at the axis, Softmax on the last axis, Reshape back', () => {
    const g = translate(single('Softmax', 11, { axis: 1 }));
    assert.deepEqual(
      g.nodes.map((n) => n.op),
      ['Shape', 'Flatten', 'Softmax', 'Reshape'],
    );
    const [shape, flatten, softmax, reshape] = g.nodes;
    assert.deepEqual(flatten.attrs, { axis: 1 });
    assert.deepEqual(softmax.attrs, { axis: -1 });
    assert.equal(softmax.name, 'the_node');
    assert.deepEqual(softmax.inputs, flatten.outputs);
    assert.deepEqual(reshape.inputs, [softmax.outputs[0], shape.outputs[0]]);
    assert.deepEqual(reshape.outputs, ['y']);
    for (const n of g.nodes) assert.deepEqual(n.origin, { name: 'the_node', sourceOp: 'Softmax' });
    // Opset 13 is already the internal form.
    assert.deepEqual(
      translate(single('Softmax', 13, { axis: 1 })).nodes.map((n) => n.op),
      ['Softmax'],
    );
  });

  const kernels = ['Shape', 'Flatten', 'Softmax', 'LogSoftmax', 'Reshape'];
  test('computes the softmax over everything from the axis on', async () => {
    assert.ok(kernels.every(isSupportedOp), `a kernel of ${kernels.join(', ')} is missing`);
    await useTestBackend();
    const values = Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3);
    for (const op of ['Softmax', 'LogSoftmax']) {
      const g = await loadOnnxModel(writeOnnx(single(op, 11, { axis: 1 })));
      const y = forward(g, { x: tf.tensor(values, [2, 3, 4]) });
      for (let b = 0; b < 2; b++) {
        const row = values.slice(12 * b, 12 * b + 12);
        const sum = row.reduce((s, v) => s + Math.exp(v), 0);
        row.forEach((v, j) => {
          const want = op === 'Softmax' ? Math.exp(v) / sum : v - Math.log(sum);
          assert.ok(Math.abs(y[12 * b + j] - want) < 1e-5 * Math.max(1, Math.abs(want)), `${op}[${b},${j}]: ${y[12 * b + j]} vs ${want}`);
        });
      }
    }
  });
});

describe('ONNX Constant, Cast, Dropout, BatchNormalization, domains', () => {
  test('Constant forms fold into constants', () => {
    const spec: ModelSpec = {
      nodes: [
        node('Constant', [], ['f'], { value_float: { float: 1.5 } }),
        node('Constant', [], ['is'], { value_ints: [3, 4] }),
        node('Constant', [], ['t'], { value: { tensor: floatTensor('', [2], [7, 8]) } }),
        node('Add', ['x', 'f'], ['y'], {}, 'the_node'),
      ],
      inputs: [valueInfo('x', T.FLOAT, [2])],
      outputs: [valueInfo('y', T.FLOAT, null)],
    };
    const g = translate(spec);
    assert.deepEqual(
      g.nodes.map((n) => n.op),
      ['Add'],
    );
    assert.deepEqual(g.constants.get('f'), { dtype: 'float32', shape: [], data: Float32Array.of(1.5) });
    assert.deepEqual(g.constants.get('is'), { dtype: 'int32', shape: [2], data: Int32Array.of(3, 4) });
    assert.deepEqual([...g.constants.get('t')!.data], [7, 8]);
  });

  test('Cast targets become internal dtypes; a Cast to strings is refused as a variant', async () => {
    const to = (code: number): unknown => theNode(translate(single('Cast', 13, { to: code }))).attrs.to;
    assert.deepEqual([to(T.FLOAT16), to(T.DOUBLE), to(T.INT64), to(T.UINT8), to(T.BOOL)], ['float32', 'float32', 'int32', 'int32', 'bool']);
    // Opset 1 wrote the type's name.
    assert.equal(theNode(translate(single('Cast', 1, { to: 'INT32' }))).attrs.to, 'int32');
    const e = await refusal(single('Cast', 13, { to: T.STRING }));
    assert.deepEqual(e.ops.get('Cast (to STRING)'), ['the_node']);
  });

  test('Dropout is an Identity in inference; a used mask is all true', () => {
    const spec = single('Dropout', 13, {}, ['x']);
    const g = translate({ ...spec, nodes: [{ ...spec.nodes[0], output: ['y', 'mask'] }] });
    assert.deepEqual(
      g.nodes.map((n) => n.op),
      ['Identity', 'Shape', 'ConstantOfShape'],
    );
    assert.deepEqual(g.nodes[2].outputs, ['mask']);
    assert.deepEqual(g.nodes[2].attrs.value, { dtype: 'bool', shape: [1], data: Uint8Array.of(1) });
    const old = translate(single('Dropout', 7, { ratio: { float: 0.3 } }));
    assert.deepEqual(
      old.nodes.map((n) => [n.op, n.attrs]),
      [['Identity', {}]],
    );
  });

  test('training-mode Dropout and BatchNormalization are refused as variants', async () => {
    const dropout = single('Dropout', 13, {}, ['x', '', 'training'], {
      inputs: [valueInfo('x', T.FLOAT, [2])],
      initializers: [{ name: 'training', dims: [], dataType: T.BOOL, int32Data: [1] }],
    });
    assert.ok((await refusal(dropout)).ops.has('Dropout (training mode)'));
    // A training-mode graph input is a fixed input (secondaryInputs.ts): false, inference.
    const asInput = single('Dropout', 13, {}, ['x', '', 'training'], { inputs: [valueInfo('x', T.FLOAT, [2]), valueInfo('training', T.BOOL, [])] });
    assert.equal(theNode(translate(asInput)).op, 'Identity');
    const bnInputs = ['x', 's', 'b', 'm', 'v'];
    const bnInit = ['s', 'b', 'm', 'v'].map((n) => floatTensor(n, [3], [1, 0, 0]));
    const training = single('BatchNormalization', 14, { training_mode: 1 }, bnInputs, { initializers: bnInit });
    assert.ok((await refusal(training)).ops.has('BatchNormalization (training mode)'));
    const spatial0 = single('BatchNormalization', 7, { spatial: 0 }, bnInputs, { initializers: bnInit });
    assert.ok((await refusal(spatial0)).ops.has('BatchNormalization (spatial=0)'));
    const legacy = theNode(
      translate(single('BatchNormalization', 7, { spatial: 1, epsilon: { float: 1e-3 }, momentum: { float: 0.9 } }, bnInputs, { initializers: bnInit })),
    );
    assert.deepEqual(Object.keys(legacy.attrs), ['epsilon']);
    // Training outputs listed but read by nobody are dropped; read ones mean training.
    const listed = single('BatchNormalization', 9, {}, bnInputs, { initializers: bnInit });
    const withOutputs = (outputs: string[], extra: onnx.INodeProto[] = []): ModelSpec => ({
      ...listed,
      nodes: [{ ...listed.nodes[0], output: outputs }, ...extra],
    });
    assert.deepEqual(theNode(translate(withOutputs(['y', 'mean', 'var']))).outputs, ['y']);
    const read = withOutputs(['y', 'mean'], [node('Identity', ['mean'], ['m2'])]);
    assert.ok((await refusal(read)).ops.has('BatchNormalization (training mode)'));
  });

  test('Gelu from com.microsoft is Gelu; other domains are refused with their domain', async () => {
    const gelu = single('Gelu', 13, {}, ['x'], { extraOpsets: [{ domain: 'com.microsoft', version: 1 }] });
    const g = translate({ ...gelu, nodes: [{ ...gelu.nodes[0], domain: 'com.microsoft' }] });
    assert.equal(theNode(g).op, 'Gelu');
    const other = single('FusedConv', 13, {}, ['x'], { extraOpsets: [{ domain: 'com.microsoft', version: 1 }] });
    const e = await refusal({ ...other, nodes: [{ ...other.nodes[0], domain: 'com.microsoft' }] });
    assert.deepEqual([...e.ops.keys()], ['FusedConv (domain com.microsoft)']);
  });

  test('legacy broadcast (< 7): without an axis it is numpy broadcasting, with one it is refused', async () => {
    const plain = theNode(translate(single('Add', 6, { broadcast: 1 }, ['x', 'x'])));
    assert.deepEqual(plain.attrs, {});
    const withAxis = await refusal(single('Add', 6, { broadcast: 1, axis: 1 }, ['x', 'x']));
    assert.ok(withAxis.ops.has('Add (legacy broadcast with axis)'));
  });

  test('subgraph ops are refused by name', async () => {
    const body: onnx.IGraphProto = { name: 'body', node: [], input: [], output: [] };
    const spec = single('If', 13, {}, ['x']);
    const e = await refusal({
      ...spec,
      nodes: [{ ...spec.nodes[0], attribute: [{ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: body }] }],
    });
    assert.deepEqual([...e.ops.keys()], ['If']);
  });
});

before(async () => {
  await useTestBackend();
});

describe('ONNX old forms compute what their opset-18 forms compute', () => {
  const x = Array.from({ length: 24 }, (_, i) => Math.round(10 * Math.cos(i * 1.3)) / 4);
  const cases: { name: string; op: string; old: ModelSpec; current: ModelSpec }[] = [
    {
      name: 'Clip-6 attributes vs Clip-13 inputs',
      op: 'Clip',
      old: single('Clip', 6, { min: { float: -1 }, max: { float: 0.5 } }),
      current: single('Clip', 13, {}, ['x', 'lo', 'hi'], { initializers: [floatTensor('lo', [], [-1]), floatTensor('hi', [], [0.5])] }),
    },
    {
      name: 'Pad-2 attributes vs Pad-13 inputs',
      op: 'Pad',
      old: single('Pad', 2, { pads: [0, 1, 0, 1, 0, 2], value: { float: 7 } }),
      current: single('Pad', 13, {}, ['x', 'pads', 'v'], { initializers: [ints('pads', [0, 1, 0, 1, 0, 2]), floatTensor('v', [], [7])] }),
    },
    {
      name: 'ReduceMean-13 axes attribute vs ReduceMean-18 input',
      op: 'ReduceMean',
      old: single('ReduceMean', 13, { axes: [0, 2], keepdims: 0 }),
      current: single('ReduceMean', 18, { keepdims: 0 }, ['x', 'axes'], { initializers: [ints('axes', [0, 2])] }),
    },
    {
      name: 'Slice-9 attributes (INT64_MAX-like end) vs Slice-13 inputs',
      op: 'Slice',
      old: single('Slice', 9, { starts: [1, -3], ends: [2 ** 40, -1], axes: [1, 2] }),
      current: single('Slice', 13, {}, ['x', 's', 'e', 'a'], { initializers: [ints('s', [1, -3]), ints('e', [3, -1]), ints('a', [1, 2])] }),
    },
    {
      name: 'Unsqueeze-11 axes attribute vs Unsqueeze-13 input',
      op: 'Unsqueeze',
      old: single('Unsqueeze', 11, { axes: [0, 3] }),
      current: single('Unsqueeze', 13, {}, ['x', 'axes'], { initializers: [ints('axes', [0, 3])] }),
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      assert.ok(isSupportedOp(c.op), `no ${c.op} kernel`);
      await useTestBackend();
      const run = async (spec: ModelSpec): Promise<Float32Array> => forward(await loadOnnxModel(writeOnnx(spec)), { x: tf.tensor(x, [2, 3, 4]) });
      const [a, b] = [await run(c.old), await run(c.current)];
      assert.ok(a.length > 0);
      assert.deepEqual(a, b);
    });
  }

  test('Upsample-9 nearest picks input pixel floor(x_out / scale)', async () => {
    assert.ok(isSupportedOp('Resize'), 'no Resize kernel');
    await useTestBackend();
    const spec = single('Upsample', 9, { mode: 'nearest' }, ['x', 's'], { initializers: [floatTensor('s', [3], [1, 1, 1.5])] });
    const y = forward(await loadOnnxModel(writeOnnx(spec)), { x: tf.tensor(x, [2, 3, 4]) });
    // Width 4 -> 6: output column j reads input column floor(j / 1.5) = 0, 0, 1, 2, 2, 3.
    const cols = [0, 0, 1, 2, 2, 3];
    const want = Array.from({ length: 6 }, (_, r) => cols.map((c) => x[4 * r + c])).flat();
    assert.deepEqual([...y], want);
  });
});
