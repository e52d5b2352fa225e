import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, describeSettings } from '../../src/extension/config';
import { ProgressTracker } from '../../src/extension/analysis/progress';
import { buildReportHtml, contentSecurityPolicy, makeNonce } from '../../src/extension/webview/html';
import { findLayerEntry, findNameOccurrence } from '../../src/extension/webview/reveal';
import { isModelPath, isTfjsModelFile, isTfjsModelText, modelFormatOf } from '../../src/extension/models';
import { DEFAULT_SETTINGS, DEFAULT_THRESHOLDS } from '../../src/engine/api';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fixturesDir } from '../helpers/fixtures';

const source = (values: Record<string, unknown>) => ({ get: (key: string) => values[key] });

describe('parseConfig', () => {
  test('no settings gives the engine defaults and no problems', () => {
    const c = parseConfig(source({}));
    assert.equal(c.settings.batch, DEFAULT_SETTINGS.batch);
    assert.equal(c.settings.probes, DEFAULT_SETTINGS.probes);
    assert.equal(c.settings.exact, DEFAULT_SETTINGS.exact);
    assert.deepEqual(c.settings.dimOverrides, {});
    assert.deepEqual(c.thresholds, DEFAULT_THRESHOLDS);
    assert.deepEqual(c.problems, []);
    assert.equal(c.estimateThresholdMs, 60_000, 'cheaper settings offered above an estimated minute');
  });

  test('the estimate threshold in seconds; 0 never offers; a bad value is reported', () => {
    assert.equal(parseConfig(source({ estimateThresholdSeconds: 0 })).estimateThresholdMs, 0);
    assert.equal(parseConfig(source({ estimateThresholdSeconds: 2.5 })).estimateThresholdMs, 2500);
    const bad = parseConfig(source({ estimateThresholdSeconds: -1 }));
    assert.equal(bad.estimateThresholdMs, 60_000);
    assert.match(bad.problems.join('\n'), /gradientLens\.estimateThresholdSeconds/);
  });

  test('valid values are used as given', () => {
    const c = parseConfig(
      source({
        batchSize: 4,
        probes: 32,
        seed: 7,
        exactMode: 'off',
        backend: 'cpu',
        blockMatrix: false,
        inputShapeOverrides: { seq: 12 },
        memoryLimitMb: 512,
        kPrecision: 0.02,
        kTimeBudgetMs: 500,
        'thresholds.gsc': 50,
        'thresholds.pseudoLinearK': 2.5,
        'thresholds.collapsedSpread': 0.2,
      }),
    );
    assert.deepEqual(c.settings, {
      batch: 4,
      probes: 32,
      seed: 7,
      exact: 'off',
      backend: 'cpu',
      blockMatrix: false,
      dimOverrides: { seq: 12 },
      memoryLimitMb: 512,
      kPrecision: 0.02,
      kTimeBudgetMs: 500,
    });
    assert.deepEqual(c.thresholds, { gsc: 50, pseudoLinearK: 2.5, collapsedSpread: 0.2 });
    assert.equal(describeSettings(c.settings), 'batch 4, 32 probes, seed 7, exact off, backend cpu, no block matrix, dims seq=12, memory limit 512 MB');
  });

  test('invalid values fall back to defaults and are reported one by one', () => {
    const c = parseConfig(
      source({
        batchSize: 0,
        probes: 2.5,
        seed: -1,
        exactMode: 'maybe',
        backend: 'gpu',
        inputShapeOverrides: { seq: 8, bad: -3, half: 1.5 },
        'thresholds.gsc': 'big',
      }),
    );
    assert.equal(c.settings.batch, DEFAULT_SETTINGS.batch);
    assert.equal(c.settings.probes, DEFAULT_SETTINGS.probes);
    assert.equal(c.settings.seed, DEFAULT_SETTINGS.seed);
    assert.equal(c.settings.exact, DEFAULT_SETTINGS.exact);
    assert.equal(c.settings.backend, DEFAULT_SETTINGS.backend);
    assert.deepEqual(c.settings.dimOverrides, { seq: 8 });
    assert.equal(c.thresholds.gsc, DEFAULT_THRESHOLDS.gsc);
    assert.equal(c.problems.length, 8);
    assert.ok(c.problems.some((p) => p.includes('batchSize') && p.includes('0')));
    assert.ok(c.problems.some((p) => p.includes('"bad"')));
  });
});

