import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportWriter } from '../../src/analysis/output.js';
import { runAnalysis } from '../../src/analysis/summary.js';
import { groupBySanSet } from '../../src/analysis/lineage.js';
import { generateLineages } from '../../tools/fixtures/synthetic-lineages.js';

test('a report directory holds summary.json with every lineage, CSV tables and a self-contained HTML report', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ctjp-report-'));
  try {
    const truth = generateLineages({ seed: 3, perBehaviour: { 'certbot-90': 5, 'manual-yearly': 5, 'manual-lapsed': 3, single: 2 } });
    const certs = truth.flatMap((t) => t.certs);
    const w = await ReportWriter.create(dir);
    const groups = [...groupBySanSet(certs).values()].map((g) => ({ names: g[0].names, certs: g }));
    const agg = await runAnalysis(groups, null, { observationEnd: Date.UTC(2026, 10, 1), onLineage: (r) => w.lineage(r) });
    await w.finish(agg);
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, [
      'by_ca.csv', 'by_class.csv', 'by_org_type.csv', 'expiry_gaps.csv', 'heatmap_jst.csv', 'interval_histogram.csv', 'lineages.csv', 'observed_periods.csv',
      'ratio_histogram.csv', 'report.html', 'summary.json', 'time_jst.csv',
    ]);
    const s = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
    assert.equal(s.lineages.length, truth.length);
    for (const l of s.lineages) assert.ok(['automated', 'manual', 'undetermined'].includes(l.class) && Array.isArray(l.names) && l.evidence);
    assert.equal(s.expiry_gaps.count, truth.reduce((n, t) => n + t.gapLengthsMs.length, 0));
    assert.equal(s.expiry_gaps.lengths_days.length, s.expiry_gaps.count);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    assert.ok((html.match(/<svg/g) ?? []).length >= 5);
    assert.doesNotMatch(html, /<script|<link|src="http/);
    const csv = (await readFile(join(dir, 'lineages.csv'), 'utf8')).trim().split('\n');
    assert.equal(csv.length, truth.length + 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
