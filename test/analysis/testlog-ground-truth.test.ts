/**
 * The analysis against the test CT log's ground truth (tools/testlog): lineages of known class,
 * known expiry gaps, known JST flags. The certificates are stored as the manager stores them
 * (its schema, one row per distinct certificate, one sighting per log entry), then analysed by the
 * database path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import holidayJp from '@holiday-jp/holiday_jp';
import { connectDb } from '../../src/db/read-connection.js';
import { writeReport } from '../../src/analysis/analyze-db.js';
import { type AnalysisCertificate, type ValidationLevel, normaliseNames } from '../../src/analysis/model.js';
import { jstTime } from '../../src/analysis/calendar.js';
import { startTestLogs } from '../../tools/testlog/index.js';
import { createTestDb, insertCertificates, type GivenSighting } from '../../tools/fixtures/analysis-db.js';

interface Flags { weekend: boolean; holiday: boolean }

const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' });
function jstFlags(ms: number): Flags {
  const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const weekend = p.weekday === 'Sat' || p.weekday === 'Sun';
  return { weekend, holiday: !weekend && `${p.year}-${p.month}-${p.day}` in holidayJp.holidays };
}

test('test CT log ground truth: classes (≥ 95%), expiry gaps and weekend/holiday counts', async () => {
  // a .jp-rich corpus, so that a few hundred lineages of each kind exist
  const logs = await startTestLogs({ size: 5000, jpShare: 0.25 });
  const expected = logs.expected;
  await logs.close();

  const certs: AnalysisCertificate[] = [];
  const sightings = new Map<string, GivenSighting[]>();
  for (const c of expected.certificates) {
    const ts = c.sightings.map((s) => s.timestamp);
    certs.push({
      id: c.id, names: normaliseNames(c.san_dns), notBefore: Date.parse(c.not_before), notAfter: Date.parse(c.not_after),
      ctTimestamp: ts.length ? Math.min(...ts) : null, issuerOrg: c.ca, issuerCn: null, issuerDn: c.issuer_dn, serialHex: c.serial_hex,
      validationLevel: c.validation_level as ValidationLevel, seenPrecert: c.sightings.some((s) => s.entry_type === 'precert_entry'),
      seenFinal: c.sightings.some((s) => s.entry_type === 'x509_entry'),
    });
    sightings.set(c.id, c.sightings.map((x) => ({ log: x.log, index: x.index, entry_type: x.entry_type, timestamp: x.timestamp })));
  }
  const db = await createTestDb();
  const out = await mkdtemp(join(tmpdir(), 'ctjp-groundtruth-'));
  try {
    await insertCertificates(db.conn, certs, { sightings });
    const conn = await connectDb(db.url);
    try {
      await writeReport(conn, out, { perName: true, batchSize: 500 });
    } finally {
      await conn.end();
    }
    const s = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));

    // classes
    const byNames = new Map<string, { class: string; evidence: { signals: string[] } }>(s.lineages.map((l: { names: string[] }) => [l.names.join(','), l]));
    const labels = ['automated', 'manual', 'undetermined'];
    const m: Record<string, Record<string, number>> = { automated: { automated: 0, manual: 0, undetermined: 0 }, manual: { automated: 0, manual: 0, undetermined: 0 } };
    const wrong: string[] = [];
    let single = 0;
    for (const l of expected.lineages) {
      const got = byNames.get(normaliseNames(l.names).join(','));
      assert.ok(got, `lineage ${l.id} (${l.names.join(',')}) missing from the summary`);
      if (l.certificates.length < 2) {
        single++;
        assert.equal(got.class, 'undetermined', `${l.id} has one certificate`);
        continue;
      }
      m[l.style][got.class]++;
      if (got.class !== l.style) wrong.push(`${l.id} ${l.class}/${l.style} → ${got.class}: ${got.evidence.signals.join('; ')}`);
    }
    console.log(`confusion matrix over ${expected.lineages.length - single} lineages with a renewal (rows: truth, columns: class; ${single} single-certificate lineages left out)`);
    console.table(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Object.fromEntries(labels.map((x) => [x, v[x]]))])));
    if (wrong.length) console.log(wrong.slice(0, 15).join('\n'));
    const total = expected.lineages.length - single;
    const correct = m.automated.automated + m.manual.manual;
    console.log(`accuracy ${correct}/${total} = ${((100 * correct) / total).toFixed(1)}%`);
    assert.ok(correct / total >= 0.95, `accuracy ${correct}/${total}`);

    // expiry gaps: count and lengths
    const expGaps = expected.lineages.flatMap((l) => l.gaps_days).sort((a, b) => a - b);
    const gotGaps = [...(s.expiry_gaps.lengths_days as number[])].sort((a, b) => a - b);
    console.log(`expiry gaps: ${s.expiry_gaps.count} found, ${expGaps.length} in the ground truth`);
    assert.equal(s.expiry_gaps.count, expGaps.length);
    assert.equal(gotGaps.length, expGaps.length);
    gotGaps.forEach((g, i) => assert.ok(Math.abs(g - expGaps[i]) < 1e-4, `gap ${i}: ${g} vs ${expGaps[i]}`));

    // weekend and holiday counts, on the instant the analysis documents (precertificate timestamp, else not_before)
    let weekend = 0;
    let holiday = 0;
    for (const c of certs) {
      const f = jstFlags(c.seenPrecert && c.ctTimestamp !== null ? c.ctTimestamp : c.notBefore);
      if (f.weekend) weekend++;
      if (f.holiday) holiday++;
    }
    console.log(`issuances ${s.overall.time.issuances}: weekend ${s.overall.time.weekend.count} (expected share ${s.overall.time.weekend.expected_share}), holiday ${s.overall.time.holiday.count} (expected share ${s.overall.time.holiday.expected_share})`);
    assert.equal(s.overall.time.issuances, certs.length);
    assert.equal(s.overall.time.weekend.count, weekend);
    assert.equal(s.overall.time.holiday.count, holiday);
    // and the calendar agrees with the generator's own JST flags of not_before
    for (const c of expected.certificates) {
      const j = jstTime(Date.parse(c.not_before));
      assert.equal(j.dayClass === 'weekend', c.issued.weekend, `${c.id} weekend`);
      assert.equal(j.dayClass === 'holiday' || (j.dayClass === 'weekend' && c.issued.holiday), c.issued.holiday, `${c.id} holiday`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
    await db.drop();
  }
});
