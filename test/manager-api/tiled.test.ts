/**
 * Logs read by tiles (static-ct-api logs, and RFC 6962 logs with data_tiles): their fresh ranges
 * are whole 256-entry tiles, except where the target itself starts or ends, and their assignments
 * carry log_api, log_origin and data_tiles. Against the real database, with concurrent claims.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { deadLogUrl, startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, withTestManager, type CatalogueEntry } from '../helpers/manager.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { nextRangeEnd, tiledAssignmentSize } from '../../src/manager-api/repositories/leases.js';
import { TILE_WIDTH } from '../../src/share/ct/tiles.js';
import { recordTreeHead, setTarget } from '../../src/manager-api/repositories/logs.js';
import type { Assignment, InstructionsResponse, StatusResponse } from '../../src/share/api/index.js';

let g: TestLog;
before(async () => {
  g = await startTestLog({ name: 'g1', category: 'google', size: 6000, pageSize: 32 });
});
after(async () => {
  await g.close();
});

async function ask(app: FastifyInstance, worker: string, categories?: string[]): Promise<InstructionsResponse> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: worker, friend_name: `f-${worker}`, version: '0.1.0', ...(categories ? { categories } : {}) } });
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as InstructionsResponse;
}

/** The ranges of a log, in index order, are whole tiles except at the target's ends, and partition [start, end]. */
function assertTiledPartition(ranges: { start: number; end: number }[], start: number, end: number, label: string): void {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  assert.equal(sorted[0].start, start, `${label}: the first range starts at the target start`);
  assert.equal(sorted[sorted.length - 1].end, end, `${label}: the last range ends at the target end`);
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i];
    assert.ok(r.start <= r.end, `${label}: [${r.start}, ${r.end}] is empty`);
    if (i > 0) {
      assert.equal(r.start, sorted[i - 1].end + 1, `${label}: [${sorted[i - 1].start}, ${sorted[i - 1].end}] then [${r.start}, ${r.end}]: overlap or hole`);
      assert.equal(r.start % TILE_WIDTH, 0, `${label}: [${r.start}, ${r.end}] starts inside a tile`);
    }
    if (i < sorted.length - 1) assert.equal((r.end + 1) % TILE_WIDTH, 0, `${label}: [${r.start}, ${r.end}] ends inside a tile`);
  }
}

test('tiled logs get whole tiles: the assignment size is rounded to 256, ranges start and end on tile edges except at the target ends', () => {
  assert.deepEqual([1, 100, 128, 255, 256, 300, 1000, 100_000].map(tiledAssignmentSize), [256, 256, 256, 256, 256, 256, 1024, 100_096]);
  const staticLog = { api: 'static-ct-api', data_tiles: 0, page_size: 256 };
  const hybrid = { api: 'rfc6962', data_tiles: 1, page_size: 32 };
  const plain = { api: 'rfc6962', data_tiles: 0, page_size: 32 };
  // An unaligned target start: the first range runs to the next tile edge.
  assert.equal(nextRangeEnd(staticLog, 300, 1000, 10_000), 1279);
  assert.equal(nextRangeEnd(staticLog, 1280, 1000, 10_000), 2303);
  assert.equal(nextRangeEnd(staticLog, 0, 10, 10_000), 255);
  assert.equal(nextRangeEnd(staticLog, 9984, 1000, 10_000), 10_000, 'the last range ends at the target end');
  assert.equal(nextRangeEnd(staticLog, 255, 1, 10_000), 255, 'one entry before a tile edge');
  // A hybrid log is cut by tiles, whatever its get-entries page; a plain one by its page.
  assert.equal(nextRangeEnd(hybrid, 0, 1000, 10_000), 1023);
  assert.equal(nextRangeEnd(plain, 0, 1000, 10_000), 991);
  // No page size known (the planner has not probed it): tiles still.
  assert.equal(nextRangeEnd({ api: 'static-ct-api', data_tiles: 0, page_size: null }, 7, 300, 10_000), 255);
});

