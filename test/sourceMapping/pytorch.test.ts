/**
 * PyTorch source mapping on the real ONNX fixture exports: the block partition and node names
 * come from the fixture files through the engine's loader; the Python sources in fixtures/
 * build models with those module names. Line numbers are 0-based, as in the contract.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceNameOf, mapReportToSource, sitesFor, type MappableReport, type SourceMapping, type SourceSite } from '../../src/sourceMapping';
import { fixtureReport, sourceFixture } from './report';

function sitesListing(mapping: SourceMapping, instanceName: string, role: 'block' | 'layer'): SourceSite[] {
  return mapping.sites.filter((s) => s.instances.some((i) => i.instanceName === instanceName && (i.role ?? 'block') === role));
}

/**
 * The one site that defines `instanceName` (with its role). A block that is an instance of a
 * class has a second site, the `self.<name> = ...` line that created it (see creationSiteOf).
 */
function siteOf(mapping: SourceMapping, instanceName: string, role: 'block' | 'layer' = 'block'): SourceSite {
  const all = sitesListing(mapping, instanceName, role);
  const found = all.some((s) => s.label.startsWith('class ')) ? all.filter((s) => s.label.startsWith('class ')) : all;
  assert.equal(found.length, 1, `${instanceName} (${role}) should be at exactly one site, found ${found.length}`);
  return found[0];
}

/** The line that created a block class's instance (`self.layer2 = ...`), beside the class's own site. */
function creationSiteOf(mapping: SourceMapping, instanceName: string): SourceSite | undefined {
  const all = sitesListing(mapping, instanceName, 'block');
  if (!all.some((s) => s.label.startsWith('class '))) return undefined;
  const found = all.filter((s) => !s.label.startsWith('class '));
  assert.ok(found.length <= 1, `${instanceName} should have at most one creation site, found ${found.length}`);
  return found[0];
}

function assertAt(site: SourceSite, file: string, line: number, lineStartsWith: string): void {
  assert.ok(site.range.path.endsWith(`/${file}`), `${site.range.path} is not ${file}`);
  assert.equal(site.range.startLine, line, `${site.label} starts on line ${site.range.startLine}, expected ${line}`);
  const text = sourceFixture(file).text.split('\n')[line];
  assert.ok(text.trimStart().startsWith(lineStartsWith), `line ${line} of ${file} is "${text}"`);
  assert.equal(site.method, 'pytorch');
}

function instancesAt(site: SourceSite): string[] {
  return site.instances.map((i) => `${i.blockIndex}:${i.instanceName}`);
}

