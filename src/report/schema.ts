/**
 * The analysis report: one typed, versioned schema shared by the engine, the CLI, the
 * exporters, the extension and the webview. Every number in it comes from a computation on
 * the model; nothing is filled in for show.
 *
 * Versioning: bump REPORT_SCHEMA_VERSION's minor number for additive changes and its major
 * number for anything that changes or removes a field; readers check the major number.
 * 1.2 added (all optional): backend.reason; settings.kPrecision and kTimeBudgetMs; per block
 * linearisation.kLinPrecision, residual.branchZero and bypassed; reference.outputs and
 * outputIndex; reference.cutAt; input.tokens; model.sampleBySample; memory; per block streamUnits, and per stream unit gscUnit, unmeasured and
 * residual.gscMerge / gscBranch / gscSkip. Also new in 1.2 (a separate
 * message, not a field of the report): PartialReport, the GSC to the output sent before the rest is done.
 *
 * JSON conventions: an infinite k (a linear block) is written `null` with `linear: true`;
 * quantities that do not apply are `null`.
 */

import { reportFieldProblem } from './validate';

export const REPORT_SCHEMA = 'gradient-lens-report';
export const REPORT_SCHEMA_VERSION = '1.2';

/** An estimate with its uncertainty. Exact values have stderr 0 and method 'exact'. */
export interface Estimate {
  readonly value: number;
  /** One standard error (from the spread across probes); 0 when exact. */
  readonly stderr: number;
  /** 99% confidence interval [low, high]; equal to [value, value] when exact. */
  readonly ci99: readonly [number, number];
  /** 'exact' (one one-hot cotangent per unit), 'probes:P' (P Gaussian probes), or 'identity'. */
  readonly method: string;
}

export interface PerSampleSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly values: readonly number[];
}

/** Settings the analysis ran with (after defaults were applied). */
export interface AnalysisSettings {
  readonly batch: number;
  readonly probes: number;
  readonly seed: number;
  /** 'auto' uses exact one-hot cotangents when the target has at most exactMaxDim units. */
  readonly exact: 'auto' | 'on' | 'off';
  readonly exactMaxDim: number;
  readonly backend: 'auto' | 'ort' | 'node' | 'wasm' | 'cpu';
  /** Whether the full block matrix GSC(k -> l) was computed. */
  readonly blockMatrix: boolean;
  /** Where the input batch came from: 'gaussian' (seeded N(0,1)) or a file path. */
  readonly inputSource: string;
  /** Values given to dynamic input dimensions, by dimension name. */
  readonly dimOverrides: Readonly<Record<string, number>>;
  /** Memory the analysis may plan for, in MB; 0 means half of the memory free at the start. */
  readonly memoryLimitMb: number;
  /**
   * Target relative half-width of k_lin's 99% interval: a block whose interval is wider gets
   * refined (central differences, more probes); 0 or absent: no refinement.
   */
  readonly kPrecision?: number;
  /** Time one block's refinement may start within, in ms (default 10000). */
  readonly kTimeBudgetMs?: number;
}

export interface ModelInfo {
  readonly path: string;
  readonly fileName: string;
  /** sha256 of the model file (and, for multi-file formats, of its weight files in order). */
  readonly contentHash: string;
  readonly format: string;
  readonly formatLabel: string;
  readonly producer?: string;
  readonly inputName: string;
  /** Full input shape used, including the batch dimension. */
  readonly inputShape: readonly number[];
  readonly inputLayout?: string;
  readonly outputName: string;
  readonly outputDim: number;
  readonly parameters: number;
  readonly nodes: number;
  /**
   * True when the model runs only at batch 1 (an export baked the batch into a constant) and
   * the batch was analysed one sample at a time; the numbers are those of a batch pass.
   */
  readonly sampleBySample?: boolean;
}