describe('ProgressTracker', () => {
  test('turns fractions into increments that never go backwards', () => {
    const t = new ProgressTracker(() => 0);
    assert.deepEqual(t.next({ phase: 'loading', message: 'a', fraction: 0.1 }), { message: 'a', increment: 10 });
    assert.deepEqual(t.next({ phase: 'forward', message: 'b' }), { message: 'b' });
    const d = t.next({ phase: 'block-matrix', message: 'd', fraction: 0.35 });
    assert.equal(d?.increment !== undefined && Math.round(d.increment), 25);
    assert.deepEqual(t.next({ phase: 'done', message: 'e', fraction: 1.5 }), { message: 'e', increment: 65 });
  });
  test('a late event from another thread does not move the text back', () => {
    const t = new ProgressTracker(() => 0);
    assert.equal(t.next({ phase: 'block-matrix', message: 'block matrix row 34 of 50', fraction: 0.6 })?.message, 'block matrix row 34 of 50');
    assert.equal(t.next({ phase: 'block-matrix', message: 'block matrix row 29 of 50', fraction: 0.55 }), undefined);
    assert.equal(t.next({ phase: 'block-matrix', message: 'block matrix row 35 of 50', fraction: 0.61 })?.message, 'block matrix row 35 of 50');
  });
  test('the time left, once 5% and 3 s have passed', () => {
    let clock = 0;
    const t = new ProgressTracker(() => clock);
    assert.equal(t.next({ phase: 'loading', message: 'loading', fraction: 0.01 })?.message, 'loading');
    clock = 2000;
    assert.equal(t.next({ phase: 'forward', message: 'probe 1', fraction: 0.1 })?.message, 'probe 1', 'before 3 s: no estimate');
    clock = 30_000;
    assert.equal(t.next({ phase: 'forward', message: 'probe 4', fraction: 0.25 })?.message, 'probe 4 · about 90 s left'.replace('90 s', '2 min'));
    clock = 60_000;
    assert.equal(t.next({ phase: 'forward', message: 'probe 8', fraction: 0.75 })?.message, 'probe 8 · about 20 s left');
  });
});

describe('webview HTML', () => {
  test('CSP allows only the nonce script and the resource origin', () => {
    const csp = contentSecurityPolicy('https://res.example', 'N1');
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /script-src 'nonce-N1'(;|$)/);
    assert.doesNotMatch(csp, /unsafe|https?:\s|\*/);
  });

  test('the page has one script, carrying the nonce, and the CSP meta', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{20,}$/);
    assert.notEqual(nonce, makeNonce());
    const html = buildReportHtml({
      cspSource: 'https://res.example',
      scriptUri: 'https://res.example/dist/webview.js',
      styleUri: 'https://res.example/media/webview.css',
      nonce,
    });
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://res.example/dist/webview.js">`));
    assert.ok(html.includes(`http-equiv="Content-Security-Policy" content="default-src 'none'`));
  });

  test('attribute values are escaped', () => {
    const html = buildReportHtml({ cspSource: 'x', scriptUri: 'a"><script>alert(1)</script>', styleUri: 's', nonce: 'n' });
    assert.equal(html.match(/<script/g)?.length, 1);
  });
});

describe('findLayerEntry', () => {
  const text =
    '{\n  "modelTopology": {\n    "layers": [\n      {"class_name": "Dense", "config": {"name": "dense_1"}},\n      {"class_name": "Dense",\n       "config": {"units": 3, "name" :  "block \\"2\\""}}\n    ]\n  }\n}\n';
  test('finds the layer name entry on its line', () => {
    assert.deepEqual(findLayerEntry(text, { sourceNames: ['dense_1'] }), { line: 3, character: 41, length: 17 });
  });
  test('handles quotes in names and odd spacing, and tries each source name', () => {
    const r = findLayerEntry(text, { sourceNames: ['missing', 'block "2"'] });
    assert.equal(r?.line, 5);
    assert.equal(text.split('\n')[5].slice(r!.character, r!.character + r!.length), '"name" :  "block \\"2\\""');
  });
  test('undefined when no name matches (no partial matches)', () => {
    assert.equal(findLayerEntry(text, { sourceNames: ['dense'] }), undefined);
  });
});

test('isModelPath', () => {
  assert.equal(isModelPath('/a/b/model.onnx'), true);
  assert.equal(isModelPath('/a/b/Model.JSON'), true);
  assert.equal(isModelPath('/a/b/weights.json'), false);
  assert.equal(isModelPath('/a/b/onnx.txt'), false);
});

