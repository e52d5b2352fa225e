/**
 * The part of an analysis report the source mapper reads, built from a real fixture model by
 * the engine's own loader and block partition (the same code path as `analyze`, without the
 * measurements, so the tests stay fast). Also a reader for the fixture source files.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../src/loaders';
import { partitionBlocks } from '../../src/metrics/blocks';
import { referenceOutput } from '../../src/graph/queries';
import type { MappableReport } from '../../src/sourceMapping';
import type { SourceText } from '../../src/sourceMapping/types';
import { fixtureDir } from '../helpers/fixtures';

export async function fixtureReport(fixture: string, file: string): Promise<MappableReport & { modelText: string }> {
  const modelPath = path.join(fixtureDir(fixture), file);
  const { graph } = await loadModel(modelPath);
  const { blocks } = partitionBlocks(graph, graph.inputs[0].name, referenceOutput(graph));
  return {
    model: { format: graph.description.format, path: modelPath },
    blocks: blocks.map((b) => ({
      index: b.index,
      name: b.name,
      // As analyze.ts writes BlockReport.sourceNames.
      sourceNames: [...new Set(b.nodeIndices.map((i) => graph.nodes[i].origin.name))],
    })),
    modelText: file.endsWith('.json') ? readFileSync(modelPath, 'utf8') : '',
  };
}

/** The source fixture files in test/sourceMapping/fixtures (from test/ or out/test/). */
export function sourceFixture(name: string): SourceText {
  for (const up of [['..', '..', '..', 'test', 'sourceMapping', 'fixtures'], ['fixtures']]) {
    const p = path.resolve(__dirname, ...up, name);
    try {
      return { path: p, text: readFileSync(p, 'utf8') };
    } catch {
      // try the next location
    }
  }
  throw new Error(`source fixture ${name} not found from ${__dirname}`);
}
