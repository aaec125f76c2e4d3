/**
 * End to end (issue #14): a lying volunteer among honest ones. Three test CT
 * logs (two RFC 6962, one static-ct-api), the real manager over MariaDB with
 * its background loops, two honest worker processes of two friends, and for
 * a third friend the lying worker (test/helpers/lying-worker.ts) that drops
 * one `.jp` entry, uploads one fabricated `.jp` leaf and completes every
 * lease as verified, its failed proof included. Everyone is in their first
 * hour, so every completed range is scanned again by another friend. At the
 * end: the stored set outside quarantine (rows, status totals, the export)
 * is exactly the logs' `.jp` set, the dropped entry found by an honest audit
 * and the fabricated leaf quarantined; the liar is flagged with evidence
 * naming both and refused work; what it reported that honest scans
 * confirmed is released; no honest worker is flagged, and every index is
 * covered by a verified scan of an honest worker. An operator then clears
 * the liar deleting its quarantined items: the fabricated leaf is gone, the
 * totals do not move, and the rescan of its range finds nothing to add.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startTestLogs } from '../../tools/testlog/index.js';
import { parseFraction } from '../../src/manager-api/config.js';
import type { ExportRecord } from '../../src/analysis/export.js';
import { API_PATHS, type StatusResponse } from '../../src/share/api/index.js';
import { catalogueEntry, testManagerEnv } from '../helpers/manager.js';
import { runLyingWorker, type LiarRecord } from '../helpers/lying-worker.js';
import { leaseCoverage, servedLeafHashes, tempDir } from '../helpers/worker-env.js';
import { exitWithin, isRunning, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { waitFor } from '../../tools/fixtures/wait.js';

const SIZE = 3000;
const ROOT = join(import.meta.dirname, '..', '..');
const VERBOSE = process.env.CTJP_TEST_VERBOSE === '1';

/** An honest worker process; it exits once the manager says no work can appear for it. */
function honest(name: string, url: string, dir: string): WorkerProcess {
  return startWorkerProcess(name, url, dir, ['--exit-when-idle', '--spool-retry-s', '2', '--status-interval-s', '5']);
}

/** Audits still open: a second scan sought, running, or held for a spool. */
async function openAudits(app: FastifyInstance) {
  return app.db.selectFrom('audits').select(['id', 'kind', 'reason', 'state', 'stage', 'log_id', 'start_index', 'end_index', 'note']).where('state', 'in', ['waiting', 'leased', 'held']).orderBy('id').execute();
}

/** Sightings by log name: index → { hex leaf hash, quarantined, friend, certificate id }. */
async function sightings(app: FastifyInstance) {
  const rows = await app.db
    .selectFrom('sightings')
    .innerJoin('logs', 'logs.id', 'sightings.log_id')
    .select(['logs.name as log', 'sightings.leaf_index as idx', 'sightings.leaf_hash as hash', 'sightings.quarantined as q', 'sightings.friend_name as friend', 'sightings.certificate_id as cert'])
    .orderBy('sightings.leaf_index')
    .execute();
  return rows.map((r) => ({ log: r.log, index: Number(r.idx), hash: r.hash.toString('hex'), quarantined: r.q, friend: r.friend, cert: r.cert === null ? null : Number(r.cert) }));
}

