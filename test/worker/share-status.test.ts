/**
 * The worker's reading of the manager's status (share-status.ts) and the smoothed rate behind the
 * category ETA (progress.ts): pure functions, checked on small hand-made inputs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SmoothedRate, formatProgressLine } from '../../src/worker/progress.js';
import { categoryShares, logRemaining, noWorkReason, type LogTargetStatus } from '../../src/worker/share-status.js';

function log(over: Partial<LogTargetStatus>): LogTargetStatus {
  return { name: 'l', category: 'google', available: true, shut_down: false, target_start: 0, target_end: 999, scanned: 0, ...over };
}

test('a category’s remaining target sums its logs; unplanned and silent logs are named', () => {
  assert.equal(logRemaining(log({ target_start: 100, target_end: 199, scanned: 40 })), 60);
  assert.equal(logRemaining(log({ target_end: null })), null);
  assert.equal(logRemaining(log({ scanned: 5000 })), 0);
  const shares = categoryShares([
    log({ name: 'a', scanned: 400 }),
    log({ name: 'b', target_end: 99, available: false }),
    log({ name: 'c', target_end: null }),
    log({ name: 'gone', target_end: null, shut_down: true, available: false }),
    log({ name: 'd', category: 'digicert', scanned: 1000 }),
  ]);
  assert.deepEqual([...shares.keys()], ['digicert', 'google']);
  assert.deepEqual(shares.get('google'), { category: 'google', remaining: 700, unplanned: ['c'], unavailable: ['b'] });
  assert.deepEqual(shares.get('digicert'), { category: 'digicert', remaining: 0, unplanned: [], unavailable: [] });
});

test('the no-work reason says what holds the work back', () => {
  assert.match(noWorkReason(true, undefined), /collection is finished/);
  assert.match(noWorkReason(false, undefined), /asking again every minute/);
  assert.match(noWorkReason(false, { category: 'g', remaining: 10, unplanned: ['x'], unavailable: ['y', 'z'] }), /^x not planned yet .*; y, z not answering/);
  assert.match(noWorkReason(false, { category: 'g', remaining: 0, unplanned: [], unavailable: [] }), /target is scanned/);
  assert.match(noWorkReason(false, { category: 'g', remaining: 10, unplanned: [], unavailable: [] }), /handed out to other workers/);
});

test('the smoothed rate starts at the first samples’ mean and moves slowly after', () => {
  const r = new SmoothedRate(60_000);
  assert.equal(r.perSecond, 0);
  r.add(1000, 10_000);
  assert.equal(r.perSecond, 100);
  for (let i = 0; i < 60; i++) r.add(1000, 10_000);
  assert.ok(Math.abs(r.perSecond - 100) < 1e-9);
  // One idle interval moves it a little, not to zero.
  r.add(0, 10_000);
  assert.ok(r.perSecond > 80 && r.perSecond < 100, String(r.perSecond));
});

test('the progress line labels the category ETA and the range ETA apart', () => {
  const base = { category: 'google', requests: 1, uploaded: 2, found: 3, scanned: 1000, index: 500, rate: 10, note: null };
  const line = formatProgressLine({ ...base, remaining: 100, categoryRemaining: 36_000, categoryRate: 10 });
  assert.match(line, /⏳ this range: 10s \| ⏱️ category google: ~1h 00m left at your rate \(36,000 entries\)$/);
  assert.match(formatProgressLine({ ...base, remaining: null, categoryRemaining: 0, categoryRate: 0 }), /⏱️ category google: target done$/);
  assert.match(formatProgressLine({ ...base, remaining: null, categoryRemaining: 5, categoryRate: 0 }), /5 entries left \(no rate of yours yet\)/);
  assert.match(formatProgressLine({ ...base, remaining: null, categoryRemaining: null, categoryRate: 0, note: 'waiting for work' }), /remaining target not known yet \| waiting for work$/);
});
