// Rates and ETAs in the status come from what workers confirmed (coverage ledger), per log, per
// category and overall, over the "now" and "last hour" windows; and a silent worker's leases show
// as stalled until the reaper may declare it dead. Time is the manager's injected clock.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, withTestManager } from '../helpers/manager.js';
import { ManualClock } from '../../src/manager-api/clock.js';
import { parseFraction } from '../../src/manager-api/config.js';
import type { Assignment, InstructionsResponse, LogStatus, StatusResponse } from '../../src/share/api/index.js';

let g: TestLog;
let c: TestLog;
before(async () => {
  g = await startTestLog({ name: 'rate-g', category: 'google', size: 3000, pageSize: 32 });
  c = await startTestLog({ name: 'rate-c', category: 'cloudflare', size: 600, pageSize: 32 });
});
after(async () => {
  await Promise.all([g.close(), c.close()]);
});

async function instruct(app: FastifyInstance, worker: string): Promise<Record<string, Assignment>> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: worker, friend_name: `f-${worker}`, version: '0.1.0' } });
  assert.equal(r.statusCode, 200, r.body);
  return Object.fromEntries((r.json() as InstructionsResponse).assignments.map((a) => [a.category, a]));
}

// The route shares one answer per `days` for a (wall-clock) second; each read asks for other days so the moved clock is seen.
let days = 1;
async function status(app: FastifyInstance): Promise<StatusResponse> {
  const r = await app.inject({ method: 'GET', url: `/api/v1/status?days=${days++}` });
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as StatusResponse;
}

const figures = (x: { rate: number; rate_last_hour: number; eta_s: number | null }) => [x.rate, x.rate_last_hour, x.eta_s];
const byName = (s: StatusResponse, name: string): LogStatus => s.logs.find((l) => l.name === name)!;
const category = (s: StatusResponse, name: string) => s.categories.find((x) => x.category === name)!;

test('rates and ETAs count confirmed entries per log, category and overall; silent workers show as stalled', async () => {
  const T0 = Date.UTC(2026, 0, 10);
  const clock = new ManualClock(T0);
  await withTestManager([catalogueEntry(g), catalogueEntry(c)], { targetFraction: parseFraction('1/1'), assignmentSize: 320, deadAfterS: 120, pingIntervalS: 30 }, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const alice = await instruct(app, 'alice');
    const bob = await instruct(app, 'bob');
    assert.deepEqual([alice.google.start, alice.cloudflare.start, bob.google.start, bob.cloudflare.start], [0, 0, 320, 320]);

    let s = await status(app);
    assert.deepEqual(s.rate_windows, { now_s: 300, last_hour_s: 3600 });
    assert.deepEqual(figures(s.totals), [0, 0, null], 'nothing confirmed: no rate, no ETA');

    // Silent for exactly the ping interval: not stalled yet.
    clock.advance(30_000);
    s = await status(app);
    assert.deepEqual(byName(s, 'rate-g').stalled_leases, []);

    // At 60 s alice confirms 120 google and 60 cloudflare entries; her leases began at 0 s.
    clock.advance(30_000);
    const p = await app.inject({
      method: 'POST',
      url: '/api/v1/ping',
      payload: { worker_id: 'alice', version: '0.1.0', leases: [{ lease_id: alice.google.lease_id, confirmed: 119 }, { lease_id: alice.cloudflare.lease_id, confirmed: 59 }] },
    });
    assert.equal(p.statusCode, 200, p.body);
    s = await status(app);
    assert.deepEqual(figures(byName(s, 'rate-g')), [2, 2, 1440], '120 in 60 s; 2880 left');
    assert.deepEqual(figures(byName(s, 'rate-c')), [1, 1, 540], '60 in 60 s; 540 left');
    assert.deepEqual(figures(category(s, 'google')), [2, 2, 1440]);
    assert.deepEqual(figures(category(s, 'cloudflare')), [1, 1, 540]);
    assert.deepEqual([category(s, 'google').remaining_entries, category(s, 'google').target_entries], [2880, 3000]);
    assert.deepEqual(figures(s.totals), [3, 3, 1140], '3420 left at 3 /s');
    assert.equal(s.totals.remaining_entries, 3420);
    // bob has not pinged for 60 s: his leases wait 60 s more for dead-after (120 s).
    assert.deepEqual(byName(s, 'rate-g').stalled_leases, [{ lease_id: bob.google.lease_id, worker_id: 'bob', friend_name: 'f-bob', silent_s: 60, dead_in_s: 60 }]);
    assert.deepEqual(
      byName(s, 'rate-c').stalled_leases.map((l) => [l.lease_id, l.dead_in_s]),
      [[bob.cloudflare.lease_id, 60]],
    );

    // At 160 s alice completes her google lease: completions count as confirmed too.
    clock.advance(100_000);
    const done = await app.inject({ method: 'POST', url: '/api/v1/complete', payload: { worker_id: 'alice', lease_id: alice.google.lease_id } });
    assert.equal(done.statusCode, 200, done.body);
    s = await status(app);
    assert.deepEqual(figures(byName(s, 'rate-g')), [2, 2, 1340], '320 in 160 s; 2680 left');
    assert.deepEqual(figures(byName(s, 'rate-c')), [60 / 160, 60 / 160, 1440]);
    assert.deepEqual(figures(s.totals), [2 + 60 / 160, 2 + 60 / 160, Math.round(3220 / (2 + 60 / 160))]);
    assert.deepEqual(byName(s, 'rate-g').stalled_leases[0]!.dead_in_s, 0, 'past dead-after: the reaper\'s next pass');

    // At 400 s the "now" window (300 s) holds only the completion; the hour holds everything.
    clock.advance(240_000);
    s = await status(app);
    assert.deepEqual(figures(byName(s, 'rate-g')), [200 / 300, 320 / 400, Math.round(2680 / (200 / 300))]);
    assert.deepEqual(figures(byName(s, 'rate-c')), [0, 60 / 400, null], 'nothing confirmed lately: no ETA');
    assert.deepEqual(figures(category(s, 'cloudflare')), [0, 60 / 400, null]);
    assert.deepEqual(figures(s.totals), [200 / 300, 320 / 400 + 60 / 400, Math.round(3220 / (200 / 300))]);

    // Once the reaper declares bob (and alice, silent since 160 s) dead, no lease is stalled.
    assert.equal(await app.reaper.reapOnce(), 2);
    s = await status(app);
    assert.deepEqual(s.logs.flatMap((l) => l.stalled_leases), []);

    // An hour later nothing was confirmed in either window.
    clock.advance(3_600_000);
    s = await status(app);
    assert.deepEqual(figures(s.totals), [0, 0, null]);
    assert.deepEqual(figures(byName(s, 'rate-g')), [0, 0, null]);
  });
});
