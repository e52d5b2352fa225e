#!/usr/bin/env node
/**
 * gradient-lens: the headless CLI over the same engine the extension uses.
 *
 *   gradient-lens analyze <model> [--batch N] [--probes P] [--seed S] [--exact auto|on|off]
 *                 [--backend auto|ort|wasm|node|cpu] [--input FILE] [--json FILE] [--dim NAME=SIZE]...
 *                 [--data PATH [--labels FILE | --label-column COL] [--sample first|random]
 *                  [--mean M[,M,M]] [--std S[,S,S]]] [--reference output|error]
 *                 [--no-block-matrix] [--exact-max-dim D] [--quiet]
 *                 [--fail-on-gsc X] [--fail-on-pseudo-linear] [--pseudo-linear-k K]
 *   gradient-lens report <report.json> [--format md|html|csv|json] [--out FILE]
 *   gradient-lens compare <a.json> <b.json> [--format text|md|json]
 *
 * Exit codes: 0 success, 1 error (message on stderr), 2 bad usage, 3 a CI gate of analyze failed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { analyzeModel } from '../engine/analyze';
import type { AnalyzeRequest } from '../engine/api';
import { DataError } from '../data/errors';
import { reportIncompatibility, type AnalysisReport, type AnalysisSettings } from '../report/schema';
import { exportReport } from '../report/export';
import { compareReports } from '../report/compare';
import { comparisonToMarkdown, comparisonToText } from '../report/compareFormat';
import { printable, printableLines } from '../report/printable';
import { formatPartialTable, formatReportTable } from './table';
import { gateFailures } from './gate';
import { parseArgs, UsageError, type CliArgs, type CompareArgs, type ParsedArgs, type ReportArgs } from './args';

/** Exit code when a CI gate (--fail-on-gsc, --fail-on-pseudo-linear) fails. */
export const EXIT_GATE_FAILED = 3;

export const USAGE = `usage: gradient-lens analyze <model.onnx | model.json> [options]
       gradient-lens report <report.json> [--format md|html|csv|json] [--out FILE]
       gradient-lens compare <a.json> <b.json> [--format text|md|json]

analyze options:

options:
  --batch N            samples in the Gaussian input batch (default 16)
  --probes P           Gaussian probes per estimate (default 8)
  --seed S             seed for the input batch and the probes (default 0)
  --exact MODE         auto | on | off: one-hot cotangents instead of probes (default auto)
  --exact-max-dim D    with --exact auto, targets with at most D units are exact (default 64)
  --backend B          auto | ort | wasm | node | cpu (default auto: node if installed, else ort
                       for a model with convolutions, else wasm, cpu;
                       ort: ONNX Runtime for whole reverse passes and dense convolutions,
                       wasm with a note where its binary cannot load)
  --input FILE         raw little-endian float32 input in the model's input shape;
                       the batch size is read from its length
  --data PATH          sample data instead of the Gaussian batch: .npy (float32, float64,
                       uint8; C order), .json (nested arrays, or {"inputs", "labels"}),
                       .csv (numeric columns, header optional), raw float32 .bin/.f32/.raw,
                       or a folder of PNG/JPEG images (class sub-folders give labels);
                       --batch samples are taken (default 16)
  --sample MODE        first | random: the first N samples or a random N seeded by --seed
  --labels FILE        labels for --data (.npy, .json or one-column .csv), one per sample
  --label-column COL   CSV data: the column holding the labels (name or 0-based index)
  --mean M[,M,M]       images: subtract this from the [0, 1] pixel values (per channel)
  --std S[,S,S]        images: then divide by this (default mean 0, std 1)
  --reference LAYER    output | error: GSC to the model output (default) or to the
                       per-sample loss against the labels (cross-entropy for class
                       indices, squared error for targets shaped like the output)
  --output-index I     a model with several outputs: measure to output I (0-based;
                       default 0, the first; the report names them all)
  --dim NAME=SIZE      size of a dynamic input dimension (repeatable)
  --output NAME        cut the graph at this tensor: GSC to it; ops after it need not be
                       supported (ONNX tensor, TF.js node or layer name)
  --from NAME          start the analysis (boundary 0) at this tensor instead of the input
  --no-block-matrix    skip the full block matrix GSC(k -> l)
  --memory-limit-mb M  memory the analysis may plan for (default: half of free memory);
                       a larger batch is shrunk to fit, with a warning
  --k-precision P      refine k_lin while its 99% interval is wider than P times k_lin
                       (default 0.05; 0: never); wider ones are marked "(wide)"
  --k-time-budget-ms T time each block's k_lin refinement may start new work within
                       (default 10000)
  --threads T          threads for the reverse passes (default: GRADIENT_LENS_THREADS,
                       else min(2, cores)); the numbers are the same for any count
  --json FILE          also write the report as JSON
  --quiet              no progress on stderr
  --fail-on-gsc X      CI gate: exit 3 when a block's GSC to the output exceeds X
  --fail-on-pseudo-linear
                       CI gate: exit 3 when a nonlinearity is flagged pseudo-linear
  --pseudo-linear-k K  a nonlinearity whose k exceeds K is pseudo-linear (default 3)
                       (the table and JSON are written before a gate exits 3)

report: export a saved report
  --format F           md (default), html (one self-contained file), csv (one row per
                       block) or json; without it, --out's extension decides
  --out FILE           write to FILE instead of stdout

compare: per-block differences of two saved reports (b against a)
  --format F           text (default), md or json; blocks are matched by index when
                       both have as many, else by name; a change counts only when the
                       99% intervals do not overlap

exit codes: 0 ok, 1 error, 2 bad usage, 3 a CI gate failed
`;

