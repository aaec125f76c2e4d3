// Audits, disputes, quarantine and rescans against the real database, through the API: selection
// at hand-out (first hour always, then the audit share), audit leases only for another friend,
// agreement, a lying worker outvoted by two friends and flagged with evidence, its items
// quarantined and counted again once cleared, and failed or unverified ranges rescanned until proven.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, withTestManager } from '../helpers/manager.js';
import { ManualClock } from '../../src/manager-api/clock.js';
import { parseFraction } from '../../src/manager-api/config.js';
import type { Assignment, InstructionsResponse, LeaseVerification, LogStatus, StatusResponse, UploadItem } from '../../src/share/api/index.js';
import { indexesCoveringJp, uploadItem } from '../helpers/uploads.js';

const SIZE = 400;
let g: TestLog;
/** Indexes whose leaf covers a .jp name: the only ones a worker uploads. */
let jp: number[];
before(async () => {
  g = await startTestLog({ name: 'audit-g', category: 'google', size: SIZE, pageSize: 32 });
  jp = indexesCoveringJp(g.leaves);
});
after(async () => {
  await g.close();
});

const overrides = { targetFraction: parseFraction('1/1'), assignmentSize: 128 };
const HOUR = 3_600_000;
const VERIFIED: LeaseVerification = { state: 'verified', tree_size: SIZE, signed: true };

const friendOf = (worker: string): string => worker.replace(/[0-9]+$/, '');

async function register(app: FastifyInstance, worker: string): Promise<void> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/workers/register', payload: { worker_id: worker, friend_name: friendOf(worker), version: '0.1.0' } });
  assert.equal(r.statusCode, 200, r.body);
}

function ask(app: FastifyInstance, worker: string) {
  return app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: worker, friend_name: friendOf(worker), version: '0.1.0' } });
}

async function instruct(app: FastifyInstance, worker: string): Promise<Assignment> {
  const r = await ask(app, worker);
  assert.equal(r.statusCode, 200, r.body);
  const [a] = (r.json() as InstructionsResponse).assignments;
  assert.ok(a, `no assignment for ${worker}`);
  return a;
}

/** Upload the .jp leaves of the lease's range (or these indexes), with some leaves replaced. */
function upload(app: FastifyInstance, worker: string, a: Assignment, indexes = jp.filter((i) => i >= a.start && i <= a.end), leaves: Map<number, Buffer> = new Map()) {
  const items: UploadItem[] = indexes.map((index) => uploadItem(g, a.lease_id, index, leaves.get(index) ?? g.leaves[index], friendOf(worker)));
  return app.inject({ method: 'POST', url: '/api/v1/certificates', payload: items });
}

/** Upload the lease's finds and complete it with this verdict (null: none, as an older worker). */
async function scan(app: FastifyInstance, worker: string, a: Assignment, verification: LeaseVerification | null = VERIFIED, indexes?: number[], leaves?: Map<number, Buffer>): Promise<void> {
  const finds = indexes ?? jp.filter((i) => i >= a.start && i <= a.end);
  // A range without .jp entries uploads nothing.
  if (finds.length > 0) {
    const u = await upload(app, worker, a, finds, leaves);
    assert.equal(u.statusCode, 200, u.body);
  }
  const c = await app.inject({ method: 'POST', url: '/api/v1/complete', payload: { worker_id: worker, lease_id: a.lease_id, ...(verification ? { verification } : {}) } });
  assert.equal(c.statusCode, 200, c.body);
}

/** The status totals are the rows outside quarantine, and the daily counts add up to them. */
async function assertTotalsCountRowsInGoodStanding(app: FastifyInstance, s: StatusResponse): Promise<void> {
  const count = async (table: 'sightings' | 'certificates', quarantined: number) =>
    Number((await app.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('quarantined', '=', quarantined).executeTakeFirstOrThrow()).n);
  assert.deepEqual(
    [s.totals.sightings, s.totals.certificates, s.totals.quarantined_sightings, s.totals.quarantined_certificates],
    [await count('sightings', 0), await count('certificates', 0), await count('sightings', 1), await count('certificates', 1)],
  );
  assert.equal(
    s.daily.reduce((n, d) => n + d.sightings, 0),
    s.totals.sightings,
  );
  assert.equal(
    s.daily.reduce((n, d) => n + d.certificates, 0),
    s.totals.certificates,
  );
}

