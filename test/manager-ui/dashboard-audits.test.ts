/**
 * Audits on the dashboard, in Chromium against a real manager (MariaDB, a real test CT log), driven
 * over HTTP the way workers drive it: mallory drops one `.jp` entry of her first range and makes one
 * up, bob's audit disagrees, carol's third scan decides, and mallory is flagged. The page shows her
 * card first with the badge and the evidence in words (English and Japanese), the quarantine and
 * the flag in the overview, the log's audit figures as the status gives them; the curl line it
 * shows for the operator, run as printed, clears her, and the page follows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { parseFraction } from '../../src/manager-api/config.js';
import { API_PATHS, type Assignment, type ClearWorkerResponse, type InstructionsResponse, type LeaseVerification, type LogStatus, type StatusResponse, type UploadItem } from '../../src/share/api/index.js';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { ARTIFACTS_DIR, launchChromium, openWatchedPage, waitUntilFitsWidth, type Browser } from '../helpers/browser.js';
import { requestJson } from '../helpers/http.js';
import { indexesCoveringJp, uploadItem } from '../helpers/uploads.js';

const LONG_WAIT_MS = 120_000;
const SIZE = 400;
const VERIFIED: LeaseVerification = { state: 'verified', tree_size: SIZE, signed: true };

let log: TestLog;
let env: TestManagerEnv;
let app: FastifyInstance;
let base: string;
let browser: Browser | undefined;
/** Indexes whose leaf covers a .jp name: the only ones an honest worker uploads. */
let jp: number[];

/** GET without a body, POST with one. */
const api = <T>(pathName: string, body?: unknown): Promise<T> => requestJson<T>(base, body === undefined ? 'GET' : 'POST', pathName, body);

const friendOf = (worker: string): string => worker.replace(/[0-9]+$/, '');

async function instruct(worker: string): Promise<Assignment> {
  const { assignments } = await api<InstructionsResponse>(API_PATHS.instructions, { worker_id: worker, friend_name: friendOf(worker), version: '0.1.0' });
  assert.ok(assignments[0], `no assignment for ${worker}`);
  return assignments[0];
}

/** Upload these indexes of the lease's range (some leaves replaced) and complete it verified. */
async function scan(worker: string, a: Assignment, indexes = jp.filter((i) => i >= a.start && i <= a.end), leaves = new Map<number, Buffer>()): Promise<void> {
  const items: UploadItem[] = indexes.map((index) => uploadItem(log, a.lease_id, index, leaves.get(index) ?? log.leaves[index], friendOf(worker)));
  if (items.length > 0) await api(API_PATHS.certificates, items);
  await api(API_PATHS.complete, { worker_id: worker, lease_id: a.lease_id, verification: VERIFIED });
}

// The status route caches an answer per `days` for a second: each read asks for other days.
let days = 400;
const status = (): Promise<StatusResponse> => api<StatusResponse>(`${API_PATHS.status}?days=${days++}`);
const logOf = (s: StatusResponse): LogStatus => s.logs.find((l) => l.name === log.name)!;