describe('PyTorch sources for the ONNX fixtures', () => {
  test('resnet_cifar8: the BasicBlock class is one site for layer1..layer3; its layers are the self.<name> lines', async () => {
    const report = await fixtureReport('resnet_cifar8', 'model.onnx');
    assert.deepEqual(
      report.blocks.map((b) => b.name),
      ['stem', 'layer1', 'layer2', 'layer3', 'fc'],
    );
    const mapping = mapReportToSource({ report, sources: [sourceFixture('resnet_cifar8.py')] });
    assert.deepEqual(mapping.unplaced, []);

    const block = siteOf(mapping, 'layer2');
    assertAt(block, 'resnet_cifar8.py', 15, 'class BasicBlock(nn.Module):');
    assert.equal(block.label, 'class BasicBlock');
    assert.deepEqual(instancesAt(block), ['2:layer1', '3:layer2', '4:layer3']);
    assert.equal(block.range.startCharacter, 0);
    // Each instance also sits on the line that created it, alone: its own numbers show there,
    // and that is the site selecting the block reveals (the most specific one).
    for (const [name, line] of [
      ['layer1', 43],
      ['layer2', 44],
      ['layer3', 45],
    ] as const) {
      const created = creationSiteOf(mapping, name);
      assert.ok(created, `${name} has no creation site`);
      assertAt(created, 'resnet_cifar8.py', line, `self.${name} = self._make_layer(`);
      assert.equal(created.label, `self.${name}`);
      assert.deepEqual(instancesAt(created), [`${name === 'layer1' ? 2 : name === 'layer2' ? 3 : 4}:${name}`]);
    }

    const conv1 = siteOf(mapping, 'layer3.conv1', 'layer');
    assertAt(conv1, 'resnet_cifar8.py', 20, 'self.conv1 = conv3x3(in_planes, planes, stride)');
    assert.deepEqual(instancesAt(conv1), ['2:layer1.conv1', '3:layer2.conv1', '4:layer3.conv1']);
    assert.equal(conv1.label, 'self.conv1');
    assert.equal(conv1.range.startCharacter, 8);
    assertAt(siteOf(mapping, 'layer1.relu2', 'layer'), 'resnet_cifar8.py', 25, 'self.relu2 =');

    // The projection: downsample is a constructor argument built in _make_layer.
    const down = siteOf(mapping, 'layer2.downsample.conv', 'layer');
    assertAt(down, 'resnet_cifar8.py', 54, 'conv=nn.Conv2d(in_planes, planes, kernel_size=1');
    assert.deepEqual(instancesAt(down), ['3:layer2.downsample.conv', '4:layer3.downsample.conv']);

    assertAt(siteOf(mapping, 'stem'), 'resnet_cifar8.py', 38, 'self.stem = nn.Sequential(OrderedDict([');
    assertAt(siteOf(mapping, 'stem.relu', 'layer'), 'resnet_cifar8.py', 41, "('relu', nn.ReLU(inplace=True)),");
    assertAt(siteOf(mapping, 'fc'), 'resnet_cifar8.py', 48, 'self.fc = nn.Linear(64, num_classes)');
    // Parameter-free ops that joined the last residual block.
    assertAt(siteOf(mapping, 'pool', 'layer'), 'resnet_cifar8.py', 46, 'self.pool = nn.AdaptiveAvgPool2d(1)');
    assert.deepEqual(instancesAt(siteOf(mapping, 'flatten', 'layer')), ['4:flatten']);
    // A block that is a single module is listed once, as the block.
    assert.deepEqual(siteOf(mapping, 'fc').instances, [{ blockIndex: 5, instanceName: 'fc', role: 'block' }]);
    // A nonlinearity's sourceName finds its site (layer2's second ReLU: self.relu2 in BasicBlock).
    const relu = instanceNameOf('onnx', '/layer2/relu2/Relu');
    assert.equal(relu, 'layer2.relu2');
    assert.deepEqual(
      sitesFor(mapping, 3, relu!).map((s) => s.range.startLine),
      [25],
    );
    assert.equal(instanceNameOf('onnx', '/Flatten'), undefined);
    assert.equal(instanceNameOf('tfjs-layers', 'blocks_0_dense'), 'blocks_0_dense');
  });

  test('mlp_relu: 20 DenseBlocks in an nn.ModuleList comprehension map to the class; dense/act to their lines', async () => {
    const report = await fixtureReport('mlp_relu', 'model.onnx');
    const mapping = mapReportToSource({ report, sources: [sourceFixture('mlp.py')] });
    assert.deepEqual(mapping.unplaced, []);
    const block = siteOf(mapping, 'blocks.7');
    assertAt(block, 'mlp.py', 5, 'class DenseBlock(nn.Module):');
    assert.deepEqual(
      block.instances.map((i) => i.blockIndex),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assertAt(siteOf(mapping, 'blocks.19.dense', 'layer'), 'mlp.py', 8, 'self.dense = nn.Linear(width, width)');
    assertAt(siteOf(mapping, 'blocks.0.act', 'layer'), 'mlp.py', 11, 'self.act = act()');
    assertAt(siteOf(mapping, 'head'), 'mlp.py', 26, 'self.head = nn.Linear(width, num_classes)');
    assert.equal(mapping.sites.length, 4);
  });

  test('mlp_ln_tanh: a norm layer assigned under `if` maps to that assignment', async () => {
    const report = await fixtureReport('mlp_ln_tanh', 'model.onnx');
    const mapping = mapReportToSource({ report, sources: [sourceFixture('mlp.py')] });
    assert.deepEqual(mapping.unplaced, []);
    const norm = siteOf(mapping, 'blocks.3.norm', 'layer');
    assertAt(norm, 'mlp.py', 10, 'self.norm = norm(width)');
    assert.equal(norm.instances.length, 20);
  });

  test("mlp_bn_relu: nn.Sequential(*[helper() for _ in range(depth)]) entries and the helper's OrderedDict names", async () => {
    const report = await fixtureReport('mlp_bn_relu', 'model.onnx');
    const mapping = mapReportToSource({ report, sources: [sourceFixture('mlp_bn_relu.py')] });
    assert.deepEqual(mapping.unplaced, []);
    const entry = siteOf(mapping, 'blocks.12');
    assertAt(entry, 'mlp_bn_relu.py', 17, 'self.blocks = nn.Sequential(*[dense_block(width) for _ in range(depth)])');
    assert.equal(entry.range.startCharacter, 38, 'the entry expression dense_block(width)');
    assert.equal(entry.instances.length, 20);
    assertAt(siteOf(mapping, 'blocks.12.dense', 'layer'), 'mlp_bn_relu.py', 8, '("dense", nn.Linear(width, width)),');
    assertAt(siteOf(mapping, 'blocks.0.norm', 'layer'), 'mlp_bn_relu.py', 9, '("norm", nn.BatchNorm1d(width)),');
    assertAt(siteOf(mapping, 'blocks.5.act', 'layer'), 'mlp_bn_relu.py', 10, '("act", act()),');
  });

  test('resmlp_relu: a list appended in a loop, then nn.Sequential(*blocks)', async () => {
    const report = await fixtureReport('resmlp_relu', 'model.onnx');
    const mapping = mapReportToSource({ report, sources: [sourceFixture('resmlp.py')] });
    assert.deepEqual(mapping.unplaced, []);
    const block = siteOf(mapping, 'blocks.9');
    assertAt(block, 'resmlp.py', 4, 'class ResidualBlock(nn.Module):');
    assert.deepEqual(
      block.instances.map((i) => i.blockIndex),
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    );
    assertAt(siteOf(mapping, 'inp'), 'resmlp.py', 20, 'self.inp = nn.Linear(d_in, width)');
    assertAt(siteOf(mapping, 'blocks.4.fc2', 'layer'), 'resmlp.py', 11, 'self.fc2 = nn.Linear(width, width)');
  });

  test('linear_orthogonal: an appended local variable points at the constructor that made it', async () => {
    const report = await fixtureReport('linear_orthogonal', 'model.onnx');
    const mapping = mapReportToSource({ report, sources: [sourceFixture('linear_orthogonal.py')] });
    assert.deepEqual(mapping.unplaced, []);
    assert.equal(mapping.sites.length, 1);
    const site = siteOf(mapping, 'layers.3');
    assertAt(site, 'linear_orthogonal.py', 11, 'layer = nn.Linear(dim, dim, bias=False)');
    assert.equal(site.range.startCharacter, 20);
    assert.equal(site.instances.length, 10);
  });

  for (const file of ['model.onnx', 'model-opset17.onnx']) {
    test(`tiny_transformer (${file}): attention and MLP sub-blocks map to their classes, layer norms to EncoderLayer`, async () => {
      const report = await fixtureReport('tiny_transformer', file);
      assert.deepEqual(
        report.blocks.map((b) => b.name),
        ['layers.0.attn', 'layers.0.mlp', 'layers.1.attn', 'layers.1.mlp', 'head'],
      );
      const mapping = mapReportToSource({ report, sources: [sourceFixture('tiny_transformer.py')] });
      assert.deepEqual(mapping.unplaced, []);
      const attn = siteOf(mapping, 'layers.1.attn');
      assertAt(attn, 'tiny_transformer.py', 7, 'class Attention(nn.Module):');
      assert.deepEqual(instancesAt(attn), ['1:layers.0.attn', '3:layers.1.attn']);
      assertAt(siteOf(mapping, 'layers.0.mlp'), 'tiny_transformer.py', 27, 'class MLP(nn.Module):');
      assertAt(siteOf(mapping, 'layers.0.attn.q', 'layer'), 'tiny_transformer.py', 11, 'self.q = nn.Linear(d_model, d_model)');
      assertAt(siteOf(mapping, 'layers.1.ln2', 'layer'), 'tiny_transformer.py', 43, 'self.ln2 = nn.LayerNorm(d_model)');
      assertAt(siteOf(mapping, 'layers.1.mlp.act', 'layer'), 'tiny_transformer.py', 31, 'self.act = nn.GELU()');
      // The token mean is a module of a user class: its class line.
      assertAt(siteOf(mapping, 'pool', 'layer'), 'tiny_transformer.py', 51, 'class TokenMean(nn.Module):');
    });
  }
});

/**
 * torchvision's ResNet-18 as its ONNX export names nodes (module paths as scopes, the second
 * call of a reused module suffixed "_1", Sequential children as "downsample.0"). No fixture
 * holds a ResNet-18, so this block list is written out; the names follow the exporter's scheme
 * that the resnet_cifar8 fixture shows.
 */
function resnet18Report(): MappableReport {
  const blocks: { index: number; name: string; sourceNames: string[] }[] = [
    { index: 1, name: 'conv1', sourceNames: ['/conv1/Conv', '/relu/Relu', '/maxpool/MaxPool'] },
  ];
  for (const layer of [1, 2, 3, 4]) {
    for (const i of [0, 1]) {
      const m = `/layer${layer}/layer${layer}.${i}`;
      const names = [`${m}/conv1/Conv`, `${m}/relu/Relu`, `${m}/conv2/Conv`];
      if (layer > 1 && i === 0) names.push(`${m}/downsample/downsample.0/Conv`);
      names.push(`${m}/Add`, `${m}/relu_1/Relu`);
      if (layer === 4 && i === 1) names.push('/avgpool/GlobalAveragePool', '/Flatten');
      blocks.push({ index: blocks.length + 1, name: `layer${layer}.${i}`, sourceNames: names });
    }
  }
  blocks.push({ index: 10, name: 'fc', sourceNames: ['/fc/Gemm'] });
  return { model: { format: 'onnx', path: '/models/resnet18.onnx' }, blocks };
}

describe('where a block-class instance was created', () => {
  const source = {
    path: '/src/net.py',
    text: [
      'import torch.nn as nn',
      'class Stem(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.conv = nn.Conv2d(3, 8, 3)',
      'class Block(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.conv = nn.Conv2d(8, 8, 3)',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.stem = Stem()',
      '        self.a = Block()',
      '        self.b = Block()',
    ].join('\n'),
  };
  const report: MappableReport = {
    model: { format: 'onnx', path: '/m/net.onnx' },
    blocks: [
      { index: 1, name: 'stem', sourceNames: ['/stem/conv/Conv'] },
      { index: 2, name: 'a', sourceNames: ['/a/conv/Conv'] },
      { index: 3, name: 'b', sourceNames: ['/b/conv/Conv'] },
    ],
  };
  test('a class used twice: each instance also sits alone on its self.<name> = line; a class used once does not repeat itself', () => {
    const mapping = mapReportToSource({ report, sources: [source] });
    assert.deepEqual(mapping.unplaced, []);
    const blockSites = mapping.sites.filter((s) => s.instances.some((i) => (i.role ?? 'block') === 'block'));
    assert.deepEqual(
      blockSites.map((s) => [s.range.startLine, s.label, instancesAt(s).join(',')]),
      [
        [1, 'class Stem', '1:stem'],
        [5, 'class Block', '2:a,3:b'],
        [13, 'self.a', '2:a'],
        [14, 'self.b', '3:b'],
      ],
    );
  });
});

describe('torchvision-style ResNet-18', () => {
  test('the block class taken as a constructor argument: one BasicBlock site for all 8 instances', () => {
    const mapping = mapReportToSource({ report: resnet18Report(), sources: [sourceFixture('torchvision_resnet.py')] });
    assert.deepEqual(mapping.unplaced, []);
    const block = siteOf(mapping, 'layer3.1');
    assertAt(block, 'torchvision_resnet.py', 19, 'class BasicBlock(nn.Module):');
    assert.deepEqual(instancesAt(block), ['2:layer1.0', '3:layer1.1', '4:layer2.0', '5:layer2.1', '6:layer3.0', '7:layer3.1', '8:layer4.0', '9:layer4.1']);
    const conv2 = siteOf(mapping, 'layer4.0.conv2', 'layer');
    assertAt(conv2, 'torchvision_resnet.py', 37, 'self.conv2 = conv3x3(planes, planes)');
    assert.equal(conv2.instances.length, 8);
    // relu_1 is the second call of self.relu.
    const relu = siteOf(mapping, 'layer2.1.relu', 'layer');
    assertAt(relu, 'torchvision_resnet.py', 36, 'self.relu = nn.ReLU(inplace=True)');
    assert.equal(siteOf(mapping, 'layer2.1.relu_1', 'layer'), relu);
    // downsample.0: the first entry of the nn.Sequential built in _make_layer.
    const down = siteOf(mapping, 'layer3.0.downsample.0', 'layer');
    assertAt(down, 'torchvision_resnet.py', 81, 'conv1x1(self.inplanes, planes * block.expansion, stride),');
    assert.deepEqual(instancesAt(down), ['4:layer2.0.downsample.0', '6:layer3.0.downsample.0', '8:layer4.0.downsample.0']);
    // The stem block is named by its conv: the root class's own self.conv1, not BasicBlock's.
    assertAt(siteOf(mapping, 'conv1'), 'torchvision_resnet.py', 65, 'self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7');
    assertAt(siteOf(mapping, 'avgpool', 'layer'), 'torchvision_resnet.py', 73, 'self.avgpool = nn.AdaptiveAvgPool2d((1, 1))');
  });

  test('plain dotted node names ("layer1.0.conv1") map the same way', () => {
    const report: MappableReport = {
      model: { format: 'onnx', path: '/models/resnet18.onnx' },
      blocks: [
        { index: 1, name: 'conv1', sourceNames: ['conv1', 'relu', 'maxpool'] },
        { index: 2, name: 'layer1.0', sourceNames: ['layer1.0.conv1', 'layer1.0.bn1', 'layer1.0.relu', 'layer1.0.conv2'] },
      ],
    };
    const mapping = mapReportToSource({ report, sources: [sourceFixture('torchvision_resnet.py')] });
    assert.deepEqual(mapping.unplaced, []);
    assertAt(siteOf(mapping, 'layer1.0'), 'torchvision_resnet.py', 19, 'class BasicBlock(nn.Module):');
    assertAt(siteOf(mapping, 'layer1.0.bn1', 'layer'), 'torchvision_resnet.py', 35, 'self.bn1 = norm_layer(planes)');
  });
});

describe('torchvision-style DenseNet: names built in loops', () => {
  test('add_module("denselayer%d" % (i + 1)) and self.features.add_module(f"denseblock{i + 1}") place every instance', () => {
    const blocks: { index: number; name: string; sourceNames: string[] }[] = [{ index: 1, name: 'features.conv0', sourceNames: ['/features/conv0/Conv'] }];
    for (const b of [1, 2]) {
      for (const l of [1, 2]) {
        const m = `/features/denseblock${b}/denselayer${l}`;
        blocks.push({
          index: blocks.length + 1,
          name: `features.denseblock${b}.denselayer${l}`,
          sourceNames: [`${m}/norm1/BatchNormalization`, `${m}/relu1/Relu`, `${m}/conv1/Conv`, `${m}/Concat`],
        });
      }
    }
    blocks.push({ index: 6, name: 'classifier', sourceNames: ['/classifier/Gemm'] });
    const mapping = mapReportToSource({
      report: { model: { format: 'onnx', path: '/m/densenet.onnx' }, blocks },
      sources: [sourceFixture('densenet_like.py')],
    });
    assert.deepEqual(mapping.unplaced, []);
    const layer = siteOf(mapping, 'features.denseblock2.denselayer1');
    assertAt(layer, 'densenet_like.py', 8, 'class _DenseLayer(nn.Module):');
    assert.deepEqual(
      layer.instances.map((i) => i.blockIndex),
      [2, 3, 4, 5],
    );
    assertAt(siteOf(mapping, 'features.denseblock1.denselayer2.conv1', 'layer'), 'densenet_like.py', 13, 'self.conv1 = nn.Conv2d(');
    assertAt(siteOf(mapping, 'features.conv0'), 'densenet_like.py', 31, '("conv0", nn.Conv2d(3, num_init_features');
    assertAt(siteOf(mapping, 'classifier'), 'densenet_like.py', 38, 'self.classifier = nn.Linear(num_features, num_classes)');
  });
});

describe('PyTorch in a workspace full of other models', () => {
  test("the model's classes are found among 30 files of other nn.Modules (a workspace scan)", async () => {
    const report = await fixtureReport('resnet_cifar8', 'model.onnx');
    const others = ['torchvision_resnet.py', 'tiny_transformer.py', 'mlp.py', 'resmlp.py', 'mlp_bn_relu.py', 'linear_orthogonal.py'];
    const decoys = Array.from({ length: 30 }, (_, i) => {
      const src = sourceFixture(others[i % others.length]);
      return { path: `/ws/pkg${i}/${others[i % others.length]}`, text: src.text.replace(/class (\w+)/g, `class $1V${i}`) };
    });
    const model = sourceFixture('resnet_cifar8.py');
    const mapping = mapReportToSource({ report, sources: [...decoys.slice(0, 15), model, ...decoys.slice(15)] });
    assert.deepEqual(mapping.unplaced, []);
    assert.ok(mapping.sites.every((s) => s.range.path === model.path));
    assertAt(siteOf(mapping, 'layer2'), 'resnet_cifar8.py', 15, 'class BasicBlock(nn.Module):');
    // A same-named class elsewhere does not capture the model's: BasicBlock is resolved in the root's file first.
    const clash = { path: '/ws/other/blocks.py', text: sourceFixture('torchvision_resnet.py').text };
    const withClash = mapReportToSource({ report, sources: [clash, model] });
    assertAt(siteOf(withClash, 'layer3'), 'resnet_cifar8.py', 15, 'class BasicBlock(nn.Module):');
  });
});

describe('PyTorch: what cannot be placed says why', () => {
  test('no Python source: every block unplaced, naming where sources come from', async () => {
    const report = await fixtureReport('resnet_cifar8', 'model.onnx');
    const mapping = mapReportToSource({ report, sources: [] });
    assert.equal(mapping.sites.length, 0);
    assert.deepEqual(
      mapping.unplaced.map((u) => u.name),
      ['stem', 'layer1', 'layer2', 'layer3', 'fc'],
    );
    assert.match(mapping.unplaced[0].reason, /no Python source files/);
    assert.match(mapping.unplaced[0].reason, /sourceFiles/);
  });

  test("a source that defines none of the model's modules: the reason names the classes and modules looked for", async () => {
    const report = await fixtureReport('resnet_cifar8', 'model.onnx');
    const mapping = mapReportToSource({ report, sources: [sourceFixture('resmlp.py')] });
    assert.equal(mapping.sites.length, 0);
    assert.equal(mapping.unplaced.length, 5);
    assert.match(
      mapping.unplaced[1].reason,
      /no nn\.Module class \(ResidualBlock, ResMLP\) assigns any of the model's top-level modules \(stem, layer1, layer2, layer3, pool, flatten/,
    );
  });

  test('two classes covering the top-level modules equally: ambiguous, both named', async () => {
    const report = await fixtureReport('mlp_relu', 'model.onnx');
    const twin = sourceFixture('mlp.py');
    const copy = { path: twin.path.replace(/mlp\.py$/, 'mlp_copy.py'), text: twin.text.replace('class DeepMLP', 'class OtherMLP') };
    const mapping = mapReportToSource({ report, sources: [twin, copy] });
    assert.equal(mapping.sites.length, 0);
    assert.match(mapping.unplaced[0].reason, /several classes cover the model's top-level modules equally well \(DeepMLP, OtherMLP\)/);
  });

  test('a module path the source does not define: that block unplaced with the failing step, the rest placed', async () => {
    const report = await fixtureReport('resnet_cifar8', 'model.onnx');
    const src = sourceFixture('resnet_cifar8.py');
    const edited = { path: src.path, text: src.text.replace('self.fc = nn.Linear(64, num_classes)', 'self.classifier = nn.Linear(64, num_classes)') };
    const mapping = mapReportToSource({ report, sources: [edited] });
    assert.deepEqual(
      mapping.unplaced.map((u) => u.blockIndex),
      [5],
    );
    assert.match(mapping.unplaced[0].reason, /fc: class ResNetCifar8 \(class ResNetCifar8\) assigns no self\.fc/);
    assert.ok(mapping.sites.some((s) => s.label === 'class BasicBlock'));
  });

  test('a Sequential built by two loops of unknown length cannot be indexed', () => {
    const text = [
      'import torch.nn as nn',
      'class Net(nn.Module):',
      '    def __init__(self, a, b):',
      '        super().__init__()',
      '        layers = []',
      '        for _ in range(a):',
      '            layers.append(nn.Linear(8, 8))',
      '        for _ in range(b):',
      '            layers.append(nn.Tanh())',
      '        self.body = nn.Sequential(*layers)',
      '        self.head = nn.Linear(8, 2)',
    ].join('\n');
    const report: MappableReport = {
      model: { format: 'onnx', path: '/m.onnx' },
      blocks: [
        { index: 1, name: 'body.0', sourceNames: ['/body/body.0/Gemm'] },
        { index: 2, name: 'head', sourceNames: ['/head/Gemm'] },
      ],
    };
    const mapping = mapReportToSource({ report, sources: [{ path: '/src/net.py', text }] });
    assert.deepEqual(
      mapping.unplaced.map((u) => u.name),
      ['body.0'],
    );
    assert.match(mapping.unplaced[0].reason, /built by several loops whose lengths are not literals/);
    assert.equal(siteOf(mapping, 'head').range.startLine, 10);
  });
});
