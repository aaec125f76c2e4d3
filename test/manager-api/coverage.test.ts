/**
 * The coverage ledger through the manager's own endpoints (real MariaDB, inject): pings,
 * terminations and completions carrying CT timestamps write one row per newly confirmed stretch,
 * and GET /api/v1/coverage merges them, proves them only after a verified completion, takes the
 * 24-hour merge delay off each end, and judges the observed periods over every log of the
 * catalogue, a shut-down log nobody could read included. Garbage timestamps are refused before
 * anything is written.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { withTestManager } from '../helpers/manager.js';
import { ManualClock } from '../../src/manager-api/clock.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { coverageReport } from '../../src/manager-api/repositories/coverage.js';
import type { Assignment, CoverageResponse, InstructionsResponse, LogCoverage } from '../../src/share/api/index.js';

const DAY = 86_400_000;
const at = (iso: string): number => Date.parse(iso);

let alpha: TestLog;
let beta: TestLog;
before(async () => {
  alpha = await startTestLog({ name: 'alpha', category: 'google', size: 1024, pageSize: 32 });
  beta = await startTestLog({ name: 'beta', category: 'cloudflare', size: 1024, pageSize: 32 });
});
after(async () => {
  await alpha.close();
  await beta.close();
});

/**
 * alpha takes anything; beta certificates expiring in the first half of 2025; gone, shut down and
 * served nowhere, certificates expiring from 2025-04-15 + 398 days: those issued after 2025-04-15
 * (398 days being the longest validity then) could be in it.
 */
const GONE_FROM = at('2025-04-15T00:00:00Z') + 398 * DAY;
const catalogue = () => [
  { name: 'alpha', category: 'google', url: alpha.url, key: alpha.key },
  { name: 'beta', category: 'cloudflare', url: beta.url, key: beta.key, temporal_interval: { start_inclusive: '2025-01-01T00:00:00Z', end_exclusive: '2025-07-01T00:00:00Z' } },
  {
    name: 'gone',
    category: 'digicert',
    url: 'http://127.0.0.1:9/gone/',
    key: alpha.key,
    shut_down: true,
    temporal_interval: { start_inclusive: new Date(GONE_FROM).toISOString(), end_exclusive: new Date(GONE_FROM + 180 * DAY).toISOString() },
  },
];
const overrides = { targetFraction: parseFraction('1/1'), assignmentSize: 1024 };

async function instruct(app: FastifyInstance, worker: string, category: string): Promise<Assignment> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: worker, friend_name: `f-${worker}`, version: '0.1.0', categories: [category] } });
  assert.equal(r.statusCode, 200, r.body);
  const [a] = (r.json() as InstructionsResponse).assignments;
  assert.ok(a, `no assignment for ${worker} in ${category}`);
  return a;
}

const post = (app: FastifyInstance, path: string, payload: unknown) => app.inject({ method: 'POST', url: `/api/v1/${path}`, payload: payload as object });

async function rows(app: FastifyInstance) {
  return (
    await app.db
      .selectFrom('coverage')
      .innerJoin('logs', 'logs.id', 'coverage.log_id')
      .select(['logs.name as log', 'coverage.start_index', 'coverage.end_index', 'coverage.first_timestamp', 'coverage.last_timestamp', 'coverage.proven'])
      .orderBy('coverage.id')
      .execute()
  ).map((r) => [r.log, Number(r.start_index), Number(r.end_index), r.first_timestamp === null ? null : Number(r.first_timestamp), r.last_timestamp === null ? null : Number(r.last_timestamp), r.proven]);
}

async function coverage(app: FastifyInstance, clock: ManualClock): Promise<CoverageResponse> {
  // The answer is cached for 5 s of the manager's clock.
  clock.advance(10_000);
  const r = await app.inject({ method: 'GET', url: '/api/v1/coverage' });
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as CoverageResponse;
}

const log = (c: CoverageResponse, name: string): LogCoverage => c.logs.find((l) => l.name === name)!;

