// A termination naming another worker's lease is refused (409, the lease named) and changes nothing:
// before, it answered 200 and silently released the caller's own leases.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, withTestManager } from '../helpers/manager.js';
import { ManualClock } from '../../src/manager-api/clock.js';
import { parseFraction } from '../../src/manager-api/config.js';
import type { Assignment, InstructionsResponse } from '../../src/share/api/index.js';

let g: TestLog;
before(async () => {
  g = await startTestLog({ name: 'tf1', category: 'google', size: 3000, pageSize: 32 });
});
after(async () => {
  await g.close();
});

async function instruct(app: FastifyInstance, worker: string): Promise<Assignment> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: worker, friend_name: `f-${worker}`, version: '0.1.0' } });
  assert.equal(r.statusCode, 200, r.body);
  const [a] = (r.json() as InstructionsResponse).assignments;
  assert.ok(a, `no assignment for ${worker}`);
  return a;
}

const snapshot = async (app: FastifyInstance) => ({
  leases: await app.db.selectFrom('leases').selectAll().orderBy('id').execute(),
  ranges: await app.db.selectFrom('ranges').selectAll().orderBy('id').execute(),
  workers: await app.db.selectFrom('workers').select(['worker_uid', 'state', 'last_ping_at']).orderBy('id').execute(),
  coverage: await app.db.selectFrom('coverage').selectAll().orderBy('id').execute(),
});

test("terminate naming another worker's lease answers 409 naming it, and neither worker's leases change", async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager([catalogueEntry(g)], { targetFraction: parseFraction('1/1'), assignmentSize: 320 }, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const a = await instruct(app, 'alice');
    const b = await instruct(app, 'bob');
    clock.advance(10_000);
    const before = await snapshot(app);

    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/terminate',
      payload: { worker_id: 'alice', leases: [{ lease_id: a.lease_id, confirmed: a.start + 9 }, { lease_id: b.lease_id, confirmed: b.start + 9 }] },
    });
    assert.equal(r.statusCode, 409, r.body);
    const body = r.json() as { code: string; message: string; foreign_leases: number[] };
    assert.equal(body.code, 'FOREIGN_LEASE');
    assert.deepEqual(body.foreign_leases, [b.lease_id]);
    assert.match(body.message, new RegExp(`lease ${b.lease_id} belongs to another worker`));
    assert.deepEqual(await snapshot(app), before, 'nothing changed: leases, ranges, workers, coverage');
    const active = before.leases.filter((l) => l.state === 'active').map((l) => l.id);
    assert.deepEqual(active, [a.lease_id, b.lease_id]);

    // Naming only its own lease still works as before.
    const ok = await app.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: 'alice', leases: [{ lease_id: a.lease_id, confirmed: a.start + 9 }] } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().released, 1);
    const bob = await app.db.selectFrom('leases').select('state').where('id', '=', b.lease_id).executeTakeFirstOrThrow();
    assert.equal(bob.state, 'active');
  });
});
