/**
 * The cut tensors of a block partition (every data path from the input to the output passes
 * through them), found in one sweep, against the definition itself: remove the tensor and
 * search for a path around it. Random DAGs of Relu and Add nodes, seeded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCutTensors } from '../../src/metrics/blocks';
import { analyzeDataFlow, dataInputNames, tensorsBetween } from '../../src/passes/dataflow';
import { SeededRandom } from '../../src/runtime/random';
import { GraphBuilder } from '../helpers/graphs';

/** By the definition: t is a cut when no path from input to output avoids it. */
function cutsByDefinition(
  nodes: readonly { inputs: readonly string[]; outputs: readonly string[] }[],
  onPath: ReadonlySet<string>,
  input: string,
  output: string,
): string[] {
  const reaches = (removed: string): boolean => {
    const seen = new Set([input]);
    const stack = [input];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (t === output) return true;
      for (const n of nodes) {
        if (!n.inputs.includes(t)) continue;
        for (const o of n.outputs) {
          if (o !== removed && onPath.has(o) && !seen.has(o)) {
            seen.add(o);
            stack.push(o);
          }
        }
      }
    }
    return false;
  };
  return [...onPath].filter((t) => t === input || t === output || !reaches(t));
}

test('one sweep finds exactly the tensors every path passes through (200 random DAGs)', () => {
  const random = new SeededRandom(7);
  let nonTrivial = 0;
  for (let g = 0; g < 200; g++) {
    const b = new GraphBuilder();
    const tensors = ['x'];
    const size = 3 + Math.floor(random.next() * 25);
    for (let k = 0; k < size; k++) {
      // Mostly chains, with skips of random length: the shapes residual networks make.
      const last = tensors[tensors.length - 1];
      const other = tensors[Math.max(0, tensors.length - 1 - Math.floor(random.next() * 6))];
      tensors.push(random.next() < 0.35 && other !== last ? b.node('Add', [last, other]) : b.node('Relu', [last]));
    }
    const model = b.build(tensors[tensors.length - 1]);
    const flow = analyzeDataFlow(model.graph, 'x');
    const output = tensors[tensors.length - 1];
    const onPath = tensorsBetween(flow, 'x', output);
    const nodes = model.graph.nodes.map((n) => ({ inputs: dataInputNames(n), outputs: n.outputs }));
    const expected = cutsByDefinition(nodes, onPath, 'x', output).sort((a, c) => flow.order.get(a)! - flow.order.get(c)!);
    const found = findCutTensors(flow, onPath, 'x', output);
    assert.deepEqual(found, expected, `graph ${g}`);
    if (expected.length < onPath.size) nonTrivial++;
  }
  // The generator makes graphs where some tensors are jumped over, not only chains.
  assert.ok(nonTrivial > 100, `${nonTrivial} graphs with tensors off the cuts`);
});
