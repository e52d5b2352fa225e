// mlp_bn_relu: 50 x [dense 100, BatchNorm (inference, statistics of 256 Gaussian samples), ReLU] + dense 10; He normal init.
// Gradient Lens example for Figure 1 of "Gradients explode - Deep Networks are shallow - ResNet
// explained". Written by scripts/generate-examples.ts together with the model files next to it;
// their weights come from that script's seeded generator, not from the initialisers below.
import * as tf from '@tensorflow/tfjs';

export function buildModel({ depth = 50, width = 100, classes = 10 } = {}) {
  const model = tf.sequential({ name: 'mlp_bn_relu' });
  for (let i = 0; i < depth; i++) {
    const input = i === 0 ? { inputShape: [width] } : {};
    model.add(tf.layers.dense({ ...input, units: width, kernelInitializer: tf.initializers.heNormal({}), name: `blocks_${i}_dense` }));
    model.add(tf.layers.batchNormalization({ epsilon: 1e-5, name: `blocks_${i}_norm` }));
    model.add(tf.layers.activation({ activation: 'relu', name: `blocks_${i}_act` }));
  }
  model.add(tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.leCunNormal({}), name: 'head' }));
  return model;
}
