/**
 * The tolerant Python reading on constructs the fixtures do not use: comments and strings that
 * look like code, continuations, one-line compound statements, add_module, ModuleDict, list
 * repetition, inheritance, annotations, CRLF line ends, and plain functions as builders.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mapReportToSource, type MappableReport, type SourceMapping } from '../../src/sourceMapping';
import { modulePathOfNodeName } from '../../src/sourceMapping/python/resolve';
import { tokenizePython } from '../../src/sourceMapping/python/tokens';

const SOURCE = [
  /*  0 */ '"""A docstring with class Fake(nn.Module): and self.head = nn.Linear(1, 1) inside."""',
  /*  1 */ 'import torch.nn as nn',
  /*  2 */ 'from collections import OrderedDict',
  /*  3 */ '',
  /*  4 */ 'class Base(nn.Module):',
  /*  5 */ '    def __init__(self):',
  /*  6 */ '        super().__init__()',
  /*  7 */ '        self.embed = nn.Linear(4, 4)  # self.embed = nn.Linear(9, 9) in a comment',
  /*  8 */ '',
  /*  9 */ 'class Net(Base):',
  /* 10 */ '    def __init__(self, hidden=4):',
  /* 11 */ '        super().__init__()',
  /* 12 */ '        label = "not a call ( # [ and not a comment"',
  /* 13 */ '        self.body = nn.Sequential(',
  /* 14 */ '            *[nn.Linear(hidden, hidden), nn.ReLU()] * 3',
  /* 15 */ '        )',
  /* 16 */ '        if hidden > 2: self.gate = nn.Sigmoid()',
  /* 17 */ "        self.add_module('extra', nn.Tanh())",
  /* 18 */ '        self.heads = nn.ModuleDict({',
  /* 19 */ "            'cls': nn.Linear(hidden, 2),",
  /* 20 */ "            'reg': nn.Linear(hidden, 1),",
  /* 21 */ '        })',
  /* 22 */ '        self.proj: nn.Module = \\',
  /* 23 */ '            nn.Linear(hidden, hidden)',
  /* 24 */ "        self.named = nn.Sequential(OrderedDict({'a': nn.ReLU(), 'b': make_norm(hidden)}))",
  /* 25 */ '',
  /* 26 */ 'def make_norm(n):',
  /* 27 */ '    return nn.LayerNorm(n)',
];

function report(paths: readonly string[]): MappableReport {
  return {
    model: { format: 'onnx', path: '/m/net.onnx' },
    blocks: paths.map((p, i) => ({ index: i + 1, name: p, sourceNames: [`/${p.split('.').join('/')}/Op`] })),
  };
}

function placed(mapping: SourceMapping, name: string): [number, number, string] {
  const site = mapping.sites.find((s) => s.instances.some((i) => i.instanceName === name));
  assert.ok(site !== undefined, `${name} not placed: ${JSON.stringify(mapping.unplaced)}`);
  return [site.range.startLine, site.range.startCharacter, site.label];
}