test('a static-ct-api log with an unaligned target start: concurrent claims cover it in whole tiles without overlap; resumption is at confirmed + 1', async () => {
  const monitoring = await deadLogUrl();
  const logs: CatalogueEntry[] = [
    { name: 'tiled1', category: 'tiles', api: 'static-ct-api', url: monitoring, submission_url: 'https://tiled1.example/2026h1/', key: g.key },
    { ...catalogueEntry(g), data_tiles: true },
  ];
  // 1000 entries per assignment: 1024 (four tiles) for tiled logs.
  await withTestManager(logs, { targetFraction: parseFraction('1/1'), assignmentSize: 1000, dbConnections: 15 }, async (env) => {
    const a = await env.build();
    const b = await env.build();
    // The static log is given its tree head and target directly (the planner is not what is tested here).
    const row = await a.db.selectFrom('logs').select(['id', 'checkpoint_origin']).where('name', '=', 'tiled1').executeTakeFirstOrThrow();
    assert.equal(row.checkpoint_origin, 'tiled1.example/2026h1');
    const now = new Date();
    await recordTreeHead(a.db, row.id, { treeSize: 20_000, timestamp: now.getTime(), rootHash: Buffer.alloc(32) }, { from: 'origin', url: null, archives: null }, now, new Date(now.getTime() + 3_600_000));
    await setTarget(a.db, row.id, { start: 300, end: 15_000, mode: 'window', note: 'test window' });

    // 40 workers at once on two manager instances: 15 ranges exist, so some get nothing.
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => ask(i % 2 ? a : b, `w${i}`, ['tiles'])));
    const got = answers.flatMap((r) => r.assignments);
    assert.equal(got.length, 15);
    for (const x of got) {
      assert.deepEqual([x.log_name, x.log_url, x.log_api, x.log_origin, x.data_tiles, x.resumed], ['tiled1', monitoring, 'static-ct-api', 'tiled1.example/2026h1', false, false]);
      assert.ok(x.end - x.start + 1 <= 1024, `[${x.start}, ${x.end}] is more than four tiles`);
    }
    assertTiledPartition(got, 300, 15_000, 'assignments');
    assert.deepEqual(
      got.map((x) => [x.start, x.end]).sort((p, q) => p[0] - q[0]).slice(0, 2),
      [
        [300, 1279],
        [1280, 2303],
      ],
    );
    const ranges = await a.db.selectFrom('ranges').select(['start_index as start', 'end_index as end']).where('log_id', '=', row.id).execute();
    assertTiledPartition(ranges, 300, 15_000, 'ranges');
    assert.equal(new Set(got.map((x) => x.lease_id)).size, got.length);
    assert.equal((await ask(a, 'late', ['tiles'])).assignments.length, 0);

    // A worker stops inside a tile: the rest of its range resumes exactly after what it confirmed.
    const held = got.find((x) => x.start === 1280)!;
    const worker = `w${answers.findIndex((r) => r.assignments.some((x) => x.lease_id === held.lease_id))}`;
    const stop = await a.inject({ method: 'POST', url: '/api/v1/terminate', payload: { worker_id: worker, leases: [{ lease_id: held.lease_id, confirmed: 1400 }] } });
    assert.equal(stop.statusCode, 200, stop.body);
    const [resumed] = (await ask(b, 'next', ['tiles'])).assignments;
    assert.deepEqual([resumed.start, resumed.end, resumed.resumed, resumed.log_api, resumed.log_origin], [1401, 2303, true, 'static-ct-api', 'tiled1.example/2026h1']);

    // The status tells the dashboard how each log is read.
    const status = (await a.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    assert.deepEqual(
      status.logs.map((l) => [l.name, l.api, l.data_tiles]).sort(),
      [
        ['g1', 'rfc6962', true],
        ['tiled1', 'static-ct-api', false],
      ],
    );
  });
});

test('an RFC 6962 log with data tiles is cut by tiles, not by its 32-entry pages; a plain one keeps its pages', async () => {
  const plain = await startTestLog({ name: 'p1', category: 'plain', size: 6000, pageSize: 32 });
  try {
    const logs: CatalogueEntry[] = [{ ...catalogueEntry(g), data_tiles: true }, catalogueEntry(plain)];
    await withTestManager(logs, { targetFraction: parseFraction('1/1'), assignmentSize: 1000 }, async (env) => {
      const app = await env.build();
      await app.planner.planAll();
      const tiled: Assignment[] = [];
      const paged: Assignment[] = [];
      for (let i = 0; ; i++) {
        const r = await ask(app, `w${i}`);
        if (r.assignments.length === 0) {
          // Not idle: every lease handed out is audited (its worker's first hour), and the audits will need this friend.
          assert.equal(r.idle, false);
          break;
        }
        for (const x of r.assignments) (x.log_name === 'g1' ? tiled : paged).push(x);
      }
      assertTiledPartition(tiled, 0, 5999, 'g1');
      assert.deepEqual(
        tiled.map((x) => [x.start, x.end]),
        [
          [0, 1023],
          [1024, 2047],
          [2048, 3071],
          [3072, 4095],
          [4096, 5119],
          [5120, 5999],
        ],
      );
      for (const x of tiled) assert.deepEqual([x.log_api, x.log_origin, x.data_tiles, x.page_size], ['rfc6962', null, true, 32]);
      assert.deepEqual(
        paged.slice(0, 2).map((x) => [x.start, x.end, x.log_api, x.log_origin, x.data_tiles]),
        [
          [0, 991, 'rfc6962', null, false],
          [992, 1983, 'rfc6962', null, false],
        ],
      );
    });
  } finally {
    await plain.close();
  }
});