test('pings, terminations and completions write the confirmed stretches; the coverage merges them, proves them on a verified completion and judges the observed periods over every log', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager(catalogue(), overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const a = await instruct(app, 'alice', 'google');
    const b = await instruct(app, 'bob', 'cloudflare');
    assert.deepEqual([a.log_name, a.start, a.end, b.log_name, b.start, b.end], ['alpha', 0, 1023, 'beta', 0, 1023]);

    // alice: half of alpha in a ping; bob: 300 entries of beta in the same kind of ping.
    clock.advance(30_000);
    let r = await post(app, 'ping', {
      worker_id: 'alice',
      version: '0.1.0',
      leases: [{ lease_id: a.lease_id, confirmed: 499, first_timestamp: at('2025-03-01T00:00:00Z'), last_timestamp: at('2025-04-15T00:00:00Z') }],
    });
    assert.equal(r.statusCode, 200, r.body);
    r = await post(app, 'ping', { worker_id: 'bob', version: '0.1.0', leases: [{ lease_id: b.lease_id, confirmed: 299, first_timestamp: at('2025-03-01T00:00:00Z'), last_timestamp: at('2025-04-01T00:00:00Z') }] });
    assert.equal(r.statusCode, 200, r.body);
    // A repeated position confirms nothing new: no row.
    r = await post(app, 'ping', { worker_id: 'bob', version: '0.1.0', leases: [{ lease_id: b.lease_id, confirmed: 299 }] });
    assert.equal(r.statusCode, 200, r.body);
    // bob stops mid-range: the stretch since his last ping is confirmed, the rest is not.
    r = await post(app, 'terminate', {
      worker_id: 'bob',
      leases: [{ lease_id: b.lease_id, confirmed: 599, first_timestamp: at('2025-04-01T00:01:00Z'), last_timestamp: at('2025-05-01T00:00:00Z') }],
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(await rows(app), [
      ['alpha', 0, 499, at('2025-03-01T00:00:00Z'), at('2025-04-15T00:00:00Z'), 0],
      ['beta', 0, 299, at('2025-03-01T00:00:00Z'), at('2025-04-01T00:00:00Z'), 0],
      ['beta', 300, 599, at('2025-04-01T00:01:00Z'), at('2025-05-01T00:00:00Z'), 0],
    ]);

    let c = await coverage(app, clock);
    assert.deepEqual(
      c.logs.map((l) => [l.name, l.category, l.in_catalogue, l.shut_down, l.mmd_seconds]),
      [
        ['beta', 'cloudflare', true, false, 86_400],
        ['gone', 'digicert', true, true, 86_400],
        ['alpha', 'google', true, false, 86_400],
      ],
    );
    assert.deepEqual(log(c, 'beta').stretches, [{ start: 0, end: 599, first_timestamp: '2025-03-01T00:00:00.000Z', last_timestamp: '2025-05-01T00:00:00.000Z', proven: false }]);
    // 24 hours of merge delay off each end: the last instant covered is last − 1 day, so the span ends 1 ms after it.
    assert.deepEqual(log(c, 'beta').covered, [{ start: '2025-03-02T00:00:00.000Z', end: '2025-04-30T00:00:00.001Z' }]);
    assert.deepEqual(log(c, 'beta').temporal_interval, { start_inclusive: '2025-01-01T00:00:00.000Z', end_exclusive: '2025-07-01T00:00:00.000Z' });
    assert.deepEqual(log(c, 'alpha').covered, [{ start: '2025-03-02T00:00:00.000Z', end: '2025-04-14T00:00:00.001Z' }]);
    assert.deepEqual([log(c, 'gone').stretches, log(c, 'gone').covered, log(c, 'gone').temporal_interval?.start_inclusive], [[], [], '2026-05-18T00:00:00.000Z']);
    // Both readable logs cover [03-02, 04-14]; gone could hold what is issued after 04-15 only.
    assert.deepEqual(c.observed_periods, [{ start: '2025-03-02T00:00:00.000Z', end: '2025-04-14T00:00:00.001Z' }]);

    // carol resumes beta after bob's confirmed position and completes it, unproven.
    const rest = await instruct(app, 'carol', 'cloudflare');
    assert.deepEqual([rest.start, rest.end, rest.resumed], [600, 1023, true]);
    r = await post(app, 'complete', {
      worker_id: 'carol',
      lease_id: rest.lease_id,
      verification: { state: 'unverified', reason: 'no proof' },
      first_timestamp: at('2025-05-01T00:01:00Z'),
      last_timestamp: at('2025-06-01T00:00:00Z'),
    });
    assert.equal(r.statusCode, 200, r.body);
    // alice completes alpha, proven: her ping's stretch becomes proven with the completion's own.
    r = await post(app, 'complete', { worker_id: 'alice', lease_id: a.lease_id, verification: { state: 'verified', tree_size: 1024, signed: true }, first_timestamp: at('2025-04-15T00:01:00Z'), last_timestamp: at('2025-06-01T00:00:00Z') });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual((await rows(app)).slice(3), [
      ['beta', 600, 1023, at('2025-05-01T00:01:00Z'), at('2025-06-01T00:00:00Z'), 0],
      ['alpha', 500, 1023, at('2025-04-15T00:01:00Z'), at('2025-06-01T00:00:00Z'), 1],
    ]);
    assert.equal((await rows(app))[0][5], 1, "alice's ping stretch is proven by her verified completion");

    c = await coverage(app, clock);
    assert.deepEqual(log(c, 'alpha').stretches, [{ start: 0, end: 1023, first_timestamp: '2025-03-01T00:00:00.000Z', last_timestamp: '2025-06-01T00:00:00.000Z', proven: true }]);
    assert.deepEqual(log(c, 'beta').stretches, [{ start: 0, end: 1023, first_timestamp: '2025-03-01T00:00:00.000Z', last_timestamp: '2025-06-01T00:00:00.000Z', proven: false }]);
    assert.deepEqual(log(c, 'beta').covered, [{ start: '2025-03-02T00:00:00.000Z', end: '2025-05-31T00:00:00.001Z' }]);
    // Both cover [03-02, 05-31] now, but from 04-15 (+1 ms) on, gone could hold the certificates and nobody read it.
    assert.deepEqual(c.observed_periods, [{ start: '2025-03-02T00:00:00.000Z', end: '2025-04-15T00:00:00.001Z' }]);

    // The repository answers the same without the app (the analysis and the export call it so).
    const direct = await coverageReport(app.db, clock.now());
    assert.deepEqual({ ...direct, generated_at: c.generated_at }, c);
    // A log the catalogue no longer lists is still reported, but no longer counts for the observed periods.
    await app.db.updateTable('logs').set({ in_catalogue: 0 }).where('name', '=', 'gone').execute();
    const without = await coverageReport(app.db, clock.now());
    assert.equal(log(without, 'gone').in_catalogue, false);
    assert.deepEqual(without.observed_periods, [{ start: '2025-03-02T00:00:00.000Z', end: '2025-05-31T00:00:00.001Z' }]);

    // npm run export writes the same answer beside the NDJSON and its schema, and nothing else.
    const out = join(env.dir, 'export', 'certs.ndjson');
    await mkdir(join(env.dir, 'export'));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/analysis/cli/export.ts', '--out', out], { env: { ...process.env, CTJP_DB_URL: env.dbUrl } });
    assert.match(stdout, /coverage: .*certs\.ndjson\.coverage\.json/);
    assert.deepEqual((await readdir(join(env.dir, 'export'))).sort(), ['certs.ndjson', 'certs.ndjson.coverage.json', 'certs.ndjson.schema.json']);
    const file = JSON.parse(await readFile(`${out}.coverage.json`, 'utf8')) as CoverageResponse;
    assert.deepEqual({ ...file, generated_at: without.generated_at }, without);
  });
});