export interface BackendReport {
  /** 'ort': ONNX Runtime computed the convolutions, TensorFlow.js (tfjsBackend) the other ops. */
  readonly name: 'ort' | 'node' | 'wasm' | 'cpu';
  readonly tfjsBackend: string;
  readonly notes: readonly string[];
  /** Why this backend ran and what computed on it (absent in reports before ONNX Runtime). */
  readonly reason?: string;
  /** Threads that ran reverse passes (src/engine/parallel); absent in reports before 1.1. */
  readonly threads?: number;
}

/**
 * loadMs, forwardMs and totalMs are wall-clock; the three phase times are the reverse passes'
 * time summed over the threads that ran them (with 2 threads they may exceed totalMs).
 */
export interface Timings {
  readonly loadMs: number;
  readonly forwardMs: number;
  readonly gscToOutputMs: number;
  readonly blockMatrixMs: number;
  readonly blocksMs: number;
  readonly totalMs: number;
}

/**
 * The memory guard's plan against what the process used (src/engine/resources.ts). Sizes in MB
 * (2^20 bytes). The peak is the process's largest resident set so far (every thread, the wasm
 * heaps, Node itself); in a long-lived process (the extension's worker) it includes earlier
 * analyses.
 */
export interface MemoryReport {
  /** The limit the analysis planned for (memory limit setting, else half the free memory, at most the wasm heap's ceiling). */
  readonly limitMb: number;
  /** The plan: the process's expected peak at the batch and threads analysed. */
  readonly plannedMb: number;
  /** The process's measured peak resident memory. */
  readonly peakMb: number;
}

/** The k^2+1 relation of docs/metrics.md: GSC_f^2 - 1 ~ (GSC_rho^2 - 1) / (k^2 + 1). */
export interface DilutionRelation {
  readonly k: number | null;
  readonly reductionFactor: number | null;
  readonly gscBlock: number;
  readonly gscNonlinear: number | null;
  readonly lhs: number;
  readonly rhs: number | null;
  readonly predictedGscBlock: number | null;
  readonly predictedOverMeasured: number | null;
  /** Why the relation does not apply (e.g. "n/a: affine block"), when it does not. */
  readonly note?: string;
}

export interface ResidualInfo {
  readonly skipKind: 'identity' | 'projection';
  readonly mergeTensor: string;
  readonly skipTensor: string;
  readonly branchTensor: string;
  readonly mergeNode: string;
  readonly opsAfterMerge: readonly string[];
  readonly qSkip: number;
  readonly qBranch: number;
  readonly qMerge: number;
  /** k_skip = Q||skip|| / Q||branch||, read at the merge; ∞ (null in JSON) when the branch is exactly zero. */
  readonly kSkip: number;
  /**
   * The branch is exactly zero on the batch (a zero-initialised last norm): k_skip is ∞, the
   * GSC of the branch is 0/0, the relation does not apply, and the report warns.
   */
  readonly branchZero?: boolean;
  readonly gscMerge: Estimate;
  readonly gscBranch: Estimate;
  readonly gscSkip: Estimate;
  readonly relation: DilutionRelation;
}

export interface LinearisationInfo {
  /** k_lin; null means infinite (a linear block). */
  readonly kLin: number | null;
  readonly kLinCi99: readonly [number, number] | null;
  readonly linear: boolean;
  readonly qSv: Estimate;
  readonly qRho: Estimate;
  readonly qF: number;
  readonly qV: number;
  readonly sFrob2: Estimate;
  readonly gscS: number | null;
  readonly relation: DilutionRelation;
  /** What the adaptive refinement of k_lin aimed for and reached (absent when k_lin is exact or infinite). */
  readonly kLinPrecision?: KLinPrecision;
}