let days = 400;
async function status(app: FastifyInstance): Promise<StatusResponse> {
  // The route caches one answer per `days` for a second: ask for other days each time.
  const r = await app.inject({ method: 'GET', url: `/api/v1/status?days=${days++}` });
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as StatusResponse;
}

const logOf = (s: StatusResponse): LogStatus => s.logs.find((l) => l.name === g.name)!;

async function lease(app: FastifyInstance, id: number) {
  return app.db.selectFrom('leases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

const reports = async (app: FastifyInstance, leaseId: number) =>
  (await app.db.selectFrom('lease_reports').select('leaf_index').where('lease_id', '=', leaseId).orderBy('leaf_index').execute()).map((r) => Number(r.leaf_index));

test('selection at hand-out: every lease of a worker in its first hour, afterwards the audit share; only selected leases record their reports', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    app.work.auditShare = 0;
    const first = await instruct(app, 'alice1');
    assert.equal((await lease(app, first.lease_id)).audited, 1, 'first hour: audited whatever the share');
    await scan(app, 'alice1', first);
    assert.deepEqual(
      await reports(app, first.lease_id),
      jp.filter((i) => i <= first.end),
    );

    clock.advance(HOUR + 1000);
    const second = await instruct(app, 'alice1');
    assert.deepEqual([(await lease(app, second.lease_id)).audited, (await lease(app, second.lease_id)).compared], [0, 0], 'after the first hour, share 0: never');
    await scan(app, 'alice1', second);
    assert.deepEqual(await reports(app, second.lease_id), [], 'an unselected lease records nothing');

    app.work.auditShare = 1;
    const third = await instruct(app, 'alice1');
    assert.equal((await lease(app, third.lease_id)).audited, 1, 'share 1: always');

    app.work.auditShare = 0.5;
    app.work.random = () => 0.49;
    const fourth = await instruct(app, 'alice1');
    assert.equal((await lease(app, fourth.lease_id)).audited, 1);
    app.work.random = () => 0.5;
    await app.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: 'alice1', leases: [] } });
    const fifth = await instruct(app, 'alice1');
    assert.equal((await lease(app, fifth.lease_id)).audited, 0);
    // The worker is never told: the assignments look alike.
    assert.deepEqual(Object.keys(third).sort(), Object.keys(fifth).sort());
  });
});

test('an audit lease goes only to a worker of another friend; two scans that agree confirm the range', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const a = await instruct(app, 'alice1');
    assert.deepEqual([a.start, a.end], [0, 127]);
    await scan(app, 'alice1', a);
    let s = await status(app);
    assert.deepEqual([logOf(s).audit.pending_audits, logOf(s).audit.waiting_for_friend], [1, 1], 'only alice works: the audit waits for another friend');
    const counted = [s.totals.certificates, s.totals.sightings];

    // Another worker of the same friend, and alice herself, get fresh work, never the audit.
    const mine = await instruct(app, 'alice2');
    assert.deepEqual([mine.start, mine.resumed], [128, false]);
    const again = await instruct(app, 'alice1');
    assert.deepEqual([again.start, again.resumed], [256, false]);

    // Bob, another friend: the audit comes before fresh work, sent as a resumed range.
    const b = await instruct(app, 'bob1');
    assert.deepEqual([b.start, b.end, b.resumed], [0, 127, true]);
    assert.equal((await lease(app, b.lease_id)).kind, 'audit');
    s = await status(app);
    assert.deepEqual([logOf(s).audit.pending_audits, logOf(s).audit.waiting_for_friend], [1, 0]);
    // Pings of a second scan move its lease, not the log's scanned entries.
    const scannedBefore = logOf(s).scanned;
    const p = await app.inject({ method: 'POST', url: '/api/v1/ping', payload: { worker_id: 'bob1', version: '0.1.0', leases: [{ lease_id: b.lease_id, confirmed: 63 }] } });
    assert.equal(p.statusCode, 200, p.body);
    assert.equal(logOf(await status(app)).scanned, scannedBefore);

    await scan(app, 'bob1', b, { ...VERIFIED, tree_size: SIZE });
    s = await status(app);
    const audit = logOf(s).audit;
    assert.deepEqual([audit.pending_audits, audit.confirmed_audits, audit.disputes, audit.audited_entries], [0, 1, 0, 128]);
    assert.equal(audit.twice_share, 128 / logOf(s).scanned);
    assert.deepEqual([s.totals.certificates, s.totals.sightings], counted, "the audit's items were all stored already");
    const row = await app.db.selectFrom('audits').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([row.state, row.proven], ['confirmed', 1]);
    assert.ok(s.workers.every((w) => w.flagged === null));
  });
});

