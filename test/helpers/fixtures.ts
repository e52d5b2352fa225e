/**
 * Access to the fixture models in test/fixtures/models: models with reference values from an
 * independent float64 implementation (see that folder's README.md for the fields).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The repository's root; works both from test/ (tsx) and out/test/ (compiled). */
export function repoRoot(): string {
  for (const up of [2, 3]) {
    const candidate = path.resolve(__dirname, ...new Array<string>(up).fill('..'));
    if (existsSync(path.join(candidate, 'test', 'fixtures', 'models'))) return candidate;
  }
  throw new Error(`cannot find the repository's test/fixtures/models above ${__dirname}`);
}

/** test/fixtures/models: one folder per fixture model. */
export function fixturesDir(): string {
  return path.join(repoRoot(), 'test', 'fixtures', 'models');
}

export const FIXTURE_NAMES = [
  'mlp_relu',
  'mlp_tanh',
  'mlp_selu',
  'mlp_bn_relu',
  'mlp_ln_tanh',
  'resmlp_relu',
  'linear_orthogonal',
  'resnet_cifar8',
  'tiny_transformer',
] as const;

export interface RefEstimateHolder {
  readonly batch: number;
  readonly method: string;
  readonly per_sample: { readonly median: number; readonly min: number; readonly max: number; readonly values: number[] };
  readonly qm_jacobian: number;
}

export interface RefRelation {
  readonly k: number | null;
  readonly predicted_over_measured: number | null;
  readonly gsc_nonlinear_part: number | null;
}

export interface RefBlock {
  readonly index: number;
  readonly onnx_input: string;
  readonly onnx_output: string;
  readonly tfjs_input: string | null;
  readonly tfjs_output: string | null;
  readonly onnx_nodes: string[];
  readonly op_types: string[];
  readonly kind: 'plain' | 'residual';
  readonly d_in: number;
  readonly d_out: number;
  readonly output_Q: number;
  readonly gsc_to_output: number;
  readonly gsc_block: number;
  readonly gsc_block_stderr: number;
  readonly gsc_block_method: string;
  readonly residual?: {
    readonly skip_kind: 'identity' | 'projection';
    readonly onnx_merge: string;
    readonly onnx_skip: string;
    readonly onnx_branch: string;
    readonly Q_skip: number;
    readonly Q_branch: number;
    readonly Q_merge: number;
    readonly k_skip: number;
    readonly gsc_merge: number;
    readonly gsc_merge_stderr: number;
    readonly gsc_branch: number;
    readonly gsc_branch_stderr: number;
    readonly gsc_skip: number;
    readonly gsc_skip_stderr: number;
  };
  readonly linearisation: {
    readonly k_lin: number | null;
    readonly linear_block: boolean;
    readonly Q_Sv: number;
    readonly Q_rho: number;
    readonly Q_f: number;
    readonly Q_v: number;
    readonly S_frob2: number;
    readonly S_frob2_stderr: number;
    readonly gsc_S: number;
    readonly relation?: RefRelation;
  };
}

export interface Reference {
  readonly fixture: string;
  readonly settings: { readonly n: number; readonly exact_max_dim: number };
  readonly files: {
    readonly input: { readonly file: string; readonly shape: number[]; readonly nhwc_file?: string; readonly nhwc_shape?: number[] };
    readonly onnx: { readonly file: string; readonly opset: number }[];
    readonly tfjs?: { readonly model_json: string; readonly input_file: string; readonly layout: string } | null;
  };
  readonly output: { readonly dim: number; readonly Q: number; readonly values: number[][] };
  readonly boundaries: {
    readonly index: number;
    readonly onnx_tensor: string;
    readonly tfjs_layer: string | null;
    readonly dim: number;
    readonly Q: number;
    readonly gsc_to_output: RefEstimateHolder;
  }[];
  readonly blocks: RefBlock[];
  readonly block_matrix: { readonly gsc: (number | null)[][]; readonly stderr: (number | null)[][]; readonly method: (string | null)[][] };
  readonly growth: {
    readonly gsc_input_to_output: number;
    readonly geometric_mean_rate: number;
    readonly log_fit: { readonly slope: number; readonly rate: number };
  };
  readonly nonlinearities: {
    readonly op: string;
    readonly onnx_node: string;
    readonly onnx_input: string;
    readonly block: number;
    readonly dim: number;
    readonly sign_diversity: number;
    readonly relative_spread: number;
    readonly k: number | null;
    readonly mean_slope: number;
    readonly Q_preactivation: number;
  }[];
}

export function fixtureDir(name: string): string {
  return path.join(fixturesDir(), name);
}

export function loadReference(name: string): Reference {
  return JSON.parse(readFileSync(path.join(fixtureDir(name), 'reference.json'), 'utf8')) as Reference;
}

/** Relative difference, safe near zero. */
export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);
}
