/**
 * The model code shipped beside each example: a PyTorch `model.py` whose module names are the
 * ONNX node names (`/blocks/blocks.7/dense/Gemm` is `self.blocks[7].dense`; initializer names
 * are its state_dict keys), and a TensorFlow.js `tfjs/model.js` that builds the same layers
 * with the names in tfjs/model.json. They define the networks for reading and for mapping
 * analysed blocks back to lines; the weights in the model files come from the seeded
 * generator (scripts/generate-examples.ts), not from these files' random initialisers.
 */
import { EXAMPLE_CLASSES, EXAMPLE_DEPTH, EXAMPLE_WIDTH, RESIDUAL_UNITS, type ExampleInfo, type Init } from './catalog';

const TORCH_ACT: Readonly<Record<string, string>> = { Relu: 'nn.ReLU()', Tanh: 'nn.Tanh()', Selu: 'nn.SELU()' };

const TORCH_INIT: Readonly<Record<Init, string>> = {
  he: "nn.init.kaiming_normal_(m.weight, nonlinearity='relu')",
  'xavier-tanh': "nn.init.xavier_normal_(m.weight, gain=nn.init.calculate_gain('tanh'))",
  lecun: "nn.init.kaiming_normal_(m.weight, nonlinearity='linear')",
  orthogonal: 'nn.init.orthogonal_(m.weight)',
};

function header(e: ExampleInfo, comment: string): string[] {
  return [
    `${comment} ${e.id}: ${e.description}.`,
    `${comment} Gradient Lens example for Figure 1 of "Gradients explode - Deep Networks are shallow - ResNet`,
    `${comment} explained". Written by scripts/generate-examples.ts together with the model files next to it;`,
    `${comment} their weights come from that script's seeded generator, not from the initialisers below.`,
  ];
}

export function pytorchSource(e: ExampleInfo): string {
  const a = e.architecture;
  const lines = [...header(e, '#'), 'import torch', 'from torch import nn', '', ''];
  const exportOutput = a.family === 'linear' ? 'output' : 'logits';
  switch (a.family) {
    case 'mlp': {
      const norm = a.norm === 'batch' ? 'nn.BatchNorm1d(width)' : a.norm === 'layer' ? 'nn.LayerNorm(width)' : undefined;
      const init = TORCH_INIT[a.init];
      lines.push(
        'class Block(nn.Module):',
        `    """dense -> ${a.norm === 'none' ? '' : `${a.norm} norm -> `}${a.activation.toLowerCase()}: one analysed block."""`,
        '',
        '    def __init__(self, width: int):',
        '        super().__init__()',
        '        self.dense = nn.Linear(width, width)',
        ...(norm ? [`        self.norm = ${norm}`] : []),
        `        self.act = ${TORCH_ACT[a.activation]}`,
        '',
        '    def forward(self, x):',
        norm ? '        return self.act(self.norm(self.dense(x)))' : '        return self.act(self.dense(x))',
        '',
        '',
        'class Model(nn.Module):',
        `    def __init__(self, depth: int = ${EXAMPLE_DEPTH}, width: int = ${EXAMPLE_WIDTH}, classes: int = ${EXAMPLE_CLASSES}):`,
        '        super().__init__()',
        '        self.blocks = nn.Sequential(*[Block(width) for _ in range(depth)])',
        '        self.head = nn.Linear(width, classes)',
        '        for name, m in self.named_modules():',
        "            if isinstance(m, nn.Linear) and name != 'head':",
        `                ${init}`,
        "        nn.init.kaiming_normal_(self.head.weight, nonlinearity='linear')  # LeCun normal, like the fixtures",
        '',
        '    def forward(self, x):',
        '        return self.head(self.blocks(x))',
      );
      break;
    }
    case 'residual':
      lines.push(
        'class ResidualBlock(nn.Module):',
        '    """x + fc2(relu(fc1(x))): an identity skip around a two-layer ReLU branch."""',
        '',
        '    def __init__(self, width: int):',
        '        super().__init__()',
        '        self.fc1 = nn.Linear(width, width)',
        '        self.act = nn.ReLU()',
        '        self.fc2 = nn.Linear(width, width)',
        `        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity='relu')`,
        `        nn.init.kaiming_normal_(self.fc2.weight, nonlinearity='linear')`,
        '',
        '    def forward(self, x):',
        '        return x + self.fc2(self.act(self.fc1(x)))',
        '',
        '',
        'class Model(nn.Module):',
        `    def __init__(self, units: int = ${RESIDUAL_UNITS}, width: int = ${EXAMPLE_WIDTH}, classes: int = ${EXAMPLE_CLASSES}):`,
        '        super().__init__()',
        '        self.inp = nn.Linear(width, width)',
        '        self.blocks = nn.Sequential(*[ResidualBlock(width) for _ in range(units)])',
        '        self.head = nn.Linear(width, classes)',
        `        nn.init.kaiming_normal_(self.inp.weight, nonlinearity='linear')`,
        `        nn.init.kaiming_normal_(self.head.weight, nonlinearity='linear')`,
        '',
        '    def forward(self, x):',
        '        return self.head(self.blocks(self.inp(x)))',
      );
      break;
    case 'linear':
      lines.push(
        'class Model(nn.Module):',
        '    """A deep linear network with orthogonal weights: every GSC is exactly 1."""',
        '',
        `    def __init__(self, depth: int = ${EXAMPLE_DEPTH}, width: int = ${EXAMPLE_WIDTH}):`,
        '        super().__init__()',
        '        self.layers = nn.Sequential(*[nn.Linear(width, width, bias=False) for _ in range(depth)])',
        '        for m in self.layers:',
        '            nn.init.orthogonal_(m.weight)',
        '',
        '    def forward(self, x):',
        '        return self.layers(x)',
      );
      break;
  }
  lines.push(
    '',
    '',
    'if __name__ == "__main__":',
    '    # Writes an ONNX file of the same structure and names (with freshly initialised weights).',
    '    model = Model().eval()',
    `    torch.onnx.export(model, torch.randn(16, ${EXAMPLE_WIDTH}), "model-from-torch.onnx", input_names=["input"], output_names=["${exportOutput}"],`,
    `                      dynamic_axes={"input": {0: "batch"}, "${exportOutput}": {0: "batch"}}, opset_version=17)`,
    '',
  );
  return lines.join('\n');
}