test('a disagreement is decided by a third friend: the liar is flagged with evidence, refused work, its unconfirmed items quarantined until cleared', async () => {
  const T0 = Date.UTC(2026, 0, 10);
  const clock = new ManualClock(T0);
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    // Mallory registered two hours ago: past her first hour, only the share selects her leases.
    await register(app, 'mallory1');
    clock.advance(2 * HOUR);

    // Her first range is selected. She drops one .jp entry and makes one up: at an index that holds
    // no .jp entry she puts a .jp leaf from further on in the log (a certificate the range does not hold).
    app.work.auditShare = 1;
    const m = await instruct(app, 'mallory1');
    assert.deepEqual([m.start, m.end], [0, 127]);
    const inRange = jp.filter((i) => i <= 127);
    const dropped = inRange[3];
    const madeUp = [...Array(128).keys()].find((i) => !jp.includes(i))!;
    const source = jp.find((i) => i >= 128 && i < 163)!;
    const lies = new Map([[madeUp, g.leaves[source]]]);
    const told = [...inRange.filter((i) => i !== dropped), madeUp].sort((x, y) => x - y);
    await scan(app, 'mallory1', m, VERIFIED, told, lies);

    // Her second range is not selected; she scans it honestly.
    app.work.auditShare = 0;
    const m2 = await instruct(app, 'mallory1');
    assert.deepEqual([m2.start, m2.end], [128, 255]);
    await scan(app, 'mallory1', m2);
    const beforeDispute = await status(app);

    // Bob audits (first hour: his own leases would be audited too, but a second scan is not).
    const b = await instruct(app, 'bob1');
    assert.deepEqual([b.start, b.end], [0, 127]);
    await scan(app, 'bob1', b);
    let s = await status(app);
    assert.deepEqual([logOf(s).audit.disputes, logOf(s).audit.pending_audits], [1, 0]);
    assert.equal(s.totals.sightings, beforeDispute.totals.sightings + 1, 'the entry she dropped is stored from the audit');

    // Neither of the two may scan it a third time.
    const bNext = await instruct(app, 'bob1');
    assert.deepEqual([bNext.start, bNext.resumed], [256, false]);
    const mNext = await instruct(app, 'mallory1');
    assert.equal(mNext.start, 384);

    const c = await instruct(app, 'carol1');
    assert.deepEqual([c.start, c.end, c.resumed], [0, 127, true]);
    clock.advance(60_000);
    await scan(app, 'carol1', c);

    s = await status(app);
    const mallory = s.workers.find((w) => w.worker_id === 'mallory1')!;
    assert.ok(mallory.flagged, 'mallory is flagged');
    assert.equal(mallory.flagged.at, new Date(T0 + 2 * HOUR + 60_000).toISOString());
    assert.match(mallory.flagged.reason, /disagrees with leases/);
    const [e] = mallory.flagged.evidence;
    assert.deepEqual(
      { log: e.log_name, range: [e.start, e.end], lease: e.lease_id, others: e.other_lease_ids, extra: e.extra, missing: e.missing, counts: [e.extra_count, e.missing_count] },
      { log: g.name, range: [0, 127], lease: m.lease_id, others: [b.lease_id, c.lease_id], extra: [madeUp], missing: [dropped], counts: [1, 1] },
    );
    assert.deepEqual([e.verdict, e.other_verdicts, e.tree_head_conflict], ['verified', ['verified', 'verified'], false]);
    assert.deepEqual(
      e.tree_heads.map((h) => [h.lease_id, h.friend_name, h.tree_size]),
      [
        [m.lease_id, 'mallory', SIZE],
        [b.lease_id, 'bob', SIZE],
        [c.lease_id, 'carol', SIZE],
      ],
    );
    for (const w of s.workers.filter((x) => x.worker_id !== 'mallory1')) assert.equal(w.flagged, null);
    assert.equal(s.totals.workers_flagged, 1);
    assert.equal(logOf(s).audit.disputes_settled, 1);

    // Quarantined: the made-up sighting and its certificate, and everything of her second range,
    // which no other friend has confirmed yet. Left out of the totals and the daily counts.
    const secondRange = jp.filter((i) => i >= 128 && i <= 255);
    assert.equal(logOf(s).audit.quarantined_sightings, 1 + secondRange.length);
    assert.equal(s.totals.quarantined_sightings, 1 + secondRange.length);
    assert.ok(logOf(s).audit.quarantined_certificates >= 1);
    assert.equal(s.totals.sightings, beforeDispute.totals.sightings + 1 - (1 + secondRange.length));
    await assertTotalsCountRowsInGoodStanding(app, s);
    const quarantined = await app.db.selectFrom('sightings').select('leaf_index').where('quarantined', '=', 1).where('leaf_index', '<', 128).execute();
    assert.deepEqual(
      quarantined.map((q) => Number(q.leaf_index)),
      [madeUp],
    );
    assert.equal((await app.db.selectFrom('leases').select('state').where('id', '=', mNext.lease_id).executeTakeFirstOrThrow()).state, 'released', 'her active lease is taken back');

    // No more work for her, nor uploads.
    const refused = await ask(app, 'mallory1');
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().code, 'WORKER_FLAGGED');
    const late = await upload(app, 'mallory1', m2);
    assert.equal(late.statusCode, 403);
    assert.equal(late.json().code, 'WORKER_FLAGGED');

    // Her second range is rescanned by another friend (after the range her lease left), which confirms its items.
    assert.equal(logOf(s).audit.unproven_ranges, 1);
    const dave = await instruct(app, 'dave1');
    assert.deepEqual([dave.start, dave.end, dave.resumed], [384, 399, true], 'the range her lease left resumes first');
    const d2 = await instruct(app, 'dave2');
    assert.deepEqual([d2.start, d2.end, d2.resumed], [128, 255, true]);
    assert.equal((await lease(app, d2.lease_id)).kind, 'rescan');
    await scan(app, 'dave2', d2);
    s = await status(app);
    assert.deepEqual([logOf(s).audit.quarantined_sightings, logOf(s).audit.unproven_ranges, logOf(s).audit.rescanned_entries], [1, 0, 128]);
    assert.equal(s.totals.sightings, beforeDispute.totals.sightings + 1 - 1);
    // The made-up leaf's certificate is also at an index of the rescanned range: supported there, it counts again.
    assert.equal(logOf(s).audit.quarantined_certificates, 0);
    await assertTotalsCountRowsInGoodStanding(app, s);
    const whileQuarantined = s.totals;

    // The operator clears her: the made-up item counts again (an operator's call), and she gets work.
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/admin/workers/nobody/clear', payload: {} });
    assert.equal(unknown.statusCode, 404);
    const clear = await app.inject({ method: 'POST', url: '/api/v1/admin/workers/mallory1/clear', payload: {} });
    assert.equal(clear.statusCode, 200, clear.body);
    assert.deepEqual(clear.json(), { worker_id: 'mallory1', friend_name: 'mallory', was_flagged: true, released_sightings: 1, released_certificates: 0, deleted_sightings: 0, deleted_certificates: 0 });
    s = await status(app);
    assert.equal(s.workers.find((w) => w.worker_id === 'mallory1')!.flagged, null);
    assert.deepEqual([s.totals.sightings, s.totals.certificates, s.totals.quarantined_sightings, s.totals.quarantined_certificates], [whileQuarantined.sightings + 1, whileQuarantined.certificates, 0, 0]);
    await assertTotalsCountRowsInGoodStanding(app, s);
    assert.equal((await ask(app, 'mallory1')).statusCode, 200);
    const again = await app.inject({ method: 'POST', url: '/api/v1/admin/workers/mallory1/clear' });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().was_flagged, false);
  });
});

