import { readFileSync } from 'node:fs';
import { mapReportToSource } from '../../src/sourceMapping';
const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const sources = process.argv.slice(4).map((p) => ({ path: p, text: readFileSync(p, 'utf8') }));
const modelFileText = process.argv[3] === '-' ? undefined : readFileSync(process.argv[3], 'utf8');
const m = mapReportToSource({ report, sources, modelFileText });
for (const s of m.sites) console.log(`${s.range.path.split('/').pop()}:${s.range.startLine + 1}:${s.range.startCharacter} ${s.method} ${s.label.slice(0, 50)} <- ${s.instances.map((i) => `${i.blockIndex}:${i.instanceName}${i.role === 'layer' ? '(L)' : ''}`).join(' ')}`);
for (const u of m.unplaced) console.log('UNPLACED', u.blockIndex, u.name, u.reason);
