/**
 * The complete check of a report read from outside (a file, the history, a webview's saved
 * state): every field the exporters, the comparison and the webview read, with its type and
 * range. A saved report is never trusted: a crafted one put markup into the HTML export
 * through a "number" field that held a string. Readers call reportIncompatibility (schema.ts),
 * which runs this after the schema/version check.
 *
 * Measured quantities may be null: JSON has no NaN or Infinity, so a measurement that came out
 * non-finite (a model whose activations overflow) is written null, and the surfaces print n/a.
 * Structural numbers (indices, dimensions, counts, settings, thresholds, timings) must be
 * finite, and integers where they count something.
 */

/** A field that is not what the report schema says: `path` names it, e.g. blocks[0].index. */
export class ReportFieldError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    found: unknown,
  ) {
    super(`${path} must be ${expected}, found ${describeValue(found)}`);
  }
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return `${v}`;
  return `an ${typeof v}`;
}

type Check = (v: unknown, path: string) => void;

const fail = (path: string, expected: string, v: unknown): never => {
  throw new ReportFieldError(path, expected, v);
};

const str: Check = (v, p) => {
  if (typeof v !== 'string') fail(p, 'a string', v);
};
const bool: Check = (v, p) => {
  if (typeof v !== 'boolean') fail(p, 'true or false', v);
};
const finite: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(p, 'a finite number', v);
};
const nonNegative: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(p, 'a finite non-negative number', v);
};
const integer: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(p, 'an integer', v);
};
const count: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(p, 'a non-negative integer', v);
};
/** A measured value: a number (NaN or ∞ in a report still in memory), or null when it came out non-finite and went through JSON. */
const measured: Check = (v, p) => {
  if (v !== null && typeof v !== 'number') fail(p, 'a number or null', v);
};

const optional =
  (check: Check): Check =>
  (v, p) => {
    if (v !== undefined) check(v, p);
  };
const nullable =
  (check: Check): Check =>
  (v, p) => {
    if (v !== null) check(v, p);
  };
const oneOf =
  (...values: readonly string[]): Check =>
  (v, p) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(p, `one of ${values.map((x) => `"${x}"`).join(', ')}`, v);
  };
const arrayOf =
  (check: Check, length?: number): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return fail(p, length === undefined ? 'an array' : `an array of ${length}`, v);
    if (length !== undefined && v.length !== length) fail(p, `an array of ${length}`, v);
    v.forEach((x, i) => check(x, `${p}[${i}]`));
  };
const record =
  (check: Check): Check =>
  (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, 'an object', v);
    for (const [k, x] of Object.entries(v)) check(x, `${p}.${k}`);
  };
const object =
  (fields: Readonly<Record<string, Check>>): Check =>
  (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, 'an object', v);
    const o = v as Record<string, unknown>;
    for (const [k, check] of Object.entries(fields)) check(o[k], p === '' ? k : `${p}.${k}`);
  };

const interval = arrayOf(measured, 2);

const estimate = object({ value: measured, stderr: nullable(nonNegative), ci99: interval, method: str });

const perSample = object({ median: measured, min: measured, max: measured, values: arrayOf(measured) });

const relation = object({
  k: measured,
  reductionFactor: measured,
  gscBlock: measured,
  gscNonlinear: measured,
  lhs: measured,
  rhs: measured,
  predictedGscBlock: measured,
  predictedOverMeasured: measured,
  note: optional(str),
});

const streamUnitFields = object({
  name: str,
  kind: oneOf('plain', 'residual'),
  inputTensor: str,
  outputTensor: str,
  nodes: arrayOf(str),
  opTypes: arrayOf(str),
  residual: nullable(
    object({
      skipKind: oneOf('identity', 'projection'),
      mergeTensor: str,
      skipTensor: str,
      branchTensor: str,
      mergeNode: str,
      gscMerge: optional(estimate),
      gscBranch: optional(estimate),
      gscSkip: optional(estimate),
    }),
  ),
  gscUnit: optional(estimate),
  unmeasured: optional(str),
});

const streamUnit: Check = (v, p) => {
  streamUnitFields(v, p);
  // A unit is measured or says why not, never both: surfaces show one or the other.
  const u = v as { gscUnit?: unknown; unmeasured?: unknown };
  if (u.gscUnit !== undefined && u.unmeasured !== undefined) fail(`${p}.unmeasured`, 'absent (the unit has a gscUnit)', u.unmeasured);
};

const residual = object({
  skipKind: oneOf('identity', 'projection'),
  mergeTensor: str,
  skipTensor: str,
  branchTensor: str,
  mergeNode: str,
  opsAfterMerge: arrayOf(str),
  qSkip: measured,
  qBranch: measured,
  qMerge: measured,
  kSkip: measured,
  branchZero: optional(bool),
  gscMerge: estimate,
  gscBranch: estimate,
  gscSkip: estimate,
  relation,
});

const linearisation = object({
  kLin: measured,
  kLinCi99: nullable(interval),
  linear: bool,
  qSv: estimate,
  qRho: estimate,
  qF: measured,
  qV: measured,
  sFrob2: estimate,
  gscS: measured,
  relation,
  kLinPrecision: optional(
    object({
      target: nonNegative,
      reached: nonNegative,
      met: bool,
      probes: count,
      central: bool,
      stoppedBy: optional(oneOf('time-budget', 'probe-cap')),
    }),
  ),
});

