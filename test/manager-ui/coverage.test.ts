/**
 * The dashboard's coverage timeline in Chromium against a real manager (real MariaDB, real test CT
 * logs): stretches reported over HTTP the way workers report them, then a row per log of
 * GET /api/v1/coverage and an observed band whose dates are the answer's, in English and Japanese,
 * fitting a phone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { API_PATHS, type CoverageResponse, type InstructionsResponse } from '../../src/share/api/index.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { formatSpan } from '../../src/manager-ui/app/timeline.js';
import { deadLogUrl, startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ARTIFACTS_DIR, launchChromium, openWatchedPage, pageWidths, type Browser } from '../helpers/browser.js';
import { waitFor } from '../../tools/fixtures/wait.js';
import { requestJson } from '../helpers/http.js';

let google: TestLog;
let cloudflare: TestLog;
let env: TestManagerEnv;
let app: FastifyInstance;
let base: string;
let browser: Browser;

const api = <T>(method: 'GET' | 'POST', pathName: string, body?: unknown): Promise<T> => requestJson<T>(base, method, pathName, body);

before(async () => {
  google = await startTestLog({ name: 'cov-google', category: 'google', size: 640, pageSize: 32 });
  cloudflare = await startTestLog({ name: 'cov-cloudflare', category: 'cloudflare', size: 640, pageSize: 64 });
  env = await testManagerEnv(
    [
      catalogueEntry(google),
      { ...catalogueEntry(cloudflare), temporal_interval: { start_inclusive: '2025-01-01T00:00:00Z', end_exclusive: '2025-07-01T00:00:00Z' } },
      // Shut down and served nowhere; it could hold certificates issued from 2025-04-15 (+398 days' validity).
      { name: 'cov-gone', category: 'digicert', url: await deadLogUrl(), key: null, shut_down: true, temporal_interval: { start_inclusive: '2026-05-18T00:00:00Z', end_exclusive: '2026-11-01T00:00:00Z' } },
    ],
    { assignmentSize: 640, targetFraction: parseFraction('1/1') },
  );
  app = await env.build({ background: true });
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
  await waitFor('the planner', async () => (await api<{ logs: { target_end: number | null }[] }>('GET', API_PATHS.status)).logs.filter((l) => l.target_end !== null).length === 2);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await env?.cleanup();
  await Promise.all([google?.close(), cloudflare?.close()]);
});

test('the coverage panel draws a row per log and the observed band, with the dates of /api/v1/coverage', async () => {
  const worker = { worker_id: 'cov-ui-worker', friend_name: 'alice', version: '0.1.0' };
  await api('POST', API_PATHS.register, worker);
  const { assignments } = await api<InstructionsResponse>('POST', API_PATHS.instructions, worker);
  const g = assignments.find((a) => a.category === 'google')!;
  const c = assignments.find((a) => a.category === 'cloudflare')!;
  assert.ok(g && c, 'one assignment in each readable category');
  await api('POST', API_PATHS.ping, {
    worker_id: worker.worker_id,
    version: worker.version,
    leases: [
      { lease_id: g.lease_id, confirmed: g.start + 99, first_timestamp: Date.UTC(2025, 2, 1), last_timestamp: Date.UTC(2025, 5, 1) },
      { lease_id: c.lease_id, confirmed: c.start + 99, first_timestamp: Date.UTC(2025, 1, 1), last_timestamp: Date.UTC(2025, 4, 1) },
    ],
  });
  let coverage!: CoverageResponse;
  await waitFor('both stretches in the coverage answer', async () => {
    coverage = await api<CoverageResponse>('GET', API_PATHS.coverage);
    return coverage.logs.filter((l) => l.stretches.length > 0).length === 2;
  });
  // google covers [03-02, 05-31], cloudflare [02-02, 04-30]; gone could hold what is issued from 04-15 on.
  assert.deepEqual(coverage.observed_periods, [{ start: '2025-03-02T00:00:00.000Z', end: '2025-04-15T00:00:00.001Z' }]);

  const { page, dialogs, pageErrors } = await openWatchedPage(browser);
  try {
    await page.goto(base + '/');
    await page.locator('[data-coverage-log]').first().waitFor();

    const rows = await page.locator('[data-coverage-log]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.coverageLog));
    assert.deepEqual(rows, ['cov-google', 'cov-cloudflare', 'cov-gone'], 'a row per log, in the categories of the Logs section');
    for (const log of coverage.logs) {
      const spans = await page.locator(`[data-coverage-log="${log.name}"] .tl-span`).evaluateAll((els) => els.map((e) => ({ start: (e as HTMLElement).dataset.start, end: (e as HTMLElement).dataset.end, title: e.getAttribute('title') })));
      assert.deepEqual(
        spans,
        log.covered.map((s) => ({ ...s, title: `${log.name} · covered: ${formatSpan(s)}` })),
        log.name,
      );
    }
    assert.match((await page.locator('[data-coverage-log="cov-gone"]').textContent()) ?? '', /shut down, unread/);
    assert.match((await page.locator('[data-coverage-log="cov-gone"] [role="img"]').getAttribute('aria-label')) ?? '', /not scanned/);

    const band = page.locator('[data-observed] .tl-span');
    const observed = await band.evaluateAll((els) => els.map((e) => ({ start: (e as HTMLElement).dataset.start, end: (e as HTMLElement).dataset.end })));
    assert.deepEqual(observed, coverage.observed_periods);
    const label = (await page.locator('[data-observed] [role="img"]').getAttribute('aria-label')) ?? '';
    assert.equal(label, 'Observed periods: 2025-03-02 00:00 – 2025-04-15 00:00 UTC');
    // The band sits on the same axis as the rows: it starts where google's covered time does.
    const [bandBox, googleBox] = await Promise.all([band.first().boundingBox(), page.locator('[data-coverage-log="cov-google"] .tl-span').first().boundingBox()]);
    assert.ok(bandBox && googleBox && Math.abs(bandBox.x - googleBox.x) < 1, `band at ${bandBox?.x}, google at ${googleBox?.x}`);

    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await page.locator('section[aria-labelledby="coverage-h"]').screenshot({ path: path.join(ARTIFACTS_DIR, 'coverage-panel.png') });

    await page.locator('button.lang').click();
    await page.getByRole('heading', { name: 'カバレッジ' }).waitFor();
    assert.match((await page.locator('[data-observed] [role="img"]').getAttribute('aria-label')) ?? '', /^観測期間: 2025-03-02 00:00 – 2025-04-15 00:00 UTC$/);

    await page.setViewportSize({ width: 375, height: 800 });
    const w = await pageWidths(page);
    assert.ok(w.scroll <= w.client, `no horizontal scroll at 375 px (${w.scroll} > ${w.client})`);
    assert.deepEqual([dialogs, pageErrors], [[], []]);
  } finally {
    await page.close();
  }
});