test('an operator may delete a cleared liar\'s quarantined items instead; its range is then rescanned', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const m = await instruct(app, 'mallory1');
    const madeUp = [...Array(128).keys()].find((i) => !jp.includes(i))!;
    const source = jp.find((i) => i >= 128 && i < 163)!;
    await scan(app, 'mallory1', m, VERIFIED, [...jp.filter((i) => i <= 127), madeUp].sort((x, y) => x - y), new Map([[madeUp, g.leaves[source]]]));
    await scan(app, 'bob1', await instruct(app, 'bob1'));
    await scan(app, 'carol1', await instruct(app, 'carol1'));
    const flagged = await status(app);
    assert.equal(flagged.totals.workers_flagged, 1);
    assert.deepEqual([flagged.totals.quarantined_sightings, flagged.totals.quarantined_certificates], [1, 1]);

    const r = await app.inject({ method: 'POST', url: '/api/v1/admin/workers/mallory1/clear', payload: { delete: true } });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { worker_id: 'mallory1', friend_name: 'mallory', was_flagged: true, released_sightings: 0, released_certificates: 0, deleted_sightings: 1, deleted_certificates: 1 });
    const s = await status(app);
    assert.deepEqual([s.totals.sightings, s.totals.certificates, s.totals.quarantined_sightings], [flagged.totals.sightings, flagged.totals.certificates, 0]);
    assert.equal(await app.db.selectFrom('sightings').select('id').where('leaf_index', '=', madeUp).executeTakeFirst(), undefined);
    // The range of the deleted item is rescanned; the majority proved it already, so it is not unproven, nor counted again.
    const rescan = await app.db.selectFrom('audits').select(['start_index', 'end_index', 'state', 'proven']).where('kind', '=', 'rescan').execute();
    assert.deepEqual(
      rescan.map((r) => [Number(r.start_index), Number(r.end_index), r.state, r.proven]),
      [[0, 127, 'waiting', 1]],
    );
    assert.equal(logOf(s).audit.unproven_ranges, 0);
    const d = await instruct(app, 'dave1');
    assert.deepEqual([d.start, d.end], [0, 127]);
    await scan(app, 'dave1', d);
    const rescanned = await status(app);
    assert.deepEqual([logOf(rescanned).verified, logOf(rescanned).audit.unproven_ranges, rescanned.totals.sightings], [logOf(s).verified, 0, s.totals.sightings]);
    assert.equal(logOf(s).verified, 128);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/admin/workers/mallory1/clear', payload: { delete: 'yes' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /delete/);
  });
});