/** The precision of an estimated k_lin: the target and the reached relative half-width of its 99% interval. */
export interface KLinPrecision {
  /** Target relative half-width (settings.kPrecision). */
  readonly target: number;
  /** (high - low) / 2 / k_lin of the reported interval. */
  readonly reached: number;
  readonly met: boolean;
  /** Probes used in the end (the setting's probes plus any added). */
  readonly probes: number;
  /** Whether the finite differences were refined to central ones. */
  readonly central: boolean;
  /** Why refinement stopped short of the target: the time budget or the probe cap. */
  readonly stoppedBy?: 'time-budget' | 'probe-cap';
}

export interface BlockReport {
  /** 1..B from the input. */
  readonly index: number;
  /** Readable name derived from node names (e.g. "layer1.0"). */
  readonly name: string;
  readonly kind: 'plain' | 'residual';
  readonly inputTensor: string;
  readonly outputTensor: string;
  readonly dIn: number;
  readonly dOut: number;
  /** Internal node names in the block, in graph order. */
  readonly nodes: readonly string[];
  /** Op types in the block, in graph order. */
  readonly opTypes: readonly string[];
  /** Names as written in the model file (ONNX node names, tfjs layer names): for source mapping. */
  readonly sourceNames: readonly string[];
  readonly outputQ: number;
  /** GSC(this block's output -> model output), over the batch. */
  readonly gscToOutput: Estimate;
  readonly gscToOutputPerSample: PerSampleSummary;
  /** GSC(block input -> block output). */
  readonly gscBlock: Estimate;
  /** Per-block growth: GSC(k-1 -> out) / GSC(k -> out). */
  readonly growthRatio: number;
  readonly residual: ResidualInfo | null;
  readonly linearisation: LinearisationInfo;
  /**
   * The block cuts finer a region that no single tensor separates (U-Net, parallel streams,
   * FPN): its boundaries lie on the region's main path and other data paths go around them
   * (docs/metrics.md, "Branching topologies"). Absent for blocks between cut tensors.
   */
  readonly bypassed?: boolean;
  /**
   * Units of the streams off the main path that this bypassed block holds (another head's
   * residual units, an FPN level's), each cut along its own stream (docs/metrics.md,
   * "Streams off the main path"), each with its own GSC when its input reaches its output only
   * through its ops; the block's GSCs stay along the main path. Absent when the block holds no
   * such stream.
   */
  readonly streamUnits?: readonly StreamUnitReport[];
}

/** A unit of a stream off the main path, nested in a bypassed block: its ops, its residual connection if any, its GSCs. */
export interface StreamUnitReport {
  readonly name: string;
  readonly kind: 'plain' | 'residual';
  readonly inputTensor: string;
  readonly outputTensor: string;
  /** Internal node names, in graph order (a subset of the block's). */
  readonly nodes: readonly string[];
  readonly opTypes: readonly string[];
  /**
   * The merge and which of its inputs is the skip, found as for a residual block; null when
   * plain. gscMerge, gscSkip and gscBranch (from the unit's input, as a block's) are present
   * when the unit is measured; gscBranch is absent when the branch is exactly zero (0/0).
   */
  readonly residual:
    | (Pick<ResidualInfo, 'skipKind' | 'mergeTensor' | 'skipTensor' | 'branchTensor' | 'mergeNode'> &
        Partial<Pick<ResidualInfo, 'gscMerge' | 'gscBranch' | 'gscSkip'>>)
    | null;
  /**
   * GSC(unit input -> unit output) with the other tensors its ops read held at their forward
   * values, measured as a block's gscBlock (probes, or exact for a narrow output). Absent when
   * not measured (see `unmeasured`).
   */
  readonly gscUnit?: Estimate;
  /** Why the unit was not measured: its input also reaches its output through ops outside it. */
  readonly unmeasured?: string;
}

export interface BoundaryReport {
  /** 0..B; 0 is the model input, B the model output. */
  readonly index: number;
  readonly tensor: string;
  readonly dim: number;
  readonly q: number;
  readonly gscToOutput: Estimate;
  readonly gscToOutputPerSample: PerSampleSummary;
  /** Q_x ||J||_qm to the output. */
  readonly qmJacobian: Estimate;
}

