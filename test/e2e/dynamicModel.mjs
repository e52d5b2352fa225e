// A small ONNX model whose input has a dynamic dimension ([batch, seq]): four Mul -> Tanh steps,
// valid for any seq. Written by the e2e tests that need one (no fixture file in the repository).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO } from './harness.mjs';

export function writeDynamicSeqModel(file) {
  const { onnx } = createRequire(path.join(REPO, 'package.json'))('onnx-proto');
  const T = onnx.TensorProto.DataType;
  const info = (name, dims) => ({
    name,
    type: { tensorType: { elemType: T.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const nodes = [];
  const initializer = [];
  let prev = 'x';
  for (let i = 0; i < 4; i++) {
    initializer.push({ name: `s${i}`, dims: [], dataType: T.FLOAT, floatData: [1.5] });
    nodes.push({ opType: 'Mul', input: [prev, `s${i}`], output: [`m${i}`], name: `scale${i}` });
    nodes.push({ opType: 'Tanh', input: [`m${i}`], output: [`t${i}`], name: `tanh${i}` });
    prev = `t${i}`;
  }
  const model = {
    irVersion: 8,
    producerName: 'gradient-lens-e2e',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'seqnet', node: nodes, input: [info('x', ['batch', 'seq'])], output: [info(prev, ['batch', 'seq'])], initializer },
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
}