test('a failed, unverified or verdict-less lease is rescanned by another worker and counted unproven until a scan is verified', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    app.work.auditShare = 0;
    for (const w of ['alice1', 'alice2', 'bob1', 'carol1']) await register(app, w);
    clock.advance(2 * HOUR);
    await app.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: 'bob1', leases: [] } });
    await app.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: 'carol1', leases: [] } });
    await app.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: 'alice2', leases: [] } });
    const verifiedBefore = 0;

    const a = await instruct(app, 'alice1');
    await scan(app, 'alice1', a, { state: 'failed', reason: 'entries 0-127 do not hash into tree 400' });
    let s = await status(app);
    assert.deepEqual([logOf(s).audit.unproven_ranges, logOf(s).audit.unproven_entries, logOf(s).audit.waiting_for_friend], [1, 128, 1]);
    assert.equal(logOf(s).verified, verifiedBefore);
    // Its own worker never rescans it.
    const a2 = await instruct(app, 'alice1');
    assert.deepEqual([a2.start, a2.resumed], [128, false]);

    // Bob is another friend: he takes it. His scan ends unverified: it waits again.
    const b = await instruct(app, 'bob1');
    assert.deepEqual([b.start, b.end, b.resumed], [0, 127, true]);
    // Alice's other worker gets fresh work.
    const w2 = await instruct(app, 'alice2');
    assert.deepEqual([w2.start, w2.resumed], [256, false]);
    await scan(app, 'bob1', b, { state: 'unverified', reason: 'no proofs' });
    s = await status(app);
    assert.deepEqual([logOf(s).audit.unproven_ranges, logOf(s).audit.rescanned_entries], [1, 128]);
    assert.equal((await app.db.selectFrom('audits').select(['state', 'attempts']).executeTakeFirstOrThrow()).attempts, 1);

    // Alice's next range ends without a verdict: a second rescan.
    await scan(app, 'alice1', a2, null);
    s = await status(app);
    assert.equal(logOf(s).audit.unproven_ranges, 2);

    // Carol proves the first one.
    const c = await instruct(app, 'carol1');
    assert.deepEqual([c.start, c.end], [0, 127]);
    await scan(app, 'carol1', c);
    s = await status(app);
    assert.deepEqual([logOf(s).audit.unproven_ranges, logOf(s).audit.rescanned_entries], [1, 256]);
    assert.equal(logOf(s).verified, 128, 'the range is proven now');

    // Only alice's friend is left alive: her other worker may rescan her range.
    for (const w of ['bob1', 'carol1']) await app.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: w, leases: [] } });
    await app.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: 'alice2', leases: [{ lease_id: w2.lease_id, confirmed: w2.start - 1 }] } });
    const again = await instruct(app, 'alice2');
    assert.deepEqual([again.start, again.end, again.resumed], [256, 383, true], 'resumed work first');
    const re = await instruct(app, 'alice1');
    assert.deepEqual([re.start, re.resumed], [384, false], 'never its own range');
    await scan(app, 'alice2', again);
    const mine = await instruct(app, 'alice2');
    assert.deepEqual([mine.start, mine.end, mine.resumed], [128, 255, true]);
    await scan(app, 'alice2', mine);
    s = await status(app);
    assert.deepEqual([logOf(s).audit.unproven_ranges, logOf(s).audit.given_up], [0, []]);
  });
});

