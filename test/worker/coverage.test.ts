/**
 * Issue #15: "a worker terminated mid-range: the confirmed part counts as covered, the rest does
 * not until it is rescanned". Real worker processes against the real manager (MariaDB, HTTP) and
 * a test CT log: one worker is stopped with SIGTERM mid-range, then another finishes the target.
 * Every coverage row's timestamps must be those of the log's own entries at its two ends, read
 * here from the log with get-entries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startTestLogs } from '../../tools/testlog/index.js';
import { parseFraction } from '../../src/manager-api/config.js';
import type { CoverageResponse } from '../../src/share/api/index.js';
import { catalogueEntry, testManagerEnv } from '../helpers/manager.js';
import { tempDir } from '../helpers/worker-env.js';
import { exitWithin, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { waitFor } from '../../tools/fixtures/wait.js';

const DAY = 86_400_000;

/** The CT timestamp of entry i, as the log serves it (MerkleTreeLeaf bytes 2..9). */
async function entryTimestamp(logUrl: string, i: number): Promise<number> {
  const res = await fetch(`${logUrl}ct/v1/get-entries?start=${i}&end=${i}`);
  assert.equal(res.status, 200);
  const { entries } = (await res.json()) as { entries: { leaf_input: string }[] };
  return Number(Buffer.from(entries[0].leaf_input, 'base64').readBigUInt64BE(2));
}

async function coverageRows(app: FastifyInstance) {
  return (await app.db.selectFrom('coverage').selectAll().orderBy('start_index').execute()).map((r) => ({
    lease: Number(r.lease_id),
    start: Number(r.start_index),
    end: Number(r.end_index),
    first: r.first_timestamp === null ? null : Number(r.first_timestamp),
    last: r.last_timestamp === null ? null : Number(r.last_timestamp),
    proven: r.proven === 1,
  }));
}

async function getCoverage(url: string): Promise<CoverageResponse> {
  const res = await fetch(`${url}/api/v1/coverage`);
  assert.equal(res.status, 200);
  return (await res.json()) as CoverageResponse;
}

test('a worker terminated mid-range: the confirmed part counts as covered, the rest only once rescanned; every stretch carries its entries’ timestamps', async () => {
  const tl = await startTestLogs({ seed: 'coverage', size: 3000, logs: [{ category: 'google', name: 'cov-test', pageSize: 32, aligned: true }] });
  const served = tl.logs[0];
  const env = await testManagerEnv([catalogueEntry(served)], { targetFraction: parseFraction('1/1'), assignmentSize: 3000, pingIntervalS: 1 });
  const app = await env.build();
  await app.planner.planAll();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const dirs = await Promise.all([tempDir('ctjp-cov-w1-'), tempDir('ctjp-cov-w2-')]);
  const procs: WorkerProcess[] = [];
  try {
    const ts = new Map<number, number>();
    const timestampAt = async (i: number) => ts.get(i) ?? ts.set(i, await entryTimestamp(served.url, i)).get(i)!;
    /** Every row's timestamps are those of the log's entries at its ends. */
    const checkRowTimestamps = async (rows: Awaited<ReturnType<typeof coverageRows>>) => {
      for (const r of rows) assert.deepEqual([r.start, r.end, r.first, r.last], [r.start, r.end, await timestampAt(r.start), await timestampAt(r.end)], `row ${r.start}-${r.end}`);
    };

    // Paced (128 entries/s), so that the lease is mid-range when the signal comes. Pings every second
    // write stretches as the confirmed position moves; after the first .jp entry (index 87 of this
    // seed) it waits for the first upload, 15 s later, well before the lease's 2,976 entries are read.
    const w1 = startWorkerProcess('w1', url, dirs[0].dir, ['--interval-ms', '250']);
    procs.push(w1);
    await waitFor('two pings of progress past index 300', async () => {
      const rows = await coverageRows(app);
      return rows.length >= 2 && rows[rows.length - 1].end > 300;
    });
    w1.child.kill('SIGTERM');
    assert.equal(await exitWithin(w1, 10_000), 0, w1.out.join('\n'));

    const lease = await app.db.selectFrom('leases').selectAll().orderBy('id').executeTakeFirstOrThrow();
    assert.equal(lease.state, 'terminated');
    const confirmed = Number(lease.confirmed);
    assert.ok(confirmed > 300 && confirmed < Number(lease.end_index), `confirmed ${confirmed}`);
    let rows = await coverageRows(app);
    // The rows tile [0, confirmed] exactly: one per report, each starting where the previous ended.
    assert.equal(rows[0].start, 0);
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i].start, rows[i - 1].end + 1, JSON.stringify(rows));
    assert.equal(rows[rows.length - 1].end, confirmed);
    assert.ok(rows.every((r) => !r.proven && r.lease === Number(lease.id)));
    await checkRowTimestamps(rows);

    // The answer is cached for 5 s: wait for one generated after the termination.
    const stoppedAt = new Date().toISOString();
    await waitFor('a coverage answer after the termination', async () => (await getCoverage(url)).generated_at > stoppedAt, 20_000, 500);
    let c = await getCoverage(url);
    const first = await timestampAt(0);
    assert.deepEqual(c.logs[0].stretches, [{ start: 0, end: confirmed, first_timestamp: new Date(first).toISOString(), last_timestamp: new Date(await timestampAt(confirmed)).toISOString(), proven: false }]);
    assert.deepEqual(c.logs[0].covered, [{ start: new Date(first + DAY).toISOString(), end: new Date(await timestampAt(confirmed) - DAY + 1).toISOString() }]);
    assert.deepEqual(c.observed_periods, c.logs[0].covered);

    // Another worker resumes after the confirmed position and finishes the target.
    const w2 = startWorkerProcess('w2', url, dirs[1].dir, ['--exit-when-idle']);
    procs.push(w2);
    assert.equal(await exitWithin(w2, 120_000), 0, w2.out.join('\n'));
    rows = await coverageRows(app);
    assert.equal(rows[0].start, 0);
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i].start, rows[i - 1].end + 1, JSON.stringify(rows));
    const end = tl.treeSize('cov-test') - 1;
    assert.equal(rows[rows.length - 1].end, end);
    await checkRowTimestamps(rows);
    // w2's leases completed verified: their rows are proven; w1's terminated lease proved nothing.
    const leases = await app.db.selectFrom('leases').select(['id', 'state', 'verification']).execute();
    for (const r of rows) {
      const l = leases.find((x) => Number(x.id) === r.lease)!;
      assert.equal(r.proven, l.state === 'completed' && l.verification === 'verified', `row ${r.start}-${r.end} of lease ${r.lease} (${l.state}, ${l.verification})`);
    }
    assert.ok(rows.some((r) => r.proven));

    const doneAt = new Date().toISOString();
    await waitFor('a coverage answer after the last completion', async () => (await getCoverage(url)).generated_at > doneAt, 20_000, 500);
    c = await getCoverage(url);
    const last = await timestampAt(end);
    assert.deepEqual(c.logs[0].stretches, [{ start: 0, end, first_timestamp: new Date(first).toISOString(), last_timestamp: new Date(last).toISOString(), proven: false }]);
    assert.deepEqual(c.logs[0].covered, [{ start: new Date(first + DAY).toISOString(), end: new Date(last - DAY + 1).toISOString() }]);
    assert.deepEqual(c.observed_periods, c.logs[0].covered);
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(dirs.map((d) => d.remove()));
    await env.cleanup();
    await tl.close();
  }
});