/** Reads a saved report, with errors that name the file and say what is wrong. */
export function readReportFile(file: string): AnalysisReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file}: not found` : `${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not a JSON file (${e instanceof Error ? e.message : String(e)})`);
  }
  const problem = reportIncompatibility(value);
  if (problem !== undefined) throw new Error(`${file}: ${problem}`);
  return value as AnalysisReport;
}

function reportCommand(args: ReportArgs): number {
  const text = exportReport(readReportFile(args.report), args.format);
  if (args.out === undefined) {
    // The exporters already show control characters in names escaped; this keeps any that slipped through off the terminal.
    process.stdout.write(printableLines(text));
  } else {
    writeFileSync(args.out, text);
    process.stderr.write(`${args.format} written to ${args.out}\n`);
  }
  return 0;
}

function compareCommand(args: CompareArgs): number {
  const result = compareReports(readReportFile(args.a), readReportFile(args.b), { a: args.a, b: args.b });
  const text = args.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : args.format === 'md' ? comparisonToMarkdown(result) : comparisonToText(result);
  process.stdout.write(printableLines(text));
  return 0;
}

async function analyzeCommand(args: ParsedArgs): Promise<number> {
  const settings: Partial<AnalysisSettings> = {
    ...(args.batch !== undefined && { batch: args.batch }),
    ...(args.probes !== undefined && { probes: args.probes }),
    ...(args.seed !== undefined && { seed: args.seed }),
    ...(args.exact !== undefined && { exact: args.exact }),
    ...(args.exactMaxDim !== undefined && { exactMaxDim: args.exactMaxDim }),
    ...(args.memoryLimitMb !== undefined && { memoryLimitMb: args.memoryLimitMb }),
    ...(args.kPrecision !== undefined && { kPrecision: args.kPrecision }),
    ...(args.kTimeBudgetMs !== undefined && { kTimeBudgetMs: args.kTimeBudgetMs }),
    ...(args.backend !== undefined && { backend: args.backend }),
    ...(args.noBlockMatrix && { blockMatrix: false }),
    dimOverrides: args.dims,
  };
  const request: AnalyzeRequest = {
    modelPath: args.model,
    settings,
    inputFile: args.input,
    ...(args.data !== undefined && {
      data: {
        path: args.data,
        ...(args.labels !== undefined && { labels: args.labels }),
        ...(args.labelColumn !== undefined && { labelColumn: args.labelColumn }),
        ...(args.sample !== undefined && { sample: args.sample }),
        ...(args.mean !== undefined && { mean: args.mean }),
        ...(args.std !== undefined && { std: args.std }),
      },
    }),
    ...(args.reference !== undefined && { reference: args.reference }),
    ...(args.outputIndex !== undefined && { outputIndex: args.outputIndex }),
    ...(args.output !== undefined && { output: args.output }),
    ...(args.from !== undefined && { from: args.from }),
    ...(args.pseudoLinearK !== undefined && { thresholds: { pseudoLinearK: args.pseudoLinearK } }),
    ...(args.threads !== undefined && { threads: args.threads }),
  };
  // Without a terminal (CI logs) one line per phase: with two threads the phases interleave.
  const phasesLogged = new Set<string>();
  const report = await analyzeModel(request, {
    onProgress: (e) => {
      if (args.quiet || !process.stderr.isTTY) {
        if (!args.quiet && !phasesLogged.has(e.phase)) process.stderr.write(`${printable(e.message)}\n`);
        phasesLogged.add(e.phase);
        return;
      }
      const pct = e.fraction === undefined ? '' : `${Math.round(e.fraction * 100)}% `;
      process.stderr.write(`\r\x1b[2K${pct}${printable(e.message)}`);
      if (e.phase === 'done') process.stderr.write('\n');
    },
    // The first numbers early, on stderr: stdout keeps only the final table.
    onPartial: (partial) => {
      if (args.quiet) return;
      process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}${formatPartialTable(partial)}`);
    },
  });
  process.stdout.write(formatReportTable(report));
  if (args.json !== undefined) {
    writeFileSync(args.json, JSON.stringify(report, null, 2));
    process.stderr.write(`report written to ${args.json}\n`);
  }
  const failures = gateFailures(report, args);
  for (const reason of failures) process.stderr.write(`gradient-lens: ${reason}\n`);
  return failures.length > 0 ? EXIT_GATE_FAILED : 0;
}

function run(args: Exclude<CliArgs, { command: 'help' }>): Promise<number> | number {
  switch (args.command) {
    case 'analyze':
      return analyzeCommand(args);
    case 'report':
      return reportCommand(args);
    case 'compare':
      return compareCommand(args);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`gradient-lens: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (args.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    return await run(args);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // Loader and data errors already start with their file (the data file's, not the model's);
    // engine errors (memory, execution) do not.
    const file = args.command === 'analyze' && !(e instanceof DataError) && !message.includes(args.model) ? `${args.model}: ` : '';
    // Messages quote node and op names from the model: shown escaped, they cannot clear the screen.
    process.stderr.write(printableLines(`\ngradient-lens: error: ${file}${message}\n`));
    if (process.env.GRADIENT_LENS_DEBUG && e instanceof Error) process.stderr.write(printableLines(`${e.stack}\n`));
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(printableLines(`gradient-lens: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`));
      process.exit(1);
    },
  );
}
