/**
 * The VS Code-free parts of the code annotations: severity on a log scale, the end-of-line
 * and CodeLens texts, the Problems messages, the hover Markdown (numbers, escaping, links),
 * staleness bookkeeping, and the gradientLens.sourceFiles setting / workspace scan limits.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { blockSeverity, severityOf, worstSeverity } from '../../src/extension/annotations/severity';
import { codeLensTitle, formatInterval, formatNumber, headlineK, siteLabel } from '../../src/extension/annotations/format';
import { blockFindings, blockRanges, gscFinding, groupFindings } from '../../src/extension/annotations/findings';
import { annotationsByLine, buildSiteViews, primarySites, sitesByFile } from '../../src/extension/annotations/sites';
import { escapeMarkdown, hoverMarkdown } from '../../src/extension/annotations/hover';
import { StalenessTracker } from '../../src/extension/annotations/staleness';
import { sidecarDoc } from '../../src/extension/annotations/sidecarDoc';
import { parseSourceHints } from '../../src/sourceMapping';
import { chooseFiles, globToRegExp, parseSourceFilesSetting, rulesForModel } from '../../src/extension/annotations/sourceSettings';
import type { SourceMapping, SourceSite } from '../../src/sourceMapping/types';
import { HOSTILE_NAMES, mutableCopy, savedReport, withNames } from '../report/helpers';

// markdown-it has no bundled types; only render() is used. html: true so raw HTML would show.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MarkdownIt = require('markdown-it') as new (options: { html: boolean }) => { render(src: string): string };

const report = savedReport(); // mlp_relu: 21 plain blocks, GSC to output 1..2.2, nonlinearities 5..20 pseudo-linear

function site(path: string, line: number, blocks: readonly number[], label = `self.blocks_${line}`): SourceSite {
  return {
    range: { path, startLine: line, startCharacter: 4, endLine: line, endCharacter: 30 },
    method: 'pytorch',
    label,
    instances: blocks.map((b) => ({ blockIndex: b, instanceName: `blocks.${b - 1}` })),
  };
}

describe('severity on a log scale between 1 and the threshold', () => {
  test('thirds of log(threshold): 100 -> 4.64 and 21.5 are the boundaries', () => {
    assert.equal(severityOf(1, 100), 'ok');
    assert.equal(severityOf(0.2, 100), 'ok');
    assert.equal(severityOf(4.6, 100), 'ok');
    assert.equal(severityOf(4.7, 100), 'elevated');
    assert.equal(severityOf(21.4, 100), 'elevated');
    assert.equal(severityOf(21.6, 100), 'high');
    assert.equal(severityOf(99.9, 100), 'high');
    assert.equal(severityOf(100, 100), 'exploding');
    assert.equal(severityOf(Infinity, 100), 'exploding');
    assert.equal(severityOf(NaN, 100), 'unknown');
  });
  test('the scale is logarithmic: 10 is a third of the way to 1000', () => {
    assert.equal(severityOf(9.9, 1000), 'ok');
    assert.equal(severityOf(10.1, 1000), 'elevated');
    assert.equal(severityOf(101, 1000), 'high');
  });
  test('a threshold at or below 1 only separates above from below', () => {
    assert.equal(severityOf(0.45, 0.4), 'exploding');
    assert.equal(severityOf(0.39, 0.4), 'ok');
    assert.equal(severityOf(1, 1), 'exploding');
  });
  test('the worst of several', () => {
    assert.equal(worstSeverity(['ok', 'high', 'elevated']), 'high');
    assert.equal(worstSeverity(['unknown', 'ok']), 'ok');
    assert.equal(worstSeverity([]), 'unknown');
  });
});

describe('labels', () => {
  test('numbers: three significant digits, no trailing zeros, exponents for extremes', () => {
    assert.deepEqual(
      [12.44, 3.1, 0.4939, 1.0, 1234.4, 123456, 0.00045, 0, null, Infinity, NaN].map((v) => formatNumber(v)),
      ['12.44', '3.1', '0.4939', '1', '1234', '1.235×10⁵', '4.5×10⁻⁴', '0', 'n/a', '∞', 'NaN'],
    );
    assert.equal(formatInterval([1.234, 5.678]), '[1.234, 5.678]');
    assert.equal(formatInterval([2, 2]), 'exact');
  });
  test('one block: its GSC to the output and its k', () => {
    const b = report.blocks[1];
    assert.equal(siteLabel([b]), `GSC ${formatNumber(b.gscToOutput.value)} · k_lin ${formatNumber(b.linearisation.kLin)}`);
    assert.equal(siteLabel([b]), 'GSC 2.034 · k_lin 1.428');
  });
  test('several blocks: the range of GSC and the count', () => {
    const blocks = report.blocks.slice(8, 16); // GSC 1.36 .. 1.98
    assert.equal(siteLabel(blocks), 'GSC 1.361–1.977 · 8 blocks');
    // What a click does, without repeating the end-of-line numbers.
    const worst = blocks.reduce((a, b) => (b.gscToOutput.value > a.gscToOutput.value ? b : a));
    assert.equal(codeLensTitle(blocks, true), `Gradient Lens: open block ${worst.index} ${worst.name} (highest GSC of 8 blocks) in the report (stale)`);
    assert.equal(codeLensTitle([blocks[0]], false), 'Gradient Lens: open block 9 blocks.8 in the report');
    for (const n of [1, 3, 8]) assert.ok(!codeLensTitle(blocks.slice(0, n), false).includes(siteLabel(blocks.slice(0, n))), 'no repeat of the label');
  });
  test('a residual block shows k_skip; a linear block an infinite k_lin', () => {
    const r = mutableCopy(report);
    const b = r.blocks[0];
    b.linearisation.linear = true;
    b.linearisation.kLin = null;
    assert.deepEqual(headlineK(b as never), { name: 'k_lin', value: null });
    assert.match(siteLabel([b as never]), /k_lin ∞$/);
    b.residual = { ...(b.residual ?? {}), kSkip: 3.14159 } as never;
    assert.match(siteLabel([b as never]), /· k_skip 3\.142$/);
  });
});

describe('Problems entries', () => {
  test('GSC above the threshold: the number, its interval and the threshold', () => {
    const b = report.blocks[0]; // 2.1168
    assert.deepEqual(blockFindings(report, b, 2.5), []);
    const [f] = blockFindings(report, b, 2);
    assert.equal(f.kind, 'gsc');
    assert.equal(
      f.message,
      'block 1 "blocks.0": GSC to the output is 2.117 (exact), above the threshold 2; gradients explode on their way back to this block.',
    );
  });
  test("pseudo-linear nonlinearities as the engine flagged them, with k and the run's threshold", () => {
    const b = report.blocks[4]; // its Relu has k 3.37 > 3, flagged
    const findings = blockFindings(report, b, 100);
    assert.deepEqual(
      findings.map((f) => f.kind),
      ['pseudo-linear'],
    );
    assert.equal(
      findings[0].message,
      'block 5 "blocks.4": Relu /blocks/blocks.4/act/Relu is pseudo-linear: k = 3.37 > 3 (the Relu\'s own k, not the block\'s k_lin); it acts almost like a linear map on this batch.',
    );
    assert.deepEqual(blockFindings(report, report.blocks[3], 100), [], 'k 2.43 is not flagged');
  });
  test('a collapsed domain: the relative spread and the threshold', () => {
    const r = mutableCopy(report);
    r.nonlinearities[0].collapsed = true;
    r.nonlinearities[0].relativeSpread = 0.0412;
    const findings = blockFindings(r as never, r.blocks[0] as never, 100);
    assert.equal(findings.length, 1);
    assert.equal(
      findings[0].message,
      'block 1 "blocks.0": Relu /blocks/blocks.0/act/Relu has a collapsed domain: relative spread 0.0412 < 0.1 (of the Relu\'s pre-activations); its pre-activations barely vary across the batch.',
    );
  });
});

describe('Problems entries grouped per place and kind', () => {
  test('a line defining many flagged blocks gets one entry per kind, listing the blocks', () => {
    // Every nonlinearity of the fixture at one site, as a depth-50 MLP defined by one line gives.
    const all = report.blocks.flatMap((b) => blockFindings(report, b, 2));
    const pseudo = all.filter((f) => f.kind === 'pseudo-linear');
    assert.ok(pseudo.length >= 10, `the fixture has ${pseudo.length} pseudo-linear nonlinearities`);
    const groups = groupFindings(all);
    assert.deepEqual(
      groups.map((g) => g.kind),
      ['gsc', 'pseudo-linear'],
    );
    const g = groups[1];
    assert.deepEqual(
      g.blockIndices,
      pseudo.map((f) => f.blockIndex),
    );
    const ks = report.nonlinearities.filter((n) => n.pseudoLinear).map((n) => n.k ?? Infinity);
    // The smallest k printed with digits enough to stay above the threshold, the largest as usual.
    assert.equal(
      g.message,
      `${pseudo.length} blocks (${blockRanges(g.blockIndices)}): Relu pseudo-linear, k ${formatNumber(Math.min(...ks))} to ${formatNumber(Math.max(...ks))} > 3 (each nonlinearity's own k, not the block's k_lin); they act almost like linear maps on this batch.`,
    );
  });
  test('one finding keeps its own message; the inequality is never "3 > 3"', () => {
    const one = blockFindings(report, report.blocks[4], 100);
    assert.deepEqual(
      groupFindings(one).map((g) => g.message),
      one.map((f) => f.message),
    );
    const r = mutableCopy(report);
    for (const n of r.nonlinearities) if (n.pseudoLinear) n.k = 3.0004;
    const [g] = groupFindings(r.blocks.flatMap((b) => blockFindings(r as never, b as never, 1e9)));
    assert.match(g.message, / k 3\.0004 > 3 /);
  });
  test('block lists: runs of consecutive blocks are ranges', () => {
    assert.equal(blockRanges([3, 4, 5, 6, 46]), '3–6, 46');
    assert.equal(blockRanges([1, 2, 7]), '1, 2, 7');
    assert.equal(blockRanges([5]), '5');
  });
});

describe('sites', () => {
  const mapping: SourceMapping = {
    sites: [site('/w/model.py', 10, [1, 2, 3, 4, 5, 6, 7, 8], 'class Block'), site('/w/model.py', 30, [5]), site('/w/other.py', 3, [6])],
    unplaced: [],
  };
  test('each block gets its Problems entries at its most specific site only', () => {
    const primary = primarySites(mapping.sites);
    assert.equal(primary.get(1), mapping.sites[0]);
    assert.equal(primary.get(5), mapping.sites[1]);
    assert.equal(primary.get(6), mapping.sites[2]);
    const views = buildSiteViews(report, mapping, 2.1);
    // Block 1 (2.117 > 2.1) at the class; 5, 6 pseudo-linear at their own sites; 7, 8 at the class.
    assert.deepEqual(
      views[0].findings.map((f) => `${f.blockIndex}:${f.kind}`),
      ['1:gsc', '8:gsc', '7:pseudo-linear', '8:pseudo-linear'],
    );
    assert.deepEqual(
      views[1].findings.map((f) => `${f.blockIndex}:${f.kind}`),
      ['5:pseudo-linear'],
    );
    assert.deepEqual(
      views[2].findings.map((f) => `${f.blockIndex}:${f.kind}`),
      ['6:pseudo-linear'],
    );
    assert.equal(views[0].label, 'GSC 1.919–2.183 · 8 blocks');
    assert.equal(views[0].severity, 'exploding');
    // 1.979 on a log scale to 2.1: ln 1.979 / ln 2.1 = 0.92 of the way -> high.
    assert.equal(views[1].severity, 'high');
  });
  test("layer sites: a nonlinearity's entry goes to its own layer line; no gutter label there", () => {
    const layer = (line: number, name: string, block: number): SourceSite => ({
      range: { path: '/w/model.py', startLine: line, startCharacter: 8, endLine: line, endCharacter: 20 },
      method: 'pytorch',
      label: `self.${name}`,
      instances: [{ blockIndex: block, instanceName: `blocks.${block - 1}.${name}`, role: 'layer' }],
    });
    const withRoles: SourceMapping = {
      sites: [
        {
          ...site('/w/model.py', 10, [5, 6], 'class Block'),
          instances: [5, 6].map((b) => ({ blockIndex: b, instanceName: `blocks.${b - 1}`, role: 'block' as const })),
        },
        layer(12, 'dense', 5),
        layer(13, 'act', 5),
        layer(20, 'dense', 7), // block 7 has only layer sites: its first one stands in for it
      ],
      unplaced: [],
    };
    const views = buildSiteViews(report, withRoles, 100);
    assert.deepEqual(
      views.map((v) => v.annotated),
      [true, false, false, true],
    );
    assert.deepEqual(
      views.map((v) => v.findings.map((f) => `${f.blockIndex}:${f.kind}`)),
      [['6:pseudo-linear'], [], ['5:pseudo-linear'], ['7:pseudo-linear']],
    );
    assert.equal(primarySites(withRoles.sites).get(7), withRoles.sites[3]);
  });
  test('sites on one line (a minified model.json) merge into one annotation with all their blocks', () => {
    const oneLine = (from: number, to: number, block: number): SourceSite => ({
      range: { path: '/w/model.json', startLine: 0, startCharacter: from, endLine: 0, endCharacter: to },
      method: 'model-file',
      label: `"name": "dense_${block}"`,
      instances: [{ blockIndex: block, instanceName: `dense_${block}`, role: 'block' }],
    });
    const views = buildSiteViews(
      report,
      { sites: [oneLine(10, 30, 3), oneLine(200, 220, 1), oneLine(400, 420, 2), site('/w/model.json', 5, [4])], unplaced: [] },
      2.1,
    );
    const lines = annotationsByLine(views, 2.1);
    assert.deepEqual(
      lines.map((l) => [l.line, l.blocks.map((b) => b.index), l.label, l.severity]),
      [
        [0, [1, 2, 3], 'GSC 2.034–2.117 · 3 blocks', 'exploding'],
        [5, [4], siteLabel([report.blocks[3]]), 'high'],
      ],
    );
  });
  test('grouped by file', () => {
    const byFile = sitesByFile(buildSiteViews(report, mapping, 100));
    assert.deepEqual([...byFile.keys()], ['/w/model.py', '/w/other.py']);
    assert.equal(byFile.get('/w/model.py')?.length, 2);
  });
});

describe('hover', () => {
  const link = (i: number): string => `command:gradientLens.openInReport?${encodeURIComponent(JSON.stringify(['/w/model.onnx', i]))}`;
  const md = new MarkdownIt({ html: true });
  test('numbers with 99% intervals, instances, placement and the open-in-report link', () => {
    const mapping: SourceMapping = { sites: [site('/w/model.py', 30, [5])], unplaced: [] };
    const [view] = buildSiteViews(report, mapping, 100);
    const text = hoverMarkdown({ view, stale: false, openLink: link, modelFileName: 'model.onnx' });
    const b = report.blocks[4];
    assert.ok(text.includes(`| ${formatNumber(b.gscToOutput.value)} | ${formatInterval(b.gscToOutput.ci99)} | ${formatNumber(b.gscBlock.value)} |`), text);
    assert.match(text, /Instances \(1\): blocks\\\.4 \(block 5\)/);
    assert.match(text, /Placed by a PyTorch module attribute/);
    assert.match(text, /pseudo\\-linear: k = 3\\\.37/);
    assert.doesNotMatch(text, /Stale/);
    const html = md.render(text);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    assert.ok(hrefs.length >= 2 && hrefs.every((h) => h === link(5).replace(/"/g, '&quot;')), hrefs.join('\n'));
  });
  test('stale: says so first', () => {
    const [view] = buildSiteViews(report, { sites: [site('/w/m.py', 1, [1])], unplaced: [] }, 100);
    assert.match(hoverMarkdown({ view, stale: true, openLink: link, modelFileName: 'm.onnx' }), /^\*\*Stale:\*\* this file changed since the analysis/);
  });
  test('hostile block, instance and site names cannot add links or markup', () => {
    const hostile = withNames(report);
    const s: SourceSite = { ...site('/w/m.py', 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), label: '[x](command:workbench.action.terminal.new) <b>' };
    const withHostileInstances: SourceSite = { ...s, instances: s.instances.map((i, k) => ({ ...i, instanceName: HOSTILE_NAMES[k % HOSTILE_NAMES.length] })) };
    const [view] = buildSiteViews(hostile, { sites: [withHostileInstances], unplaced: [] }, 100);
    const html = md.render(hoverMarkdown({ view, stale: false, openLink: link, modelFileName: '*m*.onnx' }));
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    assert.ok(
      hrefs.every((h) => h.startsWith('command:gradientLens.openInReport?')),
      hrefs.join('\n'),
    );
    assert.doesNotMatch(html, /<img|<b>|<em>|<strong>m/);
    // Every table row still has its 6 cells (a '|' in a name is escaped).
    const rows = html.split('<tr>').slice(2);
    assert.equal(rows.length, 10);
    for (const r of rows) assert.equal((r.match(/<td/g) ?? []).length, 6, r);
    assert.equal(escapeMarkdown('a|b'), 'a\\|b');
  });
});

describe('staleness bookkeeping', () => {
  test('a changed text makes the file stale; undoing the change makes it fresh again', () => {
    const t = new StalenessTracker();
    assert.equal(t.observe('/w/a.py', 'x'), false, 'untracked files are ignored');
    t.record('/w/a.py', 'class A: pass\n');
    assert.equal(t.isStale('/w/a.py'), false);
    assert.equal(t.observe('/w/a.py', 'class A: pass\n'), false, 'same text: nothing changes');
    assert.equal(t.observe('/w/a.py', 'class A: pas\n'), true);
    assert.equal(t.isStale('/w/a.py'), true);
    assert.equal(t.observe('/w/a.py', 'class A: pa\n'), false, 'still stale: no re-render needed');
    assert.equal(t.observe('/w/a.py', 'class A: pass\n'), true);
    assert.equal(t.isStale('/w/a.py'), false);
  });
  test('re-recording (a new analysis) clears staleness; forget stops tracking', () => {
    const t = new StalenessTracker();
    t.record('/w/a.py', 'a');
    t.observe('/w/a.py', 'b');
    t.record('/w/a.py', 'b');
    assert.equal(t.isStale('/w/a.py'), false);
    t.forget(['/w/a.py']);
    assert.equal(t.isTracked('/w/a.py'), false);
    assert.equal(t.observe('/w/a.py', 'c'), false);
  });
});

describe('gradientLens.sourceFiles and the workspace scan', () => {
  test('rules: a string or a list of strings per model; bad entries are named and dropped', () => {
    const { rules, problems } = parseSourceFilesSetting({
      'resnet/model.onnx': 'resnet/model.py',
      '**/*.json': ['a.py', 'b.py'],
      bad: 3,
      empty: [],
      '': 'x.py',
    });
    assert.deepEqual(rules, [
      { model: 'resnet/model.onnx', files: ['resnet/model.py'] },
      { model: '**/*.json', files: ['a.py', 'b.py'] },
    ]);
    assert.equal(problems.length, 3);
    assert.match(problems[0], /"bad": expected a file path/);
    assert.deepEqual(parseSourceFilesSetting(['x']).rules, []);
    assert.equal(parseSourceFilesSetting(undefined).problems.length, 0);
  });
  test('a rule matches the model by workspace-relative path, glob or absolute path', () => {
    const { rules } = parseSourceFilesSetting({
      'resnet/model.onnx': 'a.py',
      '**/*.onnx': 'b.py',
      'other/*.onnx': 'c.py',
      '/abs/m.onnx': 'd.py',
      './resnet/model.onnx': 'e.py',
    });
    assert.deepEqual(
      rulesForModel(rules, '/w/resnet/model.onnx', '/w').map((r) => r.files[0]),
      ['a.py', 'b.py', 'e.py'],
    );
    assert.deepEqual(
      rulesForModel(rules, '/abs/m.onnx', '/w').map((r) => r.files[0]),
      ['d.py'],
    );
  });
  test('globs like VS Code: ** spans folders, * does not, {a,b} alternates', () => {
    assert.ok(globToRegExp('**/*.py').test('model.py'));
    assert.ok(globToRegExp('**/*.py').test('a/b/model.py'));
    assert.ok(!globToRegExp('*.py').test('a/model.py'));
    assert.ok(globToRegExp('src/**').test('src/a/b.ts'));
    assert.ok(globToRegExp('m.{py,ts}').test('m.ts') && !globToRegExp('m.{py,ts}').test('m.js'));
    assert.ok(!globToRegExp('m.py').test('mXpy'), 'a dot is literal');
  });
  test('the scan reads the files nearest the model first, within the count and size budgets', () => {
    const files = [
      { path: '/w/zzz/far.py', size: 10 },
      { path: '/w/resnet/model.py', size: 10 },
      { path: '/w/resnet/huge.py', size: 10_000_000 },
      { path: '/w/train.py', size: 10 },
      { path: '/w/resnet/sub/blocks.py', size: 10 },
    ];
    const limits = { maxFiles: 3, maxBytesPerFile: 1000, maxTotalBytes: 100 };
    assert.deepEqual(chooseFiles('/w/resnet/model.onnx', files, limits), {
      chosen: ['/w/resnet/model.py', '/w/resnet/sub/blocks.py', '/w/train.py'],
      skipped: 2,
    });
    assert.deepEqual(chooseFiles('/w/resnet/model.onnx', files, { ...limits, maxFiles: 10, maxTotalBytes: 25 }).chosen, [
      '/w/resnet/model.py',
      '/w/resnet/sub/blocks.py',
    ]);
  });
});