const block: Check = (v, p) => {
  object({
    index: count,
    name: str,
    kind: oneOf('plain', 'residual'),
    inputTensor: str,
    outputTensor: str,
    dIn: count,
    dOut: count,
    nodes: arrayOf(str),
    opTypes: arrayOf(str),
    sourceNames: arrayOf(str),
    outputQ: measured,
    gscToOutput: estimate,
    gscToOutputPerSample: perSample,
    gscBlock: estimate,
    growthRatio: measured,
    residual: nullable(residual),
    linearisation,
    bypassed: optional(bool),
    streamUnits: optional(arrayOf(streamUnit)),
  })(v, p);
  // Every surface reads the skip details of a residual block, and only of one.
  const b = v as { kind: string; residual: unknown };
  if ((b.kind === 'residual') !== (b.residual !== null)) {
    fail(`${p}.residual`, b.kind === 'residual' ? 'an object (the block is residual)' : 'null (the block is plain)', b.residual);
  }
};

const boundary = object({
  index: count,
  tensor: str,
  dim: count,
  q: measured,
  gscToOutput: estimate,
  gscToOutputPerSample: perSample,
  qmJacobian: estimate,
});

const nonlinearity = object({
  index: count,
  op: str,
  node: str,
  sourceName: str,
  block: count,
  inputTensor: str,
  outputTensor: str,
  dim: count,
  signDiversity: measured,
  relativeSpread: measured,
  k: measured,
  meanSlope: measured,
  qSz: measured,
  qRho: measured,
  qPreactivation: measured,
  pseudoLinear: bool,
  collapsed: bool,
});

/** (B+1) x (B+1) entries, one table per field: the heatmaps index them by boundary. */
function blockMatrix(size: number): Check {
  const square = (entry: Check): Check => arrayOf(arrayOf(nullable(entry), size), size);
  return object({ gsc: square(measured), stderr: square(measured), ci99: square(interval), method: square(str) });
}

const topLevel = object({
  schema: str,
  version: str,
  tool: object({ name: str, version: str }),
  createdAt: str,
  model: object({
    path: str,
    fileName: str,
    contentHash: str,
    format: str,
    formatLabel: str,
    producer: optional(str),
    inputName: str,
    inputShape: arrayOf(integer),
    inputLayout: optional(str),
    outputName: str,
    outputDim: count,
    parameters: count,
    nodes: count,
    sampleBySample: optional(bool),
  }),
  settings: object({
    batch: count,
    probes: count,
    seed: integer,
    exact: oneOf('auto', 'on', 'off'),
    exactMaxDim: count,
    backend: str,
    blockMatrix: bool,
    inputSource: str,
    dimOverrides: record(integer),
    memoryLimitMb: optional(nonNegative),
    kPrecision: optional(nonNegative),
    kTimeBudgetMs: optional(nonNegative),
  }),
  thresholds: object({ gsc: finite, pseudoLinearK: finite, collapsedSpread: finite }),
  backend: object({ name: str, tfjsBackend: str, notes: arrayOf(str), reason: optional(str), threads: optional(count) }),
  timings: object({
    loadMs: nonNegative,
    forwardMs: nonNegative,
    gscToOutputMs: nonNegative,
    blockMatrixMs: nonNegative,
    blocksMs: nonNegative,
    totalMs: nonNegative,
  }),
  memory: optional(object({ limitMb: nonNegative, plannedMb: nonNegative, peakMb: nonNegative })),
  reference: object({
    kind: oneOf('output', 'error'),
    tensor: str,
    loss: optional(oneOf('cross-entropy', 'squared-error')),
    modelOutput: optional(str),
    labels: optional(str),
    classes: optional(arrayOf(str)),
    outputs: optional(arrayOf(str)),
    outputIndex: optional(count),
    cutAt: optional(str),
  }),
  input: optional(
    object({
      kind: str,
      path: optional(str),
      samples: count,
      available: optional(count),
      sample: optional(oneOf('first', 'random')),
      labels: optional(str),
      layout: optional(str),
      mean: optional(arrayOf(finite)),
      std: optional(arrayOf(finite)),
      tokens: optional(
        object({
          ids: str,
          vocabulary: count,
          sequenceLength: count,
          embedding: str,
          fixed: arrayOf(object({ name: str, value: oneOf('ones', 'zeros', 'positions') })),
        }),
      ),
    }),
  ),
  blocks: arrayOf(block),
  growth: object({ gscInputToOutput: measured, geometricMeanRate: measured, logFit: object({ slope: measured, intercept: measured, rate: measured }) }),
  chain: arrayOf(object({ k: count, direct: measured, product: measured, ratio: measured, note: optional(str) })),
  nonlinearities: arrayOf(nonlinearity),
  warnings: arrayOf(object({ code: str, message: str, where: optional(str) })),
});

/**
 * Checks every field of a parsed report; returns the first problem ("blocks[0].index must be an
 * integer, found a string") or undefined when the report is sound.
 */
export function reportFieldProblem(value: unknown): string | undefined {
  try {
    topLevel(value, '');
    const r = value as { blocks: unknown[]; boundaries: unknown; blockMatrix: unknown };
    // Boundaries 0..B around B blocks: the charts put block k between boundaries k-1 and k.
    arrayOf(boundary, r.blocks.length + 1)(r.boundaries, 'boundaries');
    nullable(blockMatrix(r.blocks.length + 1))(r.blockMatrix, 'blockMatrix');
    return undefined;
  } catch (e) {
    if (e instanceof ReportFieldError) return e.message;
    throw e;
  }
}
