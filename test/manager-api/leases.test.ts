import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, withTestManager } from '../helpers/manager.js';
import { ManualClock } from '../../src/manager-api/clock.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { setSetting } from '../../src/manager-api/repositories/settings.js';
import { loadLogCounts } from '../../src/manager-api/repositories/counters.js';
import type { Assignment, InstructionsResponse, StatusResponse } from '../../src/share/api/index.js';

let g: TestLog;
before(async () => {
  g = await startTestLog({ name: 'g1', category: 'google', size: 3000, pageSize: 32 });
});
after(async () => {
  await g.close();
});

const DEAD_AFTER = 120;
const overrides = { targetFraction: parseFraction('1/1'), assignmentSize: 320, deadAfterS: DEAD_AFTER };

async function instruct(app: FastifyInstance, worker: string): Promise<Assignment> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: worker, friend_name: `f-${worker}`, version: '0.1.0' } });
  assert.equal(r.statusCode, 200, r.body);
  const [a] = (r.json() as InstructionsResponse).assignments;
  assert.ok(a, `no assignment for ${worker}`);
  return a;
}

const ping = (app: FastifyInstance, worker: string, leases: { lease_id: number; confirmed: number }[]) =>
  app.inject({ method: 'POST', url: '/api/v1/ping', payload: { worker_id: worker, version: '0.1.0', leases, spool_backlog: 3, rate_limited: 2, collected: 7 } });

async function rangeAndLeases(app: FastifyInstance) {
  return {
    ranges: await app.db.selectFrom('ranges').selectAll().orderBy('id').execute(),
    leases: await app.db.selectFrom('leases').selectAll().orderBy('id').execute(),
  };
}

test('a silent worker is reaped and its range resumes at confirmed + 1; its late ping is refused and changes nothing', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const a = await instruct(app, 'alice');
    assert.deepEqual([a.start, a.end], [0, 319]);
    clock.advance(30_000);
    assert.equal((await ping(app, 'alice', [{ lease_id: a.lease_id, confirmed: 149 }])).statusCode, 200);
    const status = (await app.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    const alice = status.workers.find((w) => w.worker_id === 'alice')!;
    assert.equal(alice.state, 'alive');
    assert.equal(alice.spool_backlog, 3);
    assert.equal(alice.rate_limited, 2);
    assert.deepEqual(
      alice.leases.map((l) => [l.lease_id, l.confirmed]),
      [[a.lease_id, 149]],
    );
    assert.equal(status.logs[0].scanned, 150);
    // 150 entries in 30 s, on the lease, its log and in total.
    assert.deepEqual([alice.leases[0].rate, status.logs[0].rate, status.totals.rate], [5, 5, 5]);

    // Within the grace period after start-up nobody is reaped.
    clock.advance((DEAD_AFTER - 10) * 1000);
    assert.equal(await app.reaper.reapOnce(), 0);
    clock.advance(60_000);
    assert.equal(await app.reaper.reapOnce(), 1);
    const { ranges, leases } = await rangeAndLeases(app);
    assert.equal(leases[0].state, 'expired');
    assert.equal(ranges[0].state, 'resume_waiting');
    assert.equal(ranges[0].resume_from, 150);

    const b = await instruct(app, 'bob');
    assert.deepEqual([b.start, b.end, b.resumed, b.log_name], [150, 319, true, 'g1']);
    // Fresh work continues after the resumed range.
    const c = await instruct(app, 'carol');
    assert.deepEqual([c.start, c.resumed], [320, false]);

    const before = await rangeAndLeases(app);
    const late = await ping(app, 'alice', [{ lease_id: a.lease_id, confirmed: 300 }]);
    assert.equal(late.statusCode, 409);
    assert.deepEqual(late.json().stale_leases, [a.lease_id]);
    assert.deepEqual(await rangeAndLeases(app), before);
    const w = await app.db.selectFrom('workers').select('state').where('worker_uid', '=', 'alice').executeTakeFirstOrThrow();
    assert.equal(w.state, 'dead');
  });
});

test('termination releases leases at once at the reported position; completion lets the next instruction follow', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const a = await instruct(app, 'alice');
    const t = await app.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: 'alice', leases: [{ lease_id: a.lease_id, confirmed: 40 }] } });
    assert.equal(t.statusCode, 200);
    assert.equal(t.json().released, 1);
    const b = await instruct(app, 'bob');
    assert.deepEqual([b.start, b.end, b.resumed], [41, 319, true]);
    const w = await app.db.selectFrom('workers').select('state').where('worker_uid', '=', 'alice').executeTakeFirstOrThrow();
    assert.equal(w.state, 'stopped');

    const done = await app.inject({ method: 'POST', url: '/api/v1/complete', payload: { worker_id: 'bob', lease_id: b.lease_id } });
    assert.equal(done.statusCode, 200);
    const again = await app.inject({ method: 'POST', url: '/api/v1/complete', payload: { worker_id: 'bob', lease_id: b.lease_id } });
    assert.equal(again.statusCode, 409);
    const { ranges } = await rangeAndLeases(app);
    assert.equal(ranges[0].state, 'done');
    const next = await instruct(app, 'bob');
    assert.deepEqual([next.start, next.resumed], [320, false]);
    const [counts] = [...(await loadLogCounts(app.db)).values()];
    assert.equal(counts.scanned, 320);

    // Another worker's lease, a position outside the lease, an unknown worker.
    assert.equal((await ping(app, 'alice', [{ lease_id: next.lease_id, confirmed: 330 }])).statusCode, 409);
    const outside = await ping(app, 'bob', [{ lease_id: next.lease_id, confirmed: 10_000 }]);
    assert.equal(outside.statusCode, 422);
    assert.match(outside.json().message, /outside/);
    assert.equal((await ping(app, 'nobody', [])).statusCode, 404);
    assert.equal((await ping(app, 'nobody', [{ lease_id: next.lease_id, confirmed: 330 }])).statusCode, 404);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/complete', payload: { worker_id: 'nobody', lease_id: next.lease_id } })).statusCode, 404);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/complete', payload: { worker_id: 'bob', lease_id: 999_999 } })).statusCode, 409);
    // Asking again for the same category ends the lease still held there (a restarted worker).
    const again2 = await instruct(app, 'bob');
    assert.deepEqual([again2.start, again2.resumed], [320, true]);
  });
});

