/** The sidecar file: parsing, path confinement, candidates, and placements overriding guesses. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { mapReportToSource, parseSourceHints, sidecarCandidates, SourceHintsError } from '../../src/sourceMapping';
import { fixtureReport, sourceFixture } from './report';

const SIDECAR = '/work/proj/models/resnet.onnx.gradient-lens.json';

function refusal(fn: () => unknown): SourceHintsError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SourceHintsError, `expected a SourceHintsError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the sidecar to be refused');
}

describe('sidecarCandidates', () => {
  test("<model file>.gradient-lens.json first, then gradient-lens.json, both in the model's folder", () => {
    assert.deepEqual(sidecarCandidates('/work/proj/models/resnet.onnx'), [
      path.join('/work/proj/models', 'resnet.onnx.gradient-lens.json'),
      path.join('/work/proj/models', 'gradient-lens.json'),
    ]);
    assert.deepEqual(sidecarCandidates('/m/tfjs/model.json'), ['/m/tfjs/model.json.gradient-lens.json', '/m/tfjs/gradient-lens.json']);
  });
});

describe('parseSourceHints', () => {
  test('paths relative to the sidecar become absolute; placements keep their line', () => {
    const hints = parseSourceHints(
      JSON.stringify({ sourceFiles: ['model.py', 'src/blocks.py'], placements: { 'layer1.0': 'src/blocks.py:42', fc: './model.py:7' } }),
      SIDECAR,
    );
    assert.deepEqual(hints, {
      sourceFiles: ['/work/proj/models/model.py', '/work/proj/models/src/blocks.py'],
      placements: { 'layer1.0': '/work/proj/models/src/blocks.py:42', fc: '/work/proj/models/model.py:7' },
    });
    assert.deepEqual(parseSourceHints('{}', SIDECAR), { sourceFiles: [] });
  });

  test('bad JSON: a SourceHintsError naming the file and the cause', () => {
    const e = refusal(() => parseSourceHints('{ "sourceFiles": [ ', SIDECAR));
    assert.equal(e.file, SIDECAR);
    assert.match(e.message, /^\/work\/proj\/models\/resnet\.onnx\.gradient-lens\.json: not valid JSON \(/);
    assert.match(refusal(() => parseSourceHints('[]', SIDECAR)).message, /expected a JSON object/);
    assert.match(refusal(() => parseSourceHints('{"sourceFiles": "model.py"}', SIDECAR)).message, /"sourceFiles" must be an array/);
    assert.match(refusal(() => parseSourceHints('{"sourceFiles": [3]}', SIDECAR)).message, /sourceFiles\[0\] must be a non-empty path string/);
    assert.match(
      refusal(() => parseSourceHints('{"placements": {"fc": "model.py"}}', SIDECAR)).message,
      /placements\["fc"\] "model\.py" is not "file:LINE" with a line number from 1/,
    );
    assert.match(refusal(() => parseSourceHints('{"placements": {"fc": "model.py:0"}}', SIDECAR)).message, /is not "file:LINE"/);
    assert.match(refusal(() => parseSourceHints('{"placements": ["fc"]}', SIDECAR)).message, /"placements" must be an object/);
  });

  test('a ".." escape or an absolute path outside the sidecar\'s folder is refused, naming the sidecar', () => {
    const up = refusal(() => parseSourceHints('{"sourceFiles": ["../../../etc/passwd"]}', SIDECAR));
    assert.equal(up.file, SIDECAR);
    assert.match(
      up.message,
      /^\/work\/proj\/models\/resnet\.onnx\.gradient-lens\.json: sourceFiles\[0\] "\.\.\/\.\.\/\.\.\/etc\/passwd" resolves to \/etc\/passwd, outside the sidecar's folder \/work\/proj\/models; refusing it$/,
    );
    assert.match(
      refusal(() => parseSourceHints('{"sourceFiles": ["/home/me/.ssh/id_rsa"]}', SIDECAR)).message,
      /sourceFiles\[0\] "\/home\/me\/\.ssh\/id_rsa" resolves to \/home\/me\/\.ssh\/id_rsa, outside/,
    );
    assert.match(
      refusal(() => parseSourceHints('{"placements": {"fc": "../other/x.py:3"}}', SIDECAR)).message,
      /placements\["fc"\] "\.\.\/other\/x\.py" resolves to \/work\/proj\/other\/x\.py, outside/,
    );
    // A sibling folder whose name starts like the sidecar's is still outside.
    assert.match(refusal(() => parseSourceHints('{"sourceFiles": ["../models-old/m.py"]}', SIDECAR)).message, /outside/);
  });

  test('inside a workspace folder, ".." is allowed; beyond it, refused', () => {
    const hints = parseSourceHints('{"sourceFiles": ["../src/model.py", "/work/proj/train.py"]}', SIDECAR, ['/work/proj']);
    assert.deepEqual(hints.sourceFiles, ['/work/proj/src/model.py', '/work/proj/train.py']);
    const e = refusal(() => parseSourceHints('{"sourceFiles": ["../../secret.py"]}', SIDECAR, ['/work/proj']));
    assert.match(e.message, /resolves to \/work\/secret\.py, outside the sidecar's folder \/work\/proj\/models and the workspace; refusing it/);
  });
});

describe('sidecar placements in the mapping', () => {
  test('a placement overrides the guess for that block or layer, method sidecar, on the given line', async () => {
    const report = await fixtureReport('resnet_cifar8', 'model.onnx');
    const src = sourceFixture('resnet_cifar8.py');
    const dir = path.dirname(src.path);
    const hints = parseSourceHints(
      JSON.stringify({ placements: { layer2: 'resnet_cifar8.py:60', 'layer3.conv1': 'resnet_cifar8.py:29' } }),
      path.join(dir, 'gradient-lens.json'),
    );
    const mapping = mapReportToSource({ report, sources: [src], hints });
    assert.deepEqual(mapping.unplaced, []);
    const placed = mapping.sites.filter((s) => s.method === 'sidecar');
    assert.deepEqual(
      placed.map((s) => [s.range.startLine, s.range.startCharacter, s.label, s.instances.map((i) => i.instanceName)]),
      [
        [28, 4, 'sidecar: layer3.conv1', ['layer3.conv1']],
        [59, 4, 'sidecar: layer2', ['layer2']],
      ],
    );
    assert.equal(placed[1].range.endCharacter, src.text.split('\n')[59].trimEnd().length);
    // The guess no longer lists the overridden instances; the others keep it.
    const cls = mapping.sites.find((s) => s.label === 'class BasicBlock')!;
    assert.deepEqual(
      cls.instances.map((i) => i.instanceName),
      ['layer1', 'layer3'],
    );
    const conv1 = mapping.sites.find((s) => s.label === 'self.conv1')!;
    assert.deepEqual(
      conv1.instances.map((i) => i.instanceName),
      ['layer1.conv1', 'layer2.conv1'],
    );
  });

  test('a placement wins even where nothing could be guessed; a bad one is reported', async () => {
    const report = await fixtureReport('mlp_relu', 'tfjs/model.json');
    const src = sourceFixture('mlp_relu_keras_loop.py');
    const hints = {
      sourceFiles: [src.path],
      placements: { blocks_0_dense: `${src.path}:11`, blocks_1_dense: `${src.path}:99`, blocks_2_dense: 'elsewhere.py:3' },
    };
    const mapping = mapReportToSource({ report, sources: [src], hints });
    const site = mapping.sites.find((s) => s.method === 'sidecar')!;
    assert.equal(site.range.startLine, 10);
    assert.equal(src.text.split('\n')[10].trim(), 'model.add(layers.Dense(width, activation="relu"))');
    assert.deepEqual(site.instances, [{ blockIndex: 1, instanceName: 'blocks_0_dense', role: 'block' }]);
    const reasons = new Map(mapping.unplaced.map((u) => [u.name, u.reason]));
    assert.ok(!reasons.has('blocks_0_dense'));
    assert.match(reasons.get('blocks_1_dense')!, /sidecar placement ".*mlp_relu_keras_loop\.py:99" is past the end of mlp_relu_keras_loop\.py \(13 lines\)/);
    assert.match(reasons.get('blocks_2_dense')!, /sidecar placement "elsewhere\.py:3" names a relative file that is not among the sources/);
  });

  test('hints.sourceFiles restricts which sources are searched', async () => {
    const report = await fixtureReport('resnet_cifar8', 'model.onnx');
    const wanted = sourceFixture('resnet_cifar8.py');
    const other = sourceFixture('torchvision_resnet.py');
    const restricted = mapReportToSource({ report, sources: [other, wanted], hints: { sourceFiles: [other.path] } });
    // torchvision's ResNet has conv1/layer1..3/fc but not stem: only what it defines maps, from that file.
    assert.ok(restricted.sites.every((s) => s.range.path === other.path));
    assert.ok(restricted.unplaced.some((u) => u.name === 'stem'));
    const open = mapReportToSource({ report, sources: [other, wanted] });
    assert.deepEqual(open.unplaced, []);
    assert.ok(open.sites.every((s) => s.range.path === wanted.path));
  });
});
