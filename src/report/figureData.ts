/**
 * The "Analyze All Examples" figure as data: GSC to the output against depth, one series per
 * example, like Figure 1 of the paper. Built from the analysis reports (no `vscode`), sent to
 * the webview, and unit-tested on its own.
 */
import type { AnalysisReport } from './schema';

/**
 * Whether an op type counts as one layer of depth (the paper's depth counts weight layers).
 * The caller passes the op registry's `holdsWeights` fact (this bottom layer may not import ops),
 * so the figure and the block partition agree: Conv, ConvTranspose, Gemm, MatMul and Einsum.
 */
export type IsWeightLayer = (opType: string) => boolean;

export interface FigurePoint {
  /** Weight layers between the model input and this boundary. */
  readonly depth: number;
  /** Boundary index in the report (0 = input). */
  readonly boundary: number;
  readonly gsc: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  readonly method: string;
}

export interface FigureSeries {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly modelPath: string;
  readonly blocks: number;
  readonly points: readonly FigurePoint[];
  /** GSC(input -> output): the left end of the line. */
  readonly gscInputToOutput: number;
  readonly ciInput: readonly [number, number];
  readonly method: string;
  /** Fitted explosion rate per block (report.growth.logFit.rate). */
  readonly rate: number;
  readonly analysisMs: number;
}

export type FigureStatus = 'running' | 'done' | 'cancelled' | 'failed';

export interface ExamplesFigure {
  readonly status: FigureStatus;
  /** What is happening or what went wrong, for the status line. */
  readonly message: string;
  readonly settings: { readonly batch: number; readonly probes: number; readonly seed: number; readonly exact: string; readonly backend: string } | null;
  readonly series: readonly FigureSeries[];
  /** Examples not analysed (yet), in order. */
  readonly pending: readonly { readonly id: string; readonly title: string }[];
}

/** Depth (weight layers from the input) of every boundary 0..B of a report. */
export function boundaryDepths(report: AnalysisReport, isWeightLayer: IsWeightLayer): number[] {
  const depths = [0];
  for (const b of report.blocks) depths.push(depths[depths.length - 1] + b.opTypes.filter(isWeightLayer).length);
  return depths;
}

/** What a figure series needs to know of an example network (src/examples' ExampleInfo has it). */
export interface FigureExample {
  readonly id: string;
  readonly title: string;
  readonly description: string;
}

export function seriesFromReport(example: FigureExample, report: AnalysisReport, isWeightLayer: IsWeightLayer): FigureSeries {
  const depths = boundaryDepths(report, isWeightLayer);
  const points = report.boundaries.map((b) => ({
    depth: depths[b.index],
    boundary: b.index,
    gsc: b.gscToOutput.value,
    ciLow: b.gscToOutput.ci99[0],
    ciHigh: b.gscToOutput.ci99[1],
    method: b.gscToOutput.method,
  }));
  const input = report.boundaries[0].gscToOutput;
  return {
    id: example.id,
    title: example.title,
    description: example.description,
    modelPath: report.model.path,
    blocks: report.blocks.length,
    points,
    gscInputToOutput: report.growth.gscInputToOutput,
    ciInput: [input.ci99[0], input.ci99[1]],
    method: input.method,
    rate: report.growth.logFit.rate,
    analysisMs: report.timings.totalMs,
  };
}

export function settingsOf(report: AnalysisReport): NonNullable<ExamplesFigure['settings']> {
  const s = report.settings;
  return { batch: s.batch, probes: s.probes, seed: s.seed, exact: s.exact, backend: report.backend.name };
}
