/** What `--backend auto` picks for a loaded model (engine/backendChoice.ts), and a whole analysis under auto. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ortPreferredFor } from '../../src/engine/backendChoice';
import { analyzeModel } from '../../src/engine/analyze';
import { loadModel } from '../../src/loaders';
import type { Graph } from '../../src/graph/ir';
import { initBackend } from '../../src/runtime/backend';
import { fixtureDir } from '../helpers/fixtures';

async function fixtureGraph(name: string): Promise<Graph> {
  await initBackend('wasm');
  return (await loadModel(path.join(fixtureDir(name), 'model.onnx'))).graph;
}

test('convolutions: ONNX Runtime, and the reason counts them', async () => {
  const graph = await fixtureGraph('resnet_cifar8');
  const convs = graph.nodes.filter((n) => n.op === 'Conv').length;
  assert.ok(convs > 1);
  assert.equal(ortPreferredFor(graph), `the model has ${convs} convolutions`);
});

test('grouped (depthwise) convolutions: ONNX Runtime too, the reason says they run on wasm; none at all: wasm', async () => {
  const dense = await fixtureGraph('resnet_cifar8');
  const convs = dense.nodes.filter((n) => n.op === 'Conv').length;
  let grouped = false;
  const depthwise: Graph = {
    ...dense,
    nodes: dense.nodes.map((n) => {
      if (n.op !== 'Conv' || grouped) return n;
      grouped = true;
      return { ...n, attrs: { ...n.attrs, group: 4 } };
    }),
  };
  assert.equal(ortPreferredFor(depthwise), `the model has ${convs} convolutions (1 grouped, run on wasm within it)`);
  assert.equal(ortPreferredFor(await fixtureGraph('mlp_relu')), undefined);
  assert.equal(ortPreferredFor(await fixtureGraph('tiny_transformer')), undefined);
});

test('auto analyses a CNN on ONNX Runtime and an MLP on wasm, and the reports say why', async () => {
  const settings = { backend: 'auto', probes: 2, batch: 4, blockMatrix: false } as const;
  const cnn = await analyzeModel({ modelPath: path.join(fixtureDir('resnet_cifar8'), 'model.onnx'), settings });
  assert.equal(cnn.backend.name, 'ort');
  assert.match(cnn.backend.reason ?? '', /^auto: the model has \d+ convolutions, where ONNX Runtime is faster than wasm/);
  const mlp = await analyzeModel({ modelPath: path.join(fixtureDir('mlp_relu'), 'model.onnx'), settings });
  assert.equal(mlp.backend.name, 'wasm');
  assert.match(mlp.backend.reason ?? '', /^auto: /);
  await initBackend('wasm');
});
