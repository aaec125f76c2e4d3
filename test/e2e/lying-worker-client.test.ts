/**
 * The lying volunteer (test/helpers/lying-worker.ts) against today's
 * manager: alone, with its three lies on, over two test CT logs (one RFC
 * 6962, one static-ct-api) and the real manager over MariaDB. The manager
 * takes everything it says: the stored `.jp` set is the logs' true one less
 * the entry it dropped, plus the leaf it fabricated (every other stored leaf
 * hash is the one the log serves), and every lease is completed as verified,
 * the one holding the fabricated leaf included. This is what the audits must
 * catch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { startTestLogs } from '../../tools/testlog/index.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { catalogueEntry, testManagerEnv } from '../helpers/manager.js';
import { runLyingWorker } from '../helpers/lying-worker.js';
import { leaseCoverage, servedLeafHashes } from '../helpers/worker-env.js';
import { waitFor } from '../../tools/fixtures/wait.js';

test('a lying worker alone (drops a .jp entry, fabricates a signed .jp leaf, claims every lease verified): the manager takes all of it', async () => {
  const size = 1500;
  const tl = await startTestLogs({
    seed: 'lying-worker-e2e',
    size,
    jpShare: 0.05,
    logs: ['nimbus-test', { category: 'lets-encrypt', name: 'sycamore-test', api: 'static-ct-api' }],
  });
  const env = await testManagerEnv(tl.logs.map(catalogueEntry), { targetFraction: parseFraction('1/1'), assignmentSize: 500, pingIntervalS: 1 });
  const app = await env.build();
  try {
    await app.planner.planAll();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const liar = runLyingWorker({ managerUrl: url, name: 'mallory', lies: { dropJp: true, fabricate: true, claimVerified: true } });
    // Done when its completed leases cover both logs (or it ended on its own, an error included): a
    // manager that keeps work back for audits by another friend need not ever call the collection idle.
    let ended = false;
    liar.done.then(
      () => (ended = true),
      () => (ended = true),
    );
    await waitFor('the liar to complete every range', () => ended || liar.record.leases.reduce((n, l) => n + l.end - l.start + 1, 0) >= 2 * size);
    const record = await liar.stop();

    // What it says it did: both lies in the first lease it was given, which holds .jp entries.
    const jpIndexes = (log: string) => tl.expected.jp_entries.filter((e) => e.log === log).map((e) => e.index).sort((a, b) => a - b);
    const first = record.leases[0];
    const firstJp = jpIndexes(first.log_name).filter((i) => i >= first.start && i <= first.end);
    assert.ok(firstJp.length > 0, 'the first lease holds .jp entries');
    assert.deepEqual(record.dropped && { log: record.dropped.log_name, index: record.dropped.index, lease: record.dropped.lease_id }, { log: first.log_name, index: firstJp[0], lease: first.lease_id });
    const fab = record.fabricated;
    assert.ok(fab, 'a leaf was fabricated');
    let firstNotJp = first.start;
    while (firstJp.includes(firstNotJp)) firstNotJp++;
    assert.deepEqual({ log: fab.log_name, index: fab.index, lease: fab.lease_id, replaced: fab.replaced }, { log: first.log_name, index: firstNotJp, lease: first.lease_id, replaced: false });
    // Its own proof of that lease fails; it said verified anyway, for every lease.
    assert.equal(first.proof.state, 'failed');
    assert.deepEqual(record.leases.slice(1).map((l) => l.proof.state), record.leases.slice(1).map(() => 'verified'));
    for (const l of record.leases) assert.deepEqual({ state: l.reported.state, tree_size: l.reported.tree_size, signed: l.reported.signed }, { state: 'verified', tree_size: size, signed: true }, `lease ${l.lease_id} reported`);
    assert.equal(record.refused, null);

    // The manager holds exactly the logs' .jp set, less the dropped entry, plus the fabricated leaf.
    const rows = await app.db
      .selectFrom('sightings')
      .innerJoin('logs', 'logs.id', 'sightings.log_id')
      .select(['logs.name as log', 'sightings.leaf_index as idx', 'sightings.leaf_hash as hash', 'sightings.friend_name as friend'])
      .execute();
    assert.equal(rows.length, record.uploaded.length, 'every upload accepted and stored');
    assert.ok(rows.every((r) => r.friend === 'mallory'));
    for (const log of tl.logs) {
      const want = jpIndexes(log.name).filter((i) => !(record.dropped!.log_name === log.name && i === record.dropped!.index));
      if (fab.log_name === log.name) want.push(fab.index);
      const got = rows.filter((r) => r.log === log.name);
      assert.deepEqual(got.map((r) => Number(r.idx)).sort((a, b) => a - b), want.sort((a, b) => a - b), `${log.name}: stored .jp indexes`);
      const served = await servedLeafHashes(log, size);
      const differing = got.filter((r) => r.hash.toString('hex') !== served.get(Number(r.idx))).map((r) => ({ index: Number(r.idx), hash: r.hash.toString('hex') }));
      assert.deepEqual(differing, fab.log_name === log.name ? [{ index: fab.index, hash: fab.leaf_hash }] : [], `${log.name}: stored leaves the log does not serve`);
    }
    const fabricatedCert = await app.db.selectFrom('certificates').select(['jp_names', 'issuer_dn']).where('log_name', '=', fab.log_name).where('leaf_index', '=', fab.index).executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(fabricatedCert.jp_names), [fab.name]);

    // Every lease it held completed as verified at the log's tree size, and together they cover each log once.
    const leases = await app.db
      .selectFrom('leases')
      .innerJoin('workers', 'workers.id', 'leases.worker_id')
      .select(['leases.id', 'leases.state', 'leases.verification', 'leases.verified_tree_size', 'workers.worker_uid'])
      .orderBy('leases.id')
      .execute();
    assert.deepEqual(
      leases.map((l) => ({ id: l.id, state: l.state, verification: l.verification, tree: l.verified_tree_size, worker: l.worker_uid })),
      record.leases.map((l) => ({ id: l.lease_id, state: 'completed', verification: 'verified', tree: size, worker: record.worker_id })).sort((a, b) => a.id - b.id),
    );
    const coverage = await leaseCoverage(app);
    for (const log of tl.logs) {
      const c = coverage.get(log.name) ?? new Map<number, number>();
      const bad = Array.from({ length: size }, (_, i) => i).filter((i) => c.get(i) !== 1);
      assert.deepEqual(bad.slice(0, 10), [], `${log.name}: indexes not covered exactly once`);
    }

    // The log counters say the same: every entry proven, no failure, the sightings counted.
    const counters = await app.db
      .selectFrom('log_counters')
      .innerJoin('logs', 'logs.id', 'log_counters.log_id')
      .select(['logs.name as name', (eb) => eb.fn.sum<number>('log_counters.verified').as('verified'), (eb) => eb.fn.sum<number>('log_counters.verification_failures').as('failures'), (eb) => eb.fn.sum<number>('log_counters.sightings').as('sightings')])
      .groupBy('logs.name')
      .execute();
    for (const log of tl.logs) {
      const c = counters.find((r) => r.name === log.name);
      assert.deepEqual(c && { verified: Number(c.verified), failures: Number(c.failures), sightings: Number(c.sightings) }, { verified: size, failures: 0, sightings: rows.filter((r) => r.log === log.name).length }, `${log.name}: counters`);
    }
  } finally {
    await app.close().catch(() => {});
    await env.cleanup();
    await tl.close();
  }
});
