/**
 * The manager built from a browser log list (--log-list, --log-list-sig, --log-list-key,
 * --log-states), the shards a --window keeps (from a log list or a catalogue file), and the
 * catalogue's politeness fields (page_size, min_interval_ms) carried into assignments.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { systemClock } from '../../src/manager-api/clock.js';
import { parseWindow, type ManagerConfig } from '../../src/manager-api/config.js';
import type { Db } from '../../src/db/connect.js';
import { Planner } from '../../src/manager-api/planner.js';
import type { InstructionsResponse, StatusResponse } from '../../src/share/api/index.js';
import { startTestLogs } from '../../tools/testlog/index.js';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, withTestManager, type TestManagerEnv } from '../helpers/manager.js';

const KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKHRm0H/zUaFA6Idz5cGvGO3tCPQyfGMgJmVBOPyKAP6mGM1IiNXi4CLomOUyYj0YN74p+eGVApFMsM4h/jzCsA==';
const usable = { usable: { timestamp: '2026-01-01T00:00:00Z' } };
const h = (start: string, end: string) => ({ start_inclusive: `${start}T00:00:00Z`, end_exclusive: `${end}T00:00:00Z` });
/** Nothing answers on port 9 of the loopback: these logs are only synced, never asked. */
const nowhere = (path: string) => `http://127.0.0.1:9/${path}/`;

/** A small list in Chrome's v3 layout: two operators' logs, tiled ones, and entries to skip. */
const LIST = {
  version: '1.1',
  log_list_timestamp: '2026-11-20T00:00:00Z',
  operators: [
    {
      name: 'Google',
      email: ['ct@google.example'],
      logs: [
        { description: "Google 'Argon2026h2' log", key: KEY, url: nowhere('argon2026h2'), mmd: 86400, state: usable, temporal_interval: h('2026-07-01', '2027-01-01') },
        { description: "Google 'Argon2027h1'", key: KEY, url: nowhere('argon2027h1'), mmd: 86400, state: usable, temporal_interval: h('2027-01-01', '2027-07-01') },
        { description: "Google 'Argon2026h1' log", key: KEY, url: nowhere('argon2026h1'), mmd: 86400, state: { rejected: { timestamp: '2026-07-09T00:00:00Z' } }, temporal_interval: h('2026-01-01', '2026-07-01') },
        { description: "Google 'Submariner' log", key: KEY, url: nowhere('submariner'), mmd: 86400 },
      ],
      tiled_logs: [
        { description: "Google 'ParcelYard2027h2' log", key: KEY, submission_url: nowhere('py-sub'), monitoring_url: nowhere('parcelyard2027h2'), mmd: 60, state: { qualified: { timestamp: '2026-06-19T00:00:00Z' } }, temporal_interval: h('2027-07-01', '2028-01-01') },
        { description: "Google 'ParcelYard2028h1' log", key: KEY, submission_url: nowhere('py28-sub'), monitoring_url: nowhere('parcelyard2028h1'), mmd: 60, state: { pending: { timestamp: '2026-10-01T00:00:00Z' } }, temporal_interval: h('2028-01-01', '2028-07-01') },
      ],
    },
    {
      name: "Let's Encrypt",
      email: ['ct@le.example'],
      logs: [],
      tiled_logs: [
        { description: "Let's Encrypt 'Sycamore2027h1'", key: KEY, submission_url: nowhere('syc-sub'), monitoring_url: nowhere('sycamore2027h1'), mmd: 60, state: usable, temporal_interval: h('2026-12-17', '2027-06-18') },
        { description: "Let's Encrypt 'Sycamore2026h1'", key: KEY, submission_url: nowhere('syc26-sub'), monitoring_url: nowhere('sycamore2026h1'), mmd: 60, state: usable, temporal_interval: h('2025-12-18', '2026-06-18') },
      ],
    },
    {
      name: 'Geomys',
      email: ['ct@geomys.example'],
      logs: [{ description: 'Bogus placeholder log to unbreak misbehaving CT libraries', key: KEY, url: nowhere('bogus'), mmd: 86400, state: { retired: { timestamp: '2025-06-21T07:00:00Z' } }, temporal_interval: h('2020-01-01', '2020-01-02') }],
    },
  ],
};
const LIST_BYTES = Buffer.from(JSON.stringify(LIST, null, 2));
const signer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const LIST_SIG = sign('sha256', LIST_BYTES, signer.privateKey);
const LIST_PEM = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();

let server: Server;
let base: string;
let google: TestLog;

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/log_list.json') return res.end(LIST_BYTES);
    if (req.url === '/log_list.sig') return res.end(LIST_SIG);
    if (req.url === '/bad.sig') return res.end(Buffer.alloc(LIST_SIG.length));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  google = await startTestLog({ name: 'g1', category: 'google', size: 3100, pageSize: 32 });
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await google.close();
});