test('garbage timestamps are refused with a 4xx naming the field, and nothing is written', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  await withTestManager(catalogue(), overrides, async (env) => {
    const app = await env.build({ clock });
    await app.planner.planAll();
    const a = await instruct(app, 'alice', 'google');
    const lease = (over: object) => ({ lease_id: a.lease_id, confirmed: 99, ...over });
    const cases: [string, unknown, number, RegExp][] = [
      ['ping', { worker_id: 'alice', version: '0.1.0', leases: [lease({ first_timestamp: '2025-03-01', last_timestamp: 1 })] }, 400, /leases\/0\/first_timestamp must be integer/],
      ['ping', { worker_id: 'alice', version: '0.1.0', leases: [lease({ first_timestamp: 1.5e12 + 0.5, last_timestamp: 1.5e12 })] }, 400, /leases\/0\/first_timestamp must be integer/],
      ['ping', { worker_id: 'alice', version: '0.1.0', leases: [lease({ first_timestamp: -5, last_timestamp: 1.5e12 })] }, 400, /leases\/0\/first_timestamp must be >= /],
      ['ping', { worker_id: 'alice', version: '0.1.0', leases: [lease({ first_timestamp: 1.5e12, last_timestamp: 1e20 })] }, 400, /leases\/0\/last_timestamp must be <= /],
      ['ping', { worker_id: 'alice', version: '0.1.0', leases: [lease({ first_timestamp: 1.5e12 })] }, 422, /leases\/0\/last_timestamp is missing/],
      ['terminate', { worker_id: 'alice', leases: [lease({ last_timestamp: 1.5e12 })] }, 422, /leases\/0\/first_timestamp is missing/],
      ['terminate', { worker_id: 'alice', leases: [lease({ first_timestamp: 1.5e12, last_timestamp: null })] }, 400, /leases\/0\/last_timestamp must be integer/],
      ['complete', { worker_id: 'alice', lease_id: a.lease_id, first_timestamp: 1.5e12, last_timestamp: 4.2e12 }, 400, /last_timestamp must be <= /],
      ['complete', { worker_id: 'alice', lease_id: a.lease_id, first_timestamp: 1.5e12 }, 422, /last_timestamp is missing/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await post(app, path, body);
      assert.equal(r.statusCode, status, `${path} ${JSON.stringify(body)}: ${r.body}`);
      assert.match(r.json().message, message);
    }
    assert.deepEqual(await rows(app), []);
    const l = await app.db.selectFrom('leases').select(['state', 'confirmed']).where('id', '=', a.lease_id).executeTakeFirstOrThrow();
    assert.deepEqual([l.state, Number(l.confirmed)], ['active', -1]);
    // An older worker sends none: valid, and its stretch has no time.
    const r = await post(app, 'ping', { worker_id: 'alice', version: '0.1.0', leases: [{ lease_id: a.lease_id, confirmed: 99 }] });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(await rows(app), [['alpha', 0, 99, null, null, 0]]);
    const c = await coverage(app, clock);
    assert.deepEqual(log(c, 'alpha').stretches, [{ start: 0, end: 99, first_timestamp: null, last_timestamp: null, proven: false }]);
    assert.deepEqual([log(c, 'alpha').covered, c.observed_periods], [[], []]);
  });
});
