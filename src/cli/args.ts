/** Command-line parsing for the CLI: strict, with messages that say what was wrong. */
import { BACKEND_CHOICES, type BackendChoice } from '../runtime/backend';
import { EXPORT_FORMATS, formatFromFileName, type ExportFormat } from '../report/export';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `analyze <model>`: run the analysis, print the table, optionally gate CI on the result. */
export interface ParsedArgs {
  readonly command: 'analyze';
  readonly model: string;
  readonly help: false;
  readonly batch?: number;
  readonly probes?: number;
  readonly seed?: number;
  readonly exact?: 'auto' | 'on' | 'off';
  readonly exactMaxDim?: number;
  readonly memoryLimitMb?: number;
  /** Target relative half-width of k_lin's 99% interval (0: no refinement). */
  readonly kPrecision?: number;
  readonly kTimeBudgetMs?: number;
  /** Threads for the reverse passes (default min(2, cores)). */
  readonly threads?: number;
  readonly backend?: BackendChoice;
  readonly input?: string;
  /** Sample data: .npy, .json, .csv, raw float32, or a folder of images. */
  readonly data?: string;
  /** Labels file (.npy, .json, .csv), one label per sample of --data. */
  readonly labels?: string;
  /** CSV data: the label column (header name or 0-based index). */
  readonly labelColumn?: string;
  /** The reference layer: the model output (default) or the error layer (needs labels). */
  readonly reference?: 'output' | 'error';
  /** A model with several outputs: which one to measure to (0-based). */
  readonly outputIndex?: number;
  /** Cut the graph: the analysis output tensor (--output) and start tensor (--from). */
  readonly output?: string;
  readonly from?: string;
  /** How samples are taken from --data. */
  readonly sample?: 'first' | 'random';
  /** Images: per-channel normalisation of values in [0, 1]. */
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly json?: string;
  readonly dims: Readonly<Record<string, number>>;
  readonly noBlockMatrix: boolean;
  readonly quiet: boolean;
  /** CI gate: exit 3 when any block's GSC to the output exceeds this. */
  readonly failOnGsc?: number;
  /** CI gate: exit 3 when any nonlinearity is flagged pseudo-linear. */
  readonly failOnPseudoLinear: boolean;
  /** Threshold on a nonlinearity's k above which it is pseudo-linear (the report's thresholds.pseudoLinearK). */
  readonly pseudoLinearK?: number;
}

/** `report <report.json>`: export a saved report as Markdown, HTML, CSV or JSON. */
export interface ReportArgs {
  readonly command: 'report';
  readonly report: string;
  readonly format: ExportFormat;
  /** Output file; stdout when absent. */
  readonly out?: string;
}

export const COMPARE_FORMATS = ['text', 'md', 'json'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

/** `compare <a.json> <b.json>`: per-block differences between two saved reports. */
export interface CompareArgs {
  readonly command: 'compare';
  readonly a: string;
  readonly b: string;
  readonly format: CompareFormat;
}

export interface HelpArgs {
  readonly command: 'help';
}

export type CliArgs = ParsedArgs | ReportArgs | CompareArgs | HelpArgs;

function positiveInt(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} needs a whole number of at least ${min} (got "${value}")`);
  }
  return n;
}

/** A positive decimal number such as 100, 2.5 or 1e3. */
function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+(e[+-]?\d+)?$/i.test(value) || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} needs a positive number (got "${value}")`);
  }
  return n;
}

function isHelp(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}

export function parseArgs(argv: readonly string[]): CliArgs {
  if (argv.length === 0 || isHelp(argv[0]) || argv[0] === 'help') return { command: 'help' };
  const [command, ...rest] = argv;
  if (rest.some(isHelp)) return { command: 'help' };
  switch (command) {
    case 'analyze':
      return parseAnalyze(rest);
    case 'report':
      return parseReport(rest);
    case 'compare':
      return parseCompare(rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

const EXACT_MODES = ['auto', 'on', 'off'] as const;
const REFERENCE_LAYERS = ['output', 'error'] as const;
const SAMPLE_MODES = ['first', 'random'] as const;

/** Comma-separated numbers, e.g. 0.485,0.456,0.406 (one value, or one per channel). */
function numberList(flag: string, value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((s) => s === '') || nums.some((n) => !Number.isFinite(n))) throw new UsageError(`${flag} takes comma-separated numbers (got "${value}")`);
  return nums;
}

/** The value if it is one of `allowed`, else a usage error that lists them. */
function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} takes ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

/**
 * The arguments after the command, each with `value()`, which takes the next argument as this
 * flag's value (and fails naming the flag when there is none), so the walk then skips it.
 */
function* argumentsOf(rest: readonly string[]): Generator<{ readonly arg: string; readonly value: () => string }> {
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    yield {
      arg,
      value: () => {
        const v = rest[++i];
        if (v === undefined) throw new UsageError(`${arg} needs a value`);
        return v;
      },
    };
  }
}

