#!/usr/bin/env node
/**
 * gradient-lens: the headless CLI over the same engine the extension uses.
 *
 *   gradient-lens analyze <model> [--batch N] [--probes P] [--seed S] [--exact auto|on|off]
 *                 [--backend auto|wasm|node|cpu] [--input FILE] [--json FILE] [--dim NAME=SIZE]...
 *                 [--no-block-matrix] [--exact-max-dim D] [--quiet]
 *
 * Exit codes: 0 success, 1 analysis error (message on stderr), 2 bad usage.
 */
import { writeFileSync } from 'node:fs';
import { analyzeModel } from '../engine/analyze';
import type { AnalyzeRequest } from '../engine/api';
import type { AnalysisSettings } from '../report/schema';
import { formatReportTable } from './table';
import { parseArgs, UsageError, type ParsedArgs } from './args';

export const USAGE = `usage: gradient-lens analyze <model.onnx | model.json> [options]

options:
  --batch N            samples in the Gaussian input batch (default 16)
  --probes P           Gaussian probes per estimate (default 8)
  --seed S             seed for the input batch and the probes (default 0)
  --exact MODE         auto | on | off: one-hot cotangents instead of probes (default auto)
  --exact-max-dim D    with --exact auto, targets with at most D units are exact (default 64)
  --backend B          auto | wasm | node | cpu (default auto: node, then wasm, then cpu)
  --input FILE         raw little-endian float32 input in the model's input shape;
                       the batch size is read from its length
  --dim NAME=SIZE      size of a dynamic input dimension (repeatable)
  --no-block-matrix    skip the full block matrix GSC(k -> l)
  --memory-limit-mb M  memory the analysis may plan for (default: half of free memory);
                       a larger batch is shrunk to fit, with a warning
  --json FILE          also write the report as JSON
  --quiet              no progress on stderr
`;

async function analyzeCommand(args: ParsedArgs): Promise<number> {
  const settings: Partial<AnalysisSettings> = {
    ...(args.batch !== undefined && { batch: args.batch }),
    ...(args.probes !== undefined && { probes: args.probes }),
    ...(args.seed !== undefined && { seed: args.seed }),
    ...(args.exact !== undefined && { exact: args.exact }),
    ...(args.exactMaxDim !== undefined && { exactMaxDim: args.exactMaxDim }),
    ...(args.memoryLimitMb !== undefined && { memoryLimitMb: args.memoryLimitMb }),
    ...(args.backend !== undefined && { backend: args.backend }),
    ...(args.noBlockMatrix && { blockMatrix: false }),
    dimOverrides: args.dims,
  };
  const request: AnalyzeRequest = { modelPath: args.model, settings, inputFile: args.input };
  let lastLine = '';
  const report = await analyzeModel(request, {
    onProgress: (e) => {
      if (args.quiet || !process.stderr.isTTY) {
        if (!args.quiet && e.phase !== lastLine) process.stderr.write(`${e.message}\n`);
        lastLine = e.phase;
        return;
      }
      const pct = e.fraction === undefined ? '' : `${Math.round(e.fraction * 100)}% `;
      process.stderr.write(`\r\x1b[2K${pct}${e.message}`);
      if (e.phase === 'done') process.stderr.write('\n');
    },
  });
  process.stdout.write(formatReportTable(report));
  if (args.json !== undefined) {
    writeFileSync(args.json, JSON.stringify(report, null, 2));
    process.stderr.write(`report written to ${args.json}\n`);
  }
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`gradient-lens: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    return await analyzeCommand(args);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`\ngradient-lens: error: ${message}\n`);
    if (process.env.GRADIENT_LENS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`gradient-lens: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
