/**
 * The dashboard in Chromium against a real manager (real MariaDB, real test CT logs), driven over
 * HTTP the way workers drive it: register, take instructions, upload real .jp leaves, ping.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { API_PATHS, type AnalysisGroup, type AnalysisSummaryResponse, type Assignment, type InstructionsResponse, type StatusResponse, type UploadItem } from '../../src/share/api/index.js';
import { parseLeaf } from '../../src/share/x509/index.js';
import { deadLogUrl, startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type CatalogueEntry, type TestManagerEnv } from '../helpers/manager.js';
import { startTestLogs, type TestLogs } from '../../tools/testlog/index.js';
import { ARTIFACTS_DIR, launchChromium, openWatchedPage, pageWidths, type Browser } from '../helpers/browser.js';
import { waitFor } from '../../tools/fixtures/wait.js';
import { requestJson } from '../helpers/http.js';

const HOSTILE_FRIEND = '<img src=x onerror=alert(1)>';
// Versions are refused by the manager unless they match [0-9A-Za-z.+_-]+; friend names are free text.
const VERSION = '0.1.0-ui+test';

let google: TestLog;
let cloudflare: TestLog;
let archived: TestLogs;
let env: TestManagerEnv;
let app: FastifyInstance;
let base: string;
let browser: Browser;

const api = <T>(method: 'GET' | 'POST', pathName: string, body?: unknown): Promise<T> => requestJson<T>(base, method, pathName, body);

const status = () => api<StatusResponse>('GET', API_PATHS.status);

class FakeFriend {
  readonly workerId: string;
  constructor(
    readonly friend: string,
    readonly version = '0.1.0',
  ) {
    this.workerId = `ui-test-${Math.random().toString(16).slice(2, 10)}`;
  }
  async register(): Promise<void> {
    await api('POST', API_PATHS.register, { worker_id: this.workerId, friend_name: this.friend, version: this.version });
  }
  async instructions(): Promise<Assignment[]> {
    const r = await api<InstructionsResponse>('POST', API_PATHS.instructions, { worker_id: this.workerId, friend_name: this.friend, version: this.version });
    return r.assignments;
  }
  /** Uploads the .jp leaves of [a.start, upTo] from the test log and returns how many. */
  async scan(a: Assignment, log: TestLog, upTo: number): Promise<number> {
    const items: UploadItem[] = [];
    for (let i = a.start; i <= upTo; i++) {
      const leaf = log.leaves[i]!;
      if (!parseLeaf(leaf).coversJp) continue;
      items.push({ leaf_input: leaf.toString('base64'), ct_log_url: a.log_url, log_name: a.log_name, friend_name: this.friend, index: i, lease_id: a.lease_id });
    }
    if (items.length > 0) await api('POST', API_PATHS.certificates, items);
    return items.length;
  }
  async ping(leases: { lease_id: number; confirmed: number }[], extra: Record<string, number> = {}): Promise<void> {
    await api('POST', API_PATHS.ping, { worker_id: this.workerId, version: this.version, leases, ...extra });
  }
}

async function statText(page: Page, id: string): Promise<string> {
  return (await page.locator(`[data-stat="${id}"] .stat-value`).textContent()) ?? '';
}

