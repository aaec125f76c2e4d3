/**
 * End to end: shut-down logs, whose own URL answers 410 Gone, read from
 * elsewhere by real worker processes through the real manager over MariaDB:
 * one only from a mirror (its tree head must be the catalogue's final tree
 * head), one only from a zip archive (read with HTTP Range requests, its
 * leaves without the leaf_index extension, as archives converted from
 * RFC 6962 logs are). A third log's only mirror serves a forked tree signed
 * with the log's own key, and a fourth's only mirror a tree head signed by
 * another key; a fifth's only archive is truncated: those are refused with
 * clear errors, and nothing of theirs is handed out or stored. At the end
 * the manager holds exactly the expected `.jp` set of the two readable logs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { startTestLogs } from '../../tools/testlog/index.js';
import { parseFraction } from '../../src/manager-api/config.js';
import type { StatusResponse } from '../../src/share/api/index.js';
import { testManagerEnv, type CatalogueEntry } from '../helpers/manager.js';
import { leaseCoverage, storedIndexes, tempDir } from '../helpers/worker-env.js';
import { exitWithin, isRunning, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

test('shut-down logs: read from a mirror and from a zip archive, exactly the expected .jp set; forged mirrors and a truncated archive are refused, nothing of them stored', async () => {
  const tl = await startTestLogs({
    seed: 'shut-down-e2e',
    size: 3000,
    jpShare: 0.05,
    logs: [
      { category: 'digicert', name: 'yeti-old-test', pageSize: 256, shutDown: 'mirror' },
      { category: 'cloudflare', name: 'nimbus-old-test', pageSize: 1024, shutDown: 'archive', size: 2600 },
      { category: 'digicert', name: 'nessie-old-test', pageSize: 256, shutDown: 'mirror' },
      { category: 'digicert', name: 'sphinx-old-test', pageSize: 256, shutDown: 'mirror' },
      { category: 'trustasia', name: 'log-old-test', pageSize: 100, shutDown: 'archive' },
    ],
  });
  const written = JSON.parse(readFileSync(tl.cataloguePath, 'utf8')) as { logs: CatalogueEntry[] };
  const served = (name: string) => tl.logs.find((l) => l.name === name)!;
  const catalogue = written.logs.map((e): CatalogueEntry => {
    if (e.name === 'nessie-old-test') return { ...e, mirrors: [served(e.name).mirrorUrls!.forged] };
    if (e.name === 'sphinx-old-test') return { ...e, mirrors: [served(e.name).mirrorUrls!.badSignature] };
    if (e.name === 'log-old-test') return { ...e, archives: [served(e.name).archiveUrls!.truncated] };
    return e;
  });
  const env = await testManagerEnv(catalogue, { targetFraction: parseFraction('1/1'), assignmentSize: 700, pingIntervalS: 1 });
  const app = await env.build({ background: true, clientOptions: { maxTries: 2, backoff: { baseMs: 50, maxMs: 200 } } });
  const dirs = await Promise.all([tempDir('ctjp-shut-w1-'), tempDir('ctjp-shut-w2-')]);
  const procs: WorkerProcess[] = [];
  try {
    const outcomes = await app.planner.planAll();
    const byName = new Map(outcomes.map((o) => [o.name, o]));
    assert.equal(byName.get('yeti-old-test')!.available, true);
    assert.equal(byName.get('nimbus-old-test')!.available, true);
    assert.equal(byName.get('nessie-old-test')!.available, false);
    assert.match(byName.get('nessie-old-test')!.note!, /mirror-forged.* serves tree head size 3000 root .*, not the final tree head size 3000 root/);
    assert.equal(byName.get('sphinx-old-test')!.available, false);
    assert.match(byName.get('sphinx-old-test')!.note!, /signature does not verify with the log key/);
    assert.equal(byName.get('log-old-test')!.available, false);
    assert.match(byName.get('log-old-test')!.note!, /truncated|not a zip/i);

    const status = (await app.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    const lane = (name: string) => status.logs.find((l) => l.name === name)!;
    assert.equal(lane('yeti-old-test').read_from, 'mirror');
    assert.equal(lane('yeti-old-test').read_url, served('yeti-old-test').mirrorUrls!.mirror);
    assert.equal(lane('nimbus-old-test').read_from, 'archive');
    assert.equal(lane('nimbus-old-test').read_url, served('nimbus-old-test').archiveUrls!.zips.replace('{n}', '000'));
    assert.equal(lane('nimbus-old-test').tree_size, 2600);

    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const [i, d] of dirs.entries()) procs.push(startWorkerProcess(`w${i + 1}`, url, d.dir, ['--exit-when-idle', '--status-interval-s', '5']));
    for (const p of procs) {
      const exit = await exitWithin(p, 180_000);
      assert.equal(exit, 0, `${p.name} did not finish (code ${exit}):\n${p.out.slice(-30).join('\n')}`);
    }

    // The two readable logs: every index scanned once, every lease proven, exactly the expected .jp entries.
    const coverage = await leaseCoverage(app);
    for (const name of ['yeti-old-test', 'nimbus-old-test']) {
      const c = coverage.get(name) ?? new Map<number, number>();
      const bad: string[] = [];
      for (let i = 0; i < tl.treeSize(name); i++) if (c.get(i) !== 1) bad.push(`${i}:${c.get(i) ?? 0}`);
      assert.deepEqual(bad.slice(0, 10), [], `${name}: indexes not covered exactly once (index:times)`);
    }
    const verdicts = await app.db.selectFrom('leases').select(['verification']).where('state', '=', 'completed').execute();
    assert.ok(verdicts.length > 0);
    assert.deepEqual(verdicts.filter((v) => v.verification !== 'verified'), [], 'every completed lease is proven against the final tree head');
    const stored = await storedIndexes(app);
    for (const l of tl.logs) {
      const readable = l.name === 'yeti-old-test' || l.name === 'nimbus-old-test';
      const expected = readable ? tl.expected.jp_entries.filter((e) => e.log === l.name).map((e) => e.index).sort((a, b) => a - b) : [];
      if (readable) assert.ok(expected.length > 20, `${l.name} has .jp entries to find`);
      assert.deepEqual(stored.get(l.name) ?? [], expected, `${l.name}: stored .jp indexes`);
    }
    // Nothing of the refused logs was ever handed out.
    const refused = await app.db
      .selectFrom('leases')
      .innerJoin('logs', 'logs.id', 'leases.log_id')
      .select('logs.name')
      .where('logs.name', 'in', ['nessie-old-test', 'sphinx-old-test', 'log-old-test'])
      .execute();
    assert.deepEqual(refused, []);
  } finally {
    for (const p of procs) if (isRunning(p)) p.child.kill('SIGKILL');
    await app.close().catch(() => {});
    await env.cleanup();
    await tl.close();
    for (const d of dirs) await d.remove();
  }
});