describe('the sidecar help text', () => {
  test('names the sidecar paths for this model, lists the unplaced blocks, and its JSON examples parse', () => {
    const text = sidecarDoc({
      modelPath: '/w/resnet/model.onnx',
      sidecarPaths: ['/w/resnet/model.onnx.gradient-lens.json', '/w/resnet/gradient-lens.json'],
      unplaced: [{ blockIndex: 5, name: 'fc`x', reason: 'no module fc in the sources' }],
      modelRelative: 'resnet/model.onnx',
    });
    assert.match(text, /`model\.onnx\.gradient-lens\.json` in `\/w\/resnet`/);
    assert.match(text, /- block 5 `fc'x`: no module fc in the sources/);
    const blocks = [...text.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);
    assert.deepEqual(blocks[0], { sourceFiles: ['model.py'], placements: { 'fc`x': 'model.py:10' } });
    assert.deepEqual(blocks[1], { 'gradientLens.sourceFiles': { 'resnet/model.onnx': ['resnet/model.py'] } });
    // The example is a sidecar the real parser accepts.
    assert.deepEqual(parseSourceHints(JSON.stringify(blocks[0]), '/w/resnet/model.onnx.gradient-lens.json'), {
      sourceFiles: ['/w/resnet/model.py'],
      placements: { 'fc`x': '/w/resnet/model.py:10' },
    });
  });
});

