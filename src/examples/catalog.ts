/**
 * The bundled examples: the networks of the paper's Figure 1 (Philipp, Song and Carbonell,
 * "Gradients explode - Deep Networks are shallow - ResNet explained"), depth 50 and width 100,
 * plus a deep linear network with orthogonal weights whose GSC is exactly 1 everywhere.
 * Initialisations follow the fixture models (test/fixtures/models/README.md): He for ReLU,
 * Xavier with the tanh gain 5/3 for tanh, LeCun normal for SELU.
 */

export const EXAMPLE_DEPTH = 50;
export const EXAMPLE_WIDTH = 100;
export const EXAMPLE_CLASSES = 10;
/** Residual units of the residual MLP: two dense layers each, so its residual trunk is 50 layers deep too. */
export const RESIDUAL_UNITS = EXAMPLE_DEPTH / 2;
/** Seed of every weight stream (the paper's year); changing it changes every file. */
export const EXAMPLE_SEED = 2018;

export type Activation = 'Relu' | 'Tanh' | 'Selu';
export type Init = 'he' | 'xavier-tanh' | 'lecun' | 'orthogonal';

export type ExampleArchitecture =
  | { readonly family: 'mlp'; readonly activation: Activation; readonly norm: 'none' | 'batch' | 'layer'; readonly init: Init }
  | { readonly family: 'residual' }
  | { readonly family: 'linear' };

export interface ExampleInfo {
  /** Folder name under examples/paper/. */
  readonly id: string;
  /** Legend label. */
  readonly title: string;
  readonly description: string;
  readonly architecture: ExampleArchitecture;
}

export const EXAMPLES: readonly ExampleInfo[] = [
  {
    id: 'mlp_relu',
    title: 'ReLU',
    description: `${EXAMPLE_DEPTH} x [dense ${EXAMPLE_WIDTH}, ReLU] + dense ${EXAMPLE_CLASSES}; He normal init`,
    architecture: { family: 'mlp', activation: 'Relu', norm: 'none', init: 'he' },
  },
  {
    id: 'mlp_tanh',
    title: 'tanh',
    description: `${EXAMPLE_DEPTH} x [dense ${EXAMPLE_WIDTH}, tanh] + dense ${EXAMPLE_CLASSES}; Xavier normal init, tanh gain 5/3`,
    architecture: { family: 'mlp', activation: 'Tanh', norm: 'none', init: 'xavier-tanh' },
  },
  {
    id: 'mlp_selu',
    title: 'SELU',
    description: `${EXAMPLE_DEPTH} x [dense ${EXAMPLE_WIDTH}, SELU] + dense ${EXAMPLE_CLASSES}; LeCun normal init`,
    architecture: { family: 'mlp', activation: 'Selu', norm: 'none', init: 'lecun' },
  },
  {
    id: 'mlp_bn_relu',
    title: 'batch norm + ReLU',
    description: `${EXAMPLE_DEPTH} x [dense ${EXAMPLE_WIDTH}, BatchNorm (inference, statistics of 256 Gaussian samples), ReLU] + dense ${EXAMPLE_CLASSES}; He normal init`,
    architecture: { family: 'mlp', activation: 'Relu', norm: 'batch', init: 'he' },
  },
  {
    id: 'mlp_ln_tanh',
    title: 'layer norm + tanh',
    description: `${EXAMPLE_DEPTH} x [dense ${EXAMPLE_WIDTH}, LayerNorm, tanh] + dense ${EXAMPLE_CLASSES}; Xavier normal init, tanh gain 5/3`,
    architecture: { family: 'mlp', activation: 'Tanh', norm: 'layer', init: 'xavier-tanh' },
  },
  {
    id: 'resmlp_relu',
    title: 'residual ReLU',
    description: `dense ${EXAMPLE_WIDTH}, ${RESIDUAL_UNITS} x [x + W2 relu(W1 x)], dense ${EXAMPLE_CLASSES}; He init for W1, LeCun for W2 and the outer layers`,
    architecture: { family: 'residual' },
  },
  {
    id: 'linear_orthogonal',
    title: 'linear, orthogonal',
    description: `${EXAMPLE_DEPTH} orthogonal ${EXAMPLE_WIDTH}x${EXAMPLE_WIDTH} linear layers, no bias, no activation`,
    architecture: { family: 'linear' },
  },
];

export function exampleById(id: string): ExampleInfo | undefined {
  return EXAMPLES.find((e) => e.id === id);
}
