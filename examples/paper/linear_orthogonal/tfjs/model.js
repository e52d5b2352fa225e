// linear_orthogonal: 50 orthogonal 100x100 linear layers, no bias, no activation.
// Gradient Lens example for Figure 1 of "Gradients explode - Deep Networks are shallow - ResNet
// explained". Written by scripts/generate-examples.ts together with the model files next to it;
// their weights come from that script's seeded generator, not from the initialisers below.
import * as tf from '@tensorflow/tfjs';

export function buildModel({ depth = 50, width = 100 } = {}) {
  const model = tf.sequential({ name: 'linear_orthogonal' });
  for (let i = 0; i < depth; i++) {
    const input = i === 0 ? { inputShape: [width] } : {};
    model.add(tf.layers.dense({ ...input, units: width, useBias: false, kernelInitializer: tf.initializers.orthogonal({ gain: 1 }), name: `layers_${i}` }));
  }
  return model;
}
