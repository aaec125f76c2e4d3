import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlagEvidence, LogAudit, LogStatus, StatusResponse, WorkerStatus } from '../../src/share/api/index.js';
import {
  auditFactText,
  auditFacts,
  categoryOrder,
  clearCommands,
  coverage,
  dailyPivot,
  describeEvidence,
  friendRanking,
  groupByCategory,
  leaseProgress,
  overview,
  pingAgeSeconds,
  sortWorkers,
} from '../../src/manager-ui/app/derive.js';
import { translator } from '../../src/manager-ui/app/i18n.js';

function log(over: Partial<LogStatus>): LogStatus {
  return {
    name: 'l', category: 'google', url: 'https://log.example/l/', api: 'rfc6962', data_tiles: false, available: true, shut_down: false, read_from: 'origin', read_url: null, last_error: null, checked_at: null,
    tree_size: 3100, target_start: 0, target_end: 99, target_mode: 'fraction', target_note: null,
    handed_out_to: -1, scanned: 0, certificates: 0, sightings: 0, rate: 0, rate_last_hour: 0, eta_s: null, stalled_leases: [], resume_waiting: 0, resume_waiting_entries: 0, verified: 0, verification_failures: 0,
    audit: { audited_entries: 0, rescanned_entries: 0, twice_share: 0, pending_audits: 0, waiting_for_friend: 0, confirmed_audits: 0, disputes: 0, disputes_settled: 0, disputes_unresolved: 0, unproven_ranges: 0, unproven_entries: 0, given_up: [], quarantined_certificates: 0, quarantined_sightings: 0 },
    ...over,
  };
}

