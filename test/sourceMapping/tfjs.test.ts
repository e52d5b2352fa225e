/**
 * TensorFlow.js models: the layer entries of the real fixture model.json files, Keras Python
 * and TensorFlow.js code by name arguments (literals, f-strings, template literals) and by
 * constructor order. Line numbers are 0-based.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mapReportToSource, type MappableReport, type SourceMapping, type SourceSite } from '../../src/sourceMapping';
import { modelJsonLayers } from '../../src/sourceMapping/modelJson';
import { matchesPieces } from '../../src/sourceMapping/layerNames';
import { fixtureReport, sourceFixture } from './report';

function sitesOf(mapping: SourceMapping, instanceName: string, role: 'block' | 'layer' = 'block'): SourceSite[] {
  return mapping.sites.filter((s) => s.instances.some((i) => i.instanceName === instanceName && (i.role ?? 'block') === role));
}

function only<T>(xs: readonly T[], what: string): T {
  assert.equal(xs.length, 1, `expected one ${what}, found ${xs.length}`);
  return xs[0];
}

function textAt(text: string, site: SourceSite): string {
  const lines = text.split('\n');
  assert.equal(site.range.startLine, site.range.endLine, 'one-line range');
  return lines[site.range.startLine].slice(site.range.startCharacter, site.range.endCharacter);
}

describe('model.json layer entries', () => {
  test('resnet_cifar8 (functional): each layer\'s "name" inside its config, blocks at their first layer', async () => {
    const report = await fixtureReport('resnet_cifar8', 'tfjs/model.json');
    const text = report.modelText;
    const mapping = mapReportToSource({ report, modelFileText: text, sources: [] });
    assert.deepEqual(mapping.unplaced, []);
    assert.ok(mapping.sites.every((s) => s.method === 'model-file' && s.range.path === report.model.path));

    const conv = only(sitesOf(mapping, 'layer2_downsample_conv', 'layer'), 'site');
    assert.equal(textAt(text, conv), '"name":"layer2_downsample_conv"');
    // Functional layers also carry a layer-level "name"; the site is the second one, in config.
    const first = text.indexOf('"name":"layer2_downsample_conv"');
    assert.equal(conv.range.startCharacter, text.indexOf('"name":"layer2_downsample_conv"', first + 1));
    assert.ok(text.lastIndexOf('"config":{', conv.range.startCharacter) > first);
    assert.equal(conv.range.startLine, 0);

    // Block "layer2" is not a layer: it sits on its first layer (the padding), with that layer.
    const block = only(sitesOf(mapping, 'layer2'), 'site');
    assert.equal(textAt(text, block), '"name":"layer2_pad1"');
    assert.deepEqual(block.instances, [
      { blockIndex: 3, instanceName: 'layer2', role: 'block' },
      { blockIndex: 3, instanceName: 'layer2_pad1', role: 'layer' },
    ]);
    // Block "fc" is its own layer: one instance.
    assert.deepEqual(only(sitesOf(mapping, 'fc'), 'site').instances, [{ blockIndex: 5, instanceName: 'fc', role: 'block' }]);
    // Every layer of every block is placed (32 non-input layers).
    assert.equal(mapping.sites.length, 32);
  });

  test('mlp_relu (Sequential): the config name, the only "name" each layer has', async () => {
    const report = await fixtureReport('mlp_relu', 'tfjs/model.json');
    const text = report.modelText;
    const mapping = mapReportToSource({ report, modelFileText: text, sources: [] });
    assert.deepEqual(mapping.unplaced, []);
    const site = only(sitesOf(mapping, 'blocks_13_dense'), 'site');
    assert.equal(site.range.startCharacter, text.indexOf('"name":"blocks_13_dense"'));
    assert.equal(site.label, '"name":"blocks_13_dense"');
    assert.equal(mapping.sites.length, 21);
    // The same, with the model.json passed among the sources instead.
    const asSource = mapReportToSource({ report, sources: [{ path: report.model.path, text }] });
    assert.deepEqual(asSource, mapping);
  });

  test('graph models: the node entry\'s own "name", on its line', () => {
    const text = [
      '{',
      '  "format": "graph-model",',
      '  "modelTopology": {',
      '    "node": [',
      '      { "name": "x", "op": "Placeholder" },',
      '      { "name": "dense/MatMul", "op": "MatMul", "input": ["x", "dense/kernel"] },',
      '      { "name": "dense/Relu", "op": "Relu", "input": ["dense/MatMul"] }',
      '    ]',
      '  }',
      '}',
    ].join('\n');
    assert.deepEqual(
      modelJsonLayers(text)?.map((l) => [l.name, l.className]),
      [
        ['x', 'Placeholder'],
        ['dense/MatMul', 'MatMul'],
        ['dense/Relu', 'Relu'],
      ],
    );
    const report: MappableReport = {
      model: { format: 'tfjs-graph', path: '/m/model.json' },
      blocks: [{ index: 1, name: 'dense', sourceNames: ['dense/MatMul', 'dense/Relu'] }],
    };
    const mapping = mapReportToSource({ report, modelFileText: text, sources: [] });
    assert.deepEqual(mapping.unplaced, []);
    const block = only(sitesOf(mapping, 'dense'), 'site');
    assert.equal(block.range.startLine, 5);
    assert.equal(textAt(text, block), '"name": "dense/MatMul"');
    assert.equal(only(sitesOf(mapping, 'dense/Relu', 'layer'), 'site').range.startLine, 6);
  });

  test('a model.json that does not parse, or none at all: blocks unplaced saying so', async () => {
    const report = await fixtureReport('mlp_relu', 'tfjs/model.json');
    const mapping = mapReportToSource({ report, modelFileText: report.modelText.slice(0, 500), sources: [] });
    assert.equal(mapping.sites.length, 0);
    assert.equal(mapping.unplaced.length, 21);
    assert.equal(
      mapping.unplaced[0].reason,
      'model.json: could not read its layer list; no model.json text and no Keras (.py) or TensorFlow.js (.js/.ts) source files to search',
    );
    const nothing = mapReportToSource({ report, sources: [{ path: '/notes/readme.md', text: 'name: "blocks_0_dense"' }] });
    assert.equal(nothing.unplaced[3].reason, 'no model.json text and no Keras (.py) or TensorFlow.js (.js/.ts) source files to search');
  });
});

describe('Keras and TensorFlow.js code', () => {
  test('Keras resnet_cifar8: f-string names in a block function are one site per layer kind, for all blocks', async () => {
    const report = await fixtureReport('resnet_cifar8', 'tfjs/model.json');
    const src = sourceFixture('resnet_cifar8_keras.py');
    const mapping = mapReportToSource({ report, modelFileText: report.modelText, sources: [src] });
    assert.deepEqual(mapping.unplaced, []);
    const keras = mapping.sites.filter((s) => s.method === 'keras');
    const conv1 = only(sitesOf({ sites: keras, unplaced: [] }, 'layer3_conv1', 'layer'), 'keras site');
    assert.equal(conv1.range.startLine, 10);
    assert.equal(textAt(src.text, conv1), 'name=f"{prefix}_conv1"');
    assert.deepEqual(
      conv1.instances.map((i) => `${i.blockIndex}:${i.instanceName}:${i.role}`),
      ['2:layer1:block', '2:layer1_conv1:layer', '3:layer2_conv1:layer', '4:layer3_conv1:layer'],
    );
    // layer2/layer3 start with their padding layer, so those blocks sit on the pad line.
    const pad = only(sitesOf({ sites: keras, unplaced: [] }, 'layer3'), 'keras site');
    assert.equal(pad.range.startLine, 8);
    assert.equal(textAt(src.text, pad), 'name=f"{prefix}_pad1"');
    // An exact literal: the stem and the head.
    const stem = only(sitesOf({ sites: keras, unplaced: [] }, 'stem'), 'keras site');
    assert.equal(stem.range.startLine, 26);
    assert.equal(textAt(src.text, stem), 'name="stem_conv"');
    assert.equal(only(sitesOf({ sites: keras, unplaced: [] }, 'fc'), 'keras site').range.startLine, 33);
    // Both the model.json entry and the code line are offered.
    assert.deepEqual(
      sitesOf(mapping, 'fc')
        .map((s) => s.method)
        .sort(),
      ['keras', 'model-file'],
    );
  });

  test('TensorFlow.js mlp_bn_relu: template-literal names in a loop', async () => {
    const report = await fixtureReport('mlp_bn_relu', 'tfjs/model.json');
    assert.deepEqual(
      report.blocks.slice(0, 2).map((b) => b.name),
      ['blocks_0', 'blocks_1'],
    );
    const src = sourceFixture('mlp_bn_relu_tfjs.js');
    const mapping = mapReportToSource({ report, sources: [src] });
    assert.deepEqual(mapping.unplaced, []);
    const dense = only(sitesOf(mapping, 'blocks_4'), 'site');
    assert.equal(dense.method, 'tfjs');
    assert.equal(dense.range.startLine, 6);
    assert.equal(textAt(src.text, dense), 'name: `blocks_${i}_dense`');
    assert.deepEqual(
      dense.instances.filter((i) => i.role === 'block').map((i) => i.blockIndex),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(only(sitesOf(mapping, 'blocks_19_act', 'layer'), 'site').range.startLine, 8);
    assert.equal(only(sitesOf(mapping, 'head'), 'site').range.startLine, 10);
    assert.equal(mapping.sites.length, 4);
  });

  test('TensorFlow.js linear_orthogonal without names: the n-th dense() call is the n-th layer (a commented-out call does not count)', async () => {
    const report = await fixtureReport('linear_orthogonal', 'tfjs/model.json');
    const src = sourceFixture('linear_orthogonal_tfjs.js');
    const mapping = mapReportToSource({ report, modelFileText: report.modelText, sources: [src] });
    assert.deepEqual(mapping.unplaced, []);
    const code = mapping.sites.filter((s) => s.method === 'tfjs');
    assert.deepEqual(
      code.map((s) => s.range.startLine),
      [6, 7, 8, 9, 10, 12, 13, 14, 15, 16],
    );
    assert.deepEqual(
      code.map((s) => s.instances[0].instanceName),
      Array.from({ length: 10 }, (_, i) => `layers_${i}`),
    );
    assert.equal(textAt(src.text, code[5]), 'tf.layers.dense');
    assert.equal(code[5].label, 'tf.layers.dense (layer constructor 6)');
  });

  test('constructor order within one model-building function of several; two that agree are ambiguous', async () => {
    const report = await fixtureReport('linear_orthogonal', 'tfjs/model.json');
    const dense = (n: number, indent = '  '): string[] =>
      Array.from({ length: n }, () => `${indent}model.add(tf.layers.dense({ units: 64, useBias: false }));`);
    const lines = [
      "const tf = require('@tensorflow/tfjs');",
      'function buildSmall() {',
      '  const model = tf.sequential();',
      ...dense(3),
      '  return model;',
      '}',
      'function buildChain() {',
      '  const model = tf.sequential();',
      ...dense(10),
      '  return model;',
      '}',
    ];
    const js = { path: '/src/models.js', text: lines.join('\n') };
    const mapping = mapReportToSource({ report, modelFileText: report.modelText, sources: [js] });
    assert.deepEqual(mapping.unplaced, []);
    const code = mapping.sites.filter((s) => s.method === 'tfjs');
    assert.deepEqual(
      code.map((s) => s.range.startLine),
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    );
    assert.equal(code[0].instances[0].instanceName, 'layers_0');

    // A second function with ten dense() calls: no way to tell which one built the model.
    const twin = {
      path: '/src/models.js',
      text: [...lines, 'function buildChain2() {', '  const model = tf.sequential();', ...dense(10), '  return model;', '}'].join('\n'),
    };
    // (layer names changed in model.json so its entries place nothing and the reason shows)
    const renamed = report.modelText.replace(/"name":"layers_/g, '"name":"l_');
    const ambiguous = mapReportToSource({ report, modelFileText: renamed, sources: [twin] });
    assert.equal(ambiguous.sites.length, 0);
    assert.match(ambiguous.unplaced[0].reason, /; constructor order is ambiguous: models\.js buildChain, models\.js buildChain2 all agree with the model$/);
  });

  test('constructor order refused when the counts differ: unplaced with what was tried', async () => {
    const report = await fixtureReport('mlp_relu', 'tfjs/model.json');
    const loop = sourceFixture('mlp_relu_keras_loop.py');
    // Without a model.json there are no layer types to check an order against.
    const noModel = mapReportToSource({ report, sources: [loop] });
    assert.equal(noModel.sites.length, 0);
    assert.equal(noModel.unplaced.length, 21);
    assert.equal(noModel.unplaced[0].reason, 'code: no name argument produces "blocks_0_dense"; constructor order: needs the model.json layer types');
    // A model.json whose layer names are not the report's (so no entry places them): the
    // order check runs and fails on the count (2 Dense calls in a loop, 21 layers).
    const renamed = report.modelText.replace(/"name":"(blocks_|head)/g, '"name":"other_$1');
    const mapping = mapReportToSource({ report, modelFileText: renamed, sources: [loop] });
    assert.equal(mapping.sites.length, 0);
    assert.equal(mapping.unplaced.length, 21);
    assert.match(
      mapping.unplaced[4].reason,
      /^model\.json: no layer named "blocks_4_dense"; code: no name argument produces "blocks_4_dense"; constructor order: mlp_relu_keras_loop\.py has 2 layer constructor calls for the model's 21 layers$/,
    );
    // With the real model.json every block still has its entry, and the code gets no guess.
    const real = mapReportToSource({ report, modelFileText: report.modelText, sources: [loop] });
    assert.deepEqual(real.unplaced, []);
    assert.equal(real.sites.filter((s) => s.method === 'keras').length, 0);
  });

  test('constructor order with types that disagree: the first mismatch is named', () => {
    const modelFileText = JSON.stringify({
      format: 'layers-model',
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 's',
          layers: [
            { class_name: 'Dense', config: { name: 'd1' } },
            { class_name: 'Dense', config: { name: 'd2' } },
          ],
        },
      },
    });
    const report: MappableReport = {
      model: { format: 'tfjs-layers', path: '/m/model.json' },
      blocks: [
        { index: 1, name: 'd1', sourceNames: ['d1'] },
        { index: 2, name: 'd2', sourceNames: ['d2'] },
      ],
    };
    const js = { path: '/src/build.js', text: 'const m = tf.sequential();\nm.add(tf.layers.dense({units: 4}));\nm.add(tf.layers.conv2d({filters: 4}));\n' };
    const mapping = mapReportToSource({ report, sources: [js] });
    assert.match(mapping.unplaced[0].reason, /needs the model\.json layer types/);
    const typed = mapReportToSource({ report, modelFileText, sources: [js] });
    // model.json places both blocks; the code is not guessed.
    assert.deepEqual(
      typed.sites.map((s) => s.method),
      ['model-file', 'model-file'],
    );
    const codeOnly = mapReportToSource({
      report: { ...report, model: { format: 'tfjs-layers', path: '/m/model.json' } },
      modelFileText: modelFileText.replace(/"name":"d\d"/g, '"name":"zz"'),
      sources: [js],
    });
    assert.equal(codeOnly.unplaced.length, 2);
    assert.match(codeOnly.unplaced[1].reason, /build\.js: constructor 2 is tf\.layers\.conv2d, the model's layer 2 is a Dense/);
  });

  test('two name arguments that produce the same layer name: ambiguous, both cited', () => {
    const report: MappableReport = {
      model: { format: 'tfjs-layers', path: '/m/model.json' },
      blocks: [{ index: 1, name: 'enc_dense', sourceNames: ['enc_dense'] }],
    };
    // Two patterns with as many literal characters.
    const py = { path: '/src/a.py', text: 'x = layers.Dense(4, name=f"{p}_dense")(x)\ny = layers.Dense(4, name=f"enc_de{q}")(x)\n' };
    const mapping = mapReportToSource({ report, sources: [py] });
    assert.equal(mapping.sites.length, 0);
    assert.match(mapping.unplaced[0].reason, /several name arguments produce "enc_dense": a\.py:1 name=f"\{p\}_dense", a\.py:2 name=f"enc_de\{q\}"/);
    // The same literal twice.
    const js = { path: '/src/b.js', text: 'tf.layers.dense({units: 4, name: \'enc_dense\'});\ntf.layers.dense({units: 4, name: "enc_dense"});\n' };
    const twice = mapReportToSource({ report, sources: [js] });
    assert.equal(twice.sites.length, 0);
    assert.match(twice.unplaced[0].reason, /b\.js:1 name: 'enc_dense', b\.js:2 name: "enc_dense"/);
    // A more specific pattern wins over a looser one.
    const loose = { path: '/src/c.py', text: 'x = layers.Dense(4, name=f"{p}_dense")(x)\ny = layers.Dense(4, name=f"enc_{q}")(x)\n' };
    const specific = mapReportToSource({ report, sources: [loose] });
    assert.equal(only(sitesOf(specific, 'enc_dense'), 'site').range.startLine, 0);
    // A name passed straight through (no literal part) matches nothing.
    const through = { path: '/src/d.ts', text: 'function dense(units: number, id: string) {\n  return tf.layers.dense({ units, name: `${id}` });\n}\n' };
    const none = mapReportToSource({ report, sources: [through] });
    assert.equal(none.sites.length, 0);
    assert.match(none.unplaced[0].reason, /^code: no name argument produces "enc_dense"/);
  });

  test('an exact literal beats a pattern; .format and % strings are patterns too', () => {
    const report: MappableReport = {
      model: { format: 'tfjs-layers', path: '/m/model.json' },
      blocks: [
        { index: 1, name: 'block_1', sourceNames: ['block_1'] },
        { index: 2, name: 'block_2', sourceNames: ['block_2'] },
        { index: 3, name: 'head_7', sourceNames: ['head_7'] },
      ],
    };
    const py = {
      path: '/src/b.py',
      text: [
        'for i in range(3):',
        "    x = layers.Dense(8, name='block_{}'.format(i))(x)",
        "x = layers.Dense(8, name='block_2')(x)",
        "x = layers.Dense(8, name='head_%d' % 7)(x)",
      ].join('\n'),
    };
    const mapping = mapReportToSource({ report, sources: [py] });
    assert.deepEqual(mapping.unplaced, []);
    assert.equal(only(sitesOf(mapping, 'block_1'), 'site').range.startLine, 1);
    assert.equal(only(sitesOf(mapping, 'block_2'), 'site').range.startLine, 2);
    assert.equal(only(sitesOf(mapping, 'head_7'), 'site').range.startLine, 3);
  });
});

describe('hostile layer-name input', () => {
  test('name patterns match without backtracking; many holes and unclosed quotes stay fast', () => {
    assert.equal(matchesPieces(['blocks_', '_dense'], 'blocks_12_dense'), true);
    assert.equal(matchesPieces(['blocks_', '_dense'], 'blocks__dense'), false, 'a hole is at least one character');
    assert.equal(matchesPieces(['', '_conv1'], 'layer1_conv1'), true);
    assert.equal(matchesPieces(['a', 'b', 'c'], 'axbyc'), true);
    assert.equal(matchesPieces(['a', 'b', 'c'], 'abc'), false);
    assert.equal(matchesPieces(['x'], 'x'), true);

    const layer = `${'a_'.repeat(200)}z`;
    const report: MappableReport = { model: { format: 'tfjs-layers', path: '/m/model.json' }, blocks: [{ index: 1, name: layer, sourceNames: [layer] }] };
    const py = { path: '/src/h.py', text: `x = layers.Dense(4, name=f"${'{a}_'.repeat(40)}y")(x)\n` };
    const js = { path: '/src/h.js', text: "tf.layers.dense({ name: '".repeat(100000) };
    const started = Date.now();
    const mapping = mapReportToSource({ report, sources: [py, js] });
    // A hang guard (backtracking would take hours), not a speed goal: generous for a loaded machine.
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
    assert.equal(mapping.sites.length, 0);
    assert.match(mapping.unplaced[0].reason, /^code: no name argument produces/);
  });
});