const TFJS_INIT: Readonly<Record<Init, string>> = {
  he: "tf.initializers.heNormal({})",
  'xavier-tanh': "tf.initializers.varianceScaling({ scale: 25 / 9, mode: 'fanAvg', distribution: 'normal' })",
  lecun: "tf.initializers.leCunNormal({})",
  orthogonal: 'tf.initializers.orthogonal({ gain: 1 })',
};

export function tfjsSource(e: ExampleInfo): string {
  const a = e.architecture;
  const lines = [...header(e, '//'), "import * as tf from '@tensorflow/tfjs';", ''];
  switch (a.family) {
    case 'mlp': {
      const act = a.activation.toLowerCase();
      const normLayer = a.norm === 'batch' ? 'batchNormalization' : 'layerNormalization';
      lines.push(
        `export function buildModel({ depth = ${EXAMPLE_DEPTH}, width = ${EXAMPLE_WIDTH}, classes = ${EXAMPLE_CLASSES} } = {}) {`,
        `  const model = tf.sequential({ name: '${e.id}' });`,
        '  for (let i = 0; i < depth; i++) {',
        '    const input = i === 0 ? { inputShape: [width] } : {};',
        ...(a.norm === 'none'
          ? [`    model.add(tf.layers.dense({ ...input, units: width, activation: '${act}', kernelInitializer: ${TFJS_INIT[a.init]}, name: \`blocks_\${i}_dense\` }));`]
          : [
              `    model.add(tf.layers.dense({ ...input, units: width, kernelInitializer: ${TFJS_INIT[a.init]}, name: \`blocks_\${i}_dense\` }));`,
              `    model.add(tf.layers.${normLayer}({ epsilon: 1e-5, name: \`blocks_\${i}_norm\` }));`,
              `    model.add(tf.layers.activation({ activation: '${act}', name: \`blocks_\${i}_act\` }));`,
            ]),
        '  }',
        `  model.add(tf.layers.dense({ units: classes, kernelInitializer: ${TFJS_INIT.lecun}, name: 'head' }));`,
        '  return model;',
        '}',
      );
      break;
    }
    case 'residual':
      lines.push(
        `export function buildModel({ units = ${RESIDUAL_UNITS}, width = ${EXAMPLE_WIDTH}, classes = ${EXAMPLE_CLASSES} } = {}) {`,
        "  const input = tf.input({ shape: [width], name: 'input' });",
        `  let x = tf.layers.dense({ units: width, kernelInitializer: ${TFJS_INIT.lecun}, name: 'inp' }).apply(input);`,
        '  for (let i = 0; i < units; i++) {',
        `    const h = tf.layers.dense({ units: width, kernelInitializer: ${TFJS_INIT.he}, name: \`blocks_\${i}_fc1\` }).apply(x);`,
        "    const a = tf.layers.activation({ activation: 'relu', name: `blocks_${i}_act` }).apply(h);",
        `    const r = tf.layers.dense({ units: width, kernelInitializer: ${TFJS_INIT.lecun}, name: \`blocks_\${i}_fc2\` }).apply(a);`,
        '    x = tf.layers.add({ name: `blocks_${i}_add` }).apply([x, r]);',
        '  }',
        `  const logits = tf.layers.dense({ units: classes, kernelInitializer: ${TFJS_INIT.lecun}, name: 'head' }).apply(x);`,
        `  return tf.model({ inputs: input, outputs: logits, name: '${e.id}' });`,
        '}',
      );
      break;
    case 'linear':
      lines.push(
        `export function buildModel({ depth = ${EXAMPLE_DEPTH}, width = ${EXAMPLE_WIDTH} } = {}) {`,
        `  const model = tf.sequential({ name: '${e.id}' });`,
        '  for (let i = 0; i < depth; i++) {',
        '    const input = i === 0 ? { inputShape: [width] } : {};',
        `    model.add(tf.layers.dense({ ...input, units: width, useBias: false, kernelInitializer: ${TFJS_INIT.orthogonal}, name: \`layers_\${i}\` }));`,
        '  }',
        '  return model;',
        '}',
      );
      break;
  }
  lines.push('');
  return lines.join('\n');
}