test('a range whose second scans keep ending unverified is given up as unproven, with the reason', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    app.work.auditShare = 0;
    await register(app, 'alice1');
    clock.advance(2 * HOUR);
    await scan(app, 'alice1', await instruct(app, 'alice1'), { state: 'unverified', reason: 'no proofs' });
    for (const w of ['bob1', 'carol1', 'dave1']) {
      const r = await instruct(app, w);
      assert.deepEqual([r.start, r.end], [0, 127], w);
      await scan(app, w, r, { state: 'failed', reason: `${w}: root mismatch` });
    }
    const s = await status(app);
    assert.equal(logOf(s).audit.unproven_ranges, 1);
    assert.deepEqual(logOf(s).audit.given_up, [{ start: 0, end: 127, reason: '3 second scans ended without a verified proof (last: failed: dave1: root mismatch)' }]);
    const next = await instruct(app, 'erin1');
    assert.deepEqual([next.start, next.resumed], [128, false], 'nobody scans it again');
  });
});

test('a scan that lacks items while its worker still has a spool is held, not disputed, and judged again once the uploads arrive', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const a = await instruct(app, 'alice1');
    const finds = jp.filter((i) => i <= a.end);
    // Half of alice's finds are still in her spool when she completes.
    const [sent, spooled] = [finds.slice(0, 10), finds.slice(10)];
    await scan(app, 'alice1', a, VERIFIED, sent);
    const p = await app.inject({ method: 'POST', url: '/api/v1/ping', payload: { worker_id: 'alice1', version: '0.1.0', leases: [], spool_backlog: spooled.length } });
    assert.equal(p.statusCode, 200, p.body);
    await scan(app, 'bob1', await instruct(app, 'bob1'));
    let row = await app.db.selectFrom('audits').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([row.state, row.stage], ['held', 2]);
    assert.match(row.note ?? '', /alice1 still has uploads in its spool/);
    let s = await status(app);
    assert.deepEqual([logOf(s).audit.pending_audits, logOf(s).audit.disputes], [1, 0]);

    // Nothing changes while the spool is not empty; once it is delivered the reaper's pass confirms.
    await app.reaper.reapOnce();
    assert.equal((await app.db.selectFrom('audits').select('state').executeTakeFirstOrThrow()).state, 'held');
    const u = await upload(app, 'alice1', a, spooled);
    assert.equal(u.statusCode, 200, u.body);
    await app.inject({ method: 'POST', url: '/api/v1/ping', payload: { worker_id: 'alice1', version: '0.1.0', leases: [], spool_backlog: 0 } });
    await app.reaper.reapOnce();
    row = await app.db.selectFrom('audits').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([row.state, row.proven], ['confirmed', 1]);
    s = await status(app);
    assert.deepEqual([logOf(s).audit.confirmed_audits, s.totals.workers_flagged], [1, 0]);
  });
});

