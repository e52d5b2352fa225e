/** minOf / maxOf, and the exports of a report far longer than any argument list. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxOf, minOf } from '../../src/report/extent';
import { reportToHtml } from '../../src/report/export/html';
import { reportToMarkdown } from '../../src/report/export/markdown';
import { mutableCopy, savedReport } from './helpers';

test('minOf and maxOf agree with Math.min and Math.max, NaN and empty lists included', () => {
  for (const values of [[3, -1, 2], [5], [], [1, NaN, 0], [-Infinity, 4]]) {
    assert.ok(Object.is(minOf(values), Math.min(...values)), `min of ${values.join(', ')}`);
    assert.ok(Object.is(maxOf(values), Math.max(...values)), `max of ${values.join(', ')}`);
  }
  const many = Array.from({ length: 300_000 }, (_, i) => Math.sin(i));
  assert.throws(() => Math.max(...many), RangeError, 'the spread this replaces overflows at this length');
  assert.equal(
    maxOf(many),
    many.reduce((a, b) => (b > a ? b : a)),
  );
});

test('a report with 300,000 boundaries exports to HTML and Markdown without overflowing the stack', () => {
  const report = mutableCopy(savedReport());
  const boundary = report.boundaries[1];
  report.boundaries = Array.from({ length: 300_000 }, (_, i) => ({ ...boundary, index: i }));
  const html = reportToHtml(report);
  assert.match(html, /<\/html>\s*$/);
  assert.ok(reportToMarkdown(report).length > 0);
});
