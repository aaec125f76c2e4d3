import { test } from 'node:test';
import assert from 'node:assert/strict';
import holidayJp from '@holiday-jp/holiday_jp';
import { summarize } from '../../src/analysis/summary.js';
import { generateLineages, type GroundTruth } from '../../tools/fixtures/synthetic-lineages.js';

const truth = generateLineages({
  seed: 7,
  perBehaviour: {
    'certbot-90': 60, 'certbot-47': 30, 'acmesh-cron': 30, 'acme-fixed60-on-47': 20,
    'manual-yearly': 60, 'manual-reseller-1st': 20, 'manual-lapsed': 30, single: 20,
  },
});
const certs = truth.flatMap((t) => t.certs);
const byKey = new Map<string, GroundTruth>(truth.map((t) => [t.names.join(','), t]));

/** Independent of src/analysis/calendar.ts: Intl for the JST weekday and date. */
const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' });
function jstDay(ms: number): { date: string; weekend: boolean } {
  const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, weekend: p.weekday === 'Sat' || p.weekday === 'Sun' };
}

test('synthetic lineages: automated vs manual classification accuracy ≥ 95%', async () => {
  const s = await summarize(certs);
  const labels = ['automated', 'manual', 'undetermined'] as const;
  const m: Record<string, Record<string, number>> = Object.fromEntries(labels.map((a) => [a, Object.fromEntries(labels.map((b) => [b, 0]))]));
  const wrong: string[] = [];
  for (const l of s.lineages) {
    const t = byKey.get(l.names.join(','));
    assert.ok(t, `lineage ${l.names.join(',')} was not generated`);
    m[t.truth][l.class]++;
    if (t.truth !== l.class && wrong.length < 10) wrong.push(`${t.behaviour} → ${l.class}: ${l.evidence.signals.join('; ')}`);
  }
  console.log('confusion matrix (rows: truth, columns: class)');
  console.table(m);
  if (wrong.length) console.log(wrong.join('\n'));
  const decided = truth.filter((t) => t.truth !== 'undetermined').length;
  const correct = m.automated.automated + m.manual.manual;
  assert.ok(correct / decided >= 0.95, `accuracy ${correct}/${decided}`);
  assert.equal(m.undetermined.undetermined, truth.filter((t) => t.truth === 'undetermined').length);
});

test('synthetic lineages: expiry-gap count and lengths are exact', async () => {
  const s = await summarize(certs);
  const expected = truth.flatMap((t) => t.gapLengthsMs.map((g) => Math.round((g / 86_400_000) * 1e4) / 1e4)).sort((a, b) => a - b);
  assert.ok(expected.length > 20);
  assert.equal(s.expiry_gaps.count, expected.length);
  assert.deepEqual([...s.expiry_gaps.lengths_days].sort((a, b) => a - b), expected);
  for (const l of s.lineages) {
    const t = byKey.get(l.names.join(','))!;
    assert.equal(l.evidence.expiry_gaps, t.gapLengthsMs.length, l.names.join(','));
  }
  const lapsing = s.lineages.filter((l) => l.automated_with_lapses);
  assert.equal(lapsing.length, truth.filter((t) => t.behaviour === 'acme-fixed60-on-47').length);
});

test('synthetic lineages: weekend and holiday counts are exact', async () => {
  const s = await summarize(certs);
  let weekend = 0;
  let holiday = 0;
  let closure = 0;
  for (const c of certs) {
    const d = jstDay(c.ctTimestamp!);
    if (d.weekend) weekend++;
    else if (d.date in holidayJp.holidays) holiday++;
    if (/-12-(29|30|31)$|-01-0[1-3]$/.test(d.date)) closure++;
  }
  const t = s.overall.time;
  assert.equal(t.issuances, certs.length);
  assert.equal(t.weekend.count, weekend);
  assert.equal(t.holiday.count, holiday);
  assert.equal(t.closure.count, closure);
  assert.ok(weekend > 0 && holiday > 0);
  // the expected shares come from the calendar of the observed period, not a constant
  assert.ok(t.weekend.expected_share! > 0.27 && t.weekend.expected_share! < 0.3);
  assert.ok(t.holiday.expected_share! > 0.03 && t.holiday.expected_share! < 0.06);
});

test('synthetic lineages in a 22-month window (manual lineages with a single renewal) are still classified', async () => {
  const short = generateLineages({
    seed: 21, start: Date.UTC(2025, 0, 1), end: Date.UTC(2026, 9, 31), idOffset: 10_000,
    perBehaviour: { 'certbot-90': 40, 'certbot-47': 20, 'acme-fixed60-on-47': 10, 'manual-yearly': 40, 'manual-lapsed': 20, 'manual-reseller-1st': 10 },
  });
  const s = await summarize(short.flatMap((t) => t.certs));
  const truthOf = new Map(short.map((t) => [t.names.join(','), t.truth]));
  let correct = 0;
  let oneRenewal = 0;
  for (const l of s.lineages) {
    if (l.class === truthOf.get(l.names.join(','))) correct++;
    if (l.evidence.renewals === 1) oneRenewal++;
  }
  assert.ok(oneRenewal >= 20, `only ${oneRenewal} lineages with one renewal`);
  assert.ok(correct / short.length >= 0.95, `accuracy ${correct}/${short.length}`);
});