test('a worker is not told the collection is idle while a second scan may still appear for it: a selected lease of another friend running, or an audit that may turn into a dispute', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const idle = async (worker: string): Promise<boolean> => {
      const r = await ask(app, worker);
      assert.equal(r.statusCode, 200, r.body);
      const res = r.json() as InstructionsResponse;
      assert.deepEqual(res.assignments, [], `${worker} gets nothing now`);
      return res.idle;
    };
    // Alice scans every range; the last one is still running. Bob audits the three she completed.
    const ranges: Assignment[] = [];
    for (let i = 0; i < 4; i++) {
      ranges.push(await instruct(app, 'alice1'));
      if (i < 3) await scan(app, 'alice1', ranges[i]);
    }
    assert.deepEqual(ranges[3].end, SIZE - 1);
    for (let i = 0; i < 3; i++) {
      const b = await instruct(app, 'bob1');
      assert.deepEqual([b.start, b.end], [ranges[i].start, ranges[i].end]);
      await scan(app, 'bob1', b);
    }
    // Nothing waits for bob now, but alice's running lease is selected for audit: its audit will need him.
    assert.equal(await idle('bob1'), false, 'an audit will need bob once alice completes');
    assert.equal(await idle('alice2'), true, "alice's own friend never audits her");

    await scan(app, 'alice1', ranges[3]);
    const b = await instruct(app, 'bob1');
    assert.deepEqual([b.start, b.end], [ranges[3].start, ranges[3].end]);
    // While bob's second scan runs, it may disagree: then a third friend decides. Not alice's friend, not bob's.
    assert.equal(await idle('carol1'), false, 'carol may be the third friend of a dispute');
    assert.equal(await idle('alice1'), true);
    assert.equal(await idle('bob2'), true);
    await scan(app, 'bob1', b);
    assert.equal(await idle('carol1'), true, 'the audit is confirmed: nothing more can appear');
    assert.deepEqual(logOf(await status(app)).audit.confirmed_audits, 4);
  });
});

