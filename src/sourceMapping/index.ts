/**
 * The source mapper: where in the user's files each analysed block (and the layers in it) is
 * defined. Pure (no `vscode`, no file access): the caller passes the texts.
 *
 * - TensorFlow.js model.json: the layer's (or graph node's) `"name": "<layer>"` member.
 * - ONNX exported from PyTorch: node names carry module paths; the Python sources are read
 *   symbolically (python/) and each path is followed from the root nn.Module class down.
 * - Keras Python / TensorFlow.js code: the `name=` / `name:` argument that produces the layer
 *   name, else the n-th layer constructor call for the n-th layer when counts and types agree.
 * - Sidecar placements override every guess. Whatever cannot be placed is listed with what
 *   was tried.
 */
import { normalizePath, SiteCollector, type MappableReport, type MappedBlock } from './items';
import { mapPyTorch, moduleItems } from './pytorchMapping';
import { modulePathOfNodeName } from './python/resolve';
import { placeFromSidecar } from './sidecarPlacement';
import { mapTfjs, tfjsItems } from './tfjsMapping';
import type { SourceHints, SourceMapping, SourceSite, SourceText, UnplacedBlock } from './types';

export type { PlacedInstance, PlacementMethod, SourceHints, SourceMapping, SourceRange, SourceSite, SourceText, UnplacedBlock } from './types';
export type { MappableReport } from './items';
export { parseSourceHints, sidecarCandidates, SourceHintsError } from './hints';

export interface MapInput {
  readonly report: MappableReport;
  /** The model file's text (model.json for TensorFlow.js models). */
  readonly modelFileText?: string;
  /** Source files to search (Python, JavaScript, TypeScript); hints.sourceFiles narrows them. */
  readonly sources: readonly SourceText[];
  readonly hints?: SourceHints;
}

/**
 * Places every block, and the layers in it, at the sites that define them.
 *
 * - Each block gets an instance with role 'block' at each site found for it (a model.json
 *   entry and a code line may both be found); its layers get role 'layer' instances. Sites that
 *   define several instances (a block class, `self.conv1` inside it) list them all.
 * - A TF.js block that is not itself a layer ("layer1" over layer1_conv1, ...) sits on its
 *   first layer's site.
 * - A sidecar placement replaces the guesses for that block or layer. Its file must be among
 *   `sources` to get a range over the line's text (and, when relative, to be found at all);
 *   an absolute path outside `sources` is placed as an empty range at the line's start.
 * - `unplaced` lists the blocks without any block site, each with what was tried.
 * Never throws on any input text.
 */
export function mapReportToSource(input: MapInput): SourceMapping {
  const { report } = input;
  const sources = restrictSources(input.sources, input.hints);
  const sites = new SiteCollector();
  const tried = new Map<number, string[]>();
  const note = (block: MappedBlock, reason: string): void => {
    tried.set(block.index, [...(tried.get(block.index) ?? []), reason]);
  };

  const isTfjs = report.model.format.startsWith('tfjs');
  const items = report.blocks.flatMap((b) => (isTfjs ? tfjsItems(b) : moduleItems(b)));

  // Sidecar placements first: an item placed by the user is not guessed.
  const open = items.filter((item) => !placeFromSidecar(item, input.hints, input.sources, sites, note));

  if (isTfjs) {
    // The model.json may come as modelFileText or as one of the sources (SourceText allows it).
    const modelText = input.modelFileText ?? input.sources.find((s) => normalizePath(s.path) === normalizePath(report.model.path))?.text;
    mapTfjs(open, report, modelText, sources, sites, note);
  } else {
    mapPyTorch(open, sources, sites, note);
  }

  const unplaced: UnplacedBlock[] = report.blocks
    .filter((b) => !sites.hasBlock(b.index))
    .map((b) => ({ blockIndex: b.index, name: b.name, reason: (tried.get(b.index) ?? ['nothing was tried']).join('; ') }));
  return { sites: sites.result(), unplaced };
}

/**
 * The instance name a report name has in the mapping: for ONNX node names the module path
 * ("/layer1/relu1/Relu" -> "layer1.relu1"), for TF.js the layer name itself. Use it to find the
 * site of a NonlinearityReport.sourceName; undefined when the name carries no module path.
 */
export function instanceNameOf(format: string, sourceName: string): string | undefined {
  if (format.startsWith('tfjs')) return sourceName;
  const path = modulePathOfNodeName(sourceName).join('.');
  return path === '' ? undefined : path;
}

/** The sites that list `instanceName` for block `blockIndex` (any role). */
export function sitesFor(mapping: SourceMapping, blockIndex: number, instanceName: string): SourceSite[] {
  return mapping.sites.filter((s) => s.instances.some((i) => i.blockIndex === blockIndex && i.instanceName === instanceName));
}

function restrictSources(sources: readonly SourceText[], hints: SourceHints | undefined): readonly SourceText[] {
  if (hints === undefined || hints.sourceFiles.length === 0) return sources;
  const wanted = new Set(hints.sourceFiles.map(normalizePath));
  return sources.filter((s) => wanted.has(normalizePath(s.path)));
}