/** Every figure of the Analysis tab against the summary answer. */
async function checkAnalysisPage(page: Page, s: AnalysisSummaryResponse): Promise<void> {
  assert.ok(s.totals.lineages > 0, 'the uploaded leaves make lineages');
  for (const k of ['certificates', 'lineages', 'renewals', 'issuances'] as const) {
    assert.equal(await page.locator(`[data-analysis-total="${k}"] .stat-value`).textContent(), s.totals[k].toLocaleString('en-US'), k);
  }
  const groups: [string, AnalysisGroup][] = [['overall', s.overall], ...Object.entries(s.by_org_type).map(([k, g]): [string, AnalysisGroup] => [`org:${k}`, g]), ...Object.entries(s.by_ca).map(([k, g]): [string, AnalysisGroup] => [`ca:${k}`, g])];
  const classRows = await page.locator('.class-row').evaluateAll((els) => els.map((e) => ({ ...(e as HTMLElement).dataset })));
  assert.deepEqual(
    classRows.map((r) => [r.group, Number(r.lineages), Number(r.automated), Number(r.manual), Number(r.undetermined)]),
    groups.map(([k, g]) => [k, g.classes.lineages, g.classes.automated, g.classes.manual, g.classes.undetermined]),
  );
  const gapRows = await page.locator('.gaps-table tbody tr').evaluateAll((els) => els.map((e) => ({ ...(e as HTMLElement).dataset })));
  assert.deepEqual(
    gapRows.map((r) => [r.group, Number(r.renewals), Number(r.gaps)]),
    groups.filter(([k]) => !k.startsWith('ca:')).map(([k, g]) => [k, g.expiry_gaps.renewals, g.expiry_gaps.gaps]),
  );
  for (const k of ['weekday', 'weekend', 'holiday', 'non_business', 'closure', 'government_non_working'] as const) {
    const row = page.locator(`.time-table tr[data-day-class="${k}"]`);
    assert.equal(Number(await row.getAttribute('data-count')), s.overall.time[k].count, k);
    assert.equal(await row.getAttribute('data-expected'), String(s.overall.time[k].expected_share ?? ''), k);
  }
  const cells = await page.locator('.hm-cell').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.count)));
  assert.deepEqual(cells, s.heatmap_jst.counts.flat());
  const histogramTotal = Object.values(s.histograms.interval_days).flat().reduce((a, b) => a + b, 0);
  assert.equal(Number(await page.locator('.histogram').getAttribute('data-total')), histogramTotal);
  assert.equal(histogramTotal, s.totals.renewals, 'every renewal is in the histogram');
  const ready = await page.locator('.readiness-table tbody tr').evaluateAll((els) =>
    els.map((e) => [(e as HTMLElement).dataset.group, Array.from(e.querySelectorAll<HTMLElement>('.readiness-cell')).map((c) => [c.dataset.limit, Number(c.dataset.ready), Number(c.dataset.likely), Number(c.dataset.notReady), Number(c.dataset.unknown)])]),
  );
  assert.deepEqual(
    ready,
    groups.map(([k, g]) => [k, ['200', '100', '47'].map((l) => [l, g.readiness[l].ready, g.readiness[l].likely, g.readiness[l].not_ready, g.readiness[l].unknown])]),
  );
  // CA names are data: shown as text.
  for (const ca of Object.keys(s.by_ca)) assert.ok(await page.getByText(ca, { exact: true }).first().isVisible(), ca);
}

before(async () => {
  google = await startTestLog({ name: 'ui-google', category: 'google', size: 3100, pageSize: 32 });
  cloudflare = await startTestLog({ name: 'ui-cloudflare', category: 'cloudflare', size: 620, pageSize: 64 });
  // A shut-down log read from its zip archive: its lane says so.
  archived = await startTestLogs({ seed: 'ui-archived', size: 300, logs: [{ category: 'trustasia', name: 'ui-archived', pageSize: 100, shutDown: 'archive' }] });
  env = await testManagerEnv(
    [
      ...(JSON.parse(readFileSync(archived.cataloguePath, 'utf8')) as { logs: CatalogueEntry[] }).logs,
      catalogueEntry(google),
      // Read by data tiles, and a tiled log: the dashboard marks both.
      { ...catalogueEntry(cloudflare), data_tiles: true },
      { name: 'ui-gone', category: 'digicert', api: 'static-ct-api', url: await deadLogUrl(), submission_url: 'https://ui-gone.example/', key: null },
    ],
    { assignmentSize: 50, deadAfterS: 3, reaperIntervalS: 1 },
  );
  app = await env.build({ background: true });
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
  await waitFor('the planner', async () => (await status()).logs.filter((l) => l.target_end !== null).length === 3);
  browser = await launchChromium();
  await mkdir(ARTIFACTS_DIR, { recursive: true });
});

after(async () => {
  await browser?.close();
  await env?.cleanup();
  await Promise.all([google?.close(), cloudflare?.close(), archived?.close()]);
});

