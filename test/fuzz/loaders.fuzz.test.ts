/**
 * Fuzzes both loaders (through analyzeModel) with seeded mutations of the fixture models:
 * every variant must end in a report or a typed error naming the file, never a TypeError,
 * RangeError or hang. FUZZ_VARIANTS sets the variants per fixture and format (default 100: about 800 variants, 25-35 s).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SeededRandom } from '../../src/runtime/random';
import { useTestBackend } from '../helpers/backend';
import { fixtureDir } from '../helpers/fixtures';
import { flipBytes, JSON_MUTATIONS, mutateJson, mutateOnnx, ONNX_MUTATIONS, pick, truncate } from './mutators';
import { runVariant, type Outcome } from './runner';

const FIXTURES = ['linear_orthogonal', 'tiny_transformer', 'resmlp_relu', 'resnet_cifar8'];
const VARIANTS = Number(process.env.FUZZ_VARIANTS ?? 100);
const TIMEOUT_MS = 10_000;
const BASE_SEED = Number(process.env.FUZZ_SEED ?? 1);

type Format = 'onnx' | 'tfjs';

interface Variant {
  readonly fixture: string;
  readonly format: Format;
  readonly seed: number;
}

/** Variants that once failed; they run every time, before the random ones. */
const REGRESSIONS: readonly Variant[] = [
  // ONNX graph input with a dim of 2^40 / 2^43: was a RangeError from the input allocation.
  { fixture: 'linear_orthogonal', format: 'onnx', seed: 1000008 },
  { fixture: 'tiny_transformer', format: 'onnx', seed: 1010048 },
  // tfjs layer whose inbound node lists no tensors ([[]]): was a plain Error from the executor
  // about a tensor named "undefined".
  { fixture: 'resmlp_relu', format: 'tfjs', seed: 2025027 },
  // tfjs batch_input_shape with a 2^53 / 2^33 dim: was a RangeError from the input allocation.
  { fixture: 'linear_orthogonal', format: 'tfjs', seed: 4005049 },
  { fixture: 'linear_orthogonal', format: 'tfjs', seed: 4005060 },
  // tfjs Conv2D kernel_size [3, -1] and strides [2, 1e30]: reached the wasm convolution and
  // ended in "RuntimeError: memory access out of bounds".
  { fixture: 'resnet_cifar8', format: 'tfjs', seed: 5035076 },
  { fixture: 'resnet_cifar8', format: 'tfjs', seed: 5035077 },
];

const ONNX_KINDS = ['truncate', 'byteflip', ...Object.keys(ONNX_MUTATIONS)];
const TFJS_KINDS = ['truncate', 'byteflip', 'weights-truncate', ...Object.keys(JSON_MUTATIONS)];

/** Writes the variant for `seed` into a fresh temp folder; returns the model path and the mutation kind. */
function writeVariant(v: Variant): { modelPath: string; kind: string; dir: string } {
  const rng = new SeededRandom(v.seed);
  const dir = mkdtempSync(path.join(tmpdir(), `gl-fuzz-${v.format}-`));
  const src = fixtureDir(v.fixture);
  if (v.format === 'onnx') {
    const kind = pick(rng, ONNX_KINDS);
    const bytes = new Uint8Array(readFileSync(path.join(src, 'model.onnx')));
    const out = kind === 'truncate' ? truncate(bytes, rng) : kind === 'byteflip' ? flipBytes(bytes, rng) : mutateOnnx(bytes, kind, rng);
    const modelPath = path.join(dir, 'model.onnx');
    writeFileSync(modelPath, out);
    return { modelPath, kind: noOpLabel(kind, bytes, out), dir };
  }
  const kind = pick(rng, TFJS_KINDS);
  const text = readFileSync(path.join(src, 'tfjs', 'model.json'), 'utf8');
  const weights = new Uint8Array(readFileSync(path.join(src, 'tfjs', 'weights.bin')));
  const modelPath = path.join(dir, 'model.json');
  if (kind === 'weights-truncate') {
    writeFileSync(modelPath, text);
    writeFileSync(path.join(dir, 'weights.bin'), truncate(weights, rng));
    return { modelPath, kind, dir };
  }
  copyFileSync(path.join(src, 'tfjs', 'weights.bin'), path.join(dir, 'weights.bin'));
  const bytes = new TextEncoder().encode(text);
  const out = kind === 'truncate' ? truncate(bytes, rng) : kind === 'byteflip' ? flipBytes(bytes, rng) : new TextEncoder().encode(mutateJson(text, kind, rng));
  writeFileSync(modelPath, out);
  return { modelPath, kind: noOpLabel(kind, bytes, out), dir };
}

/** A mutation that found nothing to change (e.g. cycles in a Sequential model) is counted apart. */
function noOpLabel(kind: string, before: Uint8Array, after: Uint8Array): string {
  return Buffer.from(before).equals(Buffer.from(after)) ? `${kind} (no-op)` : kind;
}

function variants(): Variant[] {
  const all: Variant[] = [...REGRESSIONS];
  FIXTURES.forEach((fixture, f) => {
    const formats: Format[] = existsSync(path.join(fixtureDir(fixture), 'tfjs', 'model.json')) ? ['onnx', 'tfjs'] : ['onnx'];
    for (const format of formats) {
      for (let i = 0; i < VARIANTS; i++) all.push({ fixture, format, seed: BASE_SEED * 1_000_003 + f * 10_007 + (format === 'onnx' ? 0 : 5003) + i });
    }
  });
  return all;
}

describe('loader fuzzing', () => {
  before(async () => {
    await useTestBackend();
  });

  test(`${VARIANTS} mutated variants per fixture and format end in a report or a typed error`, { timeout: 3_000 * Math.max(100, VARIANTS) }, async () => {
    const summary = new Map<string, Map<string, number>>();
    const failures: string[] = [];
    for (const v of variants()) {
      const { modelPath, kind, dir } = writeVariant(v);
      const outcome: Outcome = await runVariant(modelPath, TIMEOUT_MS);
      const key = `${v.format}/${kind}`;
      const counts = summary.get(key) ?? new Map<string, number>();
      counts.set(outcome.ending, (counts.get(outcome.ending) ?? 0) + 1);
      summary.set(key, counts);
      if (process.env.FUZZ_TRACE && kind.includes(process.env.FUZZ_TRACE))
        console.log(`${v.fixture} ${v.format} ${v.seed} ${kind}: ${outcome.ending} ${outcome.detail ?? ''}`);
      if (outcome.problem)
        failures.push(`{ fixture: '${v.fixture}', format: '${v.format}', seed: ${v.seed} } (${kind}) -> ${outcome.ending}: ${outcome.problem}`);
      else rmSync(dir, { recursive: true, force: true });
    }
    const lines = [...summary]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, counts]) => {
        const total = [...counts.values()].reduce((s, n) => s + n, 0);
        return `  ${key.padEnd(30)} ${String(total).padStart(3)}  ${[...counts].map(([e, n]) => `${e}=${n}`).join(' ')}`;
      });
    console.log(`loader fuzz summary (kind, variants, endings):\n${lines.join('\n')}`);
    assert.deepEqual(failures, [], `unacceptable endings (temp folders kept):\n${failures.join('\n')}`);
  });
});
