// mlp_tanh: 50 x [dense 100, tanh] + dense 10; Xavier normal init, tanh gain 5/3.
// Gradient Lens example for Figure 1 of "Gradients explode - Deep Networks are shallow - ResNet
// explained". Written by scripts/generate-examples.ts together with the model files next to it;
// their weights come from that script's seeded generator, not from the initialisers below.
import * as tf from '@tensorflow/tfjs';

export function buildModel({ depth = 50, width = 100, classes = 10 } = {}) {
  const model = tf.sequential({ name: 'mlp_tanh' });
  for (let i = 0; i < depth; i++) {
    const input = i === 0 ? { inputShape: [width] } : {};
    model.add(tf.layers.dense({ ...input, units: width, activation: 'tanh', kernelInitializer: tf.initializers.varianceScaling({ scale: 25 / 9, mode: 'fanAvg', distribution: 'normal' }), name: `blocks_${i}_dense` }));
  }
  model.add(tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.leCunNormal({}), name: 'head' }));
  return model;
}
