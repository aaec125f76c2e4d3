/**
 * The dashboard in Chromium with real worker processes: test CT logs that answer slowly, a manager
 * over MariaDB that declares silent workers dead after a few seconds, and two workers, one of them
 * with a name that is HTML. One worker is killed with SIGKILL; the open page shows it dead by itself.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { startTestLogs, type TestLogs } from '../../tools/testlog/index.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { API_PATHS, type StatusResponse, type WorkerStatus } from '../../src/share/api/index.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { tempDir } from '../helpers/worker-env.js';
import { exitWithin, isRunning, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { waitFor } from '../../tools/fixtures/wait.js';
import { ARTIFACTS_DIR, launchChromium, openWatchedPage, waitUntilFitsWidth, type Browser } from '../helpers/browser.js';

const HOSTILE_FRIEND = '<img src=x onerror=alert(1)>';
const PLAIN_FRIEND = 'bob';
// Everything below waits by polling; a loaded machine only makes it slower.
const LONG_WAIT_MS = 180_000;

let logs: TestLogs;
let env: TestManagerEnv;
let app: FastifyInstance;
let base: string;
let browser: Browser | undefined;
const workers: WorkerProcess[] = [];
const spools: { remove: () => Promise<void> }[] = [];

async function status(): Promise<StatusResponse> {
  const res = await fetch(base + API_PATHS.status, { signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  assert.ok(res.ok, `GET ${API_PATHS.status}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as StatusResponse;
}

/** The manager's record of the worker process started for `friend` (the latest, if several). */
async function workerOf(friend: string): Promise<WorkerStatus | undefined> {
  return (await status()).workers.filter((w) => w.friend_name === friend).at(-1);
}

async function startWorker(friend: string): Promise<WorkerProcess> {
  const spool = await tempDir('ctjp-ui-worker-');
  spools.push(spool);
  // Not --exit-when-idle: a worker with nothing left to scan keeps pinging and stays alive.
  const p = startWorkerProcess(friend, base, spool.dir, ['--interval-ms', '300', '--status-interval-s', '5']);
  workers.push(p);
  return p;
}

async function certificatesShown(page: Page): Promise<string> {
  return (await page.locator('[data-stat="certificates"] .stat-value').textContent()) ?? '';
}

function outputOf(p: WorkerProcess): string {
  return `${p.name} printed:\n${p.out.slice(-20).join('\n')}`;
}

before(async () => {
  // Slow answers keep the workers scanning while the page is looked at.
  logs = await startTestLogs({ seed: 'ui-workers', size: 3000, logs: ['argon-test', 'nimbus-test'], faults: { latencyMs: [150, 350] } });
  env = await testManagerEnv(
    logs.logs.map(catalogueEntry),
    { targetFraction: parseFraction('1/1'), assignmentSize: 200, deadAfterS: 3, reaperIntervalS: 1, pingIntervalS: 1 },
  );
  app = await env.build({ background: true });
  await app.planner.planAll();
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
  await mkdir(ARTIFACTS_DIR, { recursive: true });
});

after(async () => {
  for (const p of workers) if (isRunning(p)) p.child.kill('SIGTERM');
  for (const p of workers) if ((await exitWithin(p, 20_000)) === 'late') p.child.kill('SIGKILL');
  await browser?.close();
  await env?.cleanup();
  await logs?.close();
  for (const s of spools) await s.remove();
});

