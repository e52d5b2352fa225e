// resmlp_relu: dense 100, 25 x [x + W2 relu(W1 x)], dense 10; He init for W1, LeCun for W2 and the outer layers.
// Gradient Lens example for Figure 1 of "Gradients explode - Deep Networks are shallow - ResNet
// explained". Written by scripts/generate-examples.ts together with the model files next to it;
// their weights come from that script's seeded generator, not from the initialisers below.
import * as tf from '@tensorflow/tfjs';

export function buildModel({ units = 25, width = 100, classes = 10 } = {}) {
  const input = tf.input({ shape: [width], name: 'input' });
  let x = tf.layers.dense({ units: width, kernelInitializer: tf.initializers.leCunNormal({}), name: 'inp' }).apply(input);
  for (let i = 0; i < units; i++) {
    const h = tf.layers.dense({ units: width, kernelInitializer: tf.initializers.heNormal({}), name: `blocks_${i}_fc1` }).apply(x);
    const a = tf.layers.activation({ activation: 'relu', name: `blocks_${i}_act` }).apply(h);
    const r = tf.layers.dense({ units: width, kernelInitializer: tf.initializers.leCunNormal({}), name: `blocks_${i}_fc2` }).apply(a);
    x = tf.layers.add({ name: `blocks_${i}_add` }).apply([x, r]);
  }
  const logits = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.leCunNormal({}), name: 'head' }).apply(x);
  return tf.model({ inputs: input, outputs: logits, name: 'resmlp_relu' });
}