async function setLang(page: Page, lang: 'en' | 'ja'): Promise<void> {
  if ((await page.evaluate(() => document.documentElement.lang)) !== lang) await page.locator('button.lang').click();
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

before(async () => {
  log = await startTestLog({ name: 'audit-ui', category: 'google', size: SIZE, pageSize: 32 });
  jp = indexesCoveringJp(log.leaves);
  env = await testManagerEnv([catalogueEntry(log)], { targetFraction: parseFraction('1/1'), assignmentSize: 128 });
  app = await env.build();
  await app.planner.planAll();
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
  await mkdir(ARTIFACTS_DIR, { recursive: true });
});

after(async () => {
  await browser?.close();
  await env?.cleanup();
  await log?.close();
});

test('a flagged worker stands out with its evidence, the log shows its audit figures, and the shown command clears it', async () => {
  // Every lease in a worker's first hour is audited. Mallory's first range: one .jp entry dropped,
  // and at an index with no .jp entry a .jp leaf from further on in the log.
  const m1 = await instruct('mallory1');
  assert.deepEqual([m1.start, m1.end], [0, 127]);
  const inRange = jp.filter((i) => i <= 127);
  const dropped = inRange[3]!;
  const madeUp = [...Array(128).keys()].find((i) => !jp.includes(i))!;
  const source = jp.find((i) => i >= 128)!;
  await scan('mallory1', m1, [...inRange.filter((i) => i !== dropped), madeUp].sort((x, y) => x - y), new Map([[madeUp, log.leaves[source]!]]));
  // Her second range is honest; its audit waits for a friend.
  const m2 = await instruct('mallory1');
  assert.deepEqual([m2.start, m2.end], [128, 255]);
  await scan('mallory1', m2);
  // Bob audits her first range and disagrees; carol's third scan decides.
  const b = await instruct('bob1');
  assert.deepEqual([b.start, b.end, b.resumed], [0, 127, true]);
  await scan('bob1', b);
  const c = await instruct('carol1');
  assert.deepEqual([c.start, c.end, c.resumed], [0, 127, true]);
  await scan('carol1', c);
  // Bob and carol stop: the audit of her second range has no friend to take it.
  for (const w of ['bob1', 'carol1']) await api(API_PATHS.terminate, { worker_id: w, leases: [] });

  const s = await status();
  const mallory = s.workers.find((w) => w.worker_id === 'mallory1')!;
  assert.ok(mallory.flagged, 'the audit flagged mallory');
  const audit = logOf(s).audit;
  assert.deepEqual([audit.pending_audits, audit.waiting_for_friend, audit.disputes, audit.disputes_settled, audit.unproven_ranges, audit.given_up.length], [1, 1, 0, 1, 0, 0]);
  assert.ok(audit.quarantined_certificates >= 1 && audit.quarantined_sightings > 1, `quarantine: ${JSON.stringify(audit)}`);
  assert.equal(s.totals.workers_flagged, 1);

  browser = await launchChromium();
  const { page, dialogs, pageErrors } = await openWatchedPage(browser);
  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(base + '/');
    await setLang(page, 'en');
    const card = page.locator('[data-worker-id="mallory1"]');
    await card.locator('[data-flag]').waitFor({ timeout: LONG_WAIT_MS });
    const n = (x: number) => x.toLocaleString('en-US');

    // The flagged card comes first and says so, with its evidence in words.
    assert.equal(await page.locator('.workers > li').first().getAttribute('data-worker-id'), 'mallory1');
    assert.equal(await card.getAttribute('data-flagged'), 'true');
    assert.equal(await card.locator('[data-flagged-badge]').textContent(), 'flagged by an audit');
    for (const id of ['bob1', 'carol1']) assert.equal(await page.locator(`[data-worker-id="${id}"] [data-flagged-badge]`).count(), 0);
    const evidence = card.locator('.evidence > li');
    assert.equal(await evidence.count(), mallory.flagged.evidence.length);
    const title = (await evidence.first().locator('.evidence-title').textContent()) ?? '';
    assert.match(title, new RegExp(`^audit-ui, indexes 0–127 \\(decided \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\)$`));
    const lines = await evidence.first().locator('ul > li').allTextContents();
    assert.deepEqual(lines, [
      `Entries it reported that the two others did not (or with other contents): 1, at indexes ${n(madeUp)}`,
      `Entries the two others reported that it missed: 1, at indexes ${n(dropped)}`,
      'Its proof verdict: verified; the others: verified, verified',
      `Its lease ${m1.lease_id}; the others: leases ${b.lease_id}, ${c.lease_id} (audit ${mallory.flagged.evidence[0]!.audit_id})`,
    ]);
    assert.equal(await card.locator('[data-quarantined-sightings]').textContent(), n(mallory.flagged.quarantined_sightings));
    assert.equal(await card.locator('.flag-reason .mono').textContent(), mallory.flagged.reason);
    const command = (await card.locator('[data-clear-command="keep"]').textContent()) ?? '';
    assert.equal(command, `curl -X POST -H "Authorization: Bearer $CTJP_ADMIN_TOKEN" -H 'content-type: application/json' -d '{}' '${base}/api/v1/admin/workers/mallory1/clear'`);
    assert.match((await card.locator('[data-clear-command="delete"]').textContent()) ?? '', /-d '\{"delete":true\}'/);

    // The overview: the banner and the quarantined certificates, as the status counts them.
    assert.equal(await page.locator('[data-workers-flagged]').getAttribute('data-workers-flagged'), '1');
    assert.equal(await page.locator('[data-stat="quarantined"] .stat-value').textContent(), n(s.totals.quarantined_certificates));
    assert.equal(await page.locator('[data-stat="quarantined"] .stat-hint').textContent(), `${n(s.totals.quarantined_sightings)} .jp entries only a flagged worker reported; not counted above`);

    // The log's lane: the cost always, the other figures only when not zero.
    const lane = page.locator(`[data-log="${log.name}"]`);
    assert.equal(await lane.locator('[data-twice-share]').textContent(), `${(audit.twice_share * 100).toFixed(1)}% scanned twice`);
    const facts = await lane.locator('[data-audit]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-audit'), Number(e.getAttribute('data-count')), e.textContent]));
    assert.deepEqual(facts, [
      ['pending', 1, 'audits pending: 1'],
      ['waitingForFriend', 1, 'waiting for another friend: 1'],
      ['quarantined', audit.quarantined_certificates, `certificates in quarantine: ${n(audit.quarantined_certificates)} (${n(audit.quarantined_sightings)} .jp entries)`],
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'dashboard-audits-desktop.png'), fullPage: true });

    // In Japanese.
    await setLang(page, 'ja');
    assert.equal(await card.locator('[data-flagged-badge]').textContent(), '監査で不一致');
    assert.equal((await evidence.first().locator('ul > li').allTextContents())[1], `他の 2 人が報告したエントリを 1 件見落とし：インデックス ${n(dropped)}`);
    assert.equal(await lane.locator('[data-audit="waitingForFriend"]').textContent(), '別のフレンド待ち 1 件');
    assert.match((await lane.locator('[data-twice-share]').textContent()) ?? '', /^二重走査 \d+\.\d%$/);

    // A phone: the long command wraps inside the card, nothing is wider than the screen.
    await page.setViewportSize({ width: 375, height: 812 });
    await waitUntilFitsWidth(page);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'dashboard-audits-phone-ja.png'), fullPage: true });

    // The operator runs the command as the page prints it (the manager is open: any token passes).
    const { stdout } = await promisify(execFile)('sh', ['-c', `${command} --silent --show-error --fail`], { env: { ...process.env, CTJP_ADMIN_TOKEN: 'operator-token' }, timeout: 30_000 });
    const cleared = JSON.parse(stdout) as ClearWorkerResponse;
    assert.deepEqual([cleared.worker_id, cleared.was_flagged, cleared.released_sightings], ['mallory1', true, mallory.flagged.quarantined_sightings]);
    await card.locator('[data-flag]').waitFor({ state: 'detached', timeout: LONG_WAIT_MS });
    assert.equal(await card.getAttribute('data-flagged'), null);
    assert.equal(await page.locator('[data-workers-flagged]').count(), 0);
    assert.equal((await status()).totals.quarantined_certificates, 0);
    assert.equal(await page.locator('[data-stat="quarantined"]').count(), 0, 'nothing left in quarantine: no figure');
    assert.equal(await lane.locator('[data-audit="quarantined"]').count(), 0);

    assert.deepEqual(dialogs, []);
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
