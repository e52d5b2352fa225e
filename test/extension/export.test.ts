import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { defaultExportPath, exportRefusal, FORMAT_CHOICES, formatChoice, withFormatExtension } from '../../src/extension/export/exportTarget';
import { modelContentFiles, modelContentHash } from '../../src/loaders/contentHash';
import { loadModel } from '../../src/loaders';
import { EXPORT_FORMATS, exportReport, formatFromFileName } from '../../src/report/export';
import type { AnalysisReport } from '../../src/report/schema';
import fixture from '../fixtures/report-mlp_relu.json';
import { fixturesDir } from '../helpers/fixtures';

const FIXTURES = fixturesDir();
const report = fixture as unknown as AnalysisReport;

describe('export target', () => {
  test('one quick-pick choice per exporter format, each with a save-dialog filter', () => {
    assert.deepEqual(FORMAT_CHOICES.map((c) => c.format).sort(), [...EXPORT_FORMATS].sort());
    for (const f of EXPORT_FORMATS) assert.ok(formatChoice(f).filterName.length > 0);
  });

  test('the default file sits next to the model as <stem>.gradient-lens.<ext> when the model is in the workspace', () => {
    assert.equal(defaultExportPath('/w/resnet/model.onnx', 'md', ['/w']), '/w/resnet/model.gradient-lens.md');
    assert.equal(defaultExportPath('/w/tfjs/model.json', 'html', ['/w']), '/w/tfjs/model.gradient-lens.html');
    assert.equal(defaultExportPath('/w/a/net.ONNX', 'csv', []), '/w/a/net.gradient-lens.csv');
    // A model outside every workspace folder: the export goes to the workspace root instead.
    assert.equal(defaultExportPath('/elsewhere/net.onnx', 'json', ['/w', '/v']), '/w/net.gradient-lens.json');
    // A folder whose name merely starts like the root is not inside it.
    assert.equal(defaultExportPath('/w2/net.onnx', 'md', ['/w']), '/w/net.gradient-lens.md');
    for (const f of EXPORT_FORMATS) assert.equal(formatFromFileName(defaultExportPath('/w/m.onnx', f, ['/w'])), f, 'the name implies its format');
  });

  test('the chosen name gets the format extension when it lacks it', () => {
    assert.equal(withFormatExtension('/w/report', 'md'), '/w/report.md');
    assert.equal(withFormatExtension('/w/report.markdown', 'md'), '/w/report.markdown');
    assert.equal(withFormatExtension('/w/report.htm', 'html'), '/w/report.htm');
    assert.equal(withFormatExtension('/w/report.txt', 'csv'), '/w/report.txt.csv');
  });

  test('an export never overwrites the model, its weight files, or anything named like a model', () => {
    const files = ['/w/tfjs/model.json', '/w/tfjs/group1-shard1of1.bin'];
    assert.match(exportRefusal('/w/tfjs/model.json', files) ?? '', /is the model itself/);
    assert.match(exportRefusal('/w/tfjs/./group1-shard1of1.bin', files) ?? '', /is the model itself/);
    assert.match(exportRefusal('/w/resnet/other.onnx', files) ?? '', /model or weight file/);
    assert.match(exportRefusal('/w/x/model.json', files) ?? '', /TensorFlow\.js model/);
    assert.equal(exportRefusal('/w/tfjs/model.gradient-lens.json', files), undefined);
    assert.equal(exportRefusal('/w/resnet/model.gradient-lens.md', ['/w/resnet/model.onnx']), undefined);
  });

  test('what the flow writes for each default target is the exporter output, and reads back (JSON equal, CSV one row per block)', async () => {
    const dir = await fs.mkdtemp(path.join((await import('node:os')).tmpdir(), 'gl-export-test-'));
    const model = path.join(dir, 'model.onnx');
    for (const f of EXPORT_FORMATS) {
      const target = defaultExportPath(model, f, [dir]);
      assert.equal(exportRefusal(target, [model]), undefined);
      await fs.writeFile(target, exportReport(report, f), 'utf8');
    }
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.gradient-lens.json'), 'utf8')) as AnalysisReport;
    assert.deepEqual(json, report);
    const csv = (await fs.readFile(path.join(dir, 'model.gradient-lens.csv'), 'utf8')).trim().split(/\r?\n/);
    assert.equal(csv.length, report.blocks.length + 1);
    const md = await fs.readFile(path.join(dir, 'model.gradient-lens.md'), 'utf8');
    assert.ok(md.includes(report.model.fileName));
    const html = await fs.readFile(path.join(dir, 'model.gradient-lens.html'), 'utf8');
    assert.match(html, /Content-Security-Policy/);
  });
});

describe('content hash in the extension host', () => {
  test('equals the hash the engine writes into the report (ONNX: the file; the fixture report)', async () => {
    const onnx = path.join(FIXTURES, 'mlp_relu', 'model.onnx');
    assert.equal(await modelContentHash(onnx), report.model.contentHash);
    assert.equal(
      await modelContentHash(onnx),
      createHash('sha256')
        .update(await fs.readFile(onnx))
        .digest('hex'),
    );
  });

  test('equals the loader hash for a TensorFlow.js model (model.json + weight shards, in order)', async () => {
    const modelJson = path.join(FIXTURES, 'resnet_cifar8', 'tfjs', 'model.json');
    const files = await modelContentFiles(modelJson);
    assert.ok(files.length >= 2 && files.every((f, i) => (i === 0 ? f === modelJson : f.endsWith('.bin'))), files.join(', '));
    assert.equal(await modelContentHash(modelJson), (await loadModel(modelJson)).contentHash);
  });
});