test('real workers on the dashboard: alive with names as text, totals as the status says, a killed one turns dead, and a phone fits', async () => {
  const hostile = await startWorker(HOSTILE_FRIEND);
  const plain = await startWorker(PLAIN_FRIEND);
  for (const p of [hostile, plain]) {
    await waitFor(`${p.name} to register and ping`, async () => {
      assert.ok(isRunning(p), `${p.name} exited early; ${outputOf(p)}`);
      return (await workerOf(p.name))?.state === 'alive';
    }, LONG_WAIT_MS, 250);
  }
  const hostileId = (await workerOf(HOSTILE_FRIEND))!.worker_id;
  const plainId = (await workerOf(PLAIN_FRIEND))!.worker_id;

  browser = await launchChromium();
  const { page, dialogs, pageErrors } = await openWatchedPage(browser);
  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(base + '/');
    await page.locator('[data-stat="certificates"]').waitFor({ timeout: LONG_WAIT_MS });

    // Both real workers are listed as alive.
    const hostileCard = page.locator(`[data-worker-id="${hostileId}"]`);
    const plainCard = page.locator(`[data-worker-id="${plainId}"]`);
    for (const id of [hostileId, plainId]) await page.locator(`[data-worker-id="${id}"][data-state="alive"]`).waitFor({ timeout: LONG_WAIT_MS });

    // The hostile name is shown literally, is visible, and created nothing.
    assert.equal(await hostileCard.locator('.friend').textContent(), HOSTILE_FRIEND);
    assert.equal(await plainCard.locator('.friend').textContent(), PLAIN_FRIEND);
    assert.ok(await hostileCard.locator('.friend').isVisible());
    assert.ok(await page.getByText(HOSTILE_FRIEND, { exact: true }).first().isVisible());
    assert.equal(await page.locator('.friend *').count(), 0);
    assert.equal(await page.locator('img').count(), 0, 'no image element was created from the name');

    // The certificate total is the manager's. The page polls every few seconds while the workers
    // keep uploading, so the two are compared until they agree (at the latest once scanning ends).
    await waitFor('the workers to store certificates', async () => (await status()).totals.certificates > 0, LONG_WAIT_MS, 500);
    let lastSeen = '';
    await waitFor(
      'the page total to match the status endpoint',
      async () => {
        const expected = (await status()).totals.certificates.toLocaleString('en-US');
        lastSeen = `page ${await certificatesShown(page)}, status ${expected}`;
        return (await certificatesShown(page)) === expected && expected !== '0';
      },
      LONG_WAIT_MS,
      500,
    ).catch((err: Error) => assert.fail(`${err.message} (${lastSeen})`));

    // Completed ranges come with the worker's proof that they are in the log's tree; the page shows the count.
    await waitFor('a completed range to be proven', async () => (await status()).logs.some((l) => l.verified > 0), LONG_WAIT_MS, 500);
    await waitFor(
      'the page to show the proven entries',
      async () => {
        const expected = new Map((await status()).logs.map((l) => [l.name, l.verified]));
        const shown = await page.locator('[data-log] [data-verified]').evaluateAll((els) => els.map((e) => [e.closest('[data-log]')!.getAttribute('data-log'), Number(e.getAttribute('data-verified'))] as const));
        return shown.some(([, n]) => n > 0) && shown.every(([name, n]) => n <= (expected.get(name!) ?? 0));
      },
      LONG_WAIT_MS,
      500,
    );
    assert.equal(await page.locator('[data-verification-failures]').count(), 0, 'no range contradicts its log');

    // SIGKILL: no goodbye, so only the silence tells. The open page shows it dead without a reload.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    hostile.child.kill('SIGKILL');
    assert.equal(await exitWithin(hostile, 30_000), null, 'the killed worker exited by the signal');
    await page.locator(`[data-worker-id="${hostileId}"][data-state="dead"]`).waitFor({ timeout: LONG_WAIT_MS });
    assert.equal(await plainCard.getAttribute('data-state'), 'alive', outputOf(plain));
    assert.equal(await hostileCard.locator('.friend').textContent(), HOSTILE_FRIEND);
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'no full reload happened');
    assert.equal((await workerOf(HOSTILE_FRIEND))?.state, 'dead');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'dashboard-workers-desktop.png'), fullPage: true });

    // Phone width: nothing wider than the screen. The charts follow the new width on their next
    // frame (ResizeObserver), so the layout is given time to settle.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.locator(`[data-worker-id="${hostileId}"]`).waitFor();
    await page.locator('.chart canvas').first().waitFor({ timeout: LONG_WAIT_MS });
    await waitUntilFitsWidth(page);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'dashboard-workers-phone.png'), fullPage: true });

    assert.deepEqual(dialogs, [], 'no dialog was opened');
    assert.deepEqual(pageErrors, []);
    assert.ok(isRunning(plain), `the other worker is still running; ${outputOf(plain)}`);
  } finally {
    await page.close();
  }
});
