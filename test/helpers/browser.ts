/**
 * Debian's Chromium driven by playwright-core, with a fresh profile per launch and
 * nothing that reaches the network on its own.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { waitFor } from '../../tools/fixtures/wait.js';

export const CHROMIUM_PATH = process.env.CTJP_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  // playwright passes the profile folder to Chromium as --user-data-dir.
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'ctjp-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface WatchedPage {
  page: Page;
  /** Every dialog the page opened (each dismissed at once). */
  dialogs: string[];
  /** Every uncaught error in the page. */
  pageErrors: string[];
}

/** A new page that records dialogs and uncaught errors, so that a test can assert there were none. */
export async function openWatchedPage(browser: Browser): Promise<WatchedPage> {
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const page = await browser.context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return { page, dialogs, pageErrors };
}

/** The document's full width and the screen's: the page fits when scroll <= client. */
export function pageWidths(page: Page): Promise<{ scroll: number; client: number }> {
  return page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
}

/** Waits (up to a minute: charts follow a new width on their next frame) until nothing is wider than the screen, else fails with both widths. */
export async function waitUntilFitsWidth(page: Page): Promise<void> {
  let widths = { scroll: 0, client: 0 };
  await waitFor(
    'the page to fit the phone width',
    async () => {
      widths = await pageWidths(page);
      return widths.scroll <= widths.client;
    },
    60_000,
    250,
  ).catch(() => assert.fail(`page is ${widths.scroll}px wide on a ${widths.client}px screen`));
}

export const ARTIFACTS_DIR = path.join(import.meta.dirname, '..', '..', 'test-artifacts');