describe('"could not be placed": one notification at a time (#18)', () => {
  test('a second set while one is open is gathered and shown as one when it closes; repeats are dropped', async () => {
    const { UnplacedNotices } = await import('../../src/extension/annotations/unplacedNotice');
    const n = new UnplacedNotices();
    const a = { key: 'a', fileName: 'resnet/model.onnx', unplaced: ['fc', 'pool'], blocks: 9 };
    const b = { key: 'b', fileName: 'paper/model.json', unplaced: ['dense_3'], blocks: 51 };
    const c = { key: 'c', fileName: 'x.onnx', unplaced: ['y'], blocks: 2 };
    assert.equal(n.offer(a), 'Gradient Lens: 2 of 9 blocks of resnet/model.onnx could not be placed in the source code (fc, pool).');
    assert.equal(n.offer(b), undefined, 'not beside the open one');
    assert.equal(n.offer(c), undefined);
    assert.equal(n.claim(), false, "a block's own explanation does not open a second one either");
    assert.equal(n.closed(), 'Gradient Lens: 1 of 51 blocks of paper/model.json; 1 of 2 blocks of x.onnx could not be placed in the source code.');
    assert.equal(n.isOpen, true, 'the gathered one is now on screen');
    assert.equal(n.closed(), undefined);
    assert.equal(n.offer(a), undefined, 'announced once a session');
    assert.equal(n.claim(), true);
  });
});

