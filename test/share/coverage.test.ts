/** Coverage: stretches merged, the time a log covers (merge-delay slack), and the observed periods. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canHoldIssuedAt, coveredTime, mergeStretches, observedPeriods, periodHolding, type CoverageLogInput, type CoverageStretch } from '../../src/share/coverage.js';

const H = 3_600_000;
const D = 24 * H;
const t = (iso: string) => Date.parse(iso);
const stretch = (start: number, end: number, first: string | null, last: string | null, proven = true): CoverageStretch => ({ start, end, firstTimestamp: first === null ? null : t(first), lastTimestamp: last === null ? null : t(last), proven });
const interval = (start: string, end: string) => ({ start: new Date(start), end: new Date(end) });

test('stretches merge where their indexes touch; the time span widens, proof needs every part, an unknown time stays unknown', () => {
  const merged = mergeStretches([stretch(100, 199, '2025-12-02T00:00:00Z', '2025-12-03T00:00:00Z'), stretch(0, 99, '2025-12-01T00:00:00Z', '2025-12-02T00:00:00Z', false), stretch(300, 399, null, null)]);
  assert.deepEqual(merged, [stretch(0, 199, '2025-12-01T00:00:00Z', '2025-12-03T00:00:00Z', false), stretch(300, 399, null, null)]);
  assert.deepEqual(mergeStretches([stretch(0, 9, '2025-12-01T00:00:00Z', '2025-12-02T00:00:00Z'), stretch(10, 19, null, null)]), [stretch(0, 19, null, null)]);
});

test('a log covers each merged stretch less one merge delay at each end; a stretch without times covers nothing', () => {
  const log: CoverageLogInput = { name: 'a', temporalInterval: null, stretches: [stretch(0, 99, '2025-12-01T00:00:00Z', '2025-12-05T00:00:00Z'), stretch(500, 599, '2025-12-10T00:00:00Z', '2025-12-11T12:00:00Z'), stretch(700, 799, null, null)] };
  assert.deepEqual(coveredTime(log), [{ start: t('2025-12-02T00:00:00Z'), end: t('2025-12-04T00:00:00Z') + 1 }]);
  assert.deepEqual(coveredTime({ ...log, mmdMs: H }), [
    { start: t('2025-12-01T01:00:00Z'), end: t('2025-12-04T23:00:00Z') + 1 },
    { start: t('2025-12-10T01:00:00Z'), end: t('2025-12-11T11:00:00Z') + 1 },
  ]);
});

test('which shards can hold a certificate issued at t: its notAfter lies in [t, t + max validity), 398 days before 2026-03-15, 200 after', () => {
  const h2027 = interval('2027-01-01T00:00:00Z', '2027-07-01T00:00:00Z');
  assert.equal(canHoldIssuedAt(h2027, t('2025-12-01T00:00:00Z')), true); // + 398 days = 2027-01-03
  assert.equal(canHoldIssuedAt(h2027, t('2025-11-29T00:00:00Z')), false); // + 398 days = 2027-01-01, exclusive
  assert.equal(canHoldIssuedAt(h2027, t('2026-06-01T00:00:00Z')), false); // + 200 days = 2026-12-18
  assert.equal(canHoldIssuedAt(h2027, t('2026-06-15T00:00:00Z')), false); // + 200 days = 2027-01-01, exclusive
  assert.equal(canHoldIssuedAt(h2027, t('2026-06-15T00:00:00Z') + 1), true);
  assert.equal(canHoldIssuedAt(h2027, t('2027-07-01T00:00:00Z')), false);
  assert.equal(canHoldIssuedAt(null, 0), true);
});

test('observed periods: every log that could hold what was issued then covers that time; an unread shard that could hold it leaves a hole', () => {
  const y2026 = interval('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
  const y2027 = interval('2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z');
  // Both shards scanned over December 2025 (plus a day of slack each side).
  const a: CoverageLogInput = { name: 'a2026', temporalInterval: y2026, stretches: [stretch(0, 999, '2025-11-30T00:00:00Z', '2026-01-02T00:00:00Z')] };
  const b: CoverageLogInput = { name: 'b2027', temporalInterval: y2027, stretches: [stretch(0, 999, '2025-11-30T00:00:00Z', '2026-01-02T00:00:00Z')] };
  // Certificates issued from 2025-12-01 on may expire in 2027 (398 days): b2027 must be read from then on; it is.
  assert.deepEqual(observedPeriods([a, b]), [{ start: t('2025-12-01T00:00:00Z'), end: t('2026-01-01T00:00:00Z') + 1 }]);
  // Without b2027, the times whose certificates it could hold are not observed: a2026 alone is enough only up to 2025-11-29 (398 days before 2027-01-01).
  const onlyA = observedPeriods([a, { ...b, stretches: [] }]);
  assert.deepEqual(onlyA, []);
  const aEarly: CoverageLogInput = { ...a, stretches: [stretch(0, 999, '2025-11-20T00:00:00Z', '2026-01-02T00:00:00Z')] };
  assert.deepEqual(observedPeriods([aEarly, { ...b, stretches: [] }]), [{ start: t('2025-11-21T00:00:00Z'), end: t('2025-11-29T00:00:00Z') + 1 }]);
  // A log of another era that nothing issued then can reach does not matter.
  const old: CoverageLogInput = { name: 'old', temporalInterval: interval('2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z'), stretches: [] };
  assert.deepEqual(observedPeriods([a, b, old]), observedPeriods([a, b]));
  // A log without an interval must always be covered.
  const any: CoverageLogInput = { name: 'any', temporalInterval: null, stretches: [stretch(0, 9, '2025-12-10T00:00:00Z', '2025-12-20T00:00:00Z')] };
  assert.deepEqual(observedPeriods([a, b, any]), [{ start: t('2025-12-11T00:00:00Z'), end: t('2025-12-19T00:00:00Z') + 1 }]);
  // No log at all could hold a certificate of that time: nothing is observed there.
  assert.deepEqual(observedPeriods([{ ...old, stretches: [stretch(0, 9, '2025-12-01T00:00:00Z', '2025-12-09T00:00:00Z')] }]), []);
});

test('observed periods of two windows a year apart, and which spans lie inside one', () => {
  const shard = (name: string, from: string, to: string, windows: [string, string][]): CoverageLogInput => ({
    name,
    temporalInterval: interval(from, to),
    // A year of entries lies between the two windows' index ranges.
    stretches: windows.map(([f, l], i) => stretch(i * 100_000, i * 100_000 + 999, f, l)),
  });
  const w1: [string, string] = ['2024-11-30T00:00:00Z', '2025-02-01T00:00:00Z'];
  const w2: [string, string] = ['2025-11-30T00:00:00Z', '2026-02-01T00:00:00Z'];
  const logs = [
    shard('s2025', '2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z', [w1, w2]),
    shard('s2026', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', [w1, w2]),
    shard('s2027', '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z', [w2]),
  ];
  const periods = observedPeriods(logs);
  // Winter 2024/25: s2027 cannot hold what is issued then (398 days reach 2026-03 at most); winter 2025/26 from 2025-12-01 on needs s2027 too.
  assert.deepEqual(periods, [
    { start: t('2024-12-01T00:00:00Z'), end: t('2025-01-31T00:00:00Z') + 1 },
    { start: t('2025-12-01T00:00:00Z'), end: t('2026-01-31T00:00:00Z') + 1 },
  ]);
  assert.deepEqual(periodHolding(periods, t('2024-12-10T00:00:00Z'), t('2025-01-20T00:00:00Z')), periods[0]);
  assert.equal(periodHolding(periods, t('2024-12-10T00:00:00Z'), t('2025-12-10T00:00:00Z')), null, 'a renewal a year later spans the unobserved year');
  assert.equal(periodHolding(periods, t('2025-06-01T00:00:00Z'), t('2025-06-02T00:00:00Z')), null);
  assert.equal(periodHolding(periods, t('2026-01-31T00:00:00Z'), t('2026-01-31T00:00:00Z')), periods[1]);
  assert.equal(periodHolding(periods, t('2026-01-31T00:00:00Z') + D, t('2026-02-01T00:00:00Z') + D), null);
});
