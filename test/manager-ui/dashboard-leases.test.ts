/**
 * The worker cards' lease bars in Chromium against a real manager (MariaDB, a real test CT log),
 * driven over HTTP the way a worker drives it: a lease taken and pinged at a known position. The
 * bar's width and percentage are the lease's confirmed share, and the caption says in words how far
 * it is, in English and in Japanese.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { API_PATHS, type Assignment, type InstructionsResponse, type StatusResponse } from '../../src/share/api/index.js';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { launchChromium, openWatchedPage, type Browser } from '../helpers/browser.js';
import { waitFor } from '../../tools/fixtures/wait.js';
import { requestJson } from '../helpers/http.js';

const LONG_WAIT_MS = 120_000;

let log: TestLog;
let env: TestManagerEnv;
let app: FastifyInstance;
let base: string;
let browser: Browser | undefined;

/** GET without a body, POST with one. */
const api = <T>(pathName: string, body?: unknown): Promise<T> => requestJson<T>(base, body === undefined ? 'GET' : 'POST', pathName, body);

before(async () => {
  log = await startTestLog({ name: 'argon-test', category: 'google', size: 2000 });
  env = await testManagerEnv([catalogueEntry(log)], { assignmentSize: 800 });
  app = await env.build();
  await app.planner.planAll();
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
});

after(async () => {
  await browser?.close();
  await env?.cleanup();
  await log?.close();
});

test('a lease bar shows its confirmed share and says how far it is, in English and Japanese', async () => {
  const worker = { worker_id: 'lease-bar-test', friend_name: 'frank', version: '0.1.0' };
  await api(API_PATHS.register, worker);
  const { assignments } = await api<InstructionsResponse>(API_PATHS.instructions, worker);
  const lease: Assignment = assignments[0];
  const size = lease.end - lease.start + 1;
  assert.ok(size >= 4, `the test needs a lease of a few entries, got ${lease.start}-${lease.end}`);
  // A quarter of the lease confirmed.
  const done = Math.floor(size / 4);
  const share = done / size;
  await api(API_PATHS.ping, { worker_id: worker.worker_id, version: worker.version, leases: [{ lease_id: lease.lease_id, confirmed: lease.start + done - 1 }] });
  const shown = (await api<StatusResponse>(API_PATHS.status)).workers.find((w) => w.worker_id === worker.worker_id)!.leases[0];
  assert.equal(shown.confirmed, lease.start + done - 1, 'the status reports the pinged position');

  browser = await launchChromium();
  const { page, pageErrors } = await openWatchedPage(browser);
  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(base + '/');
    if ((await page.evaluate(() => document.documentElement.lang)) !== 'en') await page.locator('button.lang').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    const card = page.locator(`[data-lease-id="${lease.lease_id}"]`);
    await card.waitFor({ timeout: LONG_WAIT_MS });

    const n = (x: number) => x.toLocaleString('en-US');
    assert.equal(await card.locator('.lease-pct').textContent(), `${(share * 100).toFixed(1)}%`);
    assert.equal(await card.locator('.lease-pos').textContent(), `argon-test: ${n(done)} of ${n(size)} entries (indexes ${n(lease.start)}–${n(lease.end)})`);
    assert.equal(Number(await card.locator('.seg-done').getAttribute('data-fraction')), share);
    const widths = await card.locator('.bar').evaluate((bar) => ({ bar: bar.getBoundingClientRect().width, done: bar.querySelector('.seg-done')!.getBoundingClientRect().width }));
    assert.ok(Math.abs(widths.done / widths.bar - share) < 0.02, `bar filled ${widths.done} of ${widths.bar} px`);
    assert.equal(await card.locator('[role="progressbar"]').getAttribute('aria-valuenow'), String(done));

    await page.locator('button.lang').click();
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    assert.equal(await card.locator('.lease-pos').textContent(), `argon-test: ${n(size)} 件中 ${n(done)} 件 完了（インデックス ${n(lease.start)}–${n(lease.end)}）`);

    // The whole lease confirmed: 100 %, every entry counted.
    await api(API_PATHS.ping, { worker_id: worker.worker_id, version: worker.version, leases: [{ lease_id: lease.lease_id, confirmed: lease.end }] });
    await page.locator('button.lang').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await waitFor('the page to show the whole lease confirmed', async () => (await card.locator('.lease-pct').textContent()) === '100.0%', LONG_WAIT_MS, 250);
    assert.equal(await card.locator('.lease-pos').textContent(), `argon-test: ${n(size)} of ${n(size)} entries (indexes ${n(lease.start)}–${n(lease.end)})`);
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
