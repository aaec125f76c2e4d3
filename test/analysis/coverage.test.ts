/**
 * Coverage-aware analysis (issue #15) against ground truth: lineages of known renewals collected in
 * two separate windows, and a log left unread for part of a window. The expectations are worked out
 * here from the generated certificates and the windows alone, not with the analysis's own code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../../src/analysis/analyze-db.js';
import { coverageFromFile } from '../../src/analysis/coverage.js';
import { connectDb } from '../../src/db/read-connection.js';
import type { AnalysisCertificate } from '../../src/analysis/model.js';
import { observedPeriods as asObservation } from '../../src/analysis/observed.js';
import { summarize } from '../../src/analysis/summary.js';
import { DEFAULT_MMD_MS, type TimeSpan, observedPeriods } from '../../src/share/coverage.js';
import { createTestDb, insertCertificates } from '../../tools/fixtures/analysis-db.js';
import { generateLineages, type GroundTruth } from '../../tools/fixtures/synthetic-lineages.js';

const DAY = 86_400_000;
const MARGIN = 30 * DAY;
/** The mission's collection: December–January of two years. */
const WINDOWS: TimeSpan[] = [
  { start: Date.UTC(2023, 11, 1), end: Date.UTC(2024, 1, 1) },
  { start: Date.UTC(2024, 11, 1), end: Date.UTC(2025, 1, 1) },
];
const at = (c: AnalysisCertificate): number => c.ctTimestamp ?? c.notBefore;
const windowOf = (spans: readonly TimeSpan[], t: number): number => spans.findIndex((w) => t >= w.start && t < w.end);
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

interface Expected {
  intervals: number;
  censored: number;
  gaps: number[];
  ended: number;
  censoredByLineage: Map<string, number>;
}

/**
 * What a sound analysis may claim from the certificates seen: consecutive certificates of a
 * lineage in one observed span give an interval (and a gap when the next starts more than a second
 * after the previous expired); any other pair is censored. A lineage ended when its last
 * certificate's issuance through 30 days after its expiry lies in one span.
 */
function expected(lineages: readonly { names: string[]; certs: AnalysisCertificate[] }[], spans: readonly TimeSpan[]): Expected {
  const e: Expected = { intervals: 0, censored: 0, gaps: [], ended: 0, censoredByLineage: new Map() };
  for (const l of lineages) {
    const certs = [...l.certs].sort((a, b) => a.notBefore - b.notBefore);
    if (certs.length === 0) continue;
    let censored = 0;
    for (let i = 1; i < certs.length; i++) {
      const w = windowOf(spans, at(certs[i - 1]));
      if (w >= 0 && windowOf(spans, at(certs[i])) === w) {
        e.intervals++;
        const gap = certs[i].notBefore - certs[i - 1].notAfter;
        if (gap > 1000) e.gaps.push(r4(gap / DAY));
      } else censored++;
    }
    e.censored += censored;
    e.censoredByLineage.set(l.names.join(','), censored);
    const last = certs[certs.length - 1];
    const w = windowOf(spans, at(last));
    if (w >= 0 && last.notAfter + MARGIN < spans[w].end) e.ended++;
  }
  e.gaps.sort((a, b) => a - b);
  return e;
}

/** Known lineages over two years, only the certificates issued (logged) inside the two windows kept. */
function twoWindowCorpus(): { truth: GroundTruth[]; kept: { names: string[]; certs: AnalysisCertificate[] }[] } {
  const truth = generateLineages({
    seed: 15, idOffset: 70_000, start: Date.UTC(2023, 9, 1), end: Date.UTC(2025, 1, 15),
    perBehaviour: { 'certbot-47': 60, 'certbot-90': 40, 'acme-fixed50-on-47': 60, 'manual-yearly': 30, 'manual-lapsed': 30, 'manual-reseller-1st': 10, single: 20 },
  });
  const kept = truth.map((t) => ({ names: t.names, certs: t.certs.filter((c) => windowOf(WINDOWS, at(c)) >= 0) })).filter((l) => l.certs.length > 0);
  return { truth, kept };
}