describe('what a number covers (#18 item 10)', () => {
  const link = (i: number): string => `command:gradientLens.openInReport?${i}`;
  test('the reference layer shows "GSC 1 (reference layer)" and the hover says why', () => {
    const last = report.blocks[report.blocks.length - 1];
    assert.equal(last.gscToOutput.method, 'identity', 'the fixture ends at the reference layer');
    assert.match(siteLabel([last]), /^GSC 1 \(reference layer\) · k_lin /);
    assert.match(siteLabel([report.blocks[0]]), /^GSC \d/, 'other blocks keep their number');
    const [view] = buildSiteViews(report, { sites: [site('/w/model.py', 3, [last.index])], unplaced: [] }, 100);
    const text = hoverMarkdown({ view, stale: false, openLink: link, modelFileName: 'model.onnx' });
    assert.ok(text.includes('| 1 (reference layer) | reference layer |'), text);
    assert.match(text, /ends at the reference layer: its GSC to the output is 1 by definition/);
  });
  test('ops outside the module a block is named after are listed in the hover', async () => {
    const { opsOutsideBlock } = await import('../../src/extension/annotations/format');
    const block = {
      name: 'layer3',
      nodes: ['/layer3/conv1/Conv', '/layer3/relu2/Relu', '/pool/GlobalAveragePool', '/flatten/Flatten'],
      opTypes: ['Conv', 'Relu', 'GlobalAveragePool', 'Flatten'],
    };
    assert.deepEqual(opsOutsideBlock(block), ['pool (GlobalAveragePool)', 'flatten (Flatten)']);
    assert.deepEqual(opsOutsideBlock({ name: 'fc', nodes: ['/fc/Gemm'], opTypes: ['Gemm'] }), []);
    assert.deepEqual(opsOutsideBlock({ name: 'layer1', nodes: ['/layer1/conv1/Conv', '/layer1/Add'], opTypes: ['Conv', 'Add'] }), []);
    const m = mutableCopy(report);
    m.blocks[0].name = 'layer3';
    m.blocks[0].nodes = block.nodes;
    m.blocks[0].opTypes = block.opTypes;
    const [view] = buildSiteViews(m as never, { sites: [site('/w/model.py', 3, [m.blocks[0].index])], unplaced: [] }, 100);
    const text = hoverMarkdown({ view, stale: false, openLink: link, modelFileName: 'model.onnx' });
    // Names are Markdown-escaped (backslash before each bracket).
    const plain = text.replace(/\\(.)/g, '$1');
    assert.ok(
      plain.includes(
        'is more than layer3: it also includes pool (GlobalAveragePool), flatten (Flatten); its GSC and k are measured over all its ops (Conv → Relu → GlobalAveragePool → Flatten)',
      ),
      text,
    );
  });
});

describe("the reference layer's own block (GSC 1 by definition)", () => {
  test('is never exploding, in severity or Problems, even with a threshold below 1', () => {
    const report = savedReport();
    const last = report.blocks[report.blocks.length - 1];
    assert.equal(last.gscToOutput.method, 'identity');
    assert.equal(blockSeverity(last, 0.5), 'ok');
    assert.equal(gscFinding(last, 0.5), undefined);
    const measured = report.blocks[0];
    assert.equal(blockSeverity(measured, 0.5), 'exploding', 'a measured block above the same threshold still is');
    assert.ok(gscFinding(measured, 0.5));
  });
});
