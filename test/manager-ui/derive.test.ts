import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogStatus, StatusResponse, WorkerStatus } from '../../src/share/api/index.js';
import {
  categoryOrder,
  coverage,
  dailyPivot,
  friendRanking,
  groupByCategory,
  leaseProgress,
  overview,
  pingAgeSeconds,
  sortWorkers,
} from '../../src/manager-ui/app/derive.js';

function log(over: Partial<LogStatus>): LogStatus {
  return {
    name: 'l', category: 'google', url: 'https://log.example/l/', api: 'rfc6962', data_tiles: false, available: true, shut_down: false, read_from: 'origin', read_url: null, last_error: null, checked_at: null,
    tree_size: 3100, target_start: 0, target_end: 99, target_mode: 'fraction', target_note: null,
    handed_out_to: -1, scanned: 0, certificates: 0, sightings: 0, rate: 0, rate_last_hour: 0, eta_s: null, stalled_leases: [], resume_waiting: 0, resume_waiting_entries: 0, verified: 0, verification_failures: 0, ...over,
  };
}

function worker(over: Partial<WorkerStatus>): WorkerStatus {
  return {
    worker_id: 'w', friend_name: 'f', state: 'alive', version: '0.1.0', last_ping_at: '2025-01-01T00:00:00.000Z',
    collected: 0, uploaded_items: 0, spool_backlog: 0, rate_limited: 0, leases: [], ...over,
  };
}

test('coverage splits the target range into scanned, in progress, waiting and unassigned parts that add up', () => {
  assert.deepEqual(coverage(log({ handed_out_to: 59, scanned: 30, resume_waiting: 1, resume_waiting_entries: 10 })), {
    total: 100, done: 30, running: 20, waiting: 10, unassigned: 40,
  });
  assert.deepEqual(coverage(log({ handed_out_to: -1 })), { total: 100, done: 0, running: 0, waiting: 0, unassigned: 100 });
  assert.deepEqual(coverage(log({ handed_out_to: 99, scanned: 100 })), { total: 100, done: 100, running: 0, waiting: 0, unassigned: 0 });
  assert.equal(coverage(log({ target_end: null })).total, 0, 'a log without a plan has nothing to cover');
  const odd = coverage(log({ handed_out_to: 500, scanned: 120, resume_waiting: 1, resume_waiting_entries: 50 }));
  assert.equal(odd.done + odd.running + odd.waiting + odd.unassigned, odd.total, 'counters beyond the range are clamped');
});

test('categories keep the mission order, unknown ones follow alphabetically; groups sum their logs', () => {
  assert.deepEqual(categoryOrder(['zeta', 'trustasia', 'google', 'alpha', 'google']), ['google', 'trustasia', 'alpha', 'zeta']);
  const groups = groupByCategory(
    [
      log({ name: 'b', category: 'digicert', certificates: 3, rate: 1, scanned: 10, handed_out_to: 19 }),
      log({ name: 'a', category: 'digicert', certificates: 4, rate: 2, available: false }),
      log({ name: 'g', category: 'google', certificates: 1 }),
    ],
    [{ category: 'digicert', target_entries: 200, remaining_entries: 190, rate: 3, rate_last_hour: 2, eta_s: 63 }],
  );
  assert.deepEqual(groups.map((g) => g.category), ['google', 'digicert']);
  const d = groups[1]!;
  assert.deepEqual(d.logs.map((l) => l.name), ['a', 'b']);
  assert.equal(d.certificates, 7);
  assert.deepEqual(d.rates, { rate: 3, rate_last_hour: 2, eta_s: 63 }, "the manager's figures for the category");
  assert.deepEqual(groups[0]!.rates, { rate: 0, rate_last_hour: 0, eta_s: null }, 'a category the manager did not list');
  assert.equal(d.available, 1);
  assert.deepEqual(d.coverage, { total: 200, done: 10, running: 10, waiting: 0, unassigned: 180 });
});

test('lease progress counts the confirmed part of the inclusive range', () => {
  const lease = { lease_id: 1, log_name: 'l', category: 'google', start: 100, end: 199, confirmed: 99, state: 'running', rate: 0 };
  assert.equal(leaseProgress(lease), 0);
  assert.equal(leaseProgress({ ...lease, confirmed: 149 }), 0.5);
  assert.equal(leaseProgress({ ...lease, confirmed: 199 }), 1);
});

test('ping age is measured on the manager clock plus the time since the answer arrived', () => {
  const w = worker({ last_ping_at: '2025-01-01T00:00:00.000Z' });
  assert.equal(pingAgeSeconds(w, '2025-01-01T00:00:30.000Z', 2000), 32);
  assert.ok(Number.isNaN(pingAgeSeconds(worker({ last_ping_at: 'garbage' }), '2025-01-01T00:00:30.000Z', 0)));
});

test('dead workers come first; friends are ranked by what they collected', () => {
  const ws = [
    worker({ worker_id: 'a', friend_name: 'x', collected: 5 }),
    worker({ worker_id: 'b', friend_name: 'y', state: 'dead', collected: 1 }),
    worker({ worker_id: 'c', friend_name: 'x', state: 'stopped', collected: 7 }),
    worker({ worker_id: 'd', friend_name: 'z', collected: 9 }),
  ];
  assert.deepEqual(sortWorkers(ws).map((w) => w.worker_id), ['b', 'd', 'a', 'c']);
  assert.deepEqual(
    friendRanking(ws).map((r) => [r.friend, r.workers, r.alive, r.collected]),
    [['x', 2, 1, 12], ['z', 1, 1, 9], ['y', 1, 0, 1]],
  );
});

test('overview and daily pivot follow the status answer', () => {
  const status: StatusResponse = {
    generated_at: '2025-01-01T00:00:00.000Z',
    planning: { mode: 'fraction', fraction: 1 / 31, window: null, window_widened_hours: 0, assignment_size: 100000 },
    totals: {
      logs: 2, logs_available: 2, certificates: 5, sightings: 8, target_entries: 1000, scanned_entries: 400,
      workers_alive: 1, workers_dead: 0, workers_stopped: 0, remaining_entries: 600, rate: 10, rate_last_hour: 8, eta_s: 60,
    },
    rate_windows: { now_s: 300, last_hour_s: 3600 },
    categories: [],
    logs: [log({ name: 'b', category: 'cloudflare' }), log({ name: 'a', category: 'google' })],
    daily: [
      { log_name: 'b', day: '2025-01-02', sightings: 2, certificates: 1 },
      { log_name: 'a', day: '2025-01-02', sightings: 3, certificates: 0 },
      { log_name: 'b', day: '2025-01-01', sightings: 1, certificates: 1 },
    ],
    workers: [],
  };
  const o = overview(status);
  assert.equal(o.jpShare, 8 / 400);
  assert.equal(o.progress, 0.4);
  assert.equal(o.eta, 60);
  const p = dailyPivot(status, 'sightings');
  assert.deepEqual(p.days, ['2025-01-01', '2025-01-02']);
  assert.deepEqual(p.logs, ['a', 'b'], 'google before cloudflare');
  assert.deepEqual(p.values, [[0, 3], [1, 2]]);
  assert.deepEqual(p.dayTotals, [1, 5]);
  assert.deepEqual(dailyPivot(status, 'certificates').logs, ['b'], 'a log without counts for the metric is left out');
});