test('the dashboard shows the manager totals, every worker, a dead one marked, hostile names as text, and fits a phone', async () => {
  const hostile = new FakeFriend(HOSTILE_FRIEND, VERSION);
  const alice = new FakeFriend('alice');
  await hostile.register();
  await alice.register();

  // The hostile friend scans its cloudflare range completely and half of its google range.
  const hostileLeases = await hostile.instructions();
  const hg = hostileLeases.find((a) => a.category === 'google')!;
  const hc = hostileLeases.find((a) => a.category === 'cloudflare')!;
  assert.ok(hg && hc, 'one assignment per available category');
  const halfway = hg.start + Math.floor((hg.end - hg.start) / 2);
  let uploaded = (await hostile.scan(hg, google, halfway)) + (await hostile.scan(hc, cloudflare, hc.end));
  await hostile.ping([{ lease_id: hg.lease_id, confirmed: halfway }, { lease_id: hc.lease_id, confirmed: hc.end }], { collected: uploaded });

  const aliceLeases = await alice.instructions();
  const ag = aliceLeases.find((a) => a.category === 'google')!;
  assert.notEqual(ag.start, hg.start, 'no range is handed to two workers');
  const aliceFound = await alice.scan(ag, google, ag.start + 9);
  uploaded += aliceFound;
  const alicePing = () => alice.ping([{ lease_id: ag.lease_id, confirmed: ag.start + 9 }], { collected: aliceFound, spool_backlog: 2, rate_limited: 5 });
  await alicePing();
  const afterAlicePing = Date.now();
  // alice keeps pinging; the hostile friend goes silent and must turn dead.
  const keepAlive = setInterval(() => void alicePing().catch(() => {}), 500);

  const { page, dialogs, pageErrors } = await openWatchedPage(browser);
  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(base + '/');
    await page.locator('[data-stat="certificates"]').waitFor();

    // Totals: what the page shows is what the manager counted, and that is what was uploaded.
    // (The status answer is rebuilt in the background about once a second: wait for one built after
    // alice's ping, so that it holds her progress as well as every upload.)
    await waitFor('the uploads and pings in the status', async () => {
      const r = await status();
      return r.totals.sightings === uploaded && Date.parse(r.generated_at) >= afterAlicePing;
    });
    const s = await status();
    assert.ok(s.totals.certificates > 0, 'real .jp leaves were uploaded and stored');
    assert.equal(s.totals.sightings, uploaded);
    const certificatesText = s.totals.certificates.toLocaleString('en-US');
    const scannedText = s.totals.scanned_entries.toLocaleString('en-US');
    // The page polls on its own: give it the time of one poll to show that report.
    const shows = async () => (await statText(page, 'certificates')) === certificatesText && (await statText(page, 'scanned')) === scannedText;
    await waitFor('the page showing those totals', shows, 15_000).catch(() => undefined);
    assert.equal(await statText(page, 'certificates'), certificatesText);
    assert.equal(await statText(page, 'scanned'), scannedText);
    const gLog = page.locator(`[data-log="${google.name}"]`);
    assert.equal(await gLog.locator('.log-certs').getAttribute('data-certificates'), String(s.logs.find((l) => l.name === google.name)!.certificates));
    assert.match((await page.locator('[data-log="ui-gone"] .pill:not(.pill-api)').textContent()) ?? '', /not answering/);
    // How each log is read: a tiled log and a log serving data tiles are marked, a plain one is not.
    assert.equal(await page.locator('[data-log="ui-gone"] .pill-api').getAttribute('data-api'), 'static-ct-api');
    assert.equal(await page.locator('[data-log="ui-gone"] .pill-api').textContent(), 'tiled');
    assert.equal(await page.locator(`[data-log="${cloudflare.name}"] .pill-api`).textContent(), 'data tiles');
    assert.equal(await gLog.locator('.pill-api').count(), 0);
    assert.equal(await page.locator('[data-log="ui-archived"] .pill-api').getAttribute('data-read-from'), 'archive');
    assert.equal(await page.locator('[data-log="ui-archived"] .pill-api').textContent(), 'read from archive');
    assert.match((await page.locator('[data-log="ui-archived"] .pill-api').getAttribute('title')) ?? '', /zip archives .*\/archive\/trustasia\/ui-archived\/000\.zip$/);
    // The google bar has a scanned part and an in-progress part; the daily table has rows.
    assert.equal(await gLog.locator('.seg-done').count(), 1);
    assert.equal(await gLog.locator('.seg-running').count(), 1);
    assert.ok((await page.locator('.daily-table tbody tr').count()) > 0);

    // Both workers appear, with their leases; alice's counters are shown.
    const aliceCard = page.locator(`[data-worker-id="${alice.workerId}"]`);
    await aliceCard.waitFor();
    assert.match((await aliceCard.textContent()) ?? '', new RegExp(google.name));
    assert.equal(await aliceCard.locator('[data-collected]').getAttribute('data-collected'), String(aliceFound));
    const hostileCard = page.locator(`[data-worker-id="${hostile.workerId}"]`);
    await hostileCard.waitFor();

    // The hostile name is shown literally and nothing ran.
    assert.equal(await hostileCard.locator('.friend').textContent(), HOSTILE_FRIEND);
    assert.ok(await page.getByText(HOSTILE_FRIEND, { exact: true }).first().isVisible());
    assert.ok(((await hostileCard.textContent()) ?? '').includes(VERSION));
    assert.equal(await page.locator('.friend img, .friend *').count(), 0);
    assert.equal(await page.locator('img').count(), 0, 'no image element was created from the name');

    // Silence turns the hostile worker dead; the page shows it without a reload.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await page.locator(`[data-worker-id="${hostile.workerId}"][data-state="dead"]`).waitFor({ timeout: 60_000 });
    await page.locator('.warning').waitFor();
    assert.equal(await page.locator(`[data-worker-id="${alice.workerId}"]`).getAttribute('data-state'), 'alive');
    // New certificates appear by themselves too.
    const before = await statText(page, 'certificates');
    const more = await alice.scan(ag, google, ag.end);
    await alice.ping([{ lease_id: ag.lease_id, confirmed: ag.end }], { collected: aliceFound + more });
    const expected = (await status()).totals.certificates.toLocaleString('en-US');
    if (expected !== before) await page.waitForFunction((v) => document.querySelector('[data-stat="certificates"] .stat-value')?.textContent === v, expected);
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'no full reload happened');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'dashboard-desktop.png'), fullPage: true });

    // Language toggle.
    await page.locator('button.lang').click();
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    assert.equal(await page.locator('#overview-h').textContent(), '概要');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'dashboard-ja.png') });
    await page.locator('button.lang').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');

    // The Analysis tab shows the figures of the summary endpoint.
    await page.locator('a[href="#/analysis"]').click();
    await page.locator('#analysis[data-page="analysis"]').waitFor();
    await page.locator('[data-analysis-total="lineages"]').waitFor({ timeout: 60_000 });
    const generatedAt = await page.locator('#analysis').getAttribute('data-generated-at');
    const summary = await api<AnalysisSummaryResponse>('GET', API_PATHS.analysisSummary);
    assert.equal(summary.generated_at, generatedAt, 'the page shows the cached summary the endpoint returns');
    await checkAnalysisPage(page, summary);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'analysis-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 812 });
    if (summary.totals.renewals > 0) await page.locator('.histogram .chart canvas').waitFor();
    const analysisWidths = await pageWidths(page);
    assert.ok(analysisWidths.scroll <= analysisWidths.client, `analysis page is ${analysisWidths.scroll}px wide on a ${analysisWidths.client}px screen`);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'analysis-phone.png'), fullPage: true });
    await page.locator('button.lang').click();
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    assert.equal(await page.locator('#analysis-h').textContent(), '更新（リニューアル）分析');
    await page.locator('button.lang').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.locator('a[href="#/"]').click();
    await page.locator('[data-stat="certificates"]').waitFor();

    // Phone width: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await page.locator(`[data-worker-id="${hostile.workerId}"]`).waitFor();
    await page.locator('.chart canvas').first().waitFor();
    const widths = await pageWidths(page);
    assert.ok(widths.scroll <= widths.client, `page is ${widths.scroll}px wide on a ${widths.client}px screen`);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'dashboard-phone.png'), fullPage: true });

    assert.deepEqual(dialogs, [], 'no dialog was opened');
    assert.deepEqual(pageErrors, []);
  } finally {
    clearInterval(keepAlive);
    await page.close();
  }
});

test('the UI is served with a strict content security policy and does not shadow the API', async () => {
  const res = await fetch(base + '/', { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.match(await res.text(), /<div id="app">/);
  const js = await fetch(base + '/app.js', { signal: AbortSignal.timeout(10_000) });
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  const missing = await fetch(base + '/api/v1/nothing-here', { signal: AbortSignal.timeout(10_000) });
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get('content-type') ?? '', /json/);
});