test('a lying worker among two honest friends: caught by the audits, flagged with evidence, its fabricated leaf quarantined and, once cleared with delete, gone; exactly the expected .jp set counts', async (t) => {
  const tl = await startTestLogs({
    seed: 'audit-e2e',
    size: SIZE,
    jpShare: 0.03,
    logs: ['nimbus-test', 'argon-test', { category: 'lets-encrypt', name: 'sycamore-test', api: 'static-ct-api' }],
  });
  const env = await testManagerEnv(tl.logs.map(catalogueEntry), { targetFraction: parseFraction('1/1'), assignmentSize: 500, pingIntervalS: 1, reaperIntervalS: 1, deadAfterS: 30 });
  const app = await env.build({ background: true });
  const dirs = await Promise.all([tempDir('ctjp-audit-alice-'), tempDir('ctjp-audit-bob-'), tempDir('ctjp-audit-export-')]);
  const procs: WorkerProcess[] = [];
  let liar: ReturnType<typeof runLyingWorker> | null = null;
  try {
    await app.planner.planAll();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    let days = 400;
    const status = async (): Promise<StatusResponse> => {
      // The route keeps one answer per `days` for a second: ask for other days each time.
      const r = await fetch(`${url}${API_PATHS.status}?days=${days++}`);
      assert.equal(r.status, 200);
      return (await r.json()) as StatusResponse;
    };
    const expected = new Map(tl.logs.map((l) => [l.name, tl.expected.jp_entries.filter((e) => e.log === l.name).map((e) => e.index).sort((a, b) => a - b)]));
    const expectedSerials = tl.expected.certificates.map((c) => c.serial_hex).sort();

    // The liar asks first: its first lease is a fresh range, where it tells its lies.
    // It pauses after each chunk, so that it is usually caught in the middle of a lease it reported progress on.
    liar = runLyingWorker({ managerUrl: url, name: 'mallory', lies: { dropJp: true, fabricate: true, claimVerified: true }, exitWhenIdle: false, idleWaitMs: 250, chunkPauseMs: 200, ...(VERBOSE ? { log: (l: string) => console.log(`[mallory] ${l}`) } : {}) });
    await waitFor('the liar to hold its first leases', async () => (await app.db.selectFrom('leases').select('id').limit(1).execute()).length > 0);
    const alice = honest('alice', url, dirs[0].dir);
    const bob = honest('bob', url, dirs[1].dir);
    procs.push(alice, bob);

    let ended = false;
    const finished = liar.done.finally(() => (ended = true));
    // Awaited below; a failure of the liar is reported there.
    finished.catch(() => {});
    await waitFor(
      'the liar to be refused',
      () => {
        if (!ended && !isRunning(alice) && !isRunning(bob)) throw new Error(`the honest workers exited before the liar was refused:\n${[...alice.out.slice(-15), ...bob.out.slice(-15)].join('\n')}`);
        return ended;
      },
      600_000,
    );
    const record: LiarRecord = await finished;
    for (const p of [alice, bob]) {
      const code = await exitWithin(p, 600_000);
      assert.equal(code, 0, `${p.name} did not finish (code ${code}):\n${p.out.slice(-30).join('\n')}`);
    }
    assert.deepEqual(await openAudits(app), [], 'every audit, dispute and rescan is decided once the honest workers are idle');
    await waitFor('the reaper to release what good sightings support', async () => (await app.db.selectFrom('certificates').select('id').where('quarantined', '=', 1).execute()).length <= 1, 30_000);

    const unfinished = await app.db
      .selectFrom('leases')
      .innerJoin('logs', 'logs.id', 'leases.log_id')
      .select(['leases.id', 'logs.name', 'leases.start_index', 'leases.end_index', 'leases.confirmed', 'leases.state'])
      .where('leases.worker_id', '=', (await app.db.selectFrom('workers').select('id').where('friend_name', '=', 'mallory').executeTakeFirstOrThrow()).id)
      .where('leases.state', '!=', 'completed')
      .execute();
    // Timing decides where the flag caught it; the outcome below is the same either way.
    t.diagnostic(`the liar's leases ended by the flag: ${unfinished.map((l) => `${l.id} ${l.name} [${l.start_index}, ${l.end_index}] confirmed ${l.confirmed}`).join('; ') || 'none'}`);

    // What the liar did: both lies in its first lease; it claimed that lease verified though its own proof failed; then it was refused.
    const lying = record.leases.find((l) => l.lease_id === record.dropped?.lease_id);
    const dropped = record.dropped;
    const fab = record.fabricated;
    assert.ok(dropped && fab && lying, 'the liar dropped an entry and fabricated a leaf in a lease it completed');
    assert.equal(fab.lease_id, dropped.lease_id, 'both lies in one lease');
    assert.equal(fab.replaced, false, 'the fabricated leaf sits at an index that holds no .jp entry');
    assert.deepEqual([lying.proof.state, lying.reported.state], ['failed', 'verified']);
    assert.ok(expected.get(dropped.log_name)!.includes(dropped.index));
    assert.ok(!expected.get(fab.log_name)!.includes(fab.index));
    assert.match(record.refused ?? '', /flagged by an audit/, 'the liar was refused work');

    // The liar is flagged in the status with the evidence; the honest workers are not.
    let s = await status();
    const workersOf = (friend: string) => s.workers.filter((w) => w.friend_name === friend);
    assert.deepEqual(workersOf('mallory').map((w) => w.worker_id), [record.worker_id]);
    const flag = workersOf('mallory')[0].flagged;
    assert.ok(flag, 'the liar is flagged');
    assert.equal(flag.evidence.length, 1, JSON.stringify(flag.evidence));
    const [e] = flag.evidence;
    assert.deepEqual(
      { log: e.log_name, lease: e.lease_id, extra: e.extra, missing: e.missing, counts: [e.extra_count, e.missing_count], verdict: e.verdict, others: e.other_verdicts, conflict: e.tree_head_conflict },
      { log: fab.log_name, lease: fab.lease_id, extra: [fab.index], missing: [dropped.index], counts: [1, 1], verdict: 'verified', others: ['verified', 'verified'], conflict: false },
    );
    assert.deepEqual([e.start, e.end], [lying.start, lying.end]);
    assert.deepEqual(e.tree_heads.map((h) => h.friend_name).sort(), ['alice', 'bob', 'mallory']);
    assert.equal(s.totals.workers_flagged, 1);
    for (const friend of ['alice', 'bob']) {
      assert.ok(workersOf(friend).length > 0);
      for (const w of workersOf(friend)) assert.equal(w.flagged, null, `${w.worker_id} is not flagged`);
    }
    const refused = await fetch(`${url}${API_PATHS.instructions}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ worker_id: record.worker_id, friend_name: 'mallory', version: '0.1.0' }) });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { code: string }).code, 'WORKER_FLAGGED');

    // Stored outside quarantine: exactly the logs' .jp entries, each with the leaf the log serves; the dropped entry from an honest scan.
    const rows = await sightings(app);
    const good = rows.filter((r) => r.quarantined === 0);
    for (const log of tl.logs) {
      const mine = good.filter((r) => r.log === log.name);
      assert.deepEqual(mine.map((r) => r.index), expected.get(log.name), `${log.name}: stored .jp indexes outside quarantine`);
      const served = await servedLeafHashes(log, SIZE);
      assert.deepEqual(mine.filter((r) => r.hash !== served.get(r.index)).map((r) => r.index), [], `${log.name}: stored leaves the log does not serve`);
    }
    const droppedRow = good.find((r) => r.log === dropped.log_name && r.index === dropped.index);
    assert.ok(droppedRow && droppedRow.friend !== 'mallory', 'the dropped entry was stored from an honest scan');

    // Quarantined: exactly the fabricated leaf and its certificate.
    assert.deepEqual(
      rows.filter((r) => r.quarantined === 1).map((r) => ({ log: r.log, index: r.index, hash: r.hash, friend: r.friend })),
      [{ log: fab.log_name, index: fab.index, hash: fab.leaf_hash, friend: 'mallory' }],
    );
    const fabRow = rows.find((r) => r.log === fab.log_name && r.index === fab.index)!;
    const fabCert = await app.db.selectFrom('certificates').select(['id', 'quarantined', 'jp_names']).where('id', '=', fabRow.cert!).executeTakeFirstOrThrow();
    assert.deepEqual([fabCert.quarantined, JSON.parse(fabCert.jp_names)], [1, [fab.name]]);
    const goodCerts = await app.db.selectFrom('certificates').select('serial_hex').where('quarantined', '=', 0).execute();
    assert.deepEqual(goodCerts.map((c) => c.serial_hex).sort(), expectedSerials, 'certificates outside quarantine');

    // Its contributions an honest scan confirmed are released: everything it reported first but the fabricated leaf.
    const released = rows.filter((r) => r.friend === 'mallory' && r.quarantined === 0);
    assert.ok(released.length > 0, 'the liar stored entries first, and they count again');
    const confirmedBy = await app.db
      .selectFrom('lease_reports')
      .innerJoin('leases', 'leases.id', 'lease_reports.lease_id')
      .innerJoin('workers', 'workers.id', 'leases.worker_id')
      .innerJoin('logs', 'logs.id', 'leases.log_id')
      .select(['logs.name as log', 'lease_reports.leaf_index as idx', 'lease_reports.leaf_hash as hash'])
      .where('workers.friend_name', 'in', ['alice', 'bob'])
      .where('leases.state', '=', 'completed')
      .where('leases.verification', '=', 'verified')
      .execute();
    const confirmed = new Set(confirmedBy.map((c) => `${c.log}:${Number(c.idx)}:${c.hash.toString('hex')}`));
    assert.deepEqual(released.filter((r) => !confirmed.has(`${r.log}:${r.index}:${r.hash}`)).map((r) => `${r.log}:${r.index}`), [], 'each released entry was reported alike by a verified honest scan');

    // The status says the same: totals outside quarantine, every audit decided, nothing unproven.
    s = await status();
    assert.deepEqual(
      [s.totals.sightings, s.totals.certificates, s.totals.quarantined_sightings, s.totals.quarantined_certificates],
      [tl.expected.jp_entries.length, tl.expected.certificates.length, 1, 1],
    );
    for (const l of s.logs) {
      const a = l.audit;
      assert.deepEqual(
        { pending: a.pending_audits, disputes: a.disputes, unresolved: a.disputes_unresolved, waiting: a.waiting_for_friend, unproven: a.unproven_ranges, givenUp: a.given_up, scanned: l.scanned, verified: l.verified },
        { pending: 0, disputes: 0, unresolved: 0, waiting: 0, unproven: 0, givenUp: [], scanned: SIZE, verified: SIZE },
        `${l.name}: audit figures`,
      );
      assert.ok(a.confirmed_audits > 0, `${l.name}: audits confirmed`);
    }
    assert.deepEqual(
      s.logs.map((l) => [l.name, l.audit.disputes_settled]).filter(([, n]) => n !== 0),
      [[fab.log_name, 1]],
    );

    // Every target index: scanned once by the ranges' own leases, and covered by a completed, verified scan of an honest worker.
    const coverage = await leaseCoverage(app);
    const honestLeases = await app.db
      .selectFrom('leases')
      .innerJoin('workers', 'workers.id', 'leases.worker_id')
      .innerJoin('logs', 'logs.id', 'leases.log_id')
      .select(['logs.name as log', 'leases.start_index as start', 'leases.end_index as end'])
      .where('workers.friend_name', 'in', ['alice', 'bob'])
      .where('leases.state', '=', 'completed')
      .where('leases.verification', '=', 'verified')
      .execute();
    for (const log of tl.logs) {
      const c = coverage.get(log.name) ?? new Map<number, number>();
      const times = Array.from({ length: SIZE }, (_, i) => i).filter((i) => c.get(i) !== 1);
      assert.deepEqual(times.slice(0, 10), [], `${log.name}: indexes not scanned exactly once by the ranges' own leases`);
      const proven = new Uint8Array(SIZE);
      for (const l of honestLeases.filter((x) => x.log === log.name)) proven.fill(1, Number(l.start), Number(l.end) + 1);
      assert.deepEqual(Array.from({ length: SIZE }, (_, i) => i).filter((i) => proven[i] === 0).slice(0, 10), [], `${log.name}: indexes no verified honest scan covers`);
    }

    // The export (npm run export) holds exactly the expected certificates and sightings, nothing fabricated.
    const exported = await exportFile(env.dbUrl, join(dirs[2].dir, 'certs.ndjson'));
    assert.deepEqual(exported.map((r) => r.serial_hex).sort(), expectedSerials, 'exported certificates');
    assert.deepEqual(
      exported.flatMap((r) => r.sightings.map((x) => `${x.log_name}:${x.leaf_index}`)).sort(),
      tl.expected.jp_entries.map((x) => `${x.log}:${x.index}`).sort(),
      'exported sightings',
    );
    assert.ok(!exported.some((r) => r.san_dns.includes(fab.name)));

    // The operator clears the liar, deleting its quarantined items: the fabricated leaf is gone, the totals unchanged.
    const before = s.totals;
    const clear = await fetch(`${url}${API_PATHS.adminClearWorker.replace(':worker_id', record.worker_id)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delete: true }) });
    assert.equal(clear.status, 200);
    assert.deepEqual(await clear.json(), { worker_id: record.worker_id, friend_name: 'mallory', was_flagged: true, released_sightings: 0, released_certificates: 0, deleted_sightings: 1, deleted_certificates: 1 });
    const gone = async () => {
      assert.equal(await app.db.selectFrom('sightings').innerJoin('logs', 'logs.id', 'sightings.log_id').select('sightings.id').where('logs.name', '=', fab.log_name).where('sightings.leaf_index', '=', fab.index).executeTakeFirst(), undefined);
      assert.equal(await app.db.selectFrom('certificates').select('id').where('id', '=', fabCert.id).executeTakeFirst(), undefined);
    };
    await gone();
    s = await status();
    assert.deepEqual(
      [s.totals.sightings, s.totals.certificates, s.totals.quarantined_sightings, s.totals.quarantined_certificates, s.totals.workers_flagged],
      [before.sightings, before.certificates, 0, 0, 0],
    );
    assert.equal(s.workers.find((w) => w.worker_id === record.worker_id)!.flagged, null);
    // Its range is scanned again (the deleted item's index holds nothing now): an honest worker finds nothing to add.
    assert.deepEqual(
      (await openAudits(app)).map((a) => [a.kind, a.state, Number(a.start_index), Number(a.end_index)]),
      [['rescan', 'waiting', lying.start, lying.end]],
    );
    const again = honest('alice', url, dirs[0].dir);
    procs.push(again);
    const code = await exitWithin(again, 300_000);
    assert.equal(code, 0, `alice did not finish the rescan (code ${code}):\n${again.out.slice(-30).join('\n')}`);
    assert.deepEqual(await openAudits(app), []);
    await gone();
    s = await status();
    assert.deepEqual([s.totals.sightings, s.totals.certificates, s.totals.quarantined_sightings], [before.sightings, before.certificates, 0]);
    for (const l of s.logs) assert.deepEqual([l.verified, l.audit.unproven_ranges], [SIZE, 0], `${l.name}: proven once, counted once`);
    const after = await sightings(app);
    for (const log of tl.logs) assert.deepEqual(after.filter((r) => r.log === log.name).map((r) => r.index), expected.get(log.name), `${log.name}: stored .jp indexes after the clear`);
  } finally {
    await liar?.stop().catch(() => {});
    for (const p of procs) if (isRunning(p)) p.child.kill('SIGKILL');
    await app.close().catch(() => {});
    await env.cleanup();
    await tl.close();
    for (const d of dirs) await d.remove();
  }
});

/** `npm run export` against the test database; its records. */
async function exportFile(dbUrl: string, out: string): Promise<ExportRecord[]> {
  await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'analysis', 'cli', 'export.ts'), '--out', out, '--db', dbUrl], { cwd: ROOT });
  const text = await readFile(out, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ExportRecord);
}