test('a manager restart keeps all state; workers silent before the manager went down are reaped at once, others after the grace period', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const first = await env.build({ clock });
    await first.planner.planAll();
    const old = await instruct(first, 'old');
    const recent = await instruct(first, 'recent');
    clock.advance(DEAD_AFTER * 3 * 1000);
    assert.equal((await ping(first, 'recent', [{ lease_id: recent.lease_id, confirmed: recent.start + 9 }])).statusCode, 200);
    // The manager was last seen alive now (its reaper's heartbeat), long after 'old' fell silent.
    await setSetting(first.db, 'manager_heartbeat_at', clock.now().toISOString());
    const statusBefore = (await first.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    await first.close();

    clock.advance(3600 * 1000);
    const second = await env.build({ clock });
    const statusAfter = (await second.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    // Rates, ETAs and silences are of the moment (the clock moved an hour); everything else is kept.
    const kept = (s: StatusResponse) => s.logs.map(({ rate: _r, rate_last_hour: _h, eta_s: _e, stalled_leases: _s, ...rest }) => rest);
    assert.deepEqual(kept(statusAfter), kept(statusBefore));
    assert.deepEqual(statusAfter.workers, statusBefore.workers);
    assert.equal(await second.reaper.reapOnce(), 1);
    const states = await second.db.selectFrom('workers').select(['worker_uid', 'state']).orderBy('worker_uid').execute();
    assert.deepEqual(
      states.map((s) => [s.worker_uid, s.state]),
      [
        ['old', 'dead'],
        ['recent', 'alive'],
      ],
    );
    clock.advance((DEAD_AFTER + 1) * 1000);
    assert.equal(await second.reaper.reapOnce(), 1);
    const next = await instruct(second, 'new');
    assert.deepEqual([next.start, next.resumed], [old.start, true]);
    const next2 = await instruct(second, 'new2');
    assert.deepEqual([next2.start, next2.resumed], [recent.start + 10, true]);
  });
});

test('a worker registers with its friend name and version and gets directives; another friend cannot take its id', async () => {
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build();
    const r = await app.inject({ method: 'POST', url: '/api/v1/workers/register', payload: { worker_id: 'w-1', friend_name: 'alice', version: '0.1.0' } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().state, 'alive');
    assert.equal(r.json().directives.ping_interval_s, 30);
    const other = await app.inject({ method: 'POST', url: '/api/v1/workers/register', payload: { worker_id: 'w-1', friend_name: 'mallory', version: '0.1.0' } });
    assert.equal(other.statusCode, 403);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/workers/register', payload: { worker_id: 'w 1', friend_name: 'alice', version: '0.1.0' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /worker_id must match pattern/);
  });
});

test("a completion carries the worker's verification verdict: kept on the lease, counted per log, bad verdicts refused", async () => {
  await withTestManager([catalogueEntry(g)], overrides, async (env) => {
    const app = await env.build();
    await app.planner.planAll();
    const complete = (lease_id: number, verification: unknown) => app.inject({ method: 'POST', url: '/api/v1/complete', payload: { worker_id: 'carol', lease_id, verification } });
    const tables = () => rangeAndLeases(app);

    const a = await instruct(app, 'carol');
    const before = await tables();
    for (const bad of [{ state: 'sure' }, { state: 'verified', tree_size: -1 }, { state: 'failed', reason: 'x'.repeat(501) }, { state: 'verified', extra: 1 }]) {
      const r = await complete(a.lease_id, bad);
      assert.equal(r.statusCode, 400, JSON.stringify(bad));
      assert.match(r.json().message, /verification/);
    }
    assert.deepEqual(await tables(), before, 'a refused completion changes nothing');

    assert.equal((await complete(a.lease_id, { state: 'verified', tree_size: 3000, signed: true })).statusCode, 200);
    const b = await instruct(app, 'carol');
    assert.equal((await complete(b.lease_id, { state: 'failed', reason: 'the entries 320-639 served do not hash into tree 3000' })).statusCode, 200);
    const c = await instruct(app, 'carol');
    assert.equal((await complete(c.lease_id, { state: 'unverified', reason: 'no proofs' })).statusCode, 200);
    const d = await instruct(app, 'carol');
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/complete', payload: { worker_id: 'carol', lease_id: d.lease_id } })).statusCode, 200);

    const leases = await app.db.selectFrom('leases').select(['id', 'verification', 'verified_tree_size', 'verification_note']).orderBy('id').execute();
    assert.deepEqual(
      leases.map((l) => [l.verification, l.verified_tree_size, l.verification_note]),
      [
        ['verified', 3000, null],
        ['failed', null, 'the entries 320-639 served do not hash into tree 3000'],
        ['unverified', null, 'no proofs'],
        [null, null, null],
      ],
    );
    const status = (await app.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    assert.equal(status.logs[0].verified, 320);
    assert.equal(status.logs[0].verification_failures, 1);
    assert.equal(status.logs[0].scanned, 4 * 320);
  });
});