describe('Python reading', () => {
  for (const [eol, label] of [
    ['\n', 'LF'],
    ['\r\n', 'CRLF'],
  ] as const) {
    test(`module paths through the odd constructs (${label})`, () => {
      const text = SOURCE.join(eol);
      const names = ['embed', 'body.0', 'body.3', 'body.5', 'body.6', 'gate', 'extra', 'heads.cls', 'proj', 'named.b', 'named.c'];
      const mapping = mapReportToSource({ report: report(names), sources: [{ path: '/src/net.py', text }] });
      const col = (line: number, needle: string): number => SOURCE[line].indexOf(needle);
      assert.deepEqual(placed(mapping, 'embed'), [7, 8, 'self.embed']);
      assert.deepEqual(placed(mapping, 'body.0'), [14, col(14, 'nn.Linear'), 'nn.Sequential entry']);
      assert.deepEqual(placed(mapping, 'body.3'), [14, col(14, 'nn.ReLU'), 'nn.Sequential entry']);
      assert.deepEqual(placed(mapping, 'body.5'), [14, col(14, 'nn.ReLU'), 'nn.Sequential entry']);
      assert.deepEqual(placed(mapping, 'gate'), [16, col(16, 'self.gate'), 'self.gate']);
      assert.deepEqual(placed(mapping, 'extra'), [17, 8, "self.add_module('extra')"]);
      assert.deepEqual(placed(mapping, 'heads.cls'), [19, 12, "nn.ModuleDict entry 'cls'"]);
      assert.deepEqual(placed(mapping, 'proj'), [22, 8, 'self.proj']);
      assert.deepEqual(placed(mapping, 'named.b'), [24, col(24, "'b'"), "nn.Sequential entry 'b'"]);
      // The statement spans its continuation line.
      const proj = mapping.sites.find((s) => s.label === 'self.proj')!;
      assert.deepEqual([proj.range.endLine, proj.range.endCharacter], [23, SOURCE[23].length]);
      assert.deepEqual(
        mapping.unplaced.map((u) => [u.name, u.reason]),
        [
          ['body.6', 'PyTorch (root class Net): body.6: body (nn.Sequential): index 6 is past its 6 entries'],
          ['named.c', "PyTorch (root class Net): named.c: named (nn.Sequential) has no entry 'c'"],
        ],
      );
    });
  }

  test('a module-level nn.Sequential (or a function returning one) as the root: entries "0", "1", ...', () => {
    const report: MappableReport = {
      model: { format: 'onnx', path: '/m/seq.onnx' },
      blocks: [
        { index: 1, name: '0', sourceNames: ['/0/Gemm', '/1/Relu'] },
        { index: 2, name: '2', sourceNames: ['/2/Gemm'] },
      ],
    };
    const text = ['import torch.nn as nn', 'model = nn.Sequential(', '    nn.Linear(8, 16),', '    nn.ReLU(),', '    nn.Linear(16, 2),', ')'].join('\n');
    const mapping = mapReportToSource({ report, sources: [{ path: '/src/seq.py', text }] });
    assert.deepEqual(mapping.unplaced, []);
    assert.deepEqual(placed(mapping, '0'), [2, 4, 'nn.Sequential entry 0']);
    assert.deepEqual(placed(mapping, '1'), [3, 4, 'nn.Sequential entry 1']);
    assert.deepEqual(placed(mapping, '2'), [4, 4, 'nn.Sequential entry 2']);
    const factory = [
      'import torch.nn as nn',
      '',
      'def build(width=16):',
      '    layers = [nn.Linear(8, width), nn.ReLU()]',
      '    layers += [nn.Linear(width, 2)]',
      '    return nn.Sequential(*layers)',
    ].join('\n');
    const viaFactory = mapReportToSource({ report, sources: [{ path: '/src/f.py', text: factory }] });
    assert.deepEqual(viaFactory.unplaced, []);
    assert.deepEqual(placed(viaFactory, '1'), [3, 35, 'nn.Sequential entry 1']);
    assert.deepEqual(placed(viaFactory, '2'), [4, 15, 'nn.Sequential entry 2']);
  });

  test('a class deriving from nn.Sequential: the entries of its super().__init__(*layers) are its children', () => {
    const text = [
      'import torch.nn as nn',
      'class ConvBNReLU(nn.Sequential):',
      '    def __init__(self, cin, cout, stride=1):',
      '        layers = [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)]',
      '        layers.append(nn.ReLU6(inplace=True))',
      '        super().__init__(*layers)',
      'class TinyMobile(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.features = nn.Sequential(ConvBNReLU(3, 16, 2), ConvBNReLU(16, 32, 2))',
      '        self.classifier = nn.Linear(32, 10)',
    ].join('\n');
    const report: MappableReport = {
      model: { format: 'onnx', path: '/m/mobile.onnx' },
      blocks: [
        { index: 1, name: 'features.0', sourceNames: ['/features/features.0/features.0.0/Conv', '/features/features.0/features.0.2/Clip'] },
        { index: 2, name: 'features.1', sourceNames: ['/features/features.1/features.1.0/Conv', '/features/features.1/features.1.2/Clip'] },
        { index: 3, name: 'classifier', sourceNames: ['/classifier/Gemm'] },
      ],
    };
    const mapping = mapReportToSource({ report, sources: [{ path: '/src/mobile.py', text }] });
    assert.deepEqual(mapping.unplaced, []);
    assert.deepEqual(placed(mapping, 'features.1'), [1, 0, 'class ConvBNReLU']);
    assert.deepEqual(placed(mapping, 'features.0.0'), [3, 18, 'nn.Sequential entry 0']);
    assert.deepEqual(placed(mapping, 'features.1.2'), [4, 22, 'nn.Sequential entry 2']);
    const cls = mapping.sites.find((s) => s.label === 'class ConvBNReLU')!;
    assert.deepEqual(
      cls.instances.map((i) => i.instanceName),
      ['features.0', 'features.1'],
    );
  });

  test('an attribute assigned in if/else branches: the last assignment, labelled with the others', () => {
    const text = [
      'import torch.nn as nn',
      'class Block(nn.Module):',
      '    def __init__(self, norm="bn"):',
      '        super().__init__()',
      '        self.dense = nn.Linear(8, 8)',
      '        if norm == "bn":',
      '            self.norm = nn.BatchNorm1d(8)',
      '        else:',
      '            self.norm = nn.LayerNorm(8)',
    ].join('\n');
    const report: MappableReport = {
      model: { format: 'onnx', path: '/m/b.onnx' },
      blocks: [{ index: 1, name: 'dense', sourceNames: ['/dense/Gemm', '/norm/BatchNormalization'] }],
    };
    const mapping = mapReportToSource({ report, sources: [{ path: '/src/b.py', text }] });
    assert.deepEqual(placed(mapping, 'norm'), [8, 12, 'self.norm (assigned on lines 7, 9; the last is shown)']);
    assert.deepEqual(placed(mapping, 'dense'), [4, 8, 'self.dense']);
  });

  test('self.layers = nn.ModuleList() filled by self.layers.append(...) in a loop', () => {
    const text = [
      'import torch.nn as nn',
      'class Block(nn.Module):',
      '    def __init__(self, d):',
      '        super().__init__()',
      '        self.fc = nn.Linear(d, d)',
      'class Net(nn.Module):',
      '    def __init__(self, d=8, depth=4):',
      '        super().__init__()',
      '        self.stem = nn.Linear(3, d)',
      '        self.layers = nn.ModuleList()',
      '        for _ in range(depth):',
      '            self.layers.append(Block(d))',
      '        self.layers.append(nn.Linear(d, 2))',
    ].join('\n');
    const report: MappableReport = {
      model: { format: 'onnx', path: '/m/n.onnx' },
      blocks: [
        { index: 1, name: 'stem', sourceNames: ['/stem/Gemm'] },
        ...[0, 1, 2, 3].map((i) => ({ index: i + 2, name: `layers.${i}`, sourceNames: [`/layers/layers.${i}/fc/Gemm`] })),
        { index: 6, name: 'layers.4', sourceNames: ['/layers/layers.4/Gemm'] },
      ],
    };
    const mapping = mapReportToSource({ report, sources: [{ path: '/src/n.py', text }] });
    assert.deepEqual(mapping.unplaced, []);
    assert.deepEqual(placed(mapping, 'layers.3'), [1, 0, 'class Block']);
    assert.deepEqual(placed(mapping, 'layers.2.fc'), [4, 8, 'self.fc']);
    assert.deepEqual(placed(mapping, 'layers.4'), [12, 27, 'nn.ModuleList entry 4']);
  });

  test('OrderedDict entries from a comprehension with f-string names', () => {
    const text = [
      'from collections import OrderedDict',
      'import torch.nn as nn',
      'class Net(nn.Module):',
      '    def __init__(self, n=3):',
      '        super().__init__()',
      '        self.body = nn.Sequential(OrderedDict([',
      '            (f"block{i}", nn.Linear(8, 8)) for i in range(n)',
      '        ]))',
    ].join('\n');
    const report: MappableReport = {
      model: { format: 'onnx', path: '/m/n.onnx' },
      blocks: [0, 1, 2].map((i) => ({ index: i + 1, name: `body.block${i}`, sourceNames: [`/body/block${i}/Gemm`] })),
    };
    const mapping = mapReportToSource({ report, sources: [{ path: '/src/n.py', text }] });
    assert.deepEqual(mapping.unplaced, []);
    assert.deepEqual(placed(mapping, 'body.block2'), [6, 12, "nn.Sequential entry 'block{}'"]);
    assert.equal(mapping.sites.length, 1);
  });

  test('a LightningModule is a module class too', () => {
    const text = [
      'import pytorch_lightning as pl',
      'import torch.nn as nn',
      'class Lit(pl.LightningModule):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(4, 2)',
    ].join('\n');
    const report: MappableReport = { model: { format: 'onnx', path: '/m/l.onnx' }, blocks: [{ index: 1, name: 'fc', sourceNames: ['/fc/Gemm'] }] };
    assert.deepEqual(placed(mapReportToSource({ report, sources: [{ path: '/src/l.py', text }] }), 'fc'), [5, 8, 'self.fc']);
  });

  test('the tokenizer keeps "#" and brackets inside strings, drops comments, joins bracketed lines', () => {
    const lines = tokenizePython('x = f("a#b(", [1,\n  2])  # tail (\ny = 3\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(
      lines[0].tokens.map((t) => t.text),
      ['x', '=', 'f', '(', '"a#b("', ',', '[', '1', ',', '2', ']', ')'],
    );
    assert.deepEqual(
      lines[1].tokens.map((t) => [t.text, t.start.line]),
      [
        ['y', 2],
        ['=', 2],
        ['3', 2],
      ],
    );
  });

  test('exporter node names to module paths', () => {
    assert.deepEqual(modulePathOfNodeName('/layer1/layer1.0/conv1/Conv'), ['layer1', '0', 'conv1']);
    assert.deepEqual(modulePathOfNodeName('/layer2/layer2.0/downsample/downsample.0/Conv'), ['layer2', '0', 'downsample', '0']);
    assert.deepEqual(modulePathOfNodeName('/layers/layers.0/attn/q/MatMul'), ['layers', '0', 'attn', 'q']);
    assert.deepEqual(modulePathOfNodeName('/fc/Gemm'), ['fc']);
    assert.deepEqual(modulePathOfNodeName('/Flatten'), []);
    assert.deepEqual(modulePathOfNodeName('layer1.0.conv1'), ['layer1', '0', 'conv1']);
    assert.deepEqual(modulePathOfNodeName('Gemm_12:0'), []);
  });
});