test('two windows: renewals across the unobserved months give no gap and no interval; gaps inside the windows are exact; censored counts exact', async () => {
  const { kept } = twoWindowCorpus();
  const certs = kept.flatMap((l) => l.certs);
  const exp = expected(kept, WINDOWS);
  assert.ok(exp.gaps.length >= 10, `the corpus has true gaps inside the windows (${exp.gaps.length})`);
  assert.ok(exp.censored >= 100, `and renewals across the unobserved months (${exp.censored})`);

  const s = await summarize(certs, { observation: asObservation(WINDOWS, 'given') });
  assert.equal(s.coverage.mode, 'observed');
  assert.deepEqual(s.observed_periods, WINDOWS.map((w) => ({ start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() })));
  assert.equal(s.totals.renewals, exp.intervals);
  assert.equal(s.totals.renewals_censored, exp.censored);
  assert.equal(s.overall.expiry_gaps.censored, exp.censored);
  assert.equal(s.expiry_gaps.censored_renewals, exp.censored);
  assert.deepEqual([...s.expiry_gaps.lengths_days].sort((a, b) => a - b), exp.gaps);
  assert.equal(s.overall.expiry_gaps.gaps, exp.gaps.length);
  assert.equal(s.totals.lineages_ended_before_observation_end, exp.ended);
  assert.equal(s.totals.lineages_end_censored, s.totals.lineages - exp.ended);
  // Every interval in the histogram is an uncensored one.
  const histogram = Object.values(s.histograms.interval_days).flat().reduce((a, b) => a + b, 0);
  assert.equal(histogram, exp.intervals);
  for (const l of s.lineages) {
    const censored = l.renewals.filter((r) => r.censored);
    assert.equal(censored.length, exp.censoredByLineage.get(l.names.join(',')), l.names.join(','));
    assert.equal(l.evidence.renewals_censored, censored.length);
    for (const r of censored) assert.deepEqual([r.interval_days, r.gap_days, r.ratio], [null, null, null]);
    if (l.evidence.renewals === 0 && censored.length > 0) assert.equal(l.class, 'undetermined', 'censored renewals are no evidence');
  }
  const censoredOnly = s.lineages.filter((l) => l.evidence.renewals === 0 && l.evidence.renewals_censored > 0).length;
  assert.equal(s.overall.classes.censored_only, censoredOnly);

  // The same certificates taken as the whole truth: the months between the windows turn into gaps.
  const naive = await summarize(certs);
  assert.equal(naive.coverage.mode, 'assumed-complete');
  assert.ok(naive.expiry_gaps.count > exp.gaps.length + 20, `without coverage ${naive.expiry_gaps.count} gaps, with it ${exp.gaps.length}`);
  console.log(`two windows: ${exp.intervals} renewals measured, ${exp.censored} censored; expiry gaps ${s.expiry_gaps.count} with coverage (truth ${exp.gaps.length}), ${naive.expiry_gaps.count} if the data were taken as complete`);
});

test('a log left unread for part of a window: renewals touching the unread time are censored, not gaps', async () => {
  const W = WINDOWS[1];
  const holeFrom = Date.UTC(2024, 11, 20);
  const holeTo = Date.UTC(2025, 0, 5);
  // Two logs that can hold anything: A read all through the window, B with a hole (indexes 1000–1999 unread).
  const stretch = (start: number, end: number, from: number, to: number) => ({ start, end, firstTimestamp: from - DEFAULT_MMD_MS, lastTimestamp: to + DEFAULT_MMD_MS, proven: true });
  const periods = observedPeriods([
    { name: 'A', temporalInterval: null, stretches: [stretch(0, 2999, W.start, W.end - 1)] },
    { name: 'B', temporalInterval: null, stretches: [stretch(0, 999, W.start, holeFrom), stretch(2000, 2999, holeTo, W.end - 1)] },
  ]);
  assert.equal(periods.length, 2, 'the hole splits the window');

  const truth = generateLineages({
    seed: 16, idOffset: 80_000, start: Date.UTC(2024, 10, 1), end: W.end,
    perBehaviour: { 'certbot-47': 40, 'acme-fixed50-on-47': 30, 'commercial-acme-90': 10 },
  });
  // Issued inside the window; those logged only in B during its hole were never read. Every third
  // lineage logged only in B, so some renewals vanish.
  const inWindow = truth.map((t, i) => ({
    names: t.names,
    certs: t.certs.filter((c) => at(c) >= W.start && at(c) < W.end && !(i % 3 === 0 && at(c) > holeFrom && at(c) < holeTo)),
  }));
  const lost = truth.reduce((n, t, i) => n + (i % 3 === 0 ? t.certs.filter((c) => at(c) > holeFrom && at(c) < holeTo).length : 0), 0);
  assert.ok(lost >= 5, `certificates lost in the hole: ${lost}`);
  const certs = inWindow.flatMap((l) => l.certs);
  const exp = expected(inWindow.filter((l) => l.certs.length), periods);

  const s = await summarize(certs, { observation: asObservation(periods) });
  assert.deepEqual([...s.expiry_gaps.lengths_days].sort((a, b) => a - b), exp.gaps);
  assert.equal(s.totals.renewals, exp.intervals);
  assert.equal(s.totals.renewals_censored, exp.censored);
  // No gap spans the hole: every one lies inside one observed period.
  for (const l of s.lineages) {
    for (const r of l.renewals) if (r.gap_days !== null && r.gap_days > 0) assert.ok(r.not_before < new Date(holeFrom).toISOString() || r.not_before >= new Date(holeTo).toISOString());
  }
  const naive = await summarize(certs, { observation: asObservation([W]) });
  assert.ok(naive.expiry_gaps.count > s.expiry_gaps.count, `the window taken as fully read: ${naive.expiry_gaps.count} gaps, with the hole censored: ${s.expiry_gaps.count}`);
});

