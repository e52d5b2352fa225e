/**
 * The examples as TensorFlow.js LayersModels (model.json + one weights.bin), the form
 * `tf.loadLayersModel` reads: Sequential models for the plain MLPs and the linear network
 * (activations fused into Dense as Keras writes them, separate BatchNormalization /
 * LayerNormalization / Activation layers where a norm sits between), a functional model
 * with Add layers for the residual MLP. Layer names are the PyTorch module paths with `_`
 * for `.` (`blocks_7_dense` is `blocks.7.dense`), so both forms of an example name their
 * blocks alike. Same weights as the ONNX file (kernels transposed to [in, out]).
 */
import { EXAMPLE_WIDTH, type ExampleInfo, type Init } from './catalog';
import { littleEndianBytes } from './onnxModel';
import { BN_EPSILON, LN_EPSILON, transposed, type Dense, type ExampleParams, type NormParams } from './params';

const TFJS_VERSION = 'tfjs-layers 4.22.0';

interface Weight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

interface KerasLayer {
  readonly class_name: string;
  readonly config: { readonly [key: string]: Json };
  /** Functional models only. */
  readonly inbound?: readonly string[];
}

function kernelInitializer(init: Init): Json {
  switch (init) {
    case 'he':
      return { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal', seed: null } };
    case 'xavier-tanh':
      return { class_name: 'VarianceScaling', config: { scale: 25 / 9, mode: 'fan_avg', distribution: 'normal', seed: null } };
    case 'lecun':
      return { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_in', distribution: 'normal', seed: null } };
    case 'orthogonal':
      return { class_name: 'Orthogonal', config: { gain: 1, seed: null } };
  }
}

class ModelBuilder {
  readonly layers: KerasLayer[] = [];
  readonly weights: Weight[] = [];

  dense(name: string, d: Dense, activation: string, inbound?: string): string {
    this.layers.push({
      class_name: 'Dense',
      config: {
        units: d.outFeatures,
        activation,
        use_bias: d.bias !== null,
        kernel_initializer: kernelInitializer(d.init),
        bias_initializer: { class_name: 'Zeros', config: {} },
        kernel_regularizer: null,
        bias_regularizer: null,
        activity_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
        name,
        trainable: true,
      },
      inbound: inbound === undefined ? undefined : [inbound],
    });
    this.weights.push({ name: `${name}/kernel`, shape: [d.inFeatures, d.outFeatures], values: transposed(d) });
    if (d.bias) this.weights.push({ name: `${name}/bias`, shape: [d.outFeatures], values: d.bias });
    return name;
  }

  norm(name: string, kind: 'batch' | 'layer', p: NormParams): string {
    const common = {
      epsilon: kind === 'batch' ? BN_EPSILON : LN_EPSILON,
      center: true,
      scale: true,
      beta_initializer: { class_name: 'Zeros', config: {} },
      gamma_initializer: { class_name: 'Ones', config: {} },
      beta_regularizer: null,
      gamma_regularizer: null,
      name,
      trainable: true,
    };
    this.weights.push({ name: `${name}/gamma`, shape: [EXAMPLE_WIDTH], values: p.gamma }, { name: `${name}/beta`, shape: [EXAMPLE_WIDTH], values: p.beta });
    if (kind === 'batch') {
      if (!p.runningMean || !p.runningVar) throw new Error(`${name} has no moving statistics`);
      this.weights.push(
        { name: `${name}/moving_mean`, shape: [EXAMPLE_WIDTH], values: p.runningMean },
        { name: `${name}/moving_variance`, shape: [EXAMPLE_WIDTH], values: p.runningVar },
      );
      this.layers.push({
        class_name: 'BatchNormalization',
        config: {
          axis: -1,
          momentum: 0.9,
          ...common,
          moving_mean_initializer: { class_name: 'Zeros', config: {} },
          moving_variance_initializer: { class_name: 'Ones', config: {} },
          beta_constraint: null,
          gamma_constraint: null,
        },
      });
    } else {
      this.layers.push({ class_name: 'LayerNormalization', config: { axis: [1], ...common } });
    }
    return name;
  }

  activation(name: string, activation: string, inbound?: string): string {
    this.layers.push({ class_name: 'Activation', config: { activation, name, trainable: true }, inbound: inbound === undefined ? undefined : [inbound] });
    return name;
  }

  add(name: string, inbound: readonly string[]): string {
    this.layers.push({ class_name: 'Add', config: { name, trainable: true }, inbound });
    return name;
  }
}

function sequentialTopology(name: string, layers: readonly KerasLayer[]): Json {
  return {
    class_name: 'Sequential',
    config: {
      name,
      layers: layers.map((l, i) => ({
        class_name: l.class_name,
        // The first layer carries the input shape, as Keras writes a Sequential model.
        config: i === 0 ? { ...l.config, batch_input_shape: [null, EXAMPLE_WIDTH], dtype: 'float32' } : l.config,
      })),
    },
    keras_version: TFJS_VERSION,
    backend: 'tensor_flow.js',
  };
}

function functionalTopology(name: string, layers: readonly KerasLayer[], output: string): Json {
  const input: Json = {
    name: 'input',
    class_name: 'InputLayer',
    config: { batch_input_shape: [null, EXAMPLE_WIDTH], dtype: 'float32', sparse: false, name: 'input' },
    inbound_nodes: [],
  };
  return {
    class_name: 'Model',
    config: {
      name,
      layers: [
        input,
        ...layers.map((l) => ({
          name: String(l.config.name),
          class_name: l.class_name,
          config: l.config,
          inbound_nodes: [(l.inbound ?? []).map((from) => [from, 0, 0, {}])],
        })),
      ],
      input_layers: [['input', 0, 0]],
      output_layers: [[output, 0, 0]],
    },
    keras_version: TFJS_VERSION,
    backend: 'tensor_flow.js',
  };
}

export interface TfjsFiles {
  readonly modelJson: string;
  readonly weightsBin: Uint8Array;
}

export function tfjsModelFiles(example: ExampleInfo, params: ExampleParams): TfjsFiles {
  const b = new ModelBuilder();
  let topology: Json;
  switch (params.kind) {
    case 'mlp': {
      const a = example.architecture;
      if (a.family !== 'mlp') throw new Error(`${example.id}: parameters do not match the architecture`);
      const act = a.activation.toLowerCase();
      params.blocks.forEach((blk, i) => {
        if (a.norm === 'none') {
          b.dense(`blocks_${i}_dense`, blk.dense, act);
          return;
        }
        if (!blk.norm) throw new Error(`blocks.${i} has no norm parameters`);
        b.dense(`blocks_${i}_dense`, blk.dense, 'linear');
        b.norm(`blocks_${i}_norm`, a.norm, blk.norm);
        b.activation(`blocks_${i}_act`, act);
      });
      b.dense('head', params.head, 'linear');
      topology = sequentialTopology(example.id, b.layers);
      break;
    }
    case 'residual': {
      let x = b.dense('inp', params.inp, 'linear', 'input');
      params.units.forEach((u, i) => {
        const h = b.dense(`blocks_${i}_fc1`, u.fc1, 'linear', x);
        const r = b.dense(`blocks_${i}_fc2`, u.fc2, 'linear', b.activation(`blocks_${i}_act`, 'relu', h));
        x = b.add(`blocks_${i}_add`, [x, r]);
      });
      topology = functionalTopology(example.id, b.layers, b.dense('head', params.head, 'linear', x));
      break;
    }
    case 'linear':
      params.layers.forEach((d, i) => b.dense(`layers_${i}`, d, 'linear'));
      topology = sequentialTopology(example.id, b.layers);
      break;
  }
  const model = {
    format: 'layers-model',
    generatedBy: TFJS_VERSION,
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: ['weights.bin'], weights: b.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  };
  const total = b.weights.reduce((n, w) => n + w.values.length, 0);
  const weightsBin = new Uint8Array(total * 4);
  let offset = 0;
  for (const w of b.weights) {
    weightsBin.set(littleEndianBytes(w.values), offset);
    offset += w.values.length * 4;
  }
  return { modelJson: `${JSON.stringify(model, null, 2)}\n`, weightsBin };
}