describe('hostile Python input', () => {
  test('deep nesting, unterminated strings and brackets, binary junk: no throw, a reason instead', () => {
    const report: MappableReport = { model: { format: 'onnx', path: '/m/x.onnx' }, blocks: [{ index: 1, name: 'fc', sourceNames: ['/fc/Gemm'] }] };
    const deepIf = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}if x:`).join('\n');
    const sources = [
      { path: '/src/a.py', text: `class M(nn.Module):\n    def __init__(self):\n        self.fc = ${'('.repeat(50000)}1` },
      { path: '/src/b.py', text: `y = ${'-'.repeat(50000)}x\nz = ${'['.repeat(20000)}${']'.repeat(20000)}\n` },
      { path: '/src/c.py', text: deepIf },
      { path: '/src/d.py', text: 'x = """never closed\nclass N(nn.Module):\n' },
      { path: '/src/e.py', text: String.fromCharCode(...Array.from({ length: 4096 }, (_, i) => (i * 7919) % 65536)) },
    ];
    const started = Date.now();
    const mapping = mapReportToSource({ report, sources });
    // A hang guard (backtracking would take hours), not a speed goal: generous for a loaded machine.
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
    // a.py's `self.fc = ((((...` still names the attribute; nothing else defines modules.
    assert.deepEqual(mapping.unplaced, []);
    assert.equal(mapping.sites[0].range.path, '/src/a.py');
    assert.equal(mapping.sites[0].range.startLine, 2);
  });
});

describe('evaluation budget', () => {
  test('helpers that fan out (10 calls per level, 8 levels) are cut off at the budget, and reasons say so', () => {
    const lines = ['import torch.nn as nn'];
    for (let f = 0; f < 9; f++) {
      lines.push(`def f${f}():`);
      for (let c = 0; c < 10; c++) lines.push(f < 8 ? `    a${c} = f${f + 1}()` : '    a = nn.Linear(2, 2)');
      lines.push('    return nn.Sequential(a0)');
    }
    lines.push(
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.body = f0()',
      '        self.head = nn.Linear(2, 2)',
    );
    const report: MappableReport = {
      model: { format: 'onnx', path: '/m/n.onnx' },
      blocks: [
        { index: 1, name: 'body', sourceNames: ['/body/Gemm'] },
        { index: 2, name: 'head', sourceNames: ['/head/Gemm'] },
        { index: 3, name: 'tail', sourceNames: ['/tail/Gemm'] },
      ],
    };
    const started = Date.now();
    const mapping = mapReportToSource({ report, sources: [{ path: '/src/n.py', text: lines.join('\n') }] });
    // A hang guard (backtracking would take hours), not a speed goal: generous for a loaded machine.
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
    // The cut-off call reads as unknown: body still sits on its assignment, head is unaffected.
    assert.deepEqual(placed(mapping, 'body'), [lines.length - 2, 8, 'self.body']);
    assert.deepEqual(placed(mapping, 'head'), [lines.length - 1, 8, 'self.head']);
    assert.deepEqual(
      mapping.unplaced.map((u) => u.name),
      ['tail'],
    );
    assert.match(mapping.unplaced[0].reason, /assigns no self\.tail; the Python sources were too much to read completely/);
  });
});
