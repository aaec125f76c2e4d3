import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import type { StatusResponse } from '../../src/share/api/index.js';
import { Worker } from '../../src/worker/worker.js';
import { leafCoversJp } from '../../src/worker/jp-filter.js';
import { serveLeavesAsTiles } from '../../tools/testlog/tiles.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';
import { startRealLeafLog, type Fault } from '../helpers/real-leaf-log.js';
import { waitFor } from '../../tools/fixtures/wait.js';
import { leaseCoverage, startManager, storedIndexes, tempDir, workerConfig } from '../helpers/worker-env.js';

const quiet = process.env.CTJP_TEST_VERBOSE ? { line: (t: string) => console.log(t), warn: (t: string) => console.log(t) } : { line: () => {}, warn: () => {} };

test('a worker scans every assignment of two categories against the real manager and exits when idle', async () => {
  let n = 0;
  const google = await startRealLeafLog({ size: 700, pageSize: 32, faultFor: () => (++n % 11 === 0 ? ({ kind: 'status', status: 429 } as Fault) : null) });
  const digicert = await startRealLeafLog({ size: 500, pageSize: 256, faultFor: (i) => (i % 7 === 3 ? { kind: 'status', status: 503 } : null) });
  const manager = await startManager([
    { name: 'g1', category: 'google', log: google },
    { name: 'd1', category: 'digicert', log: digicert },
  ]);
  const spool = await tempDir('ctjp-worker-');
  try {
    const lines: string[] = [];
    const worker = new Worker(workerConfig('alice', manager.url, spool.dir, { statusIntervalMs: 1000 }), { line: (t) => lines.push(t), warn: () => {} });
    assert.equal(await worker.run(), 0);

    const stored = await storedIndexes(manager.app);
    assert.deepEqual(stored.get('g1'), google.jpIndexes);
    assert.deepEqual(stored.get('d1'), digicert.jpIndexes);
    const coverage = await leaseCoverage(manager.app);
    for (const [name, size] of [
      ['g1', 700],
      ['d1', 500],
    ] as const) {
      const c = coverage.get(name)!;
      for (let i = 0; i < size; i++) assert.equal(c.get(i), 1, `${name} index ${i} covered ${c.get(i) ?? 0} times`);
    }
    const leases = await manager.app.db.selectFrom('leases').select(['state', 'verification', 'verified_tree_size']).execute();
    assert.ok(leases.every((l) => l.state === 'completed'));
    // Each lease was proven to be in the log's signed tree, and the status counts it.
    assert.deepEqual(leases.filter((l) => l.verification !== 'verified'), []);
    const status = await manager.app.inject({ method: 'GET', url: '/api/v1/status' });
    const logs = new Map(status.json<StatusResponse>().logs.map((l) => [l.name, l]));
    assert.equal(logs.get('g1')!.verified, 700);
    assert.equal(logs.get('d1')!.verified, 500);
    assert.equal(logs.get('g1')!.verification_failures, 0);
    assert.ok(lines.some((l) => l.includes('🇯🇵 JP:')));
  } finally {
    await spool.remove();
    await manager.close();
    await google.close();
    await digicert.close();
  }
});

test('with the manager away, finds are spooled and delivered once it is back; a restart picks up a non-empty spool', async () => {
  // The log holds every get-entries answer until the manager is gone, so nothing can be uploaded before.
  let openLog = (): void => {};
  const entriesGate = new Promise<void>((resolve) => (openLog = resolve));
  const log = await startRealLeafLog({ size: 600, pageSize: 32, entriesGate });
  const manager = await startManager([{ name: 'g1', category: 'google', log }], { assignmentSize: 600 });
  const spool = await tempDir('ctjp-worker-');
  const workers: Worker[] = [];
  try {
    // The worker gets its lease and starts fetching; then the manager goes away.
    const first = new Worker(workerConfig('bob', manager.url, spool.dir, { spoolRetryMs: 500, exitWhenIdle: false }), quiet);
    workers.push(first);
    const firstRun = first.run();
    await waitFor('the first get-entries request', async () => log.requests.some((r) => r.path === '/ct/v1/get-entries'));
    await manager.goAway();
    openLog();
    // Scans everything, spools its finds; then stop it while the manager is still away.
    await waitFor('the last page scanned and finds spooled', async () => first.uploader.spool.itemCount > 0 && [...log.requests].some((r) => r.end === 599 && r.served > 0));
    await first.shutdown('test', 0);
    assert.equal(await firstRun, 0);

    await manager.comeBack();
    assert.equal((await readdir(spool.dir)).filter((f) => f.startsWith('unit-')).length, 1, 'one spooled unit left by the first run');
    const second = new Worker(workerConfig('bob', manager.url, spool.dir, { spoolRetryMs: 500, exitWhenIdle: false }), quiet);
    workers.push(second);
    const secondRun = second.run();
    await waitFor('every .jp entry stored', async () => ((await storedIndexes(manager.app)).get('g1') ?? []).length === log.jpIndexes.length);
    await second.shutdown('test', 0);
    assert.equal(await secondRun, 0);
    assert.deepEqual((await storedIndexes(manager.app)).get('g1'), log.jpIndexes);
    assert.deepEqual((await readdir(spool.dir)).filter((f) => f.startsWith('unit-')), [], 'the spool is empty once delivered');
  } finally {
    // A failed wait must not leave a worker running until the whole file times out.
    await Promise.all(workers.map((w) => w.shutdown('test over', 0)));
    await spool.remove();
    await manager.close();
    await log.close();
  }
});

test('a tiled log whose data tile does not hash into its tree: a ❗ warning, nothing from that tile on uploaded, the lease not confirmed past it', async () => {
  const real = loadRealEntries();
  const tiled = await serveLeavesAsTiles({ leaves: Array.from({ length: 1024 }, (_, i) => real[i % real.length].leafInput), faults: { mismatchedDataTile: 2 } });
  const jp = Array.from({ length: 1024 }, (_, i) => i).filter((i) => leafCoversJp(tiled.leafInput(i)));
  const manager = await startManager([{ name: 't1', category: 'lets-encrypt', log: tiled, api: 'static-ct-api' }], { assignmentSize: 1024, pingIntervalS: 1 });
  const spool = await tempDir('ctjp-worker-tiled-');
  const warnings: string[] = [];
  const worker = new Worker(workerConfig('carol', manager.url, spool.dir), { line: () => {}, warn: (t) => warnings.push(t) });
  const running = worker.run();
  try {
    await waitFor('the proof failure warning', () => warnings.some((w) => w.includes('❗') && w.includes('data tile 2')));
    // The tiles before the bad one are proven, uploaded and confirmed; the manager hears it at the next ping.
    await waitFor('the lease confirmed up to the bad tile', async () => {
      const lease = await manager.app.db.selectFrom('leases').select(['confirmed']).executeTakeFirst();
      return Number(lease?.confirmed) === 511;
    });
    const stored = await storedIndexes(manager.app);
    assert.deepEqual(stored.get('t1'), jp.filter((i) => i < 512));
    assert.ok(jp.some((i) => i >= 512), 'the test needs .jp entries after the bad tile');
    const lease = await manager.app.db.selectFrom('leases').select(['state', 'confirmed']).executeTakeFirstOrThrow();
    assert.equal(lease.state, 'active');
  } finally {
    await worker.shutdown('test over', 0);
    await running;
    await spool.remove();
    await manager.close();
    await tiled.close();
  }
});