function parseReport(rest: readonly string[]): ReportArgs {
  let format: ExportFormat | undefined;
  let out: string | undefined;
  const positional: string[] = [];
  for (const { arg, value } of argumentsOf(rest)) {
    switch (arg) {
      case '--format': {
        format = oneOf(arg, value(), EXPORT_FORMATS);
        break;
      }
      case '--out':
        out = value();
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option "${arg}"`);
        positional.push(arg);
    }
  }
  if (positional.length !== 1) {
    throw new UsageError(positional.length === 0 ? 'report needs a report file (.json)' : `unexpected arguments: ${positional.slice(1).join(' ')}`);
  }
  // Without --format, the output file's extension decides; Markdown otherwise.
  const chosen = format ?? (out !== undefined ? formatFromFileName(out) : undefined) ?? 'md';
  return { command: 'report', report: positional[0], format: chosen, ...(out !== undefined && { out }) };
}

function parseCompare(rest: readonly string[]): CompareArgs {
  let format: CompareFormat = 'text';
  const positional: string[] = [];
  for (const { arg, value } of argumentsOf(rest)) {
    if (arg === '--format') {
      format = oneOf(arg, value(), COMPARE_FORMATS);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option "${arg}"`);
    } else positional.push(arg);
  }
  if (positional.length !== 2) {
    throw new UsageError(positional.length < 2 ? 'compare needs two report files (a.json b.json)' : `unexpected arguments: ${positional.slice(2).join(' ')}`);
  }
  return { command: 'compare', a: positional[0], b: positional[1], format };
}

function parseAnalyze(rest: readonly string[]): ParsedArgs {
  const out: { -readonly [K in keyof ParsedArgs]?: ParsedArgs[K] } = {};
  const dims: Record<string, number> = {};
  const positional: string[] = [];
  for (const { arg, value } of argumentsOf(rest)) {
    switch (arg) {
      case '--batch':
        out.batch = positiveInt(arg, value(), 2);
        break;
      case '--probes':
        out.probes = positiveInt(arg, value(), 2);
        break;
      case '--seed':
        out.seed = positiveInt(arg, value(), 0);
        break;
      case '--exact-max-dim':
        out.exactMaxDim = positiveInt(arg, value(), 1);
        break;
      case '--memory-limit-mb':
        out.memoryLimitMb = positiveInt(arg, value(), 1);
        break;
      case '--k-precision': {
        const v = value();
        out.kPrecision = v === '0' ? 0 : positiveNumber(arg, v);
        break;
      }
      case '--k-time-budget-ms':
        out.kTimeBudgetMs = positiveInt(arg, value(), 0);
        break;
      case '--threads':
        out.threads = Math.min(64, positiveInt(arg, value(), 1));
        break;
      case '--exact':
        out.exact = oneOf(arg, value(), EXACT_MODES);
        break;
      case '--backend':
        out.backend = oneOf(arg, value(), BACKEND_CHOICES);
        break;
      case '--input':
        out.input = value();
        break;
      case '--json':
        out.json = value();
        break;
      case '--data':
        out.data = value();
        break;
      case '--labels':
        out.labels = value();
        break;
      case '--label-column':
        out.labelColumn = value();
        break;
      case '--reference':
        out.reference = oneOf(arg, value(), REFERENCE_LAYERS);
        break;
      case '--output-index':
        out.outputIndex = positiveInt(arg, value(), 0);
        break;
      case '--output':
        out.output = value();
        break;
      case '--from':
        out.from = value();
        break;
      case '--sample':
        out.sample = oneOf(arg, value(), SAMPLE_MODES);
        break;
      case '--mean':
        out.mean = numberList(arg, value());
        break;
      case '--std':
        out.std = numberList(arg, value());
        break;
      case '--dim': {
        const v = value();
        const m = /^([^=]+)=(\d+)$/.exec(v);
        if (!m || Number(m[2]) < 1) throw new UsageError(`--dim takes NAME=SIZE (got "${v}")`);
        dims[m[1]] = Number(m[2]);
        break;
      }
      case '--no-block-matrix':
        out.noBlockMatrix = true;
        break;
      case '--quiet':
        out.quiet = true;
        break;
      case '--fail-on-gsc':
        out.failOnGsc = positiveNumber(arg, value());
        break;
      case '--fail-on-pseudo-linear':
        out.failOnPseudoLinear = true;
        break;
      case '--pseudo-linear-k':
        out.pseudoLinearK = positiveNumber(arg, value());
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option "${arg}"`);
        positional.push(arg);
    }
  }
  if (positional.length !== 1) {
    throw new UsageError(positional.length === 0 ? 'analyze needs a model file' : `unexpected arguments: ${positional.slice(1).join(' ')}`);
  }
  checkDataOptions(out);
  return {
    ...out,
    command: 'analyze',
    model: positional[0],
    help: false,
    dims,
    noBlockMatrix: out.noBlockMatrix ?? false,
    quiet: out.quiet ?? false,
    failOnPseudoLinear: out.failOnPseudoLinear ?? false,
  };
}

/** The sample-data options that only make sense together. */
function checkDataOptions(o: {
  data?: string;
  input?: string;
  labels?: string;
  labelColumn?: string;
  sample?: string;
  mean?: readonly number[];
  std?: readonly number[];
  reference?: string;
}): void {
  if (o.data !== undefined && o.input !== undefined)
    throw new UsageError('--data and --input both give the input batch; use one (--input FILE is --data FILE for raw float32)');
  const needsData: [string, unknown][] = [
    ['--labels', o.labels],
    ['--label-column', o.labelColumn],
    ['--sample', o.sample],
    ['--mean', o.mean],
    ['--std', o.std],
  ];
  for (const [flag, v] of needsData) if (v !== undefined && o.data === undefined) throw new UsageError(`${flag} needs --data`);
  if (o.reference === 'error' && o.labels === undefined && o.labelColumn === undefined && o.data === undefined) {
    throw new UsageError('--reference error needs labels: --data with --labels, --label-column, or an image folder with class sub-folders');
  }
}