test('a worker flagged in the middle of a lease: the part it confirmed is rescanned, and so are the items it uploaded past it; both are released once confirmed, and counted once', async () => {
  const T0 = Date.UTC(2026, 0, 10);
  const clock = new ManualClock(T0);
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    for (const w of ['mallory1', 'dave1']) await register(app, w);
    clock.advance(2 * HOUR);

    // Her first range is audited; she lies in it. Her second is not: she uploads all of it but confirms only half when she is caught.
    app.work.auditShare = 1;
    const m = await instruct(app, 'mallory1');
    const dropped = jp.filter((i) => i <= 127)[0];
    const madeUp = [...Array(128).keys()].find((i) => !jp.includes(i))!;
    const source = jp.find((i) => i >= 128 && i < 163)!;
    await scan(app, 'mallory1', m, VERIFIED, [...jp.filter((i) => i <= 127 && i !== dropped), madeUp].sort((x, y) => x - y), new Map([[madeUp, g.leaves[source]]]));
    app.work.auditShare = 0;
    const m2 = await instruct(app, 'mallory1');
    assert.deepEqual([m2.start, m2.end], [128, 255]);
    const u = await upload(app, 'mallory1', m2);
    assert.equal(u.statusCode, 200, u.body);
    const confirmed = 191;
    const p = await app.inject({ method: 'POST', url: '/api/v1/ping', payload: { worker_id: 'mallory1', version: '0.1.0', leases: [{ lease_id: m2.lease_id, confirmed }] } });
    assert.equal(p.statusCode, 200, p.body);
    const past = jp.filter((i) => i > confirmed && i <= 255);
    assert.ok(past.length > 0 && jp.some((i) => i >= 128 && i <= confirmed), 'the test log has .jp entries on both sides');

    await scan(app, 'bob1', await instruct(app, 'bob1'));
    await scan(app, 'carol1', await instruct(app, 'carol1'));
    let s = await status(app);
    assert.equal(s.totals.workers_flagged, 1);
    assert.equal((await lease(app, m2.lease_id)).state, 'released');
    const rescans = await app.db.selectFrom('audits').select(['start_index', 'end_index', 'proven', 'state']).where('kind', '=', 'rescan').orderBy('id').execute();
    assert.deepEqual(
      rescans.map((r) => [Number(r.start_index), Number(r.end_index), r.proven, r.state]),
      [
        [128, confirmed, 0, 'waiting'],
        [confirmed + 1, past[past.length - 1], 1, 'waiting'],
      ],
      'the part she confirmed (unproven), and the indexes past it where her uploads wait in quarantine',
    );
    const inQuarantine = async () => (await app.db.selectFrom('sightings').select('leaf_index').where('quarantined', '=', 1).orderBy('leaf_index').execute()).map((r) => Number(r.leaf_index));
    assert.deepEqual(await inQuarantine(), [madeUp, ...jp.filter((i) => i >= 128 && i <= 255)]);

    // Dave (past his first hour) resumes her range where she left it: a scan, which confirms nothing of hers.
    const d = await instruct(app, 'dave1');
    assert.deepEqual([d.start, d.end, (await lease(app, d.lease_id)).kind], [confirmed + 1, 255, 'scan']);
    await scan(app, 'dave1', d);
    assert.deepEqual(await inQuarantine(), [madeUp, ...jp.filter((i) => i >= 128 && i <= 255)]);
    // The rescans do.
    for (const [start, end] of [
      [128, confirmed],
      [confirmed + 1, past[past.length - 1]],
    ]) {
      const r = await instruct(app, 'dave1');
      assert.deepEqual([r.start, r.end, (await lease(app, r.lease_id)).kind], [start, end, 'rescan']);
      await scan(app, 'dave1', r);
    }
    assert.deepEqual(await inQuarantine(), [madeUp]);
    s = await status(app);
    assert.deepEqual([logOf(s).audit.unproven_ranges, logOf(s).audit.quarantined_sightings], [0, 1]);
    assert.equal(logOf(s).verified, 256, 'every entry of [0, 255] proven, each counted once');
    await assertTotalsCountRowsInGoodStanding(app, s);
  });
});