function worker(over: Partial<WorkerStatus>): WorkerStatus {
  return {
    worker_id: 'w', friend_name: 'f', state: 'alive', version: '0.1.0', last_ping_at: '2025-01-01T00:00:00.000Z',
    collected: 0, uploaded_items: 0, spool_backlog: 0, rate_limited: 0, leases: [], flagged: null, ...over,
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

test('flagged workers come first, then dead ones; friends are ranked by what they collected', () => {
  const ws = [
    worker({ worker_id: 'a', friend_name: 'x', collected: 5 }),
    worker({ worker_id: 'b', friend_name: 'y', state: 'dead', collected: 1 }),
    worker({ worker_id: 'c', friend_name: 'x', state: 'stopped', collected: 7 }),
    worker({ worker_id: 'd', friend_name: 'z', collected: 9 }),
  ];
  assert.deepEqual(sortWorkers(ws).map((w) => w.worker_id), ['b', 'd', 'a', 'c']);
  const flag = { at: '2026-01-10T00:00:00.000Z', reason: 'r', evidence: [], quarantined_sightings: 0 };
  assert.deepEqual(sortWorkers([...ws, worker({ worker_id: 'e', friend_name: 'm', state: 'stopped', flagged: flag })]).map((w) => w.worker_id), ['e', 'b', 'd', 'a', 'c']);
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
      workers_alive: 1, workers_dead: 0, workers_stopped: 0, quarantined_certificates: 0, quarantined_sightings: 0, workers_flagged: 0, remaining_entries: 600, rate: 10, rate_last_hour: 8, eta_s: 60,
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
  assert.deepEqual([o.workersFlagged, o.quarantinedCertificates, o.quarantinedSightings], [0, 0, 0]);
  assert.deepEqual(
    (({ workersFlagged, quarantinedCertificates, quarantinedSightings }) => [workersFlagged, quarantinedCertificates, quarantinedSightings])(
      overview({ ...status, totals: { ...status.totals, workers_flagged: 1, quarantined_certificates: 2, quarantined_sightings: 3 } }),
    ),
    [1, 2, 3],
  );
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

const en = translator('en');
const ja = translator('ja');
const quiet = log({}).audit;

test("a log's audit facts: none for a quiet log; the others in an audit's order, only when not zero", () => {
  assert.deepEqual(auditFacts(quiet), []);
  const busy: LogAudit = {
    ...quiet,
    pending_audits: 2,
    waiting_for_friend: 1,
    disputes: 1,
    disputes_unresolved: 0,
    unproven_ranges: 3,
    unproven_entries: 300_000,
    given_up: [{ start: 0, end: 99, reason: '3 second scans ended without a verified proof (last: failed: x)' }],
    quarantined_certificates: 4,
    quarantined_sightings: 5,
  };
  const facts = auditFacts(busy);
  assert.deepEqual(
    facts.map((f) => [f.key, f.count, f.tone]),
    [
      ['pending', 2, 'muted'],
      ['waitingForFriend', 1, 'attention'],
      ['disputes', 1, 'attention'],
      ['unproven', 3, 'attention'],
      ['givenUp', 1, 'bad'],
      ['quarantined', 4, 'bad'],
    ],
  );
  assert.deepEqual(
    facts.map((f) => auditFactText(f, 'en', en)),
    ['audits pending: 2', 'waiting for another friend: 1', 'open disputes: 1', 'ranges not proven yet: 3 (300,000 entries)', 'ranges given up: 1', 'certificates in quarantine: 4 (5 .jp entries)'],
  );
  assert.equal(auditFactText(facts[3]!, 'ja', ja), '未証明の範囲 3 件（300,000 エントリ）');
  assert.equal(auditFactText(facts[5]!, 'ja', ja), '隔離中の証明書 4 件（.jp エントリ 5 件）');

  // The manager lists at most 20 given-up ranges: 20 may be more.
  const many = auditFacts({ ...quiet, given_up: Array.from({ length: 20 }, (_, i) => ({ start: i * 10, end: i * 10 + 9, reason: 'r' })) });
  assert.equal(auditFactText(many[0]!, 'en', en), 'ranges given up: 20+');
  // Quarantined leaves without a certificate row (unparsable) still show.
  assert.deepEqual(
    auditFacts({ ...quiet, quarantined_sightings: 2 }).map((f) => [f.key, f.count, f.detail]),
    [['quarantined', 0, 2]],
  );
  assert.deepEqual(auditFacts({ ...quiet, disputes_unresolved: 1 }).map((f) => f.key), ['unresolved']);
});

const evidence: FlagEvidence = {
  at: '2026-01-10T02:01:00.000Z',
  audit_id: 7,
  log_name: 'argon-test',
  start: 0,
  end: 127,
  lease_id: 11,
  other_lease_ids: [12, 14],
  extra: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1200],
  extra_count: 12,
  missing: [42],
  missing_count: 1,
  verdict: 'verified',
  other_verdicts: ['verified', null],
  tree_heads: [
    { lease_id: 11, worker_id: 'mallory-1', friend_name: 'mallory', verification: 'verified', tree_size: 400, root_hash: 'AAAA' },
    { lease_id: 12, worker_id: 'bob-1', friend_name: 'bob', verification: 'verified', tree_size: 400, root_hash: 'BBBB' },
    { lease_id: 14, worker_id: 'carol-1', friend_name: 'carol', verification: null, tree_size: null, root_hash: null },
  ],
  tree_head_conflict: false,
};

test('evidence in words: the range, what it reported that the others did not, what it missed, the verdicts', () => {
  assert.deepEqual(describeEvidence(evidence, 'en', en), {
    title: 'argon-test, indexes 0–127 (decided 2026-01-10 02:01 UTC)',
    lines: [
      'Entries it reported that the two others did not (or with other contents): 12, at indexes 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more',
      'Entries the two others reported that it missed: 1, at indexes 42',
      'Its proof verdict: verified; the others: verified, none',
      'Its lease 11; the others: leases 12, 14 (audit 7)',
    ],
  });
  const inJa = describeEvidence(evidence, 'ja', ja);
  assert.equal(inJa.title, 'argon-test のインデックス 0–127（2026-01-10 02:01 UTC に判定）');
  assert.equal(inJa.lines[1], '他の 2 人が報告したエントリを 1 件見落とし：インデックス 42');
  assert.equal(inJa.lines[2], '証明の判定：このワーカーは 証明成功、他は 証明成功, 判定なし');
});

test('evidence in words: the same entries but conflicting tree heads lists every head', () => {
  const e = { ...evidence, extra: [], extra_count: 0, missing: [], missing_count: 0, tree_head_conflict: true, other_verdicts: ['verified', 'failed'] };
  const { lines } = describeEvidence(e, 'en', en);
  assert.deepEqual(lines, [
    'It reported the same entries as the two others.',
    'Its proof verdict: verified; the others: verified, failed',
    "Conflicting tree heads: the same tree size with different root hashes (they cannot both be the log's)",
    'mallory (mallory-1, lease 11): tree size 400, root AAAA',
    'bob (bob-1, lease 12): tree size 400, root BBBB',
    'carol (carol-1, lease 14): tree size –, root –',
    'Its lease 11; the others: leases 12, 14 (audit 7)',
  ]);
});

test("the operator's commands address the manager the page came from, at the API's clear path, safe to paste", () => {
  const c = clearCommands('mallory-1', 'http://127.0.0.1:8080/#/');
  assert.equal(c.clear, `curl -X POST -H "Authorization: Bearer $CTJP_ADMIN_TOKEN" -H 'content-type: application/json' -d '{}' 'http://127.0.0.1:8080/api/v1/admin/workers/mallory-1/clear'`);
  assert.equal(c.remove, `curl -X POST -H "Authorization: Bearer $CTJP_ADMIN_TOKEN" -H 'content-type: application/json' -d '{"delete":true}' 'http://127.0.0.1:8080/api/v1/admin/workers/mallory-1/clear'`);
  // Behind a proxy path, through the same path.
  assert.match(clearCommands('w', 'https://ct.example/ctjp/index.html').clear, / 'https:\/\/ct\.example\/ctjp\/api\/v1\/admin\/workers\/w\/clear'$/);
  // Ids the API would never take are still harmless: encoded, never a path segment resolved away, never out of the quotes.
  assert.match(clearCommands('..', 'http://m/').clear, /'http:\/\/m\/api\/v1\/admin\/workers\/%2E%2E\/clear'$/);
  assert.match(clearCommands("a'; rm -rf ~ #", 'http://m/').clear, /'http:\/\/m\/api\/v1\/admin\/workers\/a%27%3B%20rm%20-rf%20~%20%23\/clear'$/);
});
