import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { deadLogUrl, startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, withTestManager } from '../helpers/manager.js';
import { parseFraction, parseWindow } from '../../src/manager-api/config.js';
import { fractionTargetEnd } from '../../src/manager-api/planner.js';
import type { StatusResponse } from '../../src/share/api/index.js';

let google: TestLog;
let cloudflare: TestLog;
let hourly: TestLog;
let dead: string;

before(async () => {
  google = await startTestLog({ name: 'g1', category: 'google', size: 3100, pageSize: 32 });
  cloudflare = await startTestLog({ name: 'c1', category: 'cloudflare', size: 620, pageSize: 256 });
  // One entry per hour from 2025-11-01 00:00 UTC.
  hourly = await startTestLog({ name: 'h1', category: 'digicert', size: 2000, firstTimestamp: Date.UTC(2025, 10, 1), stepMs: 3_600_000 });
  dead = await deadLogUrl();
});
after(async () => {
  await Promise.all([google.close(), cloudflare.close(), hourly.close()]);
});

test('planning: tree_size / 31 per log, verified tree heads, page size probed; a dead log is unavailable and blocks nothing', async () => {
  const catalogue = [catalogueEntry(google), catalogueEntry(cloudflare), { name: 'gone', category: 'trustasia', url: dead, key: null }];
  await withTestManager(catalogue, {}, async (env) => {
    const app = await env.build();
    const outcomes = await app.planner.planAll();
    assert.deepEqual(
      outcomes.map((o) => [o.name, o.available, o.target_end]),
      [
        ['g1', true, 100],
        ['c1', true, 20],
        ['gone', false, null],
      ],
    );
    const status = (await app.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    const g = status.logs.find((l) => l.name === 'g1')!;
    assert.equal(g.tree_size, 3100);
    assert.equal(g.available, true);
    assert.match(g.target_note!, /fraction 1\/31 of tree size 3100/);
    const gone = status.logs.find((l) => l.name === 'gone')!;
    assert.equal(gone.available, false);
    assert.match(gone.last_error!, /get-sth/);
    assert.equal(status.totals.logs_available, 2);
    assert.equal(status.totals.target_entries, 101 + 21);
    const pageSizes = await app.db.selectFrom('logs').select(['name', 'page_size']).orderBy('name').execute();
    assert.deepEqual(
      pageSizes.map((p) => [p.name, p.page_size]),
      [
        ['c1', null],
        ['g1', 32],
        ['gone', null],
      ],
    );
    // The unavailable log is asked again once its retry time has come; the others are not due.
    await app.db.updateTable('logs').set({ next_check_at: new Date(0) }).where('name', '=', 'gone').execute();
    const due = await app.planner.checkDue();
    assert.deepEqual(
      due.map((d) => d.name),
      ['gone'],
    );
  });
});

test('planning: a tree head that does not verify with the catalogue key makes the log unavailable', async () => {
  await withTestManager([{ name: google.name, category: 'google', url: google.url, key: cloudflare.key }], {}, async (env) => {
    const app = await env.build();
    const [o] = await app.planner.planAll();
    assert.equal(o.available, false);
    assert.match(o.note!, /signature does not verify/);
  });
});

test('planning: a date window is found by binary search over timestamps, widened by a day on each side', async () => {
  await withTestManager([catalogueEntry(hourly)], { window: parseWindow('2025-12-01/2025-12-10') }, async (env) => {
    const app = await env.build();
    await app.planner.planAll();
    const log = await app.db.selectFrom('logs').selectAll().executeTakeFirstOrThrow();
    // 2025-11-30 00:00 is hour 29*24; the window ends 2025-12-11 00:00, widened to 2025-12-12 00:00 = hour 41*24.
    assert.equal(log.target_start, 29 * 24);
    assert.equal(log.target_end, 41 * 24 - 1);
    assert.equal(log.next_index, 29 * 24);
    assert.match(log.target_note!, /widened by 24 h/);
    const status = (await app.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    assert.equal(status.planning.mode, 'window');
    assert.equal(status.planning.window_widened_hours, 24);
  });
});

test('fractions and windows parse strictly', () => {
  assert.deepEqual(parseFraction('1/31'), { numerator: 1, denominator: 31, text: '1/31' });
  assert.deepEqual(parseFraction('0.05'), { numerator: 5, denominator: 100, text: '0.05' });
  assert.throws(() => parseFraction('2/1'), /\(0, 1\]/);
  assert.throws(() => parseFraction('abc'), /1\/31/);
  assert.equal(fractionTargetEnd(3100, 1, 31), 100);
  assert.equal(fractionTargetEnd(10, 1, 1), 9);
  assert.throws(() => parseWindow('2025-12-01'), /YYYY-MM-DD\/YYYY-MM-DD/);
  assert.throws(() => parseWindow('2025-02-30/2025-03-01'), /calendar/);
  assert.throws(() => parseWindow('2025-03-01/2025-02-01'), /before/);
});
