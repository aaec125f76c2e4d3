import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deadLogUrl, startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, withTestManager, type TestManagerEnv } from '../helpers/manager.js';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/manager-api/clock.js';
import { parseFraction, parseWindow } from '../../src/manager-api/config.js';
import { Planner, failedWaitMs, fractionTargetEnd, retryWaitMs } from '../../src/manager-api/planner.js';
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

/**
 * A loopback front of a test log that drops the connection of get-sth requests (no answer at all)
 * while it is down or has drops left, and passes everything else through.
 */
async function flakyFront(upstream: TestLog) {
  const state = { down: false, drops: 0, sthAsked: 0 };
  const server = createServer((req, res) => {
    if (req.url?.includes('/get-sth')) {
      state.sthAsked++;
      if (state.down || state.drops > 0) {
        state.drops = Math.max(0, state.drops - 1);
        req.socket.destroy();
        return;
      }
    }
    fetch(new URL((req.url ?? '/').replace(/^\//, ''), upstream.url))
      .then(async (r) => {
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await r.arrayBuffer()));
      })
      .catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    entry: { name: 'flaky', category: upstream.category, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, key: upstream.key },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A planner of the app's database on a clock that only moves when told to, with retry waits at their middle (no jitter). */
function manualPlanner(env: TestManagerEnv, app: FastifyInstance, clock: ManualClock): Planner {
  return new Planner({ db: app.db, config: env.config, clock, log: app.log, clientOptions: { maxTries: 1 }, random: () => 0.5 });
}

async function flakyRow(app: FastifyInstance) {
  return app.db.selectFrom('logs').selectAll().where('name', '=', 'flaky').executeTakeFirstOrThrow();
}

test('planning: a log whose first get-sth is dropped is asked again after 5 s, not after --log-retry, and then planned', async () => {
  const front = await flakyFront(google);
  try {
    await withTestManager([front.entry], {}, async (env) => {
      assert.equal(env.config.logRetryS, 300);
      const app = await env.build();
      const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
      const planner = manualPlanner(env, app, clock);
      front.state.drops = 1;
      const [first] = await planner.planAll();
      assert.equal(first.available, false);
      const row = await flakyRow(app);
      assert.equal(row.available, 0);
      assert.equal(new Date(row.next_check_at!).getTime() - clock.now().getTime(), 5000);
      clock.advance(4999);
      assert.deepEqual(await planner.checkDue(), [], 'not due before its wait is over');
      assert.equal(front.state.sthAsked, 1);
      clock.advance(1);
      const again = await planner.checkDue();
      assert.deepEqual(
        again.map((o) => [o.name, o.available, o.target_end]),
        [['flaky', true, 100]],
      );
      assert.equal(front.state.sthAsked, 2);
      // Planned: the next check is the tree head refresh, an hour later.
      assert.equal(new Date((await flakyRow(app)).next_check_at!).getTime() - clock.now().getTime(), env.config.logRefreshS * 1000);
    });
  } finally {
    await front.close();
  }
});

test('planning: the wait doubles while a log keeps failing, up to --log-retry, carries over to another manager, and an answer resets it', async () => {
  const front = await flakyFront(google);
  try {
    await withTestManager([front.entry], { logRetryS: 100 }, async (env) => {
      const app = await env.build();
      const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
      let planner = manualPlanner(env, app, clock);
      front.state.down = true;
      await planner.planAll();
      const waits: number[] = [];
      const lastWait = async () => {
        const row = await flakyRow(app);
        return new Date(row.next_check_at!).getTime() - new Date(row.checked_at!).getTime();
      };
      for (let i = 0; i < 6; i++) {
        const wait = await lastWait();
        waits.push(wait);
        clock.advance(wait - 1);
        assert.deepEqual(await planner.checkDue(), [], `not asked before the wait of ${wait} ms is over`);
        clock.advance(1);
        // Half way, a restarted manager (or another one on the same database) goes on from the stored wait.
        if (i === 2) planner = manualPlanner(env, app, clock);
        const [o] = await planner.checkDue();
        assert.equal(o.available, false);
      }
      waits.push(await lastWait());
      assert.deepEqual(waits, [5000, 10_000, 20_000, 40_000, 80_000, 100_000, 100_000]);
      assert.equal(front.state.sthAsked, 7, 'asked once per wait');

      front.state.down = false;
      clock.advance(100_000);
      const [back] = await planner.checkDue();
      assert.equal(back.available, true);
      // It answered: the next failure (at the hourly refresh) waits 5 s again.
      front.state.down = true;
      clock.advance(env.config.logRefreshS * 1000);
      const [failed] = await planner.checkDue();
      assert.equal(failed.available, false);
      assert.equal(await lastWait(), 5000);
    });
  } finally {
    await front.close();
  }
});

test('retry waits: 5 s first, doubling, at most --log-retry, varied by up to 20 % either way; the stored wait is read back', () => {
  const mid = () => 0.5;
  assert.equal(retryWaitMs(null, 300_000, mid), 5000);
  assert.equal(retryWaitMs(null, 300_000, () => 0), 4000);
  assert.equal(retryWaitMs(null, 300_000, () => 0.999_999), 6000);
  assert.equal(retryWaitMs(5000, 300_000, mid), 10_000);
  assert.equal(retryWaitMs(4000, 300_000, () => 0), 6400, 'even the shortest jitter keeps the wait growing');
  assert.equal(retryWaitMs(200_000, 300_000, mid), 300_000);
  assert.equal(retryWaitMs(300_000, 300_000, () => 0), 300_000, 'at the cap, the shortest jitter still doubles past it');
  // A --log-retry below 5 s caps even the first wait.
  assert.equal(retryWaitMs(null, 2000, mid), 2000);
  const at = (iso: string) => new Date(iso);
  assert.equal(failedWaitMs({ available: 0, checked_at: at('2026-01-05T09:00:00Z'), next_check_at: at('2026-01-05T09:00:20Z') }), 20_000);
  assert.equal(failedWaitMs({ available: 1, checked_at: at('2026-01-05T09:00:00Z'), next_check_at: at('2026-01-05T10:00:00Z') }), null, 'it answered last time');
  assert.equal(failedWaitMs({ available: 0, checked_at: null, next_check_at: null }), null, 'never asked');
});

test('planning: a log list at a URL that cannot be fetched is fetched again after growing waits, not at every pass', async () => {
  let fetched = 0;
  const server = createServer((_req, res) => {
    fetched++;
    res.writeHead(503);
    res.end('busy');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/log_list.json`;
  try {
    await withTestManager([], { logsFile: null, logList: url }, async (env) => {
      const app = await env.build();
      const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
      const planner = manualPlanner(env, app, clock);
      const before = fetched;
      await assert.rejects(planner.checkDue(), /503/);
      assert.equal(fetched, before + 1);
      assert.deepEqual(await planner.checkDue(), [], 'waiting');
      clock.advance(4999);
      assert.deepEqual(await planner.checkDue(), []);
      assert.equal(fetched, before + 1);
      clock.advance(1);
      await assert.rejects(planner.checkDue(), /503/);
      assert.equal(fetched, before + 2);
      clock.advance(9999);
      assert.deepEqual(await planner.checkDue(), []);
      clock.advance(1);
      await assert.rejects(planner.checkDue(), /503/);
      assert.equal(fetched, before + 3);
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