async function status(env: TestManagerEnv, more: Parameters<TestManagerEnv['build']>[1]): Promise<StatusResponse> {
  const app = await env.build({}, more);
  return (await app.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
}

/** The planner alone (as the manager makes it at start-up), for what must stop the manager before it serves. */
function planner(env: TestManagerEnv, more: Partial<ManagerConfig>): Planner {
  const quiet = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;
  return new Planner({ db: null as unknown as Db, config: { ...env.config, ...more }, clock: systemClock, log: quiet });
}

const logsOf = (s: StatusResponse) => s.logs.map((l) => [l.category, l.name, l.api, l.url]);

test('--log-list FILE: the list replaces the catalogue; operators become categories, skipped entries stay out', async () => {
  await withTestManager([], {}, async (env) => {
    const file = join(env.dir, 'log_list.json');
    writeFileSync(file, LIST_BYTES);
    const s = await status(env, { logsFile: null, logList: file });
    assert.deepEqual(logsOf(s), [
      ['google', 'argon2026h2', 'rfc6962', nowhere('argon2026h2')],
      ['google', 'argon2027h1', 'rfc6962', nowhere('argon2027h1')],
      ['google', 'parcelyard2027h2', 'static-ct-api', nowhere('parcelyard2027h2')],
      ['lets-encrypt', 'sycamore2026h1', 'static-ct-api', nowhere('sycamore2026h1')],
      ['lets-encrypt', 'sycamore2027h1', 'static-ct-api', nowhere('sycamore2027h1')],
    ]);
    assert.equal(s.totals.logs, 5);
    // Kept in the logs table: the submission URL and origin of a tiled log, the interval, Google's page size.
    const app = await env.build({}, { logsFile: null, logList: file });
    const rows = await app.db.selectFrom('logs').select(['name', 'checkpoint_origin', 'page_size', 'temporal_interval_start']).where('in_catalogue', '=', 1).orderBy('name').execute();
    assert.deepEqual(rows.find((r) => r.name === 'sycamore2027h1'), { name: 'sycamore2027h1', checkpoint_origin: '127.0.0.1:9/syc-sub', page_size: null, temporal_interval_start: new Date('2026-12-17T00:00:00Z') });
    assert.equal(rows.find((r) => r.name === 'argon2027h1')?.page_size, 32);

    // --log-states pending,rejected reads those too.
    const all = await status(env, { logsFile: null, logList: file, logListStates: ['pending', 'rejected'] });
    assert.deepEqual(
      all.logs.map((l) => l.name),
      ['argon2026h1', 'argon2026h2', 'argon2027h1', 'parcelyard2027h2', 'parcelyard2028h1', 'sycamore2026h1', 'sycamore2027h1'],
    );
  });
});

test('--window keeps only the shards that can hold its certificates, from a log list or a catalogue file', async () => {
  await withTestManager([], {}, async (env) => {
    const file = join(env.dir, 'log_list.json');
    writeFileSync(file, LIST_BYTES);
    // 2026-12-01/2027-01-31: notAfter in [2026-12-01, 2027-08-20): Sycamore2026h1 (ends 2026-06-18) is out, ParcelYard2027h2 (from 2027-07-01) in.
    const winter = await status(env, { logsFile: null, logList: file, window: parseWindow('2026-12-01/2027-01-31') });
    assert.deepEqual(
      winter.logs.map((l) => l.name),
      ['argon2026h2', 'argon2027h1', 'parcelyard2027h2', 'sycamore2027h1'],
    );
    assert.equal(winter.planning.window, '2026-12-01/2027-01-31');
    // 2026-04-01/2026-04-30: notAfter in [2026-04-01, 2026-11-17): only the 2026 shards.
    const spring = await status(env, { logsFile: null, logList: file, window: parseWindow('2026-04-01/2026-04-30') });
    assert.deepEqual(
      spring.logs.map((l) => l.name),
      ['argon2026h2', 'sycamore2026h1'],
    );

    // A catalogue file too; an entry without temporal_interval is always kept.
    const catalogue = join(env.dir, 'logs.json');
    writeFileSync(
      catalogue,
      JSON.stringify({
        logs: [
          { category: 'google', name: 'old', url: nowhere('old'), temporal_interval: h('2024-01-01', '2025-01-01') },
          { category: 'google', name: 'new', url: nowhere('new'), temporal_interval: h('2027-01-01', '2027-07-01') },
          { category: 'digicert', name: 'any', url: nowhere('any') },
        ],
      }),
    );
    const fromFile = await status(env, { logsFile: catalogue, window: parseWindow('2026-12-01/2027-01-31') });
    assert.deepEqual(
      fromFile.logs.map((l) => l.name),
      ['any', 'new'],
    );
    // A window no shard can hold is refused at start-up (when the planner is made).
    writeFileSync(catalogue, JSON.stringify({ logs: [{ category: 'google', name: 'old', url: nowhere('old'), temporal_interval: h('2024-01-01', '2025-01-01') }] }));
    assert.throws(() => planner(env, { logsFile: catalogue, window: parseWindow('2026-12-01/2027-01-31') }), /logs\.json: no log can hold certificates issued in the window 2026-12-01\/2027-01-31 \(they expire in \[2026-12-01T00:00:00\.000Z, 2027-08-20T00:00:00\.000Z\)/);
  });
});

test('a signed list at a URL is fetched and checked before the catalogue is synced; a bad signature syncs nothing', async () => {
  await withTestManager([], {}, async (env) => {
    const pem = join(env.dir, 'key.pem');
    writeFileSync(pem, LIST_PEM);
    const s = await status(env, { logsFile: null, logList: `${base}/log_list.json`, logListSig: `${base}/log_list.sig`, logListKey: pem });
    assert.equal(s.logs.length, 5);

    // A signature that does not match: refused; the catalogue synced before stays as it was.
    const bad = await env.build({}, { logsFile: null, logList: `${base}/log_list.json`, logListSig: `${base}/bad.sig`, logListKey: pem, window: parseWindow('2026-12-01/2027-01-31') });
    assert.equal(bad.planner.catalogue, null);
    await assert.rejects(bad.planner.planAll(), /log_list\.json: the signature does not match the list's bytes under the given ECDSA key \(SHA-256\); refusing the list/);
    assert.equal(((await bad.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse).logs.length, 5);

    // The same list and signature as files: checked at start-up, so a bad one stops the manager.
    const list = join(env.dir, 'log_list.json');
    const sig = join(env.dir, 'log_list.sig');
    writeFileSync(list, LIST_BYTES);
    writeFileSync(sig, LIST_SIG);
    assert.equal((await status(env, { logsFile: null, logList: list, logListSig: sig, logListKey: pem })).logs.length, 5);
    writeFileSync(list, Buffer.concat([LIST_BYTES, Buffer.from(' ')]));
    assert.throws(() => planner(env, { logsFile: null, logList: list, logListSig: sig, logListKey: pem }), /log_list\.json: the signature does not match/);
  });
});

test('page_size and min_interval_ms from the catalogue: written to the log, kept over the probe, carried by assignments', async () => {
  const entry = { ...catalogueEntry(google), page_size: 64, min_interval_ms: 250 };
  await withTestManager([entry], { assignmentSize: 1000 }, async (env) => {
    const app = await env.build();
    await app.planner.planAll();
    // The log answers 32 per get-entries; the catalogue's 64 stays (the planner probes only when none is known).
    const row = await app.db.selectFrom('logs').select(['page_size', 'min_interval_ms', 'target_end']).executeTakeFirstOrThrow();
    assert.deepEqual(row, { page_size: 64, min_interval_ms: 250, target_end: 100 });
    const r = (await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'w1', friend_name: 'f', version: '0.1.0' } })).json() as InstructionsResponse;
    assert.deepEqual(
      r.assignments.map((a) => [a.log_name, a.start, a.end, a.page_size, a.min_interval_ms]),
      [['g1', 0, 100, 64, 250]],
    );
    assert.deepEqual(r.directives.slow_logs, [{ log_name: 'g1', min_interval_ms: 250 }]);
  });
  // Without them, the probe finds 32 and no interval is set.
  await withTestManager([catalogueEntry(google)], {}, async (env) => {
    const app = await env.build();
    await app.planner.planAll();
    assert.deepEqual(await app.db.selectFrom('logs').select(['page_size', 'min_interval_ms']).executeTakeFirstOrThrow(), { page_size: 32, min_interval_ms: null });
  });
});

test("the test logs' own log list is read like a browser's: every log planned from its tree head or checkpoint", async () => {
  const tl = await startTestLogs({ seed: 'log-list', size: 700, logs: ['argon-test', 'wyvern-test', 'sycamore-test'] });
  try {
    await withTestManager([], {}, async (env) => {
      const app = await env.build({}, { logsFile: null, logList: tl.logListPath });
      await app.planner.planAll();
      const s = (await app.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
      const byName = (a: unknown[], b: unknown[]): number => String(a[1]).localeCompare(String(b[1]));
      assert.deepEqual(
        s.logs.map((l) => [l.category, l.name, l.api, l.url, l.available, l.tree_size]).sort(byName),
        tl.logs.map((l) => [l.category, l.name, l.api, l.url, true, 700]).sort(byName),
      );
    });
  } finally {
    await tl.close();
  }
});
