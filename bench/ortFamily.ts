/**
 * The block matrix's rows (every GSC(k -> l), the analysis's largest family of passes) on ONNX
 * Runtime three ways, each with fresh sessions as in an analysis: row by row, one graph and
 * session per row (PassRunner without families); all rows as one family, one graph and session,
 * weights as graph inputs; and the same with the weights as initializers, pre-packed once.
 * Prints wall and CPU milliseconds (CPU: the whole process, ONNX Runtime's threads included),
 * the runner's counts, and the largest relative difference of the squares from the row-by-row
 * path; a benchmark, nothing here asserts a time.
 *
 * Usage: node out/bench/ortFamily.js [modelDir] [probes] [repeats] [ways, e.g. 012]   (default bench/models/resnet18_64, 8, 2, all)
 * GRADIENT_LENS_ORT_FAMILY_MAX_LAYERS caps the weight layers of one family graph (runtime/executor.ts).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { partitionBlocks } from '../src/metrics/blocks';
import { measureJacobianSquares, measureJacobianSquaresFamily, type JacobianSquares } from '../src/metrics/jacobian';
import { initBackend } from '../src/runtime/backend';
import { ortPassRunner, setPassRunner, type PassRunnerOptions } from '../src/runtime/ortGraph';
import { loadOnnxRuntime } from '../src/runtime/ortSession';
import { streamFor } from '../src/runtime/random';
import { loadModelWithInput } from './modelWithInput';

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

function maxRelDiff(a: readonly JacobianSquares[], b: readonly JacobianSquares[]): number {
  let worst = 0;
  a.forEach((rowA, r) => {
    for (const [w, probesA] of rowA) {
      const probesB = b[r].get(w)!;
      probesA.forEach((samples, p) => samples.forEach((v, s) => (worst = Math.max(worst, Math.abs(v - probesB[p][s]) / Math.abs(v)))));
    }
  });
  return worst;
}

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', 'bench', 'models', 'resnet18_64'));
  const probes = Number(process.argv[3] ?? 8);
  const repeats = Number(process.argv[4] ?? 2);
  await initBackend('ort');
  const ort = loadOnnxRuntime();
  const { graph, exec, inputName, x } = await loadModelWithInput(dir);
  const acts = exec.forward(new Map([[inputName, x]]));
  const { boundaries } = partitionBlocks(graph, inputName, graph.outputs[0].name);
  // The analysis's block-matrix rows: GSC(k -> l) for k < l, l = 1 .. B - 1.
  const rows = boundaries.slice(1, -1).map((target, i) => ({ target, wrt: boundaries.slice(0, i + 1), key: `block-matrix-${i + 1}` }));
  const plan = (key: string): { exact: boolean; probes: number; rng: ReturnType<typeof streamFor> } => ({ exact: false, probes, rng: streamFor(0, key) });
  console.log(`${path.basename(dir)}: batch ${x.shape[0]}, ${probes} probes, ${rows.length} rows (load average ${os.loadavg()[0].toFixed(1)})`);

  const ways: [string, PassRunnerOptions, boolean][] = [
    ['row by row (a session per row)', { families: false }, false],
    ['one family, weights as inputs', { packWeights: false }, true],
    ['one family, weights pre-packed', { packWeights: true }, true],
  ];
  // A fourth argument picks ways by index (e.g. 02: row by row and pre-packed family).
  const picked = process.argv[5] === undefined ? ways : ways.filter((_, i) => process.argv[5].includes(String(i)));
  let reference: JacobianSquares[] | undefined;
  for (let rep = 0; rep < repeats; rep++) {
    for (const [label, opts, family] of picked) {
      const runner = ortPassRunner(ort, 2, undefined, opts);
      setPassRunner(runner);
      const w0 = Date.now();
      const c0 = cpuMs();
      let squares: JacobianSquares[];
      if (family) {
        squares = (
          await measureJacobianSquaresFamily(
            exec,
            acts,
            rows.map((r) => ({ target: r.target, wrt: r.wrt, plan: plan(r.key) })),
          )
        ).map((m) => m.squares);
      } else {
        squares = [];
        for (const r of rows) squares.push((await measureJacobianSquares(exec, acts, r.target, r.wrt, plan(r.key))).squares);
      }
      const wall = Date.now() - w0;
      const cpu = Math.round(cpuMs() - c0);
      reference ??= squares;
      const s = runner.stats;
      console.log(
        `${label}: wall ${wall} ms, CPU ${cpu} ms; sessions ${s.recorded}, record ${s.recordMs} ms, session ${s.sessionMs} ms, run ${s.runMs} ms, ` +
          `eager ${s.small + s.fallbacks}; max rel. diff ${maxRelDiff(reference, squares).toExponential(1)}`,
      );
      setPassRunner(undefined);
      runner.dispose();
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