describe('TensorFlow.js models by content, whatever the file name', () => {
  const layersModel = { format: 'layers-model', modelTopology: { class_name: 'Sequential' }, weightsManifest: [{ paths: ['emotion.bin'], weights: [] }] };
  test('a whole file: weightsManifest with modelTopology or a model format', () => {
    assert.equal(isTfjsModelText(JSON.stringify(layersModel), true), true);
    assert.equal(isTfjsModelText(JSON.stringify({ modelTopology: { node: [] }, weightsManifest: [] }), true), true);
    assert.equal(isTfjsModelText(JSON.stringify({ format: 'graph-model', weightsManifest: [] }), true), true);
    assert.equal(isTfjsModelText(JSON.stringify({ name: 'x', dependencies: { modelTopology: '1' } }), true), false);
    assert.equal(isTfjsModelText(JSON.stringify({ modelTopology: {} }), true), false, 'no weights: not a loadable model');
    assert.equal(isTfjsModelText('{"modelTopology": {', true), false);
    assert.equal(isTfjsModelText('[1, 2]', true), false);
  });
  test('the two ends of a large file: the keys are searched for', () => {
    assert.equal(isTfjsModelText('{"format": "layers-model", "modelTopology": {"a": 1\u0000 ]}], "weightsManifest": [{"paths": []}]}', false), true);
    assert.equal(isTfjsModelText('{"data": [1, 2, 3\u0000 4, 5]}', false), false);
  });
  test('files: emotion.json is a model, package.json is not, a large model is read at its ends only', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gl-sniff-'));
    try {
      const emotion = path.join(dir, 'emotion.json');
      writeFileSync(emotion, JSON.stringify(layersModel));
      const pkg = path.join(dir, 'package.json');
      writeFileSync(pkg, JSON.stringify({ name: 'x', version: '1.0.0' }));
      // 2 MB of topology between the format key and the manifest: only the ends can be read.
      const big = path.join(dir, 'big.json');
      writeFileSync(big, `{"format":"layers-model","modelTopology":{"pad":"${'x'.repeat(2_000_000)}"},"weightsManifest":[]}`);
      const bigData = path.join(dir, 'data.json');
      writeFileSync(bigData, `{"values":"${'x'.repeat(2_000_000)}"}`);
      assert.equal(await isTfjsModelFile(emotion), true);
      assert.equal(await modelFormatOf(emotion), 'TensorFlow.js');
      assert.equal(await isTfjsModelFile(pkg), false);
      assert.equal(await isTfjsModelFile(big), true);
      assert.equal(await isTfjsModelFile(bigData), false);
      assert.equal(await isTfjsModelFile(path.join(dir, 'missing.json')), false);
      assert.equal(await modelFormatOf(path.join(dir, 'x.onnx')), 'ONNX');
      assert.equal(await modelFormatOf(path.join(dir, 'model.txt')), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('the fixture model.json of resnet_cifar8 is recognised by content', async () => {
    assert.equal(await isTfjsModelFile(path.join(fixturesDir(), 'resnet_cifar8', 'tfjs', 'model.json')), true);
  });
});

describe('settings input parsing', () => {
  test('parseIntInRange', async () => {
    const { parseIntInRange } = await import('../../src/extension/config');
    assert.equal(parseIntInRange(' 12 ', { min: 1, max: 64 }), 12);
    assert.match(String(parseIntInRange('0', { min: 1, max: 64 })), /from 1 to 64/);
    assert.match(String(parseIntInRange('1.5', { min: 1, max: 64 })), /whole number/);
    assert.match(String(parseIntInRange('', { min: 1, max: 64 })), /whole number/);
  });
  test('parseDimList and formatDimList round-trip', async () => {
    const { parseDimList, formatDimList } = await import('../../src/extension/config');
    assert.deepEqual(parseDimList('seq=32, batch = 4'), { seq: 32, batch: 4 });
    assert.deepEqual(parseDimList('  '), {});
    assert.match(String(parseDimList('seq:32')), /not NAME=SIZE/);
    assert.match(String(parseDimList('seq=0')), /must be from 1/);
    assert.equal(formatDimList({ seq: 32, batch: 4 }), 'seq=32, batch=4');
  });
});

test('findNameOccurrence finds the first of the source names that occurs', () => {
  const text = 'ab\u0000\n\u0012/layer1/conv1/Conv\u0000x\n/layer2/Add';
  assert.deepEqual(findNameOccurrence(text, { sourceNames: ['/layer9/Relu', '/layer2/Add'] }), { line: 2, character: 0, length: 11 });
  assert.deepEqual(findNameOccurrence(text, { sourceNames: ['/layer1/conv1/Conv'] }), { line: 1, character: 1, length: 18 });
  assert.equal(findNameOccurrence(text, { sourceNames: ['', 'nothing'] }), undefined);
});

describe('report titles and pick lists name the folder', () => {
  test('the folder and the file name, never the whole path', async () => {
    const { shortModelPath, reportPanelTitle } = await import('../../src/extension/displayPath');
    assert.equal(reportPanelTitle('resnet/model.onnx'), 'Gradient Lens: resnet/model.onnx');
    assert.equal(shortModelPath('a/b/resnet/model.onnx'), 'resnet/model.onnx');
    assert.equal(shortModelPath('model.onnx'), 'model.onnx');
    assert.equal(shortModelPath('/home/u/.storage/examples/resmlp_relu/model.onnx'), 'resmlp_relu/model.onnx');
    assert.equal(shortModelPath('C:\\models\\vgg\\model.onnx'), 'vgg/model.onnx');
  });
});

describe('status bar texts stay short (#18)', () => {
  test('long names are cut in the middle so every text fits; short ones are left alone', async () => {
    const { STATUS_MAX, shortName, statusText } = await import('../../src/extension/statusText');
    assert.equal(statusText('', 'model.onnx', ' cancelled'), 'Gradient Lens: model.onnx cancelled');
    assert.equal(shortName('abcdefghijklmnopqrstuvwxyz', 10), 'abc…uvwxyz');
    const name = '/encoder/layers.11/self_attention/out_projection/MatMul_with_a_long_suffix';
    for (const t of [statusText('block 12 ', name), statusText('', name, ' cancelled'), statusText('stopped watching ', name)]) {
      assert.ok([...t].length <= STATUS_MAX, `${t} (${[...t].length})`);
      assert.ok(t.includes('…') && t.includes('suffix'));
    }
  });
});
