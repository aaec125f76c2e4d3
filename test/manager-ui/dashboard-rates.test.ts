/**
 * The dashboard's rates, ETAs and stalled leases are the status answer's, at every level: in Chromium
 * against a real manager (real MariaDB, real test CT log) whose clock the test moves, so the figures
 * hold still while the page and the test both read them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { API_PATHS, type InstructionsResponse, type StatusResponse } from '../../src/share/api/index.js';
import { ManualClock } from '../../src/manager-api/clock.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { formatDuration, formatRate } from '../../src/manager-ui/app/format.js';
import { translator } from '../../src/manager-ui/app/i18n.js';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { launchChromium, openWatchedPage, type Browser } from '../helpers/browser.js';
import { requestJson } from '../helpers/http.js';

let log: TestLog;
let env: TestManagerEnv;
let app: FastifyInstance;
let base: string;
let browser: Browser;
const clock = new ManualClock(Date.UTC(2026, 0, 10));

const api = <T>(method: 'GET' | 'POST', pathName: string, body?: unknown): Promise<T> => requestJson<T>(base, method, pathName, body);

before(async () => {
  log = await startTestLog({ name: 'ui-rates', category: 'google', size: 3000, pageSize: 32 });
  env = await testManagerEnv([catalogueEntry(log)], { targetFraction: parseFraction('1/1'), assignmentSize: 320, deadAfterS: 120, pingIntervalS: 30 });
  app = await env.build({ clock });
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
  await app.planner.planAll();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await env?.cleanup();
  await log?.close();
});

test("a log's and its category's rate and ETA, the overview's rate, and a stalled lease show what the status answers", async () => {
  const worker = { worker_id: 'ui-rates-w', friend_name: 'carol', version: '0.1.0' };
  const [a] = (await api<InstructionsResponse>('POST', API_PATHS.instructions, worker)).assignments;
  assert.ok(a, 'an assignment');
  clock.advance(30_000);
  await api('POST', API_PATHS.ping, { worker_id: worker.worker_id, version: worker.version, leases: [{ lease_id: a.lease_id, confirmed: a.start + 89 }] });
  // carol then falls silent for longer than the ping interval, but not yet for dead-after.
  clock.advance(45_000);
  const s = await api<StatusResponse>('GET', API_PATHS.status);
  const l = s.logs.find((x) => x.name === log.name)!;
  assert.ok(l.rate > 0 && l.eta_s !== null, 'confirmed entries give a rate and an ETA');
  assert.deepEqual(
    l.stalled_leases.map((x) => [x.lease_id, x.friend_name, x.dead_in_s]),
    [[a.lease_id, 'carol', 75]],
  );
  const category = s.categories.find((c) => c.category === 'google')!;

  const { page, pageErrors } = await openWatchedPage(browser);
  try {
    await page.goto(base + '/');
    const row = page.locator(`[data-log="${log.name}"]`);
    const stalled = row.locator(`[data-stalled-lease="${a.lease_id}"]`);
    await stalled.waitFor();
    assert.equal(await stalled.textContent(), 'waiting for carol to be declared dead (in ~75 s)');
    const t = translator('en');
    const meta = row.locator('.log-meta');
    assert.equal(Number(await meta.locator('[data-rate-now]').getAttribute('data-rate-now')), l.rate);
    assert.equal(await meta.locator('[data-rate-now]').textContent(), `Rate, last 5 min: ${formatRate(l.rate, 'en', t)}`);
    assert.equal(await meta.locator('[data-rate-hour]').textContent(), `Rate, last hour: ${formatRate(l.rate_last_hour, 'en', t)}`);
    assert.equal(await meta.locator('[data-eta-s]').getAttribute('data-eta-s'), String(l.eta_s));
    assert.equal(await meta.locator('[data-eta-s]').textContent(), `ETA: ${formatDuration(l.eta_s!, t)}`);
    const cat = page.locator('[data-category="google"] > summary .log-meta');
    assert.equal(Number(await cat.locator('[data-rate-now]').getAttribute('data-rate-now')), category.rate);
    assert.equal(await cat.locator('[data-eta-s]').getAttribute('data-eta-s'), String(category.eta_s));
    // The overview uses the same words for "now" and "last hour".
    assert.equal(await page.locator('[data-stat="rate"] .stat-label').textContent(), 'Rate, last 5 min');
    assert.equal(await page.locator('[data-stat="rate"] .stat-value').textContent(), formatRate(s.totals.rate, 'en', t));
    assert.equal(await page.locator('[data-stat="rate"] .stat-hint').textContent(), `Rate, last hour: ${formatRate(s.totals.rate_last_hour, 'en', t)}`);
    assert.equal(await page.locator('[data-stat="eta"] .stat-value').textContent(), formatDuration(s.totals.eta_s!, t));
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