export interface NonlinearityReport {
  readonly index: number;
  readonly op: string;
  readonly node: string;
  readonly sourceName: string;
  readonly block: number;
  readonly inputTensor: string;
  readonly outputTensor: string;
  readonly dim: number;
  readonly signDiversity: number;
  readonly relativeSpread: number;
  /** The nonlinearity's own k; null when infinite. */
  readonly k: number | null;
  readonly meanSlope: number;
  readonly qSz: number;
  readonly qRho: number;
  readonly qPreactivation: number;
  /** Flags from the thresholds in settings. */
  readonly pseudoLinear: boolean;
  readonly collapsed: boolean;
}

export interface BlockMatrix {
  /** gsc[k][l] = GSC(boundary k -> boundary l) for k < l, else null. (B+1) x (B+1). */
  readonly gsc: readonly (readonly (number | null)[])[];
  readonly stderr: readonly (readonly (number | null)[])[];
  /** 99% confidence interval of each entry ([v, v] when exact). */
  readonly ci99: readonly (readonly (readonly [number, number] | null)[])[];
  readonly method: readonly (readonly (string | null)[])[];
}

export interface Growth {
  readonly gscInputToOutput: number;
  readonly geometricMeanRate: number;
  readonly logFit: { readonly slope: number; readonly intercept: number; readonly rate: number };
}

export interface ChainCheck {
  readonly k: number;
  readonly direct: number;
  readonly product: number;
  readonly ratio: number;
  /** Why the ratio may be far from 1, when the report knows (slots of boundary k that do not depend on the input). */
  readonly note?: string;
}

export interface ReportWarning {
  readonly code: 'non-finite' | 'backend-fallback' | 'relation-na' | 'probe-noise' | 'input' | 'other';
  readonly message: string;
  /** The tensor or node the warning is about, when there is one. */
  readonly where?: string;
}

export interface Thresholds {
  /** GSC to the output above which a block is flagged as exploding. */
  readonly gsc: number;
  /** Nonlinearity k above which it is flagged pseudo-linear. */
  readonly pseudoLinearK: number;
  /** Relative spread below which a pre-activation domain is flagged collapsed. */
  readonly collapsedSpread: number;
}

/**
 * The reference layer f_l of the headline column GSC(k -> out): the model output (logits), or
 * the error layer (the per-sample loss against the labels, as in the paper).
 */
export interface ReferenceReport {
  readonly kind: 'output' | 'error';
  readonly tensor: string;
  /** Error layer: the loss (cross-entropy on softmax for class indices, else squared error). */
  readonly loss?: 'cross-entropy' | 'squared-error';
  /** Error layer: the model output the loss is computed from (the logits). */
  readonly modelOutput?: string;
  /** Error layer: where the labels came from (a file, `file.csv:column`, or an image folder). */
  readonly labels?: string;
  /** Error layer with image class sub-folders: the class names, index order. */
  readonly classes?: readonly string[];
  /** A model with several outputs: their names, in the model's order. */
  readonly outputs?: readonly string[];
  /** A model with several outputs: the one measured to (0-based index into `outputs`). */
  readonly outputIndex?: number;
  /** The tensor the analysis was cut at (--output, "Analyze Up To Tensor…"), when the user chose one (1.2). */
  readonly cutAt?: string;
}

/** The analysed batch's source (1.1). */
export interface InputSourceReport {
  readonly kind: 'gaussian' | 'float32' | 'npy' | 'json' | 'csv' | 'images';
  /** The data file or folder (absent for 'gaussian'). */
  readonly path?: string;
  /** Samples analysed. */
  readonly samples: number;
  /** Samples the source holds. */
  readonly available?: number;
  /** How the samples were chosen from the source. */
  readonly sample?: 'first' | 'random';
  /** Where the labels came from, when there are labels. */
  readonly labels?: string;
  /** Images: the sample layout written (CHW, HWC or HW) and the normalisation (v in [0, 1] -> (v - mean) / std). */
  readonly layout?: string;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  /**
   * Token-id inputs (a language model): the analysis starts at the embedding, boundary 0
   * (docs/metrics.md). The ids were seeded uniform in the vocabulary ('gaussian' kind, the
   * seeded batch) or read from the data file.
   */
  readonly tokens?: TokenInputReport;
}

