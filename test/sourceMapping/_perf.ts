import { readFileSync } from 'node:fs';
import { mapReportToSource } from '../../src/sourceMapping';
import { fixtureReport } from './report';
void (async () => {
  const report = await fixtureReport('resnet_cifar8', 'model.onnx');
  const base = ['torchvision_resnet.py', 'tiny_transformer.py', 'mlp.py', 'resmlp.py'].map((f) => readFileSync(`test/sourceMapping/fixtures/${f}`, 'utf8')).join('\n');
  const big = Array.from({ length: 20 }, (_, i) => base.replace(/class (\w+)/g, `class $1_${i}`)).join('\n'); // ~ 20 x 9KB
  const sources = Array.from({ length: 150 }, (_, i) => ({ path: `/ws/f${i}.py`, text: big }));
  sources.push({ path: '/ws/model.py', text: readFileSync('test/sourceMapping/fixtures/resnet_cifar8.py', 'utf8') });
  console.log('bytes', sources.reduce((s, x) => s + x.text.length, 0));
  const t = Date.now();
  const m = mapReportToSource({ report, sources });
  console.log('ms', Date.now() - t, 'sites', m.sites.length, 'unplaced', m.unplaced.length, m.sites[0]?.range.path);
})();