test('--coverage FILE: the observed periods of a coverage answer; a bad file is refused naming the file and the entry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ctjp-coverage-'));
  try {
    const good = join(dir, 'coverage.json');
    await writeFile(good, JSON.stringify({ generated_at: '2025-02-02T00:00:00Z', logs: [], observed_periods: [{ start: '2024-12-01T00:00:00.000Z', end: '2025-02-01T00:00:00.000Z' }, { start: '2023-12-01T00:00:00Z', end: '2024-02-01T00:00:00Z' }] }));
    const o = await coverageFromFile(good);
    assert.equal(o.mode, 'observed');
    assert.equal(o.source, `file:${good}`);
    assert.deepEqual(o.periods, [...WINDOWS]);

    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ observed_periods: [{ start: '2024-12-01T00:00:00Z', end: '2025-02-01T00:00:00Z' }, { start: 'yesterday', end: '2025-02-01T00:00:00Z' }] }));
    await assert.rejects(coverageFromFile(bad), (e: Error) => e.message.includes(bad) && e.message.includes('observed_periods[1]'));
    const notCoverage = join(dir, 'not.json');
    await writeFile(notCoverage, '{"logs": []}');
    await assert.rejects(coverageFromFile(notCoverage), /observed_periods/);
    await writeFile(notCoverage, 'not json');
    await assert.rejects(coverageFromFile(notCoverage), /not JSON/);
    await assert.rejects(coverageFromFile(join(dir, 'missing.json')), /cannot be read/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('from the database: the coverage ledger censors; with no coverage rows the data span is assumed observed, and the summary says so', async () => {
  const db = await createTestDb();
  const out = await mkdtemp(join(tmpdir(), 'ctjp-coverage-db-'));
  try {
    const { kept } = twoWindowCorpus();
    const certs = kept.flatMap((l) => l.certs);
    await insertCertificates(db.conn, certs);
    const run = async () => {
      const conn = await connectDb(db.url);
      try {
        await writeReport(conn, out, { batchSize: 500 });
      } finally {
        await conn.end();
      }
      return JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    };
    const before = await run();
    assert.equal(before.coverage.mode, 'assumed-complete');
    assert.match(before.coverage.source, /no coverage/);
    assert.match(await readFile(join(out, 'report.html'), 'utf8'), /assumed observed/);

    // Both catalogue logs (they can hold anything) read through both windows: the ledger's rows.
    const [logs] = await db.conn.query<import('mysql2').RowDataPacket[]>('SELECT id FROM logs');
    const rows = logs.flatMap((l, k) =>
      WINDOWS.map((w, i) => [l.id, 1, 1, i * 10_000 + k, i * 10_000 + k + 5000, w.start - DEFAULT_MMD_MS, w.end - 1 + DEFAULT_MMD_MS, 1, new Date()]),
    );
    await db.conn.query('INSERT INTO coverage (log_id, lease_id, worker_id, start_index, end_index, first_timestamp, last_timestamp, proven, created_at) VALUES ?', [rows]);
    const s = await run();
    assert.equal(s.coverage.mode, 'observed');
    assert.equal(s.coverage.source, 'database');
    assert.deepEqual(s.observed_periods, WINDOWS.map((w) => ({ start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() })));
    const exp = expected(kept, WINDOWS);
    assert.equal(s.totals.renewals_censored, exp.censored);
    assert.equal(s.expiry_gaps.count, exp.gaps.length);
    assert.match(await readFile(join(out, 'report.html'), 'utf8'), /rest only on the 2 observed periods/);
    assert.equal((await readFile(join(out, 'observed_periods.csv'), 'utf8')).trim().split('\n').length, 3);
  } finally {
    await rm(out, { recursive: true, force: true });
    await db.drop();
  }
});
