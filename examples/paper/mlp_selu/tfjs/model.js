// mlp_selu: 50 x [dense 100, SELU] + dense 10; LeCun normal init.
// Gradient Lens example for Figure 1 of "Gradients explode - Deep Networks are shallow - ResNet
// explained". Written by scripts/generate-examples.ts together with the model files next to it;
// their weights come from that script's seeded generator, not from the initialisers below.
import * as tf from '@tensorflow/tfjs';

export function buildModel({ depth = 50, width = 100, classes = 10 } = {}) {
  const model = tf.sequential({ name: 'mlp_selu' });
  for (let i = 0; i < depth; i++) {
    const input = i === 0 ? { inputShape: [width] } : {};
    model.add(tf.layers.dense({ ...input, units: width, activation: 'selu', kernelInitializer: tf.initializers.leCunNormal({}), name: `blocks_${i}_dense` }));
  }
  model.add(tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.leCunNormal({}), name: 'head' }));
  return model;
}
