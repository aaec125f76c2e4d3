/**
 * End to end: seven test CT logs — five RFC 6962 (one of them read from its
 * data tiles, as a hybrid log), two static-ct-api — with 429s (with and without Retry-After),
 * 5xx and dropped connections; the real manager over MariaDB; three worker
 * processes. One worker is killed with SIGKILL mid-range, one is stopped
 * with SIGTERM while the manager is unreachable (its finds go to the spool),
 * both are started again (one with a non-empty spool). At the end the lease
 * records cover every target index of every log exactly once, and the
 * manager holds exactly the test logs' expected `.jp` set.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { startTestLogs } from '../../tools/testlog/index.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { catalogueEntry, testManagerEnv } from '../helpers/manager.js';
import { leaseCoverage, storedIndexes, tempDir } from '../helpers/worker-env.js';
import { exitWithin, isRunning, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { waitFor } from '../../tools/fixtures/wait.js';

type Proc = WorkerProcess;

function startWorker(name: string, managerUrl: string, spoolDir: string): Proc {
  // Request pacing keeps every lease running for a while, so that the faults below hit workers mid-range.
  return startWorkerProcess(name, managerUrl, spoolDir, ['--exit-when-idle', '--spool-retry-s', '2', '--status-interval-s', '5', '--interval-ms', '40']);
}

test('three workers, faults, a SIGKILL, a SIGTERM during a manager outage and restarts: every index once, exactly the expected .jp set', async () => {
  const tl = await startTestLogs({
    seed: 'worker-e2e',
    size: 6000,
    // Many .jp entries, so that every lease running into the manager outage has finds to spool.
    jpShare: 0.1,
    faults: { errorRate: 0.03, dropRate: 0.01, latencyMs: [10, 40] },
    logs: [
      { category: 'google', name: 'argon-test', pageSize: 32, aligned: true, faults: { errorRate: 0.02, rateLimit: { perSecond: 40, burst: 8 } } },
      'xenon-test',
      'nimbus-test',
      { category: 'digicert', name: 'wyvern-test', pageSize: 256, aligned: false, faults: { errorRate: 0.05, rateLimit: { perSecond: 6, burst: 2, retryAfter: false } } },
      'hetu-test',
      // Tiled logs: a Google lane shared with argon and xenon, and a lane of their own.
      { category: 'google', name: 'parcelyard-test', api: 'static-ct-api', faults: { errorRate: 0.03, rateLimit: { perSecond: 10, burst: 3 } } },
      { category: 'lets-encrypt', name: 'sycamore-test', api: 'static-ct-api', faults: { errorRate: 0.03, dropRate: 0.01, rateLimit: { perSecond: 8, burst: 2, retryAfter: false } } },
    ],
  });
  // TrustAsia's logs also serve data tiles: this one is read from them, proven with get-sth and inclusion proofs.
  const catalogue = tl.logs.map((l) => catalogueEntry(l.name === 'hetu-test' ? { ...l, data_tiles: true } : l));
  const env = await testManagerEnv(catalogue, {
    targetFraction: parseFraction('1/1'),
    assignmentSize: 500,
    deadAfterS: 8,
    reaperIntervalS: 1,
    pingIntervalS: 1,
    // A log that failed its tree head (a 429 or 5xx fault) is asked again soon.
    logRetryS: 2,
  });
  // The manager's own CT client retries 429/5xx, so that the log faults do not make it drop a log.
  const managerOptions = { background: true, clientOptions: { maxTries: 9, backoff: { baseMs: 100, maxMs: 1000 } } };
  let app = await env.build(managerOptions);
  await app.planner.planAll();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const dirs = await Promise.all([tempDir('ctjp-e2e-w1-'), tempDir('ctjp-e2e-w2-'), tempDir('ctjp-e2e-w3-')]);
  const procs: Proc[] = [];
  try {
    const activeLeases = async (friend: string) =>
      app.db
        .selectFrom('leases')
        .innerJoin('workers', 'workers.id', 'leases.worker_id')
        .select(['leases.id', 'leases.start_index', 'leases.end_index', 'leases.confirmed'])
        .where('workers.friend_name', '=', friend)
        .where('leases.state', '=', 'active')
        .execute();

    const w1 = startWorker('w1', url, dirs[0].dir);
    const w2 = startWorker('w2', url, dirs[1].dir);
    const w3 = startWorker('w3', url, dirs[2].dir);
    procs.push(w1, w2, w3);

    // SIGKILL w1 in the middle of its work.
    const completedLeases = async (friend: string) =>
      (
        await app.db
          .selectFrom('leases')
          .innerJoin('workers', 'workers.id', 'leases.worker_id')
          .select('leases.id')
          .where('workers.friend_name', '=', friend)
          .where('leases.state', '=', 'completed')
          .execute()
      ).length;
    await waitFor('w1 to finish a lease and hold others', async () => (await completedLeases('w1')) >= 1 && (await activeLeases('w1')).length >= 2);
    w1.child.kill('SIGKILL');
    assert.equal(await exitWithin(w1, 5_000), null);

    // The manager goes away. Uploads now fail and go to the spools; a worker with a non-empty spool
    // is stopped meanwhile (its goodbye fails too), and started again once the manager is back.
    await app.close();
    let victim: Proc | null = null;
    let victimDir = '';
    await waitFor('a spooled unit in w2 or w3', async () => {
      for (const [p, d] of [
        [w2, dirs[1].dir],
        [w3, dirs[2].dir],
      ] as const) {
        if ((await readdir(d)).some((f) => f.startsWith('unit-'))) {
          victim = p;
          victimDir = d;
          return true;
        }
      }
      return false;
    });
    const stopped = victim! as Proc;
    stopped.child.kill('SIGTERM');
    const code = await exitWithin(stopped, 10_000);
    assert.equal(code, 0, `${stopped.name} did not stop cleanly within 10 s:\n${stopped.out.join('\n')}`);
    assert.ok(stopped.out.some((l) => l.includes('could not reach the manager')));
    assert.ok((await readdir(victimDir)).some((f) => f.startsWith('unit-')), `${stopped.name} left spooled units behind`);
    await new Promise((r) => setTimeout(r, 2_000));

    // The manager returns on the same port; w1 and the stopped worker start again from their spool folders.
    app = await env.build(managerOptions);
    await app.listen({ port, host: '127.0.0.1' });
    const w1b = startWorker('w1', url, dirs[0].dir);
    const again = startWorker(stopped.name, url, victimDir);
    procs.push(w1b, again);
    await waitFor(`${stopped.name} to report its earlier spool`, () => again.out.some((l) => l.includes('waiting from an earlier run')));
    const running = [w1b, again, stopped === w2 ? w3 : w2];

    for (const p of running) {
      const exit = await exitWithin(p, 240_000);
      assert.equal(exit, 0, `${p.name} did not finish (code ${exit}):\n${p.out.slice(-30).join('\n')}`);
    }
    for (const d of dirs) assert.deepEqual((await readdir(d.dir)).filter((f) => f.startsWith('unit-')), [], `spool ${d.dir} is empty at the end`);

    // Every target index of every log scanned exactly once according to the lease records.
    const coverage = await leaseCoverage(app);
    const logs = await app.db.selectFrom('logs').select(['name', 'target_start', 'target_end']).execute();
    for (const log of logs) {
      const c = coverage.get(log.name) ?? new Map<number, number>();
      const bad: string[] = [];
      for (let i = Number(log.target_start); i <= Number(log.target_end); i++) if (c.get(i) !== 1) bad.push(`${i}:${c.get(i) ?? 0}`);
      assert.deepEqual(bad.slice(0, 10), [], `${log.name}: indexes not covered exactly once (index:times)`);
    }

    // The test logs commit to what they serve, so no completed lease may contradict them; proofs that
    // kept failing under the injected faults leave a lease unverified, which is allowed.
    const verdicts = await app.db.selectFrom('leases').select(['verification']).where('state', '=', 'completed').execute();
    assert.deepEqual(verdicts.filter((v) => v.verification === 'failed'), []);
    assert.ok(verdicts.some((v) => v.verification === 'verified'), 'completed leases are proven in the signed trees');

    // Exactly the expected .jp entries and distinct certificates.
    const stored = await storedIndexes(app);
    for (const l of tl.logs) {
      const expected = tl.expected.jp_entries.filter((e) => e.log === l.name).map((e) => e.index).sort((a, b) => a - b);
      assert.deepEqual(stored.get(l.name) ?? [], expected, `${l.name}: stored .jp indexes`);
    }
    const certs = await app.db.selectFrom('certificates').select(['serial_hex', 'not_before']).execute();
    const got = certs.map((c) => c.serial_hex).sort();
    const want = tl.expected.certificates.map((c) => c.serial_hex).sort();
    assert.deepEqual(got, want, 'distinct .jp certificates');
  } finally {
    for (const p of procs) if (isRunning(p)) p.child.kill('SIGKILL');
    await app.close().catch(() => {});
    await env.cleanup();
    await tl.close();
    for (const d of dirs) await d.remove();
  }
});
