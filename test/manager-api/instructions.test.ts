import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deadLogUrl, startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type CatalogueEntry } from '../helpers/manager.js';
import { parseFraction, parseWindow } from '../../src/manager-api/config.js';
import { freshRangeEnd } from '../../src/manager-api/repositories/leases.js';
import { CatalogueError, loadCatalogue, parseCatalogue } from '../../src/share/logs/catalogue.js';
import type { InstructionsResponse, StatusResponse } from '../../src/share/api/index.js';

let g: TestLog;
let c: TestLog;

before(async () => {
  g = await startTestLog({ name: 'g1', category: 'google', size: 6000, pageSize: 32 });
  c = await startTestLog({ name: 'c1', category: 'cloudflare', size: 6000, pageSize: 256 });
});
after(async () => {
  await Promise.all([g.close(), c.close()]);
});

const catalogue = () => [
  catalogueEntry(g),
  catalogueEntry(c),
];

function ask(baseUrl: string, worker: string): Promise<InstructionsResponse> {
  return fetch(`${baseUrl}/api/v1/instructions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ worker_id: worker, friend_name: `friend-${worker}`, version: '0.1.0' }),
  }).then(async (r) => {
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
    return (await r.json()) as InstructionsResponse;
  });
}

test('fresh ranges end on page boundaries and never pass the target', () => {
  assert.equal(freshRangeEnd(0, 100_000, 32, 10_000_000), 99_999);
  assert.equal(freshRangeEnd(0, 100_000, 256, 10_000_000), 99_839);
  assert.equal(freshRangeEnd(99_840, 100_000, 256, 10_000_000), 199_679);
  assert.equal(freshRangeEnd(5, 100, 32, 10_000), 95);
  assert.equal(freshRangeEnd(0, 100_000, null, 500), 500);
});

test('one assignment per category; 200 concurrent HTTP requests on two manager instances never overlap', async () => {
  const env = await testManagerEnv(catalogue(), { targetFraction: parseFraction('1/1'), assignmentSize: 10, dbConnections: 15 });
  try {
    const a = await env.build();
    const b = await env.build();
    await a.planner.planAll();
    await a.listen({ port: 0, host: '127.0.0.1' });
    await b.listen({ port: 0, host: '127.0.0.1' });
    const urls = [a, b].map((app) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);

    const first = await ask(urls[0], 'solo');
    assert.deepEqual(first.assignments.map((x) => x.category).sort(), ['cloudflare', 'google']);
    for (const x of first.assignments) {
      assert.equal(x.start, 0);
      assert.equal(x.resumed, false);
      assert.ok(x.lease_id > 0);
    }

    const answers = await Promise.all(Array.from({ length: 240 }, (_, i) => ask(urls[i % 2], `w${i}`)));
    const all = [...first.assignments, ...answers.flatMap((r) => r.assignments)];
    assert.equal(all.length, 2 * 241);
    for (const log of ['g1', 'c1']) {
      const ranges = all.filter((x) => x.log_name === log).sort((p, q) => p.start - q.start);
      for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i].start > ranges[i - 1].end, `${log}: [${ranges[i - 1].start},${ranges[i - 1].end}] overlaps [${ranges[i].start},${ranges[i].end}]`);
    }
    // The ranges of a log partition its target from 0: no overlap, nothing skipped.
    const rows = await a.db.selectFrom('ranges').select(['log_id', 'start_index', 'end_index', 'state']).orderBy('log_id').orderBy('start_index').execute();
    for (const logId of new Set(rows.map((r) => r.log_id))) {
      const rs = rows.filter((r) => r.log_id === logId);
      assert.equal(rs[0].start_index, 0);
      for (let i = 1; i < rs.length; i++) assert.equal(rs[i].start_index, rs[i - 1].end_index + 1);
      assert.equal(rs.filter((r) => r.state === 'assigned').length, 241);
    }
    // Every instruction is in the lease history, and every lease id is distinct.
    const leases = await a.db.selectFrom('leases').select(['id', 'state']).execute();
    assert.equal(leases.length, all.length);
    assert.equal(new Set(all.map((x) => x.lease_id)).size, all.length);
    const workers = await a.db.selectFrom('workers').select('id').execute();
    assert.equal(workers.length, 241);
  } finally {
    await env.cleanup();
  }
});

test('assignments follow page boundaries, stop at the target, and report idle when all work is handed out', async () => {
  const env = await testManagerEnv(catalogue(), { targetFraction: parseFraction('1/10'), assignmentSize: 300 });
  try {
    const app = await env.build();
    await app.planner.planAll();
    // Targets: [0, 600] for both logs.
    const post = (worker: string, categories?: string[]) =>
      app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: worker, friend_name: 'f', version: '0.1.0', ...(categories ? { categories } : {}) } }).then((r) => r.json() as InstructionsResponse);
    const r1 = await post('a', ['cloudflare']);
    assert.deepEqual(
      r1.assignments.map((x) => [x.log_name, x.start, x.end, x.page_size]),
      [['c1', 0, 255, 256]],
    );
    // The catalogue's key travels with the assignment, so the worker can verify the log's tree heads.
    assert.equal(r1.assignments[0].log_key, c.key);
    // An RFC 6962 log without data tiles: read by get-entries.
    assert.deepEqual([r1.assignments[0].log_api, r1.assignments[0].log_origin, r1.assignments[0].data_tiles], ['rfc6962', null, false]);
    const r2 = await post('b', ['cloudflare']);
    assert.deepEqual(
      r2.assignments.map((x) => [x.start, x.end]),
      [[256, 511]],
    );
    const r3 = await post('c', ['cloudflare']);
    assert.deepEqual(
      r3.assignments.map((x) => [x.start, x.end]),
      [[512, 600]],
    );
    const r4 = await post('d', ['cloudflare']);
    assert.deepEqual(r4.assignments, []);
    assert.equal(r4.idle, false, 'google still has work');
    await post('d', ['google']);
    await post('e', ['google']);
    await post('f', ['google']);
    const r5 = await post('g');
    assert.deepEqual(r5.assignments, []);
    assert.equal(r5.idle, true);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'x', friend_name: 'f', version: '0.1.0', categories: ['nope'] } });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.json().message, /unknown category "nope"/);
  } finally {
    await env.cleanup();
  }
});

test('pause, minimum version and the operator contact travel as directives', async () => {
  const env = await testManagerEnv(catalogue(), { targetFraction: parseFraction('1/10'), contact: 'ct-research@example.ac.jp' });
  try {
    const app = await env.build();
    await app.planner.planAll();
    const set = await app.inject({ method: 'POST', url: '/api/v1/admin/directives', payload: { paused: true, min_worker_version: '0.2.0', slow_logs: [{ log_name: 'g1', min_interval_ms: 5000 }] } });
    assert.equal(set.statusCode, 200);
    assert.equal(set.json().paused, true);
    const old = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'a', friend_name: 'f', version: '0.1.9' } });
    assert.equal(old.statusCode, 426);
    const paused = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'a', friend_name: 'f', version: '0.10.0' } });
    assert.equal(paused.statusCode, 200);
    assert.deepEqual(paused.json().assignments, []);
    assert.deepEqual(paused.json().directives.slow_logs, [{ log_name: 'g1', min_interval_ms: 5000 }]);
    assert.equal(paused.json().directives.contact, 'ct-research@example.ac.jp');
    await app.inject({ method: 'POST', url: '/api/v1/admin/directives', payload: { paused: false } });
    const going = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'a', friend_name: 'f', version: '0.10.0' } });
    assert.equal(going.json().assignments.length, 2);
    assert.equal(going.json().assignments.find((x: { log_name: string }) => x.log_name === 'g1').min_interval_ms, 5000);
  } finally {
    await env.cleanup();
  }
});

test('idle: a log not planned yet or not answering keeps workers waiting; one the catalogue marks shut down does not while it is silent', async () => {
  const down = await deadLogUrl();
  const logs = (shutDown: boolean): CatalogueEntry[] => [
    { name: c.name, category: 'cloudflare', url: c.url, key: c.key, shut_down: shutDown },
    { name: 'down', category: 'google', url: down, key: null, shut_down: shutDown },
  ];
  const env = await testManagerEnv(logs(false), { targetFraction: parseFraction('1/10'), assignmentSize: 1000 });
  try {
    const app = await env.build();
    const post = (target: typeof app, worker: string) =>
      target.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: worker, friend_name: 'f', version: '0.1.0' } }).then((r) => {
        assert.equal(r.statusCode, 200, r.body);
        return r.json() as InstructionsResponse;
      });
    // Nothing planned yet (no log asked): work is to come, in both categories of the catalogue.
    const early = await post(app, 'a');
    assert.deepEqual([early.assignments, early.idle], [[], false]);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'a', friend_name: 'f', version: '0.1.0', categories: ['google'] } })).statusCode, 200);

    // c1 answers (target [0, 600], one range); "down" does not and waits for its retry.
    const outcome = await app.planner.planAll();
    assert.deepEqual(outcome.map((o) => [o.name, o.available]), [[c.name, true], ['down', false]]);
    const a = await post(app, 'a');
    assert.deepEqual(a.assignments.map((x) => [x.log_name, x.start, x.end]), [[c.name, 0, 600]]);
    // All of c1 is handed out; "down" may come back.
    const b = await post(app, 'b');
    assert.deepEqual([b.assignments, b.idle], [[], false]);

    // The same logs marked shut down: the silent one keeps nobody waiting; the answering one still
    // hands out what it has.
    const file = join(env.dir, 'logs-shut-down.json');
    writeFileSync(file, JSON.stringify({ logs: logs(true) }));
    const marked = await env.build({}, { logsFile: file });
    const rows = await marked.db.selectFrom('logs').select(['name', 'shut_down']).orderBy('name').execute();
    assert.deepEqual(rows.map((r) => [r.name, r.shut_down]), [[c.name, 1], ['down', 1]]);
    // The status says so, for the dashboard to tell "shut down" from "not answering".
    const shown = (await marked.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    assert.deepEqual(shown.logs.map((l) => [l.name, l.shut_down]).sort(), [[c.name, true], ['down', true]].sort());
    assert.equal((await post(marked, 'b')).idle, true);
    const stop = await marked.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: 'a', leases: [{ lease_id: a.assignments[0].lease_id, confirmed: 299 }] } });
    assert.equal(stop.statusCode, 200, stop.body);
    const resumed = await post(marked, 'b');
    assert.deepEqual([resumed.assignments.map((x) => [x.log_name, x.start, x.resumed]), resumed.idle], [[[c.name, 300, true]], false]);
    assert.equal((await post(marked, 'c')).idle, true);
  } finally {
    await env.cleanup();
  }
});

test('idle: a window target the tree has not reached the end of keeps workers waiting', async () => {
  // c's entries run from 2025-12-01 for about four days: the window's end is still to come.
  const env = await testManagerEnv([catalogueEntry(c)], { window: parseWindow('2025-12-01/2026-01-31'), assignmentSize: 100_000 });
  try {
    const app = await env.build();
    const [planned] = await app.planner.planAll();
    assert.match(planned.note ?? '', /tree ends inside the widened window/);
    const post = (worker: string) => app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: worker, friend_name: 'f', version: '0.1.0' } }).then((r) => r.json() as InstructionsResponse);
    const a = await post('a');
    assert.deepEqual(a.assignments.map((x) => [x.start, x.end]), [[0, 5999]]);
    const b = await post('b');
    assert.deepEqual([b.assignments, b.idle], [[], false]);
  } finally {
    await env.cleanup();
  }
});

test('the catalogue accepts "shut_down": true or false and names a wrong value; the built-in one marks the logs gone for good', () => {
  const entry = { category: 'google', name: 'x1', url: 'https://x.example/log' };
  assert.equal(parseCatalogue({ logs: [entry] }).logs[0].shutDown, false);
  assert.equal(parseCatalogue({ logs: [{ ...entry, shut_down: true }] }).logs[0].shutDown, true);
  // The built-in catalogue marks the logs the CT reference lists as gone for good: all among the
  // mission's 45 logs, which come first (the shards added after them are all live).
  const builtIn = loadCatalogue(null).logs;
  assert.ok(builtIn.length > 45);
  assert.deepEqual(builtIn.slice(45).filter((l) => l.shutDown), []);
  assert.deepEqual(
    builtIn.filter((l) => l.shutDown).map((l) => l.name).sort(),
    ['log2024', 'nessie2022', 'nessie2023', 'nessie2024', 'nessie2025', 'nimbus2022', 'nimbus2023', 'nimbus2024', 'sphinx2024h1', 'sphinx2024h2', 'sphinx2025h1',
      'wyvern2024h1', 'wyvern2024h2', 'wyvern2025h1', 'yeti2022', 'yeti2022-2', 'yeti2023', 'yeti2024', 'yeti2025'],
  );
  assert.throws(() => parseCatalogue({ logs: [{ ...entry, shut_down: 'yes' }] }, 'logs.json'), (e: Error) => e instanceof CatalogueError && /logs\.json: logs\[0\]\.shut_down must be true or false/.test(e.message));
});