export interface TokenInputReport {
  /** The input holding the token ids. */
  readonly ids: string;
  readonly vocabulary: number;
  readonly sequenceLength: number;
  /** Boundary 0: the token lookup's output, or the sum of the token, position and segment lookups. */
  readonly embedding: string;
  /** The other integer inputs and what they were fed. */
  readonly fixed: readonly { readonly name: string; readonly value: 'ones' | 'zeros' | 'positions' }[];
}

export interface AnalysisReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly version: string;
  readonly tool: { readonly name: 'gradient-lens'; readonly version: string };
  readonly createdAt: string;
  readonly model: ModelInfo;
  readonly settings: AnalysisSettings;
  readonly thresholds: Thresholds;
  readonly backend: BackendReport;
  readonly timings: Timings;
  /** The memory guard's plan and the measured peak (added in 1.2; absent in older reports). */
  readonly memory?: MemoryReport;
  /** The reference layer f_l of the headline column: the model output (logits). */
  readonly reference: ReferenceReport;
  /** Where the analysed batch came from (added in 1.1; older reports have only settings.inputSource). */
  readonly input?: InputSourceReport;
  readonly boundaries: readonly BoundaryReport[];
  readonly blocks: readonly BlockReport[];
  readonly blockMatrix: BlockMatrix | null;
  readonly growth: Growth;
  readonly chain: readonly ChainCheck[];
  readonly nonlinearities: readonly NonlinearityReport[];
  readonly warnings: readonly ReportWarning[];
}

/** The analysis phases a PartialReport can announce as done (the GSC to the output comes first). */
export type PartialPhase = 'gsc-to-output';

/** A block as far as the GSC to the output knows it. */
export interface PartialBlock {
  readonly index: number;
  readonly name: string;
  readonly kind: 'plain' | 'residual';
  readonly gscToOutput: Estimate;
}

/**
 * What an analysis knows before it ends: sent by the engine (AnalyzeHooks.onPartial) once the
 * GSC to the output is measured, while the block matrix and the per-block measures still run,
 * so a first chart can be shown early. Every number equals the final report's (the same jobs'
 * results, assembled by the same functions). Never saved: the final AnalysisReport replaces it.
 */
export interface PartialReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly version: string;
  readonly partial: true;
  /** The phases whose numbers are in here. */
  readonly done: readonly PartialPhase[];
  readonly model: Pick<ModelInfo, 'path' | 'fileName' | 'inputName' | 'outputName'>;
  readonly settings: AnalysisSettings;
  readonly thresholds: Thresholds;
  readonly reference: ReferenceReport;
  readonly boundaries: readonly BoundaryReport[];
  readonly blocks: readonly PartialBlock[];
  readonly growth: Growth;
}

/**
 * Checks that a parsed JSON value is a report this version can read, field by field
 * (validate.ts): every reader calls this before using a report. Returns a reason if not.
 */
export function reportIncompatibility(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const v = value as { schema?: unknown; version?: unknown };
  if (v.schema !== REPORT_SCHEMA) return `not a Gradient Lens report (schema is ${JSON.stringify(v.schema)})`;
  if (typeof v.version !== 'string') return 'report has no version';
  const major = v.version.split('.')[0];
  if (major !== REPORT_SCHEMA_VERSION.split('.')[0]) {
    return `report version ${v.version} is not readable by this version (${REPORT_SCHEMA_VERSION})`;
  }
  return reportFieldProblem(value);
}
